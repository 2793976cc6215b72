"""The ACD reports every recorded call when the caller's leg hangs up: with
the seat that answered first, the legs' files, Asterisk's times."""

from __future__ import annotations

from tests.unit.test_acd import controller

CALL = "1795700000.7"
VARS = [f"YHT_CALL_ID={CALL}", "YHT_RECORDING=call-17957000007.wav", "YHT_QUEUE=hotline",
        "YHT_HOTLINE=12345", "YHT_CATEGORY=general"]  # fmt: skip


async def test_an_answered_call_is_reported_with_its_seat_and_legs():
    acd, _, store = controller()
    await acd.on_event({"Event": "AgentConnect", "Queue": "hotline", "Uniqueid": CALL,
                        "Interface": "PJSIP/agent1003", "Timestamp": "1795700010.5",
                        "ChanVariable": VARS, "HoldTime": "3"})  # fmt: skip
    # the agent's leg hangs up first: it carries the variables, not the call id as its own
    await acd.on_event({"Event": "Hangup", "Uniqueid": "1795700001.9", "ChanVariable": VARS,
                        "Timestamp": "1795700070.0"})  # fmt: skip
    assert store.recordings == []
    await acd.on_event({"Event": "Hangup", "Uniqueid": CALL, "ChanVariable": VARS,
                        "Timestamp": "1795700070.0"})  # fmt: skip
    [item] = store.recordings
    assert store.transcriptions == [item]  # answered: transcribed afterwards
    assert item["seat"] == "1003" and item["kind"] == "hotline"
    assert (item["mixed_file"], item["citizen_file"], item["agent_file"]) == (
        "call-17957000007.wav",
        "call-17957000007-citizen.wav",
        "call-17957000007-agent.wav",
    )
    assert item["started_at"].startswith("2026-11-26") and item["ended_at"] > item["started_at"]


async def test_a_call_nobody_answered_is_reported_without_a_seat_and_sos_as_one_file():
    acd, _, store = controller()
    await acd.on_event({"Event": "Hangup", "Uniqueid": CALL, "ChanVariable": VARS,
                        "Timestamp": "1795700070.0"})  # fmt: skip
    sos = [f"YHT_CALL_ID={CALL}2", "YHT_RECORDING=sos-17957000072.wav", "YHT_CATEGORY=sos",
           "YHT_QUEUE=sos"]  # fmt: skip
    await acd.on_event({"Event": "Hangup", "Uniqueid": f"{CALL}2", "ChanVariable": sos,
                        "Timestamp": "1795700071.0"})  # fmt: skip
    plain, emergency = store.recordings
    assert store.transcriptions == []  # nothing was said to anyone
    assert plain["seat"] == "" and plain["started_at"] is None
    assert emergency["kind"] == "sos" and emergency["citizen_file"] is None


async def test_a_callback_is_reported_from_the_seats_leg_with_its_seat():
    """55-callback.conf records a callback on the seat's own leg, whose
    uniqueid is the call id the work-order service chose."""
    acd, _, store = controller()
    call = "cb1795700000.123456789"
    seat_leg = [f"YHT_CALL_ID={call}", "YHT_RECORDING=callback-1795700000123456789.wav",
                "YHT_CATEGORY=callback", "YHT_HOTLINE=12345"]  # fmt: skip
    # the citizen's leg on the partner trunk carries none of it
    await acd.on_event({"Event": "Hangup", "Uniqueid": "1795700002.3", "Timestamp": "1795700060.0",
                        "Channel": "PJSIP/partner-trunk-00000003"})  # fmt: skip
    await acd.on_event({"Event": "Hangup", "Uniqueid": call, "ChanVariable": seat_leg,
                        "Channel": "PJSIP/agent1003-0000002a",
                        "Timestamp": "1795700060.1"})  # fmt: skip
    [item] = store.recordings
    assert (item["kind"], item["seat"], item["hotline"]) == ("callback", "1003", "12345")
    assert item["agent_file"] == "callback-1795700000123456789-agent.wav"
    assert store.transcriptions == [item]
