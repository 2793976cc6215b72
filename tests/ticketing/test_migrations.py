"""The Alembic migrations build exactly the schema the models describe, and
walk down and up again, on PostgreSQL and on the embedded SQLite default."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import text

from tests.ticketing.conftest import DATABASE_URL
from ticketing.bootstrap import alembic_config
from ticketing.database import make_engine

SCRATCH = DATABASE_URL.rsplit("/", 1)[0] + "/yht_test_migrations"


@pytest.fixture
def postgres_scratch():
    admin = make_engine(DATABASE_URL.rsplit("/", 1)[0] + "/postgres")
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("DROP DATABASE IF EXISTS yht_test_migrations"))
        conn.execute(text("CREATE DATABASE yht_test_migrations"))
    yield SCRATCH
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("DROP DATABASE IF EXISTS yht_test_migrations WITH (FORCE)"))
    admin.dispose()


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_migrations_match_the_models_and_walk_down_and_up(backend, tmp_path, request):
    url = (request.getfixturevalue("postgres_scratch") if backend == "postgresql"
           else f"sqlite:///{tmp_path}/m.db")  # fmt: skip
    config = alembic_config(url)
    command.upgrade(config, "head")
    command.check(config)  # raises when the models and the migrated schema differ
    command.downgrade(config, "base")
    command.upgrade(config, "head")
    command.check(config)
