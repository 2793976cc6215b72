"""security hardening: confirmed SOS devices, deactivated elders, intake keys
scoped to their gateway and body, logs that refuse TRUNCATE

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY = ("order_events", "audit_log")


def upgrade() -> None:
    with op.batch_alter_table("elders") as batch_op:
        batch_op.add_column(
            sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
    with op.batch_alter_table("elder_numbers") as batch_op:
        batch_op.add_column(
            sa.Column("confirmed", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
    # numbers that became "elders" only by calling the SOS line once
    op.execute(
        "UPDATE elder_numbers SET confirmed = false WHERE elder_id IN "
        "(SELECT id FROM elders WHERE follow_up AND name = '未登记')"
    )
    with op.batch_alter_table("intake_keys") as batch_op:
        batch_op.add_column(sa.Column("gateway_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("body_hash", sa.String(length=64), server_default="", nullable=False)
        )
        batch_op.drop_constraint("uq_intake_keys_channel", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_intake_keys_gateway_id"), ["gateway_id", "channel", "key"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_intake_keys_gateway_id_users"), "users", ["gateway_id"], ["id"]
        )
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION yht_append_only()"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
    with op.batch_alter_table("intake_keys") as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_intake_keys_gateway_id_users"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("uq_intake_keys_gateway_id"), type_="unique")
        batch_op.create_unique_constraint("uq_intake_keys_channel", ["channel", "key"])
        batch_op.drop_column("body_hash")
        batch_op.drop_column("gateway_id")
    with op.batch_alter_table("elder_numbers") as batch_op:
        batch_op.drop_column("confirmed")
    with op.batch_alter_table("elders") as batch_op:
        batch_op.drop_column("active")
