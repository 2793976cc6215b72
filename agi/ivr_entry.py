"""FastAGI routes of the hotline's voice front end (20-hotline.conf).

`ivr_entry`: AGI(${YHT_AGI}/ivr_entry) right after the answer. Sets the
inherited work-order context (queue, category, priority, repeat caller), the
wait class the queued caller hears, and YHT_IVR_ROUTE=queue.
`order_progress`: a caller who pressed the order-progress key while queued
keys an order number and hears its stage; then back to the queue.
Both run ivr.menu's steps on the channel.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from agi.callers import CallerHistory
from agi.channel import AgiAppError, AgiChannel
from ivr.menu import (
    DTMF_KEYS,
    Collect,
    LookupOrder,
    MenuDefinition,
    MenuSession,
    OrderLookupResult,
    OrderStatus,
    Route,
    Step,
)
from ivr.schedule import opening_prompts
from yht import channelvars as v

PROMPT_DIR = "yht"
OrderLookup = Callable[[str], Awaitable[OrderLookupResult]]


async def order_service_unavailable(number: str) -> OrderLookupResult:
    """Order lookup when no work-order service is configured."""
    return OrderLookupResult(OrderStatus.UNAVAILABLE)


@dataclass
class IvrDeps:
    menu: MenuDefinition
    callers: CallerHistory
    order_lookup: OrderLookup = order_service_unavailable
    clock: Callable[[], float] = time.time


@dataclass
class IvrOutcome:
    """What one call did in the front end, for the server's log line."""

    route: str = "incomplete"
    path: str = ""
    queue: str = ""
    category: str = ""
    priority: int = 0
    repeat_caller: bool = False

    def __str__(self) -> str:
        target = f" queue={self.queue}/{self.category} prio={self.priority}" if self.queue else ""
        repeat = " repeat" if self.repeat_caller else ""
        return f"decision={self.route} path={self.path or '-'}{target}{repeat}"


async def ivr_entry(channel: AgiChannel, deps: IvrDeps, outcome: IvrOutcome) -> None:
    """Queue first: recognise the caller, choose the wait class for the hour,
    and hand the call straight to the queue (one round trip, no prompt)."""
    hotline = (await channel.get_variable(v.HOTLINE)) or channel.env.get("agi_dnid", "")
    now = deps.clock()
    hint = await deps.callers.recognise(channel.caller_number, now)
    outcome.repeat_caller = hint.is_repeat(now, deps.menu.repeat_caller.window_hours)
    await channel.set_variable(v.inherited(v.REPEAT_CALLER), "1" if outcome.repeat_caller else "0")
    await channel.set_variable(v.inherited(v.PREV_CALLS), str(hint.previous_calls))
    session = MenuSession(
        deps.menu,
        hotline=hotline,
        repeat_caller=outcome.repeat_caller,
        opening_prompts=opening_prompts(deps.menu.schedule, datetime.fromtimestamp(now, UTC)),
    )
    route = session.start()
    await channel.set_variable(v.WAIT_CLASS, session.wait_class)
    await _route(channel, session, route, outcome)


async def order_progress(channel: AgiChannel, deps: IvrDeps, outcome: IvrOutcome) -> None:
    """The caller pressed the order-progress key while queued: key the order
    number, hear its stage, and go back to the queue (the dialplan requeues
    with the defaults if this route fails)."""
    hotline = (await channel.get_variable(v.HOTLINE)) or ""
    key = (await channel.get_variable(v.KEY)) or ""
    path = [p for p in ((await channel.get_variable(v.IVR_PATH)) or "").split(">") if p]
    if path and path[-1] == f"key:{key}":
        path.pop()  # the dialplan put the key on the path already; on_key adds it
    session = MenuSession(
        deps.menu,
        hotline=hotline,
        repeat_caller=(await channel.get_variable(v.REPEAT_CALLER)) == "1",
        path=path,
    )
    step: Step = session.on_key(key)
    try:
        while True:
            outcome.path = session.ivr_path
            if isinstance(step, Collect):
                step = session.on_input(await _collect(channel, step))
            elif isinstance(step, LookupOrder):
                step = session.on_order_lookup(await deps.order_lookup(step.number))
            else:
                break
    finally:
        outcome.path = session.ivr_path
    if session.order_number:
        await channel.set_variable(v.inherited(v.ORDER_NO), session.order_number)
    await _route(channel, session, step, outcome)
    await deps.callers.remember_category(channel.caller_number, step.category)
    for prompt in step.prompts:
        await _play(channel, prompt, escape="")


async def _route(channel: AgiChannel, session: MenuSession, step: Route,
                 outcome: IvrOutcome) -> None:  # fmt: skip
    # Decision first, so a hang-up during a last prompt still leaves it set.
    await channel.set_variable(v.inherited(v.QUEUE), step.queue)
    await channel.set_variable(v.inherited(v.CATEGORY), step.category)
    await channel.set_variable(v.inherited(v.PRIORITY), str(step.priority))
    await channel.set_variable(v.inherited(v.IVR_PATH), session.ivr_path)
    await channel.set_variable(v.IVR_ROUTE, "queue")
    outcome.route, outcome.path, outcome.queue, outcome.category, outcome.priority = (
        "queue", session.ivr_path, step.queue, step.category, step.priority,
    )  # fmt: skip


async def _collect(channel: AgiChannel, step: Collect) -> str:
    """Play the prompts (a key interrupts them), then gather keys until the
    count, the terminator or the timeout. Returns the keys without terminator."""
    digits = ""
    for prompt in step.prompts:
        digits = await _play(channel, prompt, escape=DTMF_KEYS)
        if digits:
            break
    while len(digits) < step.max_digits:
        if step.terminator and digits.endswith(step.terminator):
            break
        key = await channel.wait_for_digit(step.timeout_ms)
        if not key:
            break
        digits += key
    if step.terminator:
        digits = digits.split(step.terminator, 1)[0]
    return digits


async def _play(channel: AgiChannel, prompt: str, escape: str) -> str:
    try:
        return await channel.stream_file(f"{PROMPT_DIR}/{prompt}", escape)
    except AgiAppError:
        # A missing prompt must not cost the caller the call: carry on silently.
        await channel.verbose(f"yht: prompt {prompt} failed to play", 1)
        return ""
