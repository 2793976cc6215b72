"""The ACD's AMI user gets exactly the events the ACD handles: a handler whose
event manager.conf filters out would never run, an event let through that no
handler reads costs the ACD a parse at hundreds of events a second."""

from __future__ import annotations

import re
from pathlib import Path

from acd.service import Acd

CONFIG = Path(__file__).resolve().parents[2] / "asterisk-config"
FILTER = re.compile(r"^eventfilter\((?P<criteria>[^)]*(?:\)[^)]*)*)\)\s*=\s*(?P<expr>.*)$")


def acd_filters() -> list[tuple[dict[str, str], str]]:
    """(criteria, expression) of every eventfilter line of the ACD's user."""
    section, found = "", []
    for raw in (CONFIG / "manager.conf").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("["):
            section = line
        elif section == "[@@AMI_USER@@]" and line.startswith("eventfilter("):
            match = FILTER.match(line)
            assert match, line
            criteria = dict(re.findall(r"(\w+)\(([^)]*)\)", match["criteria"]))
            found.append((criteria, match["expr"].strip()))
    return found


def dialplan_user_events() -> set[str]:
    names: set[str] = set()
    for conf in (CONFIG / "extensions.d").glob("*.conf"):
        names |= set(re.findall(r"UserEvent\((Yht\w+)", conf.read_text(encoding="utf-8")))
    return names


def test_every_event_the_acd_handles_is_let_through_and_nothing_else():
    filters = acd_filters()
    assert all(c.get("action") == "include" for c, _ in filters)
    names = {c["name"] for c, _ in filters}
    assert names == set(Acd._handlers)


def test_only_the_user_events_the_acd_acts_on_reach_it():
    (expression,) = [e for c, e in acd_filters() if c["name"] == "UserEvent"]
    criteria = next(c for c, _ in acd_filters() if c["name"] == "UserEvent")
    assert criteria == {"action": "include", "name": "UserEvent", "header": "UserEvent",
                        "method": "regex"}  # fmt: skip
    pattern = re.compile(expression)
    handled = Acd.user_events()
    emitted = dialplan_user_events()
    assert handled <= emitted, "a handler for an event the dialplan never raises"
    assert {n for n in emitted if pattern.search(n)} == handled
    assert "YhtQueueEnter" in emitted - handled  # one per call: kept away from the ACD
