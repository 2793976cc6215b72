"""FastAGI route `call_setup`: queue the call at once, without the menu.

Used when the center switches the front end to direct mode (YHT_IVR_MODE =
direct, e.g. during a surge): the caller is still recognised, and the call
gets the default work-order context. agi/scripts/call_setup.py is the same
route as a process-per-call pyst2 script (the benchmark's baseline).
"""

from __future__ import annotations

from agi.channel import AgiChannel
from agi.ivr_entry import IvrDeps, IvrOutcome
from yht import channelvars as v


async def call_setup(channel: AgiChannel, deps: IvrDeps, outcome: IvrOutcome) -> None:
    now = deps.clock()
    hint = await deps.callers.recognise(channel.caller_number, now)
    outcome.repeat_caller = hint.is_repeat(now, deps.menu.repeat_caller.window_hours)
    default = deps.menu.default
    priority = 0  # a repeat caller's advantage is seconds of waiting (30-queue.conf)
    await channel.set_variable(v.inherited(v.REPEAT_CALLER), "1" if outcome.repeat_caller else "0")
    await channel.set_variable(v.inherited(v.PREV_CALLS), str(hint.previous_calls))
    await channel.set_variable(v.inherited(v.QUEUE), default.queue)
    await channel.set_variable(v.inherited(v.CATEGORY), default.category)
    await channel.set_variable(v.inherited(v.PRIORITY), str(priority))
    await channel.set_variable(v.inherited(v.IVR_PATH), "direct")
    await channel.set_variable(v.IVR_ROUTE, "queue")
    outcome.route, outcome.path, outcome.queue, outcome.category, outcome.priority = (
        "queue", "direct", default.queue, default.category, priority,
    )  # fmt: skip
