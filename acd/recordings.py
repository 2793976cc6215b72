"""Recorded calls as the ACD follows them. The dialplan records every call
(MixMonitor on the caller's leg: 20-hotline.conf, 15-sos.conf; on the
seat's leg for a callback: 55-callback.conf); when that leg hangs up, the
ACD reports the recording to the work-order service through the durable
outbox (at least once; the receiver keys it by call id,
and reads the files' size, checksum and length itself)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from acd.core import AcdCore, agent_of, call_context
from yht import channelvars as cv


def _iso(timestamp: str) -> str | None:
    try:
        return dt.datetime.fromtimestamp(float(timestamp), dt.UTC).isoformat()
    except ValueError:
        return None


def _member_of(event: Any) -> str:
    """MEMBERNAME=agent1002 on the caller's leg -> '1002' ('' when unanswered)."""
    raw = event.get("ChanVariable") or []
    for item in [raw] if isinstance(raw, str) else list(raw):
        name, _, value = item.partition("=")
        if name == "MEMBERNAME" and value.startswith("agent"):
            return value.removeprefix("agent")
    return ""


def _seat_of(channel: str) -> str:
    """'PJSIP/agent1003-0000002a' -> '1003' ('' for any other channel)."""
    if not channel.startswith("PJSIP/agent"):
        return ""
    return channel.removeprefix("PJSIP/agent").rsplit("-", 1)[0]


class CallRecordings(AcdCore):
    async def _recording_answered(self, event: Any) -> None:
        """AgentConnect: the recording starts now (MixMonitor b: only what is
        bridged); the first seat to answer is the one that may hear it."""
        call_id = event.get("Uniqueid", "")
        if call_id and call_id not in self.recorded:
            self.recorded[call_id] = (agent_of(event) or "", _iso(event.get("Timestamp", "")))

    async def _recording_closed(self, event: Any) -> None:
        """Hangup of the caller's leg: report its recording (a call nobody
        answered is reported too; the receiver marks it as without audio)."""
        context = call_context(event)
        call_id, name = event.get("Uniqueid", ""), context.get(cv.RECORDING, "")
        if not name or context.get(cv.CALL_ID) != call_id:
            return  # not a caller's leg, or a call without a recording
        seat, started = self.recorded.pop(call_id, ("", None))
        if not seat:  # answered before this process started (a restart): the
            # seat app_queue names on the caller's channel (setinterfacevar)
            seat = _member_of(event)
        kind = {"sos": "sos", "callback": "callback"}.get(context.get(cv.CATEGORY, ""), "hotline")
        if kind == "callback":  # recorded from the seat's own leg (55-callback.conf)
            seat = _seat_of(event.get("Channel", ""))
        sos = kind == "sos"
        base = name.removesuffix(".wav")
        item = {
            "call_id": call_id, "kind": kind,
            "queue": context.get(cv.QUEUE, ""), "hotline": context.get(cv.HOTLINE, ""),
            "seat": seat, "mixed_file": name,
            "citizen_file": None if sos else f"{base}-citizen.wav",
            "agent_file": None if sos else f"{base}-agent.wav",
            "started_at": started, "ended_at": _iso(event.get("Timestamp", "")),
        }  # fmt: skip
        await self.store.enqueue_recording(item)
        if not sos and seat:  # answered: a transcription job for the workers
            await self.store.enqueue_transcription(item)
