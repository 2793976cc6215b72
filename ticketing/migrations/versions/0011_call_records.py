"""call detail records (CDR) of every leg, read from cdr_csv's Master.csv

The ingester follows Master.csv beside the queue_log, with the same cursor
(ticketing/reports/cdr.py).

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "call_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("call_id", sa.String(length=64), nullable=False),
        sa.Column("leg", sa.String(length=12), nullable=False),
        sa.Column("hotline", sa.String(length=24), nullable=False),
        sa.Column("context", sa.String(length=80), nullable=False),
        sa.Column("last_app", sa.String(length=32), nullable=False),
        sa.Column("disposition", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_s", sa.Integer(), nullable=False),
        sa.Column("billsec_s", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_records")),
        sa.UniqueConstraint("key", name=op.f("uq_call_records_key")),
    )
    op.create_index(op.f("ix_call_records_call_id"), "call_records", ["call_id"], unique=False)
    op.create_index(
        op.f("ix_call_records_started_at"), "call_records", ["started_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_call_records_started_at"), table_name="call_records")
    op.drop_index(op.f("ix_call_records_call_id"), table_name="call_records")
    op.drop_table("call_records")
