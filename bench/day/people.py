"""Who works the day: the seats by the hour (the shift plan raised to what
Erlang C needs), and the people and devices the API knows before it starts
(a desk user per seat, the shift lead, a callback desk, a handler per
department and provider, the registered one-key phones)."""

from __future__ import annotations

import httpx

from bench.day.actors import Api, Tally
from bench.day.stack import MOST_SEATS, Stack, admin_headers
from bench.day.traffic import Caller

PASSWORD = "day-password-1"


def seats_by_hour(
    callers: list[Caller], hours: float, wrapup_s: float, goal: float = 0.95, start_hour: int = 0
) -> list[tuple[float, int]]:
    """The shift plan (6 seats 08-20, 2 at night), raised to what Erlang C
    needs for each hour's calls to answer `goal` of them within 15 s, at
    most MOST_SEATS. The handle time is the hour's mean talk plus the
    wrap-up the ACD really gives a seat (`wrapup_s`, simulated seconds:
    a compressed day's whole-second wrap-up is longer than a real one)."""
    from ticketing.reports.staffing import seats_needed

    plan = []
    for hour in range(int(hours + 0.999)):
        calls = [c for c in callers if hour * 3600 <= c.at_s < (hour + 1) * 3600 and not c.sos]
        planned = 6 if 8 <= (start_hour + hour) % 24 < 20 else 2
        talk = sum(c.talk_s for c in calls) / len(calls) if calls else 180.0
        span_h = min(1.0, hours - hour)  # a short day's last hour is a part of one
        per_half_hour = len(calls) / (2 * span_h)
        needed = seats_needed(per_half_hour, talk + wrapup_s, goal=goal).seats if calls else 0
        plan.append((hour * 3600.0, min(MOST_SEATS, max(planned, needed))))
    return plan


def prepare(stack: Stack, callers: list[Caller], tally: Tally) -> dict:
    """The day's people (a desk user per seat, the shift lead, a callback
    desk, a handler per department and provider) and the registered
    one-key phones, through the API."""
    base = stack.ticketing
    admin = admin_headers(base)
    units = {u["code"]: u for u in httpx.get(f"{base}/units", headers=admin, timeout=10).json()}
    category_unit = {c: u["id"] for u in units.values() for c in u["categories"]}
    category_unit.setdefault("municipal", units["dept-urban"]["id"])

    def user(name: str, role: str, **extra) -> Api:
        httpx.post(
            f"{base}/users",
            headers=admin,
            timeout=10,
            json={
                "username": name,
                "display_name": name,
                "role": role,
                "password": PASSWORD,
                **extra,
            },
        )
        return Api(base, name, PASSWORD, tally)

    desks_api = {seat: user(f"desk{seat}", "agent", seat=seat) for seat in stack.seats}
    apis = {"lead": user("lead", "shift_lead"), "callbacks": user("callbacks", "agent")}
    handlers = {
        u["id"]: user(f"unit-{u['code']}", "unit_handler", unit_id=u["id"])
        for u in units.values()
        if u["kind"] in ("department", "provider")
    }
    for caller in callers:  # the registered one-key phones
        if caller.sos and caller.registered:
            httpx.post(
                f"{base}/elders",
                headers=admin,
                timeout=10,
                json={
                    "name": f"老人{caller.number[-4:]}",
                    "age": 80,
                    "numbers": [caller.number],
                    "address": "幸福路 8 号",
                },
            )
    return {
        "admin": admin,
        "category_unit": category_unit,
        "desks_api": desks_api,
        "apis": apis,
        "handlers": handlers,
    }
