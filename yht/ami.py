"""What every AMI client here does the same way (the ACD, the live-caption
service): send an action with a deadline, turn an error answer or a lost
connection into AmiError with Asterisk's message, and never replay an action
after a reconnect (panoramisk would replay what was in flight: an Originate
for a call that has ended must not ring anyone)."""

from __future__ import annotations

import asyncio
from typing import Any

# seconds an action may wait for Asterisk's answer
ACTION_TIMEOUT_S = 10.0
# panoramisk replays in-flight actions after a reconnect unless "forgettable"
NEVER_REPLAYED = (
    "ping", "login", "queueadd", "queueremove", "queuepause", "queuestatus", "hangup",
    "redirect", "originate", "dbgettree", "pjsipqualify",
)  # fmt: skip


class AmiError(Exception):
    pass


async def send(manager: Any, action: dict[str, str], as_list: bool = False) -> Any:
    # as_list always given: panoramisk 1.4 guesses from the message otherwise and
    # takes QueueAdd's "Added interface to queue" for the start of an event list
    if not getattr(manager, "ami_up", True):
        raise AmiError(f"{action['Action']}: AMI 未连接")
    try:
        reply = await asyncio.wait_for(manager.send_action(action, as_list=as_list),
                                       ACTION_TIMEOUT_S)  # fmt: skip
    except TimeoutError:
        # the cancelled future counts as done: panoramisk will not replay it
        raise AmiError(
            f"{action['Action']}: Asterisk 未在 {ACTION_TIMEOUT_S:.0f} 秒内应答"
        ) from None
    first = reply[0] if isinstance(reply, list) else reply
    if first.get("Response") == "Error":
        raise AmiError(f"{action['Action']}: {first.get('Message', 'error')}")
    return reply


async def originate(manager: Any, channel: str, timeout_s: float, caller_id: str = "",
                    variables: dict[str, str] | None = None, channel_id: str = "",
                    **target: str) -> None:  # fmt: skip
    """Originate asynchronously to Context/Exten (priority 1) or Application/Data;
    the outcome arrives later as OriginateResponse and channel events.
    `channel_id`: the uniqueid the new channel gets (else Asterisk's own)."""
    action = {"Action": "Originate", "Channel": channel, "Async": "true",
              "Timeout": str(int(timeout_s * 1000))}  # fmt: skip
    if caller_id:
        action["CallerID"] = caller_id
    if channel_id:
        action["ChannelId"] = channel_id
    if variables:
        action["Variable"] = ",".join(f"{k}={v}" for k, v in variables.items())
    if "context" in target:
        action |= {"Context": target["context"], "Exten": target["exten"], "Priority": "1"}
    else:
        action |= {"Application": target["application"], "Data": target.get("data", "")}
    await send(manager, action)


def agent_of(event: Any) -> str | None:
    """'PJSIP/agent1001' (Interface or StateInterface) -> '1001'."""
    for key in ("Interface", "StateInterface", "Location"):
        value = event.get(key) or ""
        if value.startswith("PJSIP/agent"):
            return value.removeprefix("PJSIP/agent")
    return None


def call_context(event: Any) -> dict[str, str]:
    """The YHT_* channel variables an AMI event carries (manager.conf channelvars)."""
    raw = event.get("ChanVariable") or []
    items = [raw] if isinstance(raw, str) else list(raw)
    pairs = (item.split("=", 1) for item in items if "=" in item)
    return {k: v for k, v in pairs if k.startswith("YHT_")}
