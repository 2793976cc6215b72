"""order_calls.seat: the seat of the agent who linked a call to an order

A call's transcript reaches an order only when the seat that linked it is
the seat that answered the call (or a shift lead / the service linked it:
NULL), so an agent cannot copy another seat's transcript into an order.

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("order_calls", sa.Column("seat", sa.String(length=8), nullable=True))


def downgrade() -> None:
    op.drop_column("order_calls", "seat")
