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
