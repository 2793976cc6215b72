"""Engine, sessions and the declarative base shared by every ticketing model.

The unit of work belongs to the request: `DbSession` opens a session for it,
commits when the handler returns and rolls back when it raises. Service
functions only flush.

A request's session holds its pooled connection across several trips to the
thread pool (the token lookup, the handler, the commit). With more such
requests than connections, the thread pool can fill with requests waiting
for a connection while the requests holding one wait for a thread: the
eighth day (docs/day.md) had the service stop for good that way after its
PostgreSQL restart. So at most `request_slots(engine)` requests hold a
session at once (an asyncio semaphore, waited on without a thread; past
`pool_timeout` the request answers 503), and a session is always ended,
even when its request is cancelled.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, ClassVar

import anyio
from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import QueuePool
from sqlalchemy.types import TypeDecorator

POOL_SIZE, MAX_OVERFLOW, POOL_TIMEOUT_S = 10, 20, 10
# connections left outside the request slots: /metrics, /health, the deadline scan
SPARE_CONNECTIONS = 2

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Timestamps are stored and returned as aware UTC on every database
    (SQLite drops the zone; PostgreSQL keeps it)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict] = {datetime: UtcDateTime()}


def utcnow() -> datetime:
    return datetime.now(UTC)


def make_engine(url: str, connect_timeout_s: int = 5, statement_timeout_ms: int = 15000) -> Engine:
    """An engine whose every wait is bounded: connecting, a statement, a lock,
    and a connection from the pool."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False},
                               pool_size=POOL_SIZE, max_overflow=MAX_OVERFLOW,
                               pool_timeout=POOL_TIMEOUT_S)  # fmt: skip

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(conn, _record) -> None:
            cur = conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={connect_timeout_s * 1000}")
            cur.close()

        return engine
    options = f"-c statement_timeout={statement_timeout_ms} -c lock_timeout={statement_timeout_ms}"
    return create_engine(
        url, pool_size=POOL_SIZE, max_overflow=MAX_OVERFLOW, pool_pre_ping=True,
        pool_timeout=POOL_TIMEOUT_S,
        connect_args={"connect_timeout": connect_timeout_s, "options": options},
    )  # fmt: skip


def request_slots(engine: Engine) -> int:
    """How many requests may hold a session at once: the pool's connections
    (SQLAlchemy keeps the overflow bound private), less a few for the
    service's own reads."""
    pool = engine.pool
    if not isinstance(pool, QueuePool):
        return 64  # no bound on connections to wait for
    capacity = pool.size() + max(int(getattr(pool, "_max_overflow", 0)), 0)
    return max(capacity - SPARE_CONNECTIONS, 1) if capacity > 2 * SPARE_CONNECTIONS else capacity


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


class DatabaseBusy(Exception):
    """Every request slot stayed taken for `pool_timeout`: answered 503."""


async def get_session(request: Request) -> AsyncIterator[Session]:
    """A request's session: made on the event loop (no I/O until first use),
    committed or rolled back and closed in one trip to the thread pool (a sync
    dependency would cost two: bench (p)); one of the request slots held
    from its start to its end (the module's docstring)."""
    state = request.app.state
    slots: asyncio.Semaphore = state.db_slots
    state.db_waiting += 1  # /health: requests waiting for a slot now
    try:
        async with asyncio.timeout(POOL_TIMEOUT_S):
            await slots.acquire()
    except TimeoutError:
        raise DatabaseBusy from None
    finally:
        state.db_waiting -= 1
    try:
        session = request.app.state.sessions()
        try:
            yield session
        except BaseException:
            await _finish(session, commit=False)
            raise
        await _finish(session, commit=True)
    finally:
        slots.release()


async def _finish(session: Session, commit: bool) -> None:
    # shielded: a cancelled request (its client gone) still returns its
    # connection; unshielded, the cancellation would skip the trip and leave
    # the connection checked out, idle in transaction, for good
    with anyio.CancelScope(shield=True):
        await run_in_threadpool(_end, session, commit)


def _end(session: Session, commit: bool) -> None:
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()


# scope="function": commit before the response is sent, so a failed commit
# becomes an error response instead of a lost write behind a 200
DbSession = Annotated[Session, Depends(get_session, scope="function")]
