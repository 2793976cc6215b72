"""One small function per AMI action the controller sends. An error answer
becomes AmiError with Asterisk's message; so does a disconnected AMI (the
runner keeps `manager.ami_up`) and an answer that does not come in time. No
action is ever sent again after a reconnect (panoramisk would replay what was
in flight: an Originate for a call that has ended must not ring anyone)."""

from __future__ import annotations

from typing import Any

from yht.ami import NEVER_REPLAYED, AmiError, originate  # noqa: F401
from yht.ami import send as _send


def interface(agent_id: str) -> str:
    return f"PJSIP/agent{agent_id}"


async def queue_add(manager: Any, queue: str, agent_id: str, penalty: int) -> None:
    await _send(manager, {
        "Action": "QueueAdd", "Queue": queue, "Interface": interface(agent_id),
        "Penalty": str(penalty), "MemberName": f"agent{agent_id}",
        "StateInterface": interface(agent_id), "Paused": "false",
    })  # fmt: skip


async def qualify(manager: Any, agent_id: str) -> None:
    """Ask the seat's phone now whether it is there (SIP OPTIONS): a restarted
    Asterisk holds the registrations from AstDB but counts each phone
    unavailable until its first qualify, up to qualify_frequency later."""
    await _send(manager, {"Action": "PJSIPQualify", "Endpoint": f"agent{agent_id}"})


async def queue_remove(manager: Any, queue: str, agent_id: str) -> None:
    await _send(manager, {"Action": "QueueRemove", "Queue": queue,
                          "Interface": interface(agent_id)})  # fmt: skip


async def queue_pause(manager: Any, agent_id: str, paused: bool, reason: str = "",
                      queue: str = "") -> None:  # fmt: skip
    """Pause or unpause the seat in one queue, or in every queue it is in."""
    action = {"Action": "QueuePause", "Interface": interface(agent_id),
              "Paused": "true" if paused else "false", "Reason": reason}  # fmt: skip
    if queue:
        action["Queue"] = queue
    await _send(manager, action)


async def queue_status(manager: Any) -> list:
    """QueueParams, QueueMember and QueueEntry events of every queue."""
    reply = await _send(manager, {"Action": "QueueStatus"}, as_list=True)
    return reply if isinstance(reply, list) else [reply]


async def channels(manager: Any) -> list:
    """CoreShowChannel events of every channel up (with their channelvars)."""
    reply = await _send(manager, {"Action": "CoreShowChannels"}, as_list=True)
    events = reply if isinstance(reply, list) else [reply]
    return [e for e in events if e.get("Event") == "CoreShowChannel"]


async def hangup(manager: Any, channel: str) -> None:
    await _send(manager, {"Action": "Hangup", "Channel": channel, "Cause": "16"})


async def redirect(manager: Any, channel: str, context: str, exten: str,
                   extra: tuple[str, str, str] | None = None) -> None:  # fmt: skip
    """Send a channel (and optionally a second one: channel, context, exten) to
    the dialplan; a bridged pair leaves its bridge together."""
    action = {"Action": "Redirect", "Channel": channel, "Context": context, "Exten": exten,
              "Priority": "1"}  # fmt: skip
    if extra is not None:
        action |= {"ExtraChannel": extra[0], "ExtraContext": extra[1], "ExtraExten": extra[2],
                   "ExtraPriority": "1"}  # fmt: skip
    await _send(manager, action)


async def db_keys(manager: Any, family: str) -> set[str]:
    """The keys of an AstDB family (DBGetTree: reporting class, read only)."""
    return set(await db_tree(manager, family))


async def db_tree(manager: Any, family: str) -> dict[str, str]:
    """Key -> value of an AstDB family (DBGetTree), keys without the family."""
    try:
        reply = await _send(manager, {"Action": "DBGetTree", "Family": family}, as_list=True)
    except AmiError as error:
        if "not found" in str(error).lower():
            return {}
        raise
    events = reply if isinstance(reply, list) else [reply]
    prefix = f"/{family}/"
    return {str(e.get("Key", "")).removeprefix(prefix): str(e.get("Val", ""))
            for e in events if e.get("Event") == "DBGetTreeResponse"}  # fmt: skip


async def sos_log_taken(manager: Any, conf: str) -> None:
    """The ACD has an SOS call in hand: the dialplan's log entry can go."""
    await originate(manager, f"Local/{conf}@yht-sos-log-del", 5, application="NoOp")


async def sos_registry(manager: Any, number: str, registered: bool) -> None:
    """Add or remove an SOS device number in AstDB through the dialplan
    (70-sos-registry.conf): DBPut/DBDel would need AMI's system class."""
    context = "yht-sos-put" if registered else "yht-sos-del"
    await originate(manager, f"Local/{number}@{context}", 5, application="NoOp")
