"""The confirmed SOS device numbers of active elders, copied into AstDB
(family yht-sos), where the dialplan finds them with no Python service
running. Each round compares the registry with what AstDB holds (DBGetTree)
and adds or removes the difference, so a deactivated or unconfirmed number
stops routing as SOS within one interval, whoever put it there, however
often this process or Asterisk restarted."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import httpx

from acd import ami
from yht.phones import canonical

log = logging.getLogger("acd")
STARTUP_GRACE_S = 60.0  # starting together with the work-order service: quiet this long


async def keep_sos_devices(http: httpx.AsyncClient, manager: Any, headers: dict[str, str],
                           interval_s: float, holder: Any) -> None:  # fmt: skip
    """Forever, every `interval_s`; `holder.sos_devices` is what AstDB holds
    after the last round that went through."""
    reached = False  # the work-order service answered once: a failure is news
    quiet_until = time.monotonic() + STARTUP_GRACE_S
    while True:
        try:
            response = await http.get("/elders/devices", headers=headers)
            response.raise_for_status()
            # only canonical numbers reach the dialplan's AstDB keys
            wanted = {n for n in response.json() if canonical(str(n)) == n}
            if manager.ami_up:
                present = await ami.db_keys(manager, "yht-sos")
                for number in sorted(wanted - present):
                    await ami.sos_registry(manager, number, registered=True)
                for number in sorted(present - wanted):
                    await ami.sos_registry(manager, number, registered=False)
                holder.sos_devices = wanted
            reached = True
        except httpx.TransportError as error:
            if reached or time.monotonic() > quiet_until:
                log.warning("SOS device sync failed (%s)", type(error).__name__)
            else:  # wait for it quietly (issue 28 item 16)
                log.debug("SOS device sync: the work-order service is not up yet (%s)",
                          type(error).__name__)  # fmt: skip
        except (httpx.HTTPError, ValueError, ami.AmiError) as error:
            log.warning("SOS device sync failed (%s)", type(error).__name__)
        await asyncio.sleep(interval_s)
