"""The shift lead's alarms: standing ones computed from the live picture,
and those the ACD raises (an SOS call waiting, a failed 120 dial); and the
SOS notice every agent's desk gets."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from typing import Any

from yht.events import SosState

WAIT_ALARM_S = 30.0  # a caller waiting longer than this (the 15 s target, doubled)
PAUSE_ALARM_S = 15 * 60.0


def standing_alarms(queues: Iterable[dict], seats: Iterable[dict], staffing: dict,
                    now: float) -> dict[str, str]:  # fmt: skip
    """A caller waiting too long, a seat paused too long, fewer seats open
    than the shift plan: key -> message."""
    alarms = {}
    for queue in queues:
        oldest = float(queue.get("oldest_join") or 0)
        if oldest and now - oldest > WAIT_ALARM_S:
            alarms[f"wait:{queue['name']}"] = (
                f"{queue['name']} 队列有来电等待超过 {int(now - oldest)} 秒"
            )
    for seat in seats:
        if seat.get("state") == "paused" and now - float(seat["since"]) > PAUSE_ALARM_S:
            alarms[f"pause:{seat['agent_id']}"] = (
                f"座席 {seat['agent_id']} 小休超过 {int((now - float(seat['since'])) // 60)} 分钟"
            )
    if staffing and staffing["open"] < staffing["planned"]:
        alarms["staffing"] = (
            f"{staffing['shift']} 计划开通 {staffing['planned']} 个座席,"
            f" 当前可接听 {staffing['open']} 个"
        )
    return alarms


class AlarmFeed:
    """The bridge's alarm routing (mixed into softphone_bridge.server.Bridge)."""

    seats: dict[str, dict]
    queues: dict[str, dict]
    staffing: dict
    alarms: dict[str, str]
    pushed: dict[str, str]
    sos_waiting: dict[str, bool]
    _send_where: Callable[[dict, Callable[[Any], bool]], Any]

    async def _sos_alarm(self, event: SosState) -> None:
        """An SOS call stays an alarm on the seat map until a seat answers it."""
        key = f"sos:{event.call_id}"
        caller = event.caller or "未显示号码"
        if event.state == "waiting":
            await self._raise(key, f"一键呼叫 (SOS) {caller} 等待接听")
        elif event.state == "escalated":
            await self._raise(key, f"一键呼叫 (SOS) {caller} 无人接听, 已自动接通 120, 请立即接听")
        else:
            await self._clear(key)
        # every agent's desk, busy or not, sees that an emergency is waiting
        if event.state in ("waiting", "escalated"):
            self.sos_waiting[event.call_id] = event.state == "escalated"
            notice = {"type": "sos_waiting", "call_id": event.call_id,
                      "escalated": event.state == "escalated"}  # fmt: skip
        elif self.sos_waiting.pop(event.call_id, None) is not None:
            notice = {"type": "sos_clear", "call_id": event.call_id}
        else:
            return
        await self._send_where(notice, lambda s: not s.is_lead)

    async def _raise(self, key: str, message: str) -> None:
        self.pushed[key] = message
        self.alarms[key] = message
        await self._send_where({"type": "alarm", "key": key, "message": message,
                                "at": time.time()}, lambda s: s.is_lead)  # fmt: skip

    async def _clear(self, key: str) -> None:
        self.pushed.pop(key, None)
        if self.alarms.pop(key, None) is not None:
            await self._send_where({"type": "alarm_clear", "key": key}, lambda s: s.is_lead)

    async def watch_alarms(self, interval: float = 1.0) -> None:
        """Alarms for shift leads: a caller waiting too long, a seat paused too long."""
        while True:
            await asyncio.sleep(interval)
            now = time.time()
            alarms = standing_alarms(self.queues.values(), self.seats.values(), self.staffing, now)
            alarms |= self.pushed
            for key in alarms.keys() - self.alarms.keys():
                await self._send_where({"type": "alarm", "key": key, "message": alarms[key],
                                        "at": now}, lambda s: s.is_lead)  # fmt: skip
            for key in self.alarms.keys() - alarms.keys():
                await self._send_where({"type": "alarm_clear", "key": key}, lambda s: s.is_lead)
            self.alarms = alarms
