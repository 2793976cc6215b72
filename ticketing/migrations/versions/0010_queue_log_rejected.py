"""queue_log lines set aside: stored, but their effect refused

The ingester takes a refused batch again line by line and counts each line
whose effect the database refused (ticketing/reports/ingest.py).

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    column = sa.Column("rejected", sa.BigInteger(), nullable=False, server_default="0")
    op.add_column("queue_log_cursors", column)


def downgrade() -> None:
    op.drop_column("queue_log_cursors", "rejected")
