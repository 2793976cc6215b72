"""Recordings through the work-order API: reported once by the ACD, heard
only by those who need to (with HTTP Range, every listen audited), purged
after their retention."""

from __future__ import annotations

import datetime as dt
import hashlib
import wave
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.ticketing.conftest import PASSWORD, Api
from ticketing.recordings.files import BadRange, Retention, byte_range

ACD = {"Authorization": "Bearer acd-test-token-0123456789"}
ASR = {"Authorization": "Bearer asr-test-token-0123456789"}
CALL = "1795700000.7"
BASE = "call-17957000007"


def write_wav(path: Path, seconds: float) -> bytes:
    with wave.open(str(path), "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(8000)
        audio.writeframes(bytes(range(256)) * int(seconds * 16000 / 256))
    return path.read_bytes()


@pytest.fixture
def spool(app, tmp_path, monkeypatch) -> Path:
    monkeypatch.setattr(app.state.context.settings, "recordings_dir", str(tmp_path))
    return tmp_path


def report(api: Api, call_id: str = CALL, seat: str = "1003", **extra):
    body = {
        "call_id": call_id,
        "queue": "hotline",
        "hotline": "12345",
        "seat": seat,
        "mixed_file": f"{BASE}.wav",
        "citizen_file": f"{BASE}-citizen.wav",
        "agent_file": f"{BASE}-agent.wav",
        **extra,
    }
    return api.client.post("/recordings", json=body, headers=ACD)


def user_with_seat(api: Api, name: str, role: str, seat: str) -> dict[str, str]:
    admin = api.as_("admin")
    api.client.post(
        "/users",
        headers=admin,
        json={
            "username": name,
            "display_name": name,
            "role": role,
            "seat": seat,
            "password": PASSWORD,
        },
    )
    token = api.client.post("/auth/token", json={"username": name, "password": PASSWORD})
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def test_a_recording_is_reported_once_with_its_size_checksum_and_length(api: Api, spool):
    mixed = write_wav(spool / f"{BASE}.wav", 2.0)
    write_wav(spool / f"{BASE}-citizen.wav", 2.0)
    first, again = report(api), report(api)
    assert (first.status_code, again.status_code) == (201, 200)
    body = first.json()
    assert body["sha256"] == hashlib.sha256(mixed).hexdigest()
    assert body["size_bytes"] == len(mixed) and body["duration_s"] == 2.0
    assert body["legs"] == ["mixed", "citizen", "agent"] and body["status"] == "recorded"
    assert again.json()["id"] == body["id"]


def test_a_call_nobody_answered_has_no_file_and_is_marked(api: Api, spool):
    body = report(api).json()
    assert body["status"] == "missing" and body["size_bytes"] == 0


def test_a_recording_no_transcription_job_will_come_for_says_why(api: Api, spool):
    """Found by the day (issue 15): an SOS conference recording (no job: only
    the mix) and an unanswered call were left pending for ever."""
    write_wav(spool / f"{BASE}.wav", 2.0)
    sos = report(api, call_id="9.1", kind="sos", citizen_file=None, agent_file=None).json()
    unanswered = report(api, call_id="9.2", seat="").json()
    answered = report(api, call_id="9.3").json()
    assert (sos["asr_status"], unanswered["asr_status"]) == ("skipped", "skipped")
    assert "混音" in sos["asr_note"] and "无人接听" in unanswered["asr_note"]
    assert answered["asr_status"] == "pending"  # its job is on the way


def test_only_a_file_name_is_accepted_never_a_path(api: Api, spool):
    for name in ("../etc/passwd", "/tmp/x.wav", "call-1.wav/..", "call-1.mp3"):
        assert report(api, mixed_file=name).status_code == 422, name


def test_playback_is_scoped_seekable_and_audited(api: Api, spool):
    mixed = write_wav(spool / f"{BASE}.wav", 1.0)
    write_wav(spool / f"{BASE}-citizen.wav", 1.0)
    write_wav(spool / f"{BASE}-agent.wav", 1.0)
    assert report(api).status_code == 201
    mine = user_with_seat(api, "seat1003", "agent", "1003")
    other = user_with_seat(api, "seat1004", "agent", "1004")
    url = f"/recordings/{CALL}/audio"
    whole = api.client.get(url, headers=mine)
    assert whole.status_code == 200 and whole.content == mixed
    assert whole.headers["accept-ranges"] == "bytes"
    part = api.client.get(url, headers={**mine, "Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == mixed[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(mixed)}"
    tail = api.client.get(url, headers={**mine, "Range": "bytes=-10"})
    assert tail.content == mixed[-10:]
    assert api.client.get(url, headers={**mine, "Range": f"bytes={len(mixed)}-"}).status_code == 416
    citizen = api.client.get(url, params={"leg": "citizen"}, headers=mine)
    assert citizen.status_code == 200
    # another agent, a unit handler without an order from this call, the ACD: nothing
    assert api.client.get(url, headers=other).status_code == 404
    assert api.get("urban", url).status_code == 404
    assert api.client.get(url, headers=ACD).status_code == 403
    assert api.client.get("/recordings", headers=other).json() == []
    # the shift lead hears every call
    assert api.get("lead", url).status_code == 200
    listens = [
        e
        for e in api.get("admin", "/audit", params={"limit": 50}).json()
        if e["action"] == "listen"
    ]
    assert len(listens) == 5 and {e["target"] for e in listens} == {f"recording:{CALL}"}


def test_a_unit_handler_hears_the_calls_behind_their_units_orders(api: Api, spool):
    write_wav(spool / f"{BASE}.wav", 1.0)
    report(api)
    order = api.new_order("lead", call={"call_id": CALL})
    assert api.get("urban", f"/recordings/{CALL}").status_code == 404
    api.to_state(order, "dispatched", unit="dept-urban")
    heard = api.get("urban", f"/recordings/{CALL}")
    assert heard.status_code == 200 and heard.json()["order_ids"] == [order["id"]]
    assert api.get("water", f"/recordings/{CALL}").status_code == 404


def test_retention_purges_old_files_and_keeps_sos_longest(api: Api, spool, app):
    from ticketing.recordings.views import purge_expired

    old = (dt.datetime.now(dt.UTC) - dt.timedelta(days=200)).isoformat()
    write_wav(spool / f"{BASE}.wav", 1.0)
    write_wav(spool / "sos-17957000008.wav", 1.0)
    report(api, ended_at=old)
    api.client.post(
        "/recordings",
        headers=ACD,
        json={
            "call_id": "sos.8",
            "kind": "sos",
            "queue": "sos",
            "mixed_file": "sos-17957000008.wav",
            "ended_at": old,
        },
    )
    with app.state.sessions.begin() as db_session:
        purged = purge_expired(db_session, spool, Retention.parse("default=180,sos=3650"))
    assert purged == 1
    assert not (spool / f"{BASE}.wav").exists() and (spool / "sos-17957000008.wav").exists()
    assert api.get("lead", f"/recordings/{CALL}").json()["status"] == "purged"
    assert api.get("lead", f"/recordings/{CALL}/audio").status_code == 404


def test_a_nearly_full_recordings_disk_is_reported_and_logged(
    api: Api, spool, app, monkeypatch, caplog
):
    """Free space below the floor: /health says degraded (the next recordings
    would be cut short), each scan logs an error; enough room: ok."""
    from ticketing.app import _scan_once

    health = api.client.get("/health").json()
    assert health["status"] == "ok" and health["recordings_disk"]["ok"]
    free = health["recordings_disk"]["free_mb"]
    monkeypatch.setattr(app.state.context.settings, "recordings_min_free_mb", free + 10**6)
    health = api.client.get("/health").json()
    assert health["status"] == "degraded" and not health["recordings_disk"]["ok"]
    with caplog.at_level("ERROR"):
        _scan_once(app)
    assert any("recordings disk" in r.getMessage() for r in caplog.records)
    monkeypatch.setattr(app.state.context.settings, "recordings_dir", str(spool / "gone"))
    assert api.client.get("/health").json()["recordings_disk"]["error"].startswith("FileNotFound")


def test_retention_settings_are_checked():
    assert Retention.parse("default=30").keep_days("sos", "sos") == 30
    assert Retention.parse("default=30,dialect=90").keep_days("hotline", "dialect") == 90
    for bad in ("default=0", "default=x", "dialect"):
        with pytest.raises(ValueError):
            Retention.parse(bad)


@given(st.text(max_size=30), st.integers(min_value=0, max_value=10_000))
def test_any_range_header_is_a_valid_span_or_refused(header, size):
    try:
        span = byte_range(header, size)
    except BadRange:
        return
    if span is not None:
        start, end = span
        assert 0 <= start <= end < size


def test_a_transcript_reaches_every_order_the_call_fed(api: Api, spool):
    write_wav(spool / f"{BASE}.wav", 1.0)
    report(api)
    seat = user_with_seat(api, "seat1003", "agent", "1003")  # the seat that answered
    api.tokens["seat1003"] = seat["Authorization"].removeprefix("Bearer ")
    before = api.new_order("seat1003", call={"call_id": CALL})
    said = {
        "utterances": [
            {
                "speaker": "市民",
                "start": 0.5,
                "end": 2.0,
                "text": "路灯 坏了 电话 13800138000",
                "words": [["路灯", 0.5, 0.9, 0.9], ["坏了", 1.0, 1.4, 0.8]],
            },
            {"speaker": "话务员", "start": 2.2, "end": 3.0, "text": "好的", "words": []},
        ]
    }
    stored = api.client.put(f"/recordings/{CALL}/transcript", json=said, headers=ASR)
    assert stored.status_code == 200 and stored.json()["asr_status"] == "done"
    after = api.new_order("seat1003", call={"call_id": CALL})
    for order in (before, after):
        shown = api.get("seat1003", f"/orders/{order['id']}").json()["transcripts"][CALL]
        assert shown.startswith("市民: 路灯 坏了") and "\n话务员: 好的" in shown
    # the agent's draft is filled from what the citizen said, with its sources
    draft = api.get("lead", f"/recordings/{CALL}").json()["draft"]
    assert draft["subject"] == {"value": "municipal.road", "source": ["路灯"]}
    assert draft["phones"] == [{"value": "13800138000", "source": ["13800138000"]}]
    # a unit handler sees the order's transcript with the number masked, no draft
    api.to_state(after, "dispatched", unit="dept-urban")
    masked = api.get("urban", f"/orders/{after['id']}").json()["transcripts"][CALL]
    assert "13800138000" not in masked and "138****8000" in masked
    theirs = api.get("urban", f"/recordings/{CALL}").json()
    assert theirs["draft"] is None and "13800138000" not in str(theirs["transcript"])


def test_a_failed_transcription_is_marked_and_only_workers_store_one(api: Api, spool):
    write_wav(spool / f"{BASE}.wav", 1.0)
    report(api)
    reason = {"failed": "call-17957000007-citizen.wav: 文件不存在"}
    failed = api.client.put(f"/recordings/{CALL}/transcript", headers=ASR, json=reason)
    assert failed.json()["asr_status"] == "failed" and "不存在" in failed.json()["asr_note"]
    url = f"/recordings/{CALL}/transcript"
    assert api.client.put(url, json={}, headers=ACD).status_code == 403
    assert api.client.put(url, json={}, headers=api.as_("lead")).status_code == 403
    assert api.client.get(f"/recordings/{CALL}", headers=ASR).status_code == 403
    bad = {"utterances": [{"speaker": "路人", "start": 0, "end": 1, "text": "x"}]}
    assert api.client.put(url, json=bad, headers=ASR).status_code == 422
    assert api.client.put("/recordings/nope/transcript", json={}, headers=ASR).status_code == 404


def test_an_agent_cannot_copy_another_seats_transcript_into_an_order(api: Api, spool):
    write_wav(spool / f"{BASE}.wav", 1.0)
    report(api, seat="1001")
    said = {
        "utterances": [
            {
                "speaker": "市民",
                "start": 0.5,
                "end": 2.0,
                "text": "我叫张三 住幸福路12号 心脏病 电话13800138000",
                "words": [],
            }
        ]
    }
    assert (
        api.client.put(f"/recordings/{CALL}/transcript", json=said, headers=ASR).status_code == 200
    )
    other = user_with_seat(api, "seat1004", "agent", "1004")
    mine = api.client.post(
        "/orders",
        headers=other,
        json={"channel": "phone", "type": "complaint", "content": "x", "caller": {}},
    ).json()
    linked = api.client.post(f"/orders/{mine['id']}/calls", headers=other, json={"call_id": CALL})
    assert linked.status_code == 404
    made = api.client.post(
        "/orders",
        headers=other,
        json={
            "channel": "phone",
            "type": "complaint",
            "content": "x",
            "caller": {},
            "call": {"call_id": CALL},
        },
    )
    assert made.status_code == 404
    shown = api.client.get(f"/orders/{mine['id']}", headers=other).json()
    assert shown["transcripts"] == {} and "张三" not in str(shown)
    # linked while the call is still on (no recording yet): the transcript that
    # comes later stays out of an order another seat linked
    later = "1795700000.9"
    early = api.client.post(f"/orders/{mine['id']}/calls", headers=other, json={"call_id": later})
    assert early.status_code == 201
    report(api, call_id=later, seat="1001")
    assert (
        api.client.put(f"/recordings/{later}/transcript", json=said, headers=ASR).status_code == 200
    )
    assert "张三" not in str(api.client.get(f"/orders/{mine['id']}", headers=other).json())
    # the shift lead may link any call, and sees its transcript
    assert (
        api.post("lead", f"/orders/{mine['id']}/calls", json={"call_id": CALL}).status_code == 201
    )
    assert "张三" in api.get("lead", f"/orders/{mine['id']}").json()["transcripts"][CALL]
