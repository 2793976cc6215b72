"""reports: queue_log lines, the cursor of each file, calls per queue stay

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "queue_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.String(length=64), nullable=False),
        sa.Column("queue", sa.String(length=32), nullable=False),
        sa.Column("hotline", sa.String(length=16), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=12), nullable=False),
        sa.Column("wait_s", sa.Float(), nullable=True),
        sa.Column("agent", sa.String(length=64), nullable=False),
        sa.Column("connected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("talk_s", sa.Float(), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queue_calls")),
        sa.UniqueConstraint("call_id", "queue", "entered_at", name=op.f("uq_queue_calls_call_id")),
    )
    op.create_index(op.f("ix_queue_calls_call_id"), "queue_calls", ["call_id"], unique=False)
    op.create_index(op.f("ix_queue_calls_entered_at"), "queue_calls", ["entered_at"], unique=False)
    op.create_table(
        "queue_log_cursors",
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("inode", sa.BigInteger(), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.Column("taken", sa.BigInteger(), nullable=False),
        sa.Column("malformed", sa.BigInteger(), nullable=False),
        sa.Column("duplicates", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_queue_log_cursors")),
    )
    op.create_table(
        "queue_log_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("call_id", sa.String(length=64), nullable=False),
        sa.Column("queue", sa.String(length=32), nullable=False),
        sa.Column("agent", sa.String(length=64), nullable=False),
        sa.Column("event", sa.String(length=24), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queue_log_lines")),
        sa.UniqueConstraint("key", name=op.f("uq_queue_log_lines_key")),
    )
    op.create_index(op.f("ix_queue_log_lines_at"), "queue_log_lines", ["at"], unique=False)
    op.create_index(op.f("ix_queue_log_lines_call_id"), "queue_log_lines", ["call_id"],
                    unique=False)  # fmt: skip


def downgrade() -> None:
    op.drop_index(op.f("ix_queue_log_lines_call_id"), table_name="queue_log_lines")
    op.drop_index(op.f("ix_queue_log_lines_at"), table_name="queue_log_lines")
    op.drop_table("queue_log_lines")
    op.drop_table("queue_log_cursors")
    op.drop_index(op.f("ix_queue_calls_entered_at"), table_name="queue_calls")
    op.drop_index(op.f("ix_queue_calls_call_id"), table_name="queue_calls")
    op.drop_table("queue_calls")
