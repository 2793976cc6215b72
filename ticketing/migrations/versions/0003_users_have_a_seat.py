"""users have a seat

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 16:36:54.422998

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema (batch mode: SQLite cannot add a constraint in place)."""
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("seat", sa.String(length=8), nullable=True))
        batch.create_unique_constraint(op.f("uq_users_seat"), ["seat"])


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint(op.f("uq_users_seat"), type_="unique")
        batch.drop_column("seat")
