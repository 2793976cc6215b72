"""Every hotline call is recorded from the answer on (issue 12): a real call
through Asterisk leaves the mix and one file per leg, the ACD reports it,
and the work-order API plays it to the agent who took it and nobody else."""

from __future__ import annotations

import asyncio
import wave

import httpx

from testkit.sipp import place_call
from testkit.waiting import until
from tests.integration.test_call_path import is_caller, new_caller
from tests.integration.test_desk import open_page

SEAT = "1003"


def seconds_of(path) -> float:
    with wave.open(str(path)) as audio:
        return audio.getnframes() / audio.getframerate()


async def test_a_call_is_recorded_per_leg_and_heard_only_by_its_agent(
    pbx, live_desk, ticketing_service, seat_phones, ami, workdir
):
    seat_phones(SEAT)
    agent = ticketing_service.user("desk1003", "agent", seat=SEAT)
    stranger = ticketing_service.user("desk1002", "agent", seat="1002")
    page = await open_page(live_desk["ws"], agent)
    try:
        await page.send(type="login", ref="in")
        await page.expect(lambda m: m["type"] == "seat" and m["state"] == "ready")
        caller = new_caller()
        call = place_call(pbx.settings.sip_port, "12345", caller, workdir, hold_ms=4000,
                          voice_ms=3000)  # fmt: skip
        connect = await ami.wait_for("AgentConnect", is_caller(caller), timeout=30)
        assert await call.finished() == 0
        call_id = connect["Uniqueid"]
        base = "call-" + "".join(c for c in call_id if c.isdigit())
        monitor = pbx.dir / "spool" / "monitor"
        for leg in ("", "-citizen", "-agent"):
            await until(lambda leg=leg: (monitor / f"{base}{leg}.wav").exists(), 10,
                        f"the recording {base}{leg}.wav")  # fmt: skip
        # only the bridged part: the call was answered at once and lasted ~4 s
        assert 2.0 < seconds_of(monitor / f"{base}.wav") < 6.0
        assert seconds_of(monitor / f"{base}-citizen.wav") > 2.0

        def recorded() -> dict | None:
            response = httpx.get(f"{ticketing_service.base}/recordings/{call_id}",
                                 headers=agent, timeout=2)  # fmt: skip
            return response.json() if response.status_code == 200 else None

        await until(lambda: recorded() is not None, 20, "the recording in the work-order API")
        item = recorded()
        assert item is not None and item["status"] == "recorded" and item["seat"] == SEAT
        assert item["legs"] == ["mixed", "citizen", "agent"] and item["duration_s"] > 2.0
        url = f"{ticketing_service.base}/recordings/{call_id}/audio"
        part = await asyncio.to_thread(httpx.get, url, headers={**agent, "Range": "bytes=0-43"})
        assert part.status_code == 206 and part.content[:4] == b"RIFF"
        other = await asyncio.to_thread(httpx.get, url, headers=stranger)
        assert other.status_code == 404
    finally:
        await page.send(type="logout", ref="out")
        await page.expect(lambda m: m.get("ref") == "out")
        await page.ws.close()
