"""What the bridge asks the work-order service, always with the page's own
token (so the service applies that user's rights): who the user is, the
caller's previous orders, the elder behind an SOS number. Every call has a
timeout; the answers say when the service could not tell."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import httpx

Lookup = Literal["ok", "unknown", "failed"]
HISTORY_FIELDS = ("number", "type", "subject_code", "state", "content", "created_at")


@dataclass
class WorkOrders:
    http: httpx.AsyncClient
    base: str
    timeout_s: float

    async def _get(self, path: str, token: str, params: dict | None = None) -> httpx.Response:
        return await self.http.get(f"{self.base}{path}", params=params, timeout=self.timeout_s,
                                   headers={"Authorization": f"Bearer {token}"})  # fmt: skip

    async def me(self, token: str) -> dict | None:
        """The user behind a token; None for a bad or expired one. Raises
        httpx.HTTPError when the service cannot be reached."""
        response = await self._get("/auth/me", token)
        return response.json() if response.status_code == 200 else None

    async def still_valid(self, token: str) -> bool | None:
        """Is the token still good (not expired, user still active)? None when
        the service cannot say: the page keeps working (an outage must not cut
        agents off their calls) and is checked again later."""
        try:
            response = await self._get("/auth/me", token)
        except httpx.HTTPError:
            return None
        if response.status_code in (401, 403, 404):
            return False
        return True if response.status_code == 200 else None

    async def history(self, token: str, caller: str, size: int) -> list[dict] | None:
        try:
            response = await self._get("/orders", token, {"caller_phone": caller, "limit": size})
        except httpx.HTTPError:
            return None
        if response.status_code != 200:
            return None
        return [{k: o[k] for k in HISTORY_FIELDS} for o in response.json()["items"]]

    async def elder(self, token: str, caller: str) -> tuple[Lookup, dict | None]:
        """The profile behind a number: ok, unknown (the registry has no such
        number) or failed (down, slow, refused: NOT the same as unknown)."""
        try:
            response = await self._get("/elders/lookup", token, {"number": caller})
            if response.status_code == 200:
                return "ok", response.json()
        except (httpx.HTTPError, ValueError):
            return "failed", None
        return ("unknown", None) if response.status_code == 404 else ("failed", None)
