"""Walks of the organisation tree, each bounded: a tree that holds a cycle
anyway (written before moves were serialised, or by hand in the database)
must cost a walk its depth, never a worker spinning for ever."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from sqlalchemy import text
from sqlalchemy.orm import Session

# a district's tree is five or six levels (区 / 街镇 / 社区 / 网格 ...)
MAX_DEPTH = 32
# any number: one lock for every move of the organisation tree
_MOVES_LOCK = 2803


def up(parent_of: Mapping[int, int | None], start: int | None) -> Iterator[int]:
    """`start`, its parent, its parent's parent ... to the root, each once,
    at most MAX_DEPTH of them."""
    seen: set[int] = set()
    node = start
    while node is not None and node not in seen and len(seen) < MAX_DEPTH:
        seen.add(node)
        yield node
        node = parent_of.get(node)


def down(children_of: Mapping[int, list[int]], root: int) -> set[int]:
    """`root` and every unit below it, each once, however the links run."""
    found = {root}
    frontier = [root]
    while frontier:
        for child in children_of.get(frontier.pop(), []):
            if child not in found:
                found.add(child)
                frontier.append(child)
    return found


def serialise_moves(db_session: Session) -> None:
    """Hold the tree's lock until this transaction ends: two moves checked at
    the same moment (X under Y, Y under X) would each find no loop and
    together make one. On SQLite the writers are serialised already."""
    if db_session.get_bind().dialect.name == "postgresql":
        db_session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MOVES_LOCK})
