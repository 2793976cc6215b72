"""recordings: every recorded call, its legs, checksum and retention state

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "recordings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("queue", sa.String(length=32), nullable=False),
        sa.Column("hotline", sa.String(length=16), nullable=False),
        sa.Column("seat", sa.String(length=8), nullable=False),
        sa.Column("mixed_file", sa.String(length=128), nullable=False),
        sa.Column("citizen_file", sa.String(length=128), nullable=True),
        sa.Column("agent_file", sa.String(length=128), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("asr_status", sa.String(length=8), nullable=False),
        sa.Column("asr_note", sa.Text(), nullable=False),
        sa.Column("transcript", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recordings")),
        sa.UniqueConstraint("call_id", name=op.f("uq_recordings_call_id")),
    )
    op.create_index(op.f("ix_recordings_created_at"), "recordings", ["created_at"], unique=False)
    op.create_index(op.f("ix_recordings_seat"), "recordings", ["seat"], unique=False)
    op.create_index(op.f("ix_recordings_status"), "recordings", ["status"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_recordings_status"), table_name="recordings")
    op.drop_index(op.f("ix_recordings_seat"), table_name="recordings")
    op.drop_index(op.f("ix_recordings_created_at"), table_name="recordings")
    op.drop_table("recordings")
