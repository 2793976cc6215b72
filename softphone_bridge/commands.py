"""Seat commands from the pages: always for the user's own seat and call,
carried out by the ACD's control API with the bridge's own key; every
message gets an `ack` or an `error` with the same `ref`, and a malformed one
never closes the connection."""

from __future__ import annotations

import json

import httpx

from softphone_bridge.session import Session
from softphone_bridge.settings import BridgeSettings

SEAT_COMMANDS = {"ready", "pause", "login", "logout", "hangup", "transfer", "party", "spy",
                 "dial"}  # fmt: skip
# the body each command sends to the ACD: message field -> ACD field
COMMAND_FIELDS = {
    "pause": ("reason",),
    "transfer": ("target",),
    "party": ("number",),
    "spy": ("target", "mode"),
}
LEAD_COMMANDS = {"spy"}


async def seat_command(http: httpx.AsyncClient, settings: BridgeSettings, session: Session,
                       raw: str | bytes) -> None:  # fmt: skip
    """One message from a page: a seat command for the user's own seat,
    carried out by the ACD; answered with ack or error and the same ref."""
    try:
        message = json.loads(raw)
        if not isinstance(message, dict):
            raise ValueError("not an object")
    except ValueError:
        await session.send({"type": "error", "message": "消息不是 JSON 对象"})
        return
    ref = message.get("ref")
    kind = message.get("type")
    if kind == "ping":
        await session.send({"type": "pong", "ref": ref})
        return
    if kind not in SEAT_COMMANDS:
        await session.send({"type": "error", "ref": ref, "message": f"未知消息类型: {kind}"})
        return
    if not session.seat:
        await session.send({"type": "error", "ref": ref, "message": "没有座席, 不能操作"})
        return
    if kind in LEAD_COMMANDS and not session.is_lead:
        await session.send({"type": "error", "ref": ref, "message": "只有值班长可以监听"})
        return
    fields = COMMAND_FIELDS.get(kind, ())
    body: dict | None = {f: message.get(f) for f in fields} if fields else None
    if kind == "dial":
        # the number comes from the work-order service, asked with the
        # user's own token (it checks the role and audits the dial)
        target = await _dial_target(http, settings, session, message)
        if isinstance(target, str):
            await session.send({"type": "error", "ref": ref, "message": target})
            return
        body = target
    try:
        response = await http.post(
            f"{settings.acd_url}/seats/{session.seat}/{kind}", json=body,
            headers={"Authorization": f"Bearer {settings.acd_token}",
                     "X-Yht-User": session.username},
            timeout=settings.command_timeout_s)  # fmt: skip
    except httpx.HTTPError:
        await session.send({"type": "error", "ref": ref, "message": "排队控制服务不可用"})
        return
    if response.status_code == 200:
        if kind == "spy":
            session.listening = str(message.get("target"))
        await session.send({"type": "ack", "ref": ref, "command": kind})
    else:
        detail = _detail(response)
        await session.send({"type": "error", "ref": ref, "message": detail})


async def _dial_target(http: httpx.AsyncClient, settings: BridgeSettings, session: Session,
                       message: dict) -> dict | str:  # fmt: skip
    """{number, caller_id} for a callback task or a missed call, or why not."""
    target = {k: message[k] for k in ("callback_id", "missed_id") if message.get(k) is not None}
    try:
        response = await http.post(
            f"{settings.ticketing_url}/dial-targets", json=target,
            headers={"Authorization": f"Bearer {session.token}"})  # fmt: skip
    except httpx.HTTPError:
        return "工单服务不可用, 无法回拨"
    if response.status_code != 200:
        return _detail(response)
    found = response.json()
    return {"number": found["number"], "caller_id": found["caller_id"], "call_id": found["call_id"]}


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail", response.text))
    except ValueError:
        return response.text[:200]
