"""Small in-process caches of rows that every request reads and almost none
writes (the caller's bearer token, the subject taxonomy), so that creating a
work order does not read them again each time (bench (p)).

Each cache is bounded in size and in age, and is emptied after any commit in
this process that wrote a row of one of its tables (an ORM flush or a bulk
UPDATE/DELETE): an administrator's change through the API takes effect at
once. A change made outside this process (psql) takes effect within the
cache's age. `python -m ticketing` serves from one uvicorn process, so "this
process" is the whole service; more processes would each need the others'
writes (a Redis notice) before caching like this.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any

from cachetools import TTLCache
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

_CHANGED = "yht_cached_tables_changed"
_caches: list[WriteClearedCache] = []


class WriteClearedCache:
    """A thread-safe TTL cache emptied when a committed write touches `tables`."""

    def __init__(self, name: str, tables: set[str], maxsize: int, ttl_s: float) -> None:
        self.name = name
        self.tables = frozenset(tables)
        self._data: TTLCache[Hashable, Any] = TTLCache(maxsize=maxsize, ttl=ttl_s)
        self._lock = threading.Lock()
        self._generation = 0
        _caches.append(self)

    def peek(self, key: Hashable) -> Any:
        """The cached value of `key`, or None: a lookup that never loads (and
        so never blocks an event loop)."""
        with self._lock:
            return self._data.get(key)

    def get(self, key: Hashable, load: Callable[[], Any]) -> Any:
        """The cached value of `key`, or `load()`'s (cached unless None). A value
        loaded while a write committed is not kept: it may predate the write."""
        with self._lock:
            if key in self._data:
                return self._data[key]
            generation = self._generation
        value = load()
        if value is not None:
            with self._lock:
                if generation == self._generation:
                    self._data[key] = value
        return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._generation += 1


def _tables_of(session: Session) -> set[str]:
    return session.info.setdefault(_CHANGED, set())


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        table = getattr(obj, "__tablename__", None)
        if table:
            _tables_of(session).add(table)


@event.listens_for(Session, "do_orm_execute")
def _bulk_write(state: ORMExecuteState) -> None:
    if state.is_update or state.is_delete or state.is_insert:
        table = getattr(state.statement, "table", None)
        if table is not None:
            _tables_of(state.session).add(table.name)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    changed = session.info.pop(_CHANGED, None)
    if changed:
        for cache in _caches:
            if cache.tables & changed:
                cache.clear()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_CHANGED, None)
