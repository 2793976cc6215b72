"""related requests: the same subject at the same place found by index

The same-subject rule asks for orders of one subject whose address starts
with the new order's place; without this index PostgreSQL read every order
of the subject in the window (783 rows for each create in bench (p)).
varchar_pattern_ops lets a LIKE 'prefix%' use the index whatever the
database's collation.

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_work_orders_subject_place", "work_orders", ["subject_code", "address_key"],
                    postgresql_ops={"address_key": "varchar_pattern_ops"})  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_work_orders_subject_place", table_name="work_orders")
