"""Create a row once, however often (and however concurrently) the same
report arrives: missed calls, SOS records, keyed intake all use this."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

T = TypeVar("T")


def first_or_create(db_session: Session, query: Any, make: Callable[[], T]) -> tuple[T, bool]:
    """The row `query` finds, or the one `make()` adds now (True). A unique
    constraint decides a race: the loser finds the winner's row."""
    existing = db_session.scalar(query)
    if existing is not None:
        return existing, False
    try:
        with db_session.begin_nested():
            row = make()
            db_session.flush()
        return row, True
    except IntegrityError:
        existing = db_session.scalar(query)
        if existing is None:
            raise
        return existing, False


def reported_once(db_session: Session, query: Any, make: Callable[[], T], response: Any) -> T:
    """A service's report (a missed call, a recording): created once (201),
    answered 200 with the same row when it arrives again."""
    row, created = first_or_create(db_session, query, make)
    if not created:
        response.status_code = 200
    return row
