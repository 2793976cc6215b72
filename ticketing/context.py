"""What every request and background job shares: settings, policy, calendar."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from ticketing.settings import TicketingSettings
from ticketing.supervision.policy import Policy, WorkingCalendar, load_policy


@dataclass(frozen=True)
class Context:
    settings: TicketingSettings
    policy: Policy
    calendar: WorkingCalendar

    @classmethod
    def build(cls, settings: TicketingSettings) -> Context:
        policy = load_policy(settings.policy_file)
        return cls(settings, policy, WorkingCalendar(policy))


async def get_context(request: Request) -> Context:
    # async: a sync dependency costs a hop to the thread pool (bench (p))
    return request.app.state.context


Ctx = Annotated[Context, Depends(get_context)]
