"""Bring a database to the current schema and fill it with reference data."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from ticketing.auth.models import User
from ticketing.auth.roles import Role
from ticketing.auth.service import hash_password
from ticketing.database import session_factory
from ticketing.orgs.service import load_reference_data
from ticketing.settings import TicketingSettings

log = logging.getLogger("ticketing")
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(url: str) -> None:
    command.upgrade(alembic_config(url), "head")


def seed(engine: Engine, settings: TicketingSettings) -> None:
    """Reference data into empty tables, and the first administrator."""
    with session_factory(engine).begin() as db_session:
        load_reference_data(db_session, settings.org_file, settings.subjects_file)
        if not db_session.scalar(select(func.count()).select_from(User)):
            if not settings.admin_password:
                raise SystemExit("YHT_TICKETING_ADMIN_PASSWORD is not set: no administrator")
            db_session.add(
                User(
                    username="admin",
                    display_name="系统管理员",
                    role=Role.admin,
                    password_hash=hash_password(settings.admin_password),
                )
            )
            log.info("created user 'admin' (password: YHT_TICKETING_ADMIN_PASSWORD)")


# the logs the service may only append to and read
APPEND_ONLY = ("order_events", "audit_log")


def grant_service_role(owner: Engine, role: str) -> None:
    """PostgreSQL in production: the tables belong to the owner role that runs
    the migrations; the service connects as `role`, which may read and write
    the work-order tables but only INSERT and SELECT the event and audit logs,
    and, not owning them, can neither TRUNCATE them nor drop their triggers."""
    if owner.dialect.name != "postgresql":
        return
    quoted = owner.dialect.identifier_preparer.quote(role)
    with owner.begin() as conn:
        conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA public TO {quoted}")
        conn.exec_driver_sql(
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}"
        )
        conn.exec_driver_sql(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}")
        conn.exec_driver_sql(
            f"REVOKE UPDATE, DELETE, TRUNCATE ON {', '.join(APPEND_ONLY)} FROM {quoted}"
        )
        conn.exec_driver_sql(f"REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM {quoted}")
