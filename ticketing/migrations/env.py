"""Alembic environment: the URL comes from the caller (ticketing.bootstrap)."""

from alembic import context
from sqlalchemy import create_engine, pool

from ticketing.models import Base

config = context.config
target_metadata = Base.metadata
# made by hand in 0001 (full text), unknown to the models: autogenerate leaves them
HAND_MADE = {"ix_kb_articles_fts", "kb_fts"}


def render_item(type_, obj, autogen_context):
    """UtcDateTime is a Python-side conversion; the column is a timestamptz."""
    if type_ == "type" and obj.__class__.__name__ == "UtcDateTime":
        return "sa.DateTime(timezone=True)"
    return False


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    # kb_fts and FTS5's shadow tables (kb_fts_data, kb_fts_idx, ...)
    return name not in HAND_MADE and not (type_ == "table" and name.startswith("kb_fts"))


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "", poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            include_object=include_object,
            render_item=render_item,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
