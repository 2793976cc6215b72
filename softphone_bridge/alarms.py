"""The shift lead's standing alarms, computed from the live picture."""

from __future__ import annotations

from collections.abc import Iterable

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
