"""The SOS line as the ACD follows it: each step of an SOS call (start,
escalation, dialling 120, a failed dial, the end) goes on the call's timeline
in the work-order service and raises or clears the shift lead's alarms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from acd import ami
from acd.calls import OUTSIDE_PARTY
from acd.core import AGENT_CHANNEL, AcdCore, SosCall, call_context, conference_of, log
from yht import channelvars as cv
from yht.events import AlarmClear, AlarmSet, SosState

# AST_DEVICE_*: in use, busy, ringing while in use, on hold: the seat was on a call
ON_A_CALL = ("2", "3", "7", "8")
NOT_IN_USE = "1"
REOFFER_CONTEXT = "yht-sos-requeue"  # 15-sos.conf


class SosTimeline(AcdCore):
    async def _sos_seat_status(self, agent_id: str, status: str) -> None:
        """A seat just came off a call while an SOS caller waits: offer the
        call again at once. app_queue tries its members the moment a caller
        joins, but a waiting caller only every `retry` (1 s minimum) and
        not while it rings other seats; moving the caller back into the queue
        (15-sos.conf yht-sos-requeue) rings the freed seat within a few ms.
        Without the ACD, app_queue's own re-check still finds the seat."""
        before = self.sos_member_status.get(agent_id, "")
        self.sos_member_status[agent_id] = status
        if status != NOT_IN_USE or before not in ON_A_CALL or not self.sos_channels:
            return
        for uniqueid, channel in list(self.sos_channels.items()):
            try:
                await ami.redirect(self.manager, channel, REOFFER_CONTEXT, "s")
            except ami.AmiError as error:  # it was answered or ended meanwhile
                log.info("SOS call %s not offered again: %s", uniqueid, error)
            else:
                log.info("seat %s freed: SOS call %s offered again at once", agent_id, uniqueid)

    async def _sos_start(self, event: Any) -> None:
        context = call_context(event)
        sos = SosCall(call_id=event.get("CallId", ""), conf=event.get("Conf", ""),
                      caller=context.get(cv.CALLER, ""))  # fmt: skip
        self.sos[sos.conf] = sos
        await self.store.enqueue_sos({
            "call_id": sos.call_id, "kind": "start", "at": self.clock(),
            "detail": "一键呼叫接入", "caller": sos.caller or None,
            "hotline": context.get(cv.HOTLINE, ""), "known": event.get("Known") == "1",
            "recording": event.get("Recording", ""),
        })  # fmt: skip
        await self.store.publish(SosState(call_id=sos.call_id, state="waiting",
                                          caller=sos.caller, at=self.clock()))  # fmt: skip
        if event.get("Auto120") == "0":
            # not a confirmed device: no automatic 120 on this line; the lead
            # is told at once, not after the answer time (issue 28 item 13)
            line = context.get(cv.HOTLINE, "")
            await self.store.publish(AlarmSet(key=f"sos-unknown:{sos.conf}", at=self.clock(),
                                              message=f"未登记号码拨打一键呼叫 {line}: 不会自动"
                                              "接通 120, 请值班长立即安排座席接听"))  # fmt: skip
        await self._taken(sos.conf)

    async def _taken(self, conf: str) -> None:
        """The call is on the durable outbox now: its dialplan log entry goes."""
        try:
            await ami.sos_log_taken(self.manager, conf)
        except ami.AmiError as error:
            log.warning("could not clear the SOS log entry of %s: %s", conf, error)

    async def reconcile_sos(self) -> int:
        """SOS calls the dialplan logged and this ACD never saw (it was down):
        their record is made now from what Asterisk kept, and a call still in
        progress is followed from here on. Returns how many were recovered."""
        logged = await ami.db_tree(self.manager, "yht-sos-log")
        active = {key.split("/")[0] for key in await ami.db_keys(self.manager, "yht-sos-call")}
        recovered = 0
        for conf, value in logged.items():
            if conf not in self.sos:
                call_id, caller, started, hotline, known = (value.split("|") + [""] * 5)[:5]
                if not call_id:
                    continue
                sos = SosCall(call_id=call_id, conf=conf, caller=caller)
                await self.store.enqueue_sos({
                    "call_id": call_id, "kind": "start", "at": float(started or self.clock()),
                    "detail": "一键呼叫接入 (排队控制服务离线期间, 事后补录)",
                    "caller": caller or None, "hotline": hotline, "known": known == "1",
                    "recording": f"sos-{conf}.wav",
                })  # fmt: skip
                if conf in active:
                    self.sos[conf] = sos  # still going: its next events are followed live
                else:
                    await self._timeline(sos, "ended", "求助人已挂机 (排队控制服务离线期间)")
                recovered += 1
            await self._taken(conf)
        if recovered:
            log.info("recovered %d SOS call(s) made while the ACD was away", recovered)
        return recovered

    async def _sos_escalate(self, event: Any) -> None:
        sos = self.sos.get(event.get("Conf", ""))
        if sos is None:
            return
        await self._timeline(sos, "escalated", "无人接听, 自动接通 120, 座席继续振铃")
        await self.store.publish(SosState(call_id=sos.call_id, state="escalated",
                                          caller=sos.caller, at=self.clock()))  # fmt: skip

    async def _sos_overdue(self, event: Any) -> None:
        """The answer time ran out on a call that does not dial 120 by itself:
        it keeps ringing every seat, and the lead's alarm says how long."""
        conf = event.get("Conf", "")
        sos = self.sos.get(conf)
        if sos is None:
            return
        waited = event.get("Waited", "")
        message = (f"未登记号码的一键呼叫已等待 {waited} 秒无人接听 (不自动接通 120),"
                   " 请值班长立即安排座席接听")  # fmt: skip
        await self.store.publish(AlarmSet(key=f"sos-unknown:{conf}", message=message,
                                          at=self.clock()))  # fmt: skip
        await self._timeline(sos, "overdue", message)

    async def _sos_answered(self, sos: SosCall, agent_id: str) -> None:
        sos.answered_by = sos.answered_by or agent_id
        await self._timeline(sos, "answered", f"座席 {agent_id} 接听", seat=agent_id)
        await self.store.publish(SosState(call_id=sos.call_id, state="answered",
                                          seat=agent_id, at=self.clock()))  # fmt: skip
        await self.store.publish(AlarmClear(key=f"sos-unknown:{sos.conf}"))

    async def _center_joined(self, sos: SosCall) -> None:
        """120 is on the line (its leg joined the conference): only now are
        the elder's contacts rung with the notice that says so (issue 28
        item 12: they heard it at the escalation, before 120 had answered)."""
        if sos.contacts_called or self.on_escalation is None:
            return
        sos.contacts_called = True
        self.on_escalation(sos)

    async def _dial_out(self, event: Any) -> None:
        sos = self.sos.get(event.get("Conf", ""))
        if sos is not None:
            attempt = f"拨打 {event.get('Number')} (第 {event.get('Try')} 次)"
            await self._timeline(sos, "dialled", attempt)

    async def _dial_failed(self, event: Any) -> None:
        conf, number = event.get("Conf", ""), event.get("Number", "")
        message = (f"拨打 {number} 失败 ({event.get('Status')}, 第 {event.get('Try')} 次),"
                   " 正在重拨; 求助人仍在线")  # fmt: skip
        await self.store.publish(AlarmSet(key=f"dial:{conf}", message=message, at=self.clock()))
        sos = self.sos.get(conf)
        if sos is not None:
            await self._timeline(sos, "dial_failed", message)

    async def _sos_end(self, event: Any) -> None:
        sos = self.sos.get(event.get("Conf", ""))
        if sos is not None:
            await self._sos_ended(sos, "")

    async def _sos_ended(self, sos: SosCall, cause: str) -> None:
        if sos.ended:
            return
        sos.ended = True
        self.sos.pop(sos.conf, None)
        await self._timeline(sos, "ended", "求助人挂机" + (f" ({cause})" if cause else ""))
        await self.store.publish(SosState(call_id=sos.call_id, state="ended", at=self.clock()))
        await self.store.publish(AlarmClear(key=f"dial:{sos.conf}"))
        await self.store.publish(AlarmClear(key=f"sos-unknown:{sos.conf}"))

    async def _hangup(self, event: Any) -> None:
        """The elder's leg hung up: the SOS call is over."""
        uniqueid = event.get("Uniqueid", "")
        sos = self.sos.get(conference_of(uniqueid))
        if sos is not None and sos.call_id == uniqueid:
            await self._sos_ended(sos, event.get("Cause-txt", ""))

    _sos_events: ClassVar[dict[str, Callable]] = {
        "YhtSosStart": _sos_start,
        "YhtSosEscalate": _sos_escalate,
        "YhtSosOverdue": _sos_overdue,
        "YhtDialOut": _dial_out,
        "YhtDialFailed": _dial_failed,
        "YhtSosEnd": _sos_end,
    }


def _party(event: Any, sos: SosCall) -> str | None:
    """Who a ConfbridgeJoin/Leave of an SOS conference is about, in words."""
    channel = event.get("Channel", "")
    if event.get("Uniqueid") == sos.call_id:
        return "求助人"
    seat = AGENT_CHANNEL.match(channel)
    if seat:
        return f"座席 {seat.group(1)}"
    outside = OUTSIDE_PARTY.match(channel)
    if outside:
        return outside.group(1)
    return None  # the Local channel that keeps offering the call to the seats
