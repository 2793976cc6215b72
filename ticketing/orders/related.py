"""Related and repeated requests: same caller, same address, or the same
subject at the same place within a few days (seed 001: 供暖 complaints piling
up on one compound are what the supervisors acted on)."""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata

from sqlalchemy import (
    CompoundSelect,
    Integer,
    Select,
    bindparam,
    insert,
    literal,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from ticketing.orders.enums import State
from ticketing.orders.models import OrderLink, WorkOrder
from ticketing.supervision.policy import RelatedPolicy

_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)
PLACE_PREFIX = 8  # characters of a normalised address that name the compound or street


def address_key(address: str | None) -> str | None:
    """Full-width to half-width, no spaces or punctuation: '幸福路 12号' == '幸福路12号'."""
    if not address:
        return None
    key = _NOISE.sub("", unicodedata.normalize("NFKC", address)).lower()
    return key or None


def find_related(db_session: Session, order: WorkOrder,
                 policy: RelatedPolicy) -> list[tuple[str, int, str]]:  # fmt: skip
    """(reason, id, number) of the recent orders related to `order`, which is not yet
    stored: the queries run before the order takes its number, so the day's
    number counter stays locked only for the inserts."""
    statement, params = lookup(order, policy)
    if statement is None:
        return []
    return [(row.reason, row.id, row.number) for row in db_session.execute(statement, params)]


def lookup(order: WorkOrder, policy: RelatedPolicy) -> tuple[CompoundSelect | None, dict]:
    """The related-request query for `order` and its parameters (None: the
    order names neither a caller nor an address)."""
    caller, address = order.caller_key, order.address_key
    nearby = bool(address and order.subject_code)
    if not (caller or address):
        return None, {}
    params = {
        "since": order.created_at - dt.timedelta(days=policy.window_days),
        "caller": caller,
        "address": address,
        "subject": order.subject_code,
        "nearby_since": order.created_at - dt.timedelta(days=policy.subject_window_days),
        "place": _like_prefix(address[:PLACE_PREFIX]) if address else None,
        "limit": policy.max_links_per_reason,
    }
    return _related_statement(bool(caller), bool(address), nearby), params


@functools.cache
def _related_statement(caller: bool, address: bool, nearby: bool) -> CompoundSelect:
    """The lookup for one shape of order, built once with bound parameters
    (building the statement cost more than running it: bench (p)). One round
    trip: each rule its newest few, in one UNION ALL."""
    recent = select(WorkOrder.id, WorkOrder.number).where(
        WorkOrder.created_at >= bindparam("since"),
        WorkOrder.state != State.merged,
    )
    rules: list[tuple[str, Select]] = []
    if caller:
        rules.append(("same_caller", recent.where(WorkOrder.caller_key == bindparam("caller"))))
    if address:
        rules.append(("same_address", recent.where(WorkOrder.address_key == bindparam("address"))))
    if nearby:
        rules.append((
            "same_subject",
            recent.where(
                WorkOrder.subject_code == bindparam("subject"),
                WorkOrder.created_at >= bindparam("nearby_since"),
                WorkOrder.address_key.like(bindparam("place"), escape="/"),
                WorkOrder.address_key != bindparam("address"),
            ),
        ))  # fmt: skip
    parts = [(reason, query.order_by(WorkOrder.created_at.desc())
              .limit(bindparam("limit", type_=Integer)).subquery())
             for reason, query in rules]  # fmt: skip
    return union_all(*(select(part.c.id, part.c.number, literal(reason).label("reason"))
                       for reason, part in parts))  # fmt: skip


def _like_prefix(prefix: str) -> str:
    """A LIKE pattern matching what starts with `prefix`, its wildcards escaped
    (with "/", as SQLAlchemy's own autoescape)."""
    return prefix.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"


_INSERT_LINK = insert(OrderLink)  # run on the connection: Core, no ORM unit of work


def link(
    db_session: Session, order_id: int, related: list[tuple[str, int, str]], at: dt.datetime
) -> None:
    """The links of a new order, in one Core executemany (no ORM objects; one
    compiled statement whatever the number of links, sent as one batch)."""
    if related:
        db_session.connection().execute(_INSERT_LINK, [
            {"order_id": order_id, "related_id": related_id, "reason": reason, "created_at": at}
            for reason, related_id, _ in related
        ])  # fmt: skip
