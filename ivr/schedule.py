"""After-hours and holiday notices, held as configuration (ivr/menu.yaml).

The hotline answers around the clock; the schedule only decides which notice
the caller hears before the menu (the night seats are fewer). Equal opening
and closing times mean day service around the clock: no notice.
"""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from ivr.menu import Schedule


def opening_prompts(schedule: Schedule, now: datetime) -> tuple[str, ...]:
    """Prompts to play before the welcome for a call arriving at `now` (aware)."""
    local = now.astimezone(ZoneInfo(schedule.timezone))
    if local.date().isoformat() in schedule.holidays:
        return (schedule.holiday_prompt,)
    opens, closes = (time.fromisoformat(t) for t in schedule.day_hours)
    if opens != closes and not opens <= local.time() < closes:
        return (schedule.after_hours_prompt,)
    return ()
