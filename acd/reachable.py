"""Seats ringable at once after Asterisk (re)starts: a restarted Asterisk
holds the registrations from AstDB but counts each phone unavailable until
its first qualify, up to qualify_frequency later (issue 28 item 10: the
first call reached a seat 17 s after a restart). Every queue member is
qualified on each new AMI session (the resync) and at FullyBooted, and a
seat when it logs in."""

from __future__ import annotations

from typing import Any

from acd import ami
from acd.core import AcdCore, agent_of, log


class SeatReachability(AcdCore):
    async def qualify_seats(self, agent_ids: list[str], quiet: bool = False) -> None:
        for agent_id in agent_ids:
            try:
                await ami.qualify(self.manager, agent_id)
            except ami.AmiError as error:
                log.warning("seat %s: qualify failed (%s)", agent_id, error)
        if not quiet:
            log.info("%d seats qualified", len(agent_ids))

    async def fully_booted(self, _event: Any) -> None:
        """Asterisk finished booting while this session was open (a session
        that begins after the boot is told at login, before it may send
        anything: its resync qualifies)."""
        if not getattr(self.manager, "ami_up", True):
            return
        members = sorted({a for e in await ami.queue_status(self.manager)
                          if e.get("Event") == "QueueMember" and (a := agent_of(e))})  # fmt: skip
        await self.qualify_seats(members)
