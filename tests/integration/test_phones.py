"""The dialplan's `yht-caller` gives every caller id the canonical form of
yht/phones.py, so a registered SOS phone is recognised in whatever form its
carrier sends it."""

from __future__ import annotations

import asyncio

import httpx

from testkit.ami import chan_vars, channel_at
from testkit.sipp import place_call
from testkit.waiting import until
from tests.integration.test_hardening import in_astdb, new_events_from
from tests.unit.test_phones import CASES
from yht.phones import canonical


async def test_the_dialplan_normalises_caller_ids_like_the_services(pbx, ami, workdir):
    for raw, expected in CASES.items():
        if len(expected) <= 6:
            continue  # short codes do not call the hotline
        start = len(ami.events)
        # long enough to reach the queue: Answer() waits up to 500 ms for first media
        call = place_call(pbx.settings.sip_port, "12349", raw, workdir, hold_ms=2500)
        joined = await new_events_from(ami, start, "QueueCallerJoin",
                                       lambda e, r=raw: e.get("CallerIDNum") == r)  # fmt: skip
        assert chan_vars(joined).get("YHT_CALLER") == expected == canonical(raw), raw
        assert await asyncio.to_thread(call.wait, 30) == 0


async def test_a_registered_sos_phone_is_recognised_in_its_international_form(
    pbx, live_desk, ticketing_service, workdir
):
    lead = ticketing_service.user("lead1", "shift_lead")
    profile = {"name": "周淑珍", "numbers": ["13900007777"], "community": "幸福社区"}
    response = await asyncio.to_thread(httpx.post, f"{ticketing_service.base}/elders",
                                       headers=lead, json=profile)  # fmt: skip
    assert response.status_code == 201
    await until(lambda: in_astdb(pbx, "13900007777"), 15, "the device in AstDB")
    call = place_call(pbx.settings.sip_port, "12345", "+8613900007777", workdir, hold_ms=500)
    entered = await channel_at(
        pbx, "+8613900007777", lambda c: c["context"] in ("yht-hotline", "yht-sos"))  # fmt: skip
    assert entered["context"] == "yht-sos"
    assert await asyncio.to_thread(call.wait, 30) == 0
    await until(lambda: "No Callers" in pbx.cli("queue show sos").stdout, 10, "an empty SOS queue")
