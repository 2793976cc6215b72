"""Key 1: a work order's progress from the work-order service, over HTTP.

Any failure (service down, slow, a surprising answer) is UNAVAILABLE: the
caller hears so and goes to an agent. The number is never logged in full.
"""

from __future__ import annotations

import logging

import httpx

from ivr.menu import OrderLookupResult, OrderStatus

log = logging.getLogger("agi.orders")


class WorkOrderLookup:
    def __init__(self, base_url: str, token: str, timeout_s: float) -> None:
        self._client = httpx.AsyncClient(
            base_url=base_url, timeout=timeout_s, headers={"Authorization": f"Bearer {token}"}
        )

    async def __call__(self, number: str) -> OrderLookupResult:
        """`number` is what the caller keyed: 14 digits, 20261125000123."""
        quoted = f"{number[:8]}-{number[8:]}"
        try:
            response = await self._client.get(f"/progress/{quoted}")
        except httpx.HTTPError as error:
            log.warning("order lookup failed: %s", type(error).__name__)
            return OrderLookupResult(OrderStatus.UNAVAILABLE)
        if response.status_code == 404:
            return OrderLookupResult(OrderStatus.NOT_FOUND)
        if response.status_code != 200:
            log.warning("order lookup answered %d", response.status_code)
            return OrderLookupResult(OrderStatus.UNAVAILABLE)
        try:
            state = str(response.json()["state"])
        except (ValueError, KeyError, TypeError):
            return OrderLookupResult(OrderStatus.UNAVAILABLE)
        return OrderLookupResult(OrderStatus.FOUND, state)

    async def close(self) -> None:
        await self._client.aclose()
