"""Call control on behalf of the desk. Every action names a seat, never a
channel: the channels are the ones Asterisk reported for that seat's call, so
a desk can act on its own call only."""

from __future__ import annotations

import re

from acd import ami
from acd.core import AcdCore, CallActionRefused, conference_of
from acd.states import AgentState
from acd.store import Seat
from yht import channelvars as cv

TRANSFER_QUEUES = ("hotline", "dialect")
SPY_OPTIONS = {"listen": "qE", "whisper": "qEw", "barge": "qEB"}
OUTSIDE_PARTY = re.compile(r"^Local/([0-9]+)\*([0-9]+)@yht-conf-out")


class CallControl(AcdCore):
    def _on_call(self, agent_id: str) -> Seat:
        self._require_logged_in(agent_id)
        seat = self.seat(agent_id)
        if seat.state != AgentState.talking or not seat.agent_channel:
            raise CallActionRefused(f"座席 {agent_id} 当前没有通话")
        return seat

    async def hangup(self, agent_id: str) -> None:
        """The seat leaves its call; a conference goes on without it."""
        await ami.hangup(self.manager, self._on_call(agent_id).agent_channel)

    async def transfer(self, agent_id: str, target: str) -> None:
        """Blind transfer of the caller: to a queue or an outside number
        (110 handoff, a unit's line). The seat's leg ends."""
        seat = self._on_call(agent_id)
        if seat.conference:
            raise CallActionRefused("三方通话中不能转接, 可以退出三方通话")
        if target not in TRANSFER_QUEUES and not self.outbound.allows(target):
            raise CallActionRefused(f"不能转接到 {target}")
        await ami.redirect(self.manager, seat.caller_channel, "yht-transfer", target,
                           extra=(seat.agent_channel, "yht-leg-done", "s"))  # fmt: skip

    async def add_party(self, agent_id: str, number: str) -> str:
        """Three-way call: caller, seat and an outside party (120, 110, a
        contact). A two-party call moves into a conference first; the party is
        dialled (and redialled if busy) by the dialplan. Returns the conference."""
        seat = self._on_call(agent_id)
        if not self.outbound.allows(number):
            raise CallActionRefused(f"不能拨打 {number}")
        conf = seat.conference
        if not conf:
            conf = conference_of(seat.call_id)
            # set first: app_queue reports AgentComplete before the conference
            # join, and the seat is still on the call
            seat.conference = conf
            try:
                await ami.redirect(self.manager, seat.caller_channel, "yht-conf-caller", conf,
                                   extra=(seat.agent_channel, "yht-conf-party", conf))  # fmt: skip
            except ami.AmiError:
                seat.conference = ""
                raise
        # the seat's cap on outside calls is counted in the dialplan
        await ami.originate(self.manager, f"Local/{number}*{conf}@yht-conf-out",
                            self.originate_timeout_s, context="yht-conf-party", exten=conf,
                            variables={cv.OUT_SEAT: agent_id})  # fmt: skip
        return conf

    async def dial(self, agent_id: str, number: str, caller_id: str,
                   call_id: str | None = None) -> None:  # fmt: skip
        """Click to call (回访, a missed call returned): the seat's own phone
        rings first; when it answers, the dialplan records the call from the
        seat's leg and dials the citizen over the partner trunk under the
        same rules and caps as every outside call, showing the hotline's
        number (55-callback.conf). `call_id` becomes the seat leg's uniqueid:
        its recording is reported under the id the work-order service chose."""
        self._require_logged_in(agent_id)
        seat = self.seat(agent_id)
        if seat.state in (AgentState.talking, AgentState.ringing) or seat.agent_channel:
            raise CallActionRefused(f"座席 {agent_id} 正在通话, 不能外呼")
        if not self.outbound.allows(number):
            raise CallActionRefused(f"不能拨打 {number}")
        if not caller_id.isdigit():
            raise CallActionRefused(f"主叫号码不正确: {caller_id}")
        await ami.originate(self.manager, f"PJSIP/agent{agent_id}", 30,
                            caller_id=f'"{caller_id}" <{caller_id}>', context="yht-callback",
                            exten=number, variables={cv.OUT_SEAT: agent_id},
                            channel_id=call_id or "")  # fmt: skip

    async def spy(self, lead_seat: str, target_seat: str, mode: str) -> None:
        """Ring the shift lead's own phone and, when answered, listen to,
        whisper to or barge into the target seat's call (ChanSpy)."""
        if mode not in SPY_OPTIONS:
            raise CallActionRefused(f"未知的监听方式: {mode}")
        if lead_seat == target_seat:
            raise CallActionRefused("不能监听自己的座席")
        target = self._on_call(target_seat)
        await ami.originate(
            self.manager, f"PJSIP/agent{lead_seat}", 30,
            caller_id=f"监听 {target_seat} <{target_seat}>", application="ChanSpy",
            data=f"{target.agent_channel},{SPY_OPTIONS[mode]}")  # fmt: skip
