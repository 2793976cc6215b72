"""Related and repeated requests: same caller, same address, or the same
subject at the same place within a few days (seed 001: 供暖 complaints piling
up on one compound are what the supervisors acted on)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from sqlalchemy import insert, literal, select, union_all
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
    since = order.created_at - dt.timedelta(days=policy.window_days)
    recent = select(WorkOrder.id, WorkOrder.number).where(
        WorkOrder.created_at >= since,
        WorkOrder.state != State.merged,
    )
    rules: list[tuple[str, object]] = []
    if order.caller_key:
        rules.append(("same_caller", recent.where(WorkOrder.caller_key == order.caller_key)))
    if order.address_key:
        rules.append(("same_address", recent.where(WorkOrder.address_key == order.address_key)))
        if order.subject_code:
            nearby_since = order.created_at - dt.timedelta(days=policy.subject_window_days)
            place = order.address_key[:PLACE_PREFIX]
            rules.append(
                (
                    "same_subject",
                    recent.where(
                        WorkOrder.subject_code == order.subject_code,
                        WorkOrder.created_at >= nearby_since,
                        WorkOrder.address_key.startswith(place, autoescape=True),
                        WorkOrder.address_key != order.address_key,
                    ),
                )
            )
    if not rules:
        return []
    # one round trip: each rule its newest few, in one UNION ALL
    parts = [
        (reason, query.order_by(WorkOrder.created_at.desc())  # type: ignore[attr-defined]
         .limit(policy.max_links_per_reason).subquery())
        for reason, query in rules
    ]  # fmt: skip
    union = union_all(*(select(part.c.id, part.c.number, literal(reason).label("reason"))
                        for reason, part in parts))  # fmt: skip
    return [(row.reason, row.id, row.number) for row in db_session.execute(union)]


def link(db_session: Session, order_id: int, related: list[tuple[str, int, str]]) -> None:
    """The links of a new order, in one multi-row INSERT (no ORM objects)."""
    if related:
        db_session.execute(insert(OrderLink), [
            {"order_id": order_id, "related_id": related_id, "reason": reason}
            for reason, related_id, _ in related
        ])  # fmt: skip
