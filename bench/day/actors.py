"""The people of the day: agents at their desks (the same websocket and the
same API as the desk page), the units working their orders, the shift lead
closing them, agents calling citizens back (回访) and returning missed calls.
Each is a loop that survives the service it talks to going down: an error
is counted and the loop goes on."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import websockets

from bench.day.traffic import Caller

SUBJECTS = [
    "heating",
    "water",
    "municipal.road",
    "environment.noise",
    "property",
    "traffic",
    "market",
    "social",
]
SAYS = {
    "heating": "家里暖气不热",
    "water": "小区停水了",
    "municipal.road": "路面塌了一个坑",
    "environment.noise": "夜里施工噪音扰民",
    "property": "物业不给修电梯",
    "traffic": "路口信号灯坏了",
    "market": "超市卖过期食品",
    "social": "咨询社保缴费",
}


@dataclass
class Tally:
    """What the actors did and what went wrong (the account uses the
    system's records; this is the generator's own side)."""

    counts: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)

    def error(self, what: str) -> None:
        self.errors[what] += 1


class Api:
    """The work-order API with a user's token (fetched again when lost)."""

    def __init__(self, base: str, username: str, password: str, tally: Tally) -> None:
        self.base, self.username, self.password, self.tally = base, username, password, tally
        self.client = httpx.AsyncClient(base_url=base, timeout=10)
        self.headers: dict[str, str] = {}

    async def call(self, method: str, path: str, **kw) -> httpx.Response | None:
        extra = kw.pop("headers", {})
        for _ in range(2):
            if not self.headers:
                try:
                    token = await self.client.post(
                        "/auth/token", json={"username": self.username, "password": self.password}
                    )
                    token.raise_for_status()
                except httpx.HTTPStatusError as error:  # 429: the log-in throttle's bound
                    self.tally.error(f"log-in answered {error.response.status_code}")
                    return None
                except httpx.HTTPError:
                    self.tally.error("api unreachable")
                    return None
                self.headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
            try:
                response = await self.client.request(
                    method, path, headers={**self.headers, **extra}, **kw
                )
            except httpx.HTTPError:
                self.tally.error("api unreachable")
                return None
            if response.status_code != 401:
                return response
            self.headers = {}
        return None

    async def close(self) -> None:
        await self.client.aclose()


class Desk:
    """One seat's agent: logs in while their shift is on, answers what the
    phone rings with, ends the call after the caller's matter (handle time),
    writes the work order from the pop's draft through the API, registers
    and dispatches it (or answers a consultation on the spot); an SOS call
    gets 120 into the call."""

    def __init__(
        self,
        seat: str,
        api: Api,
        ws_url: str,
        talk: dict[str, float],
        compress: float,
        units: dict[str, int],
        tally: Tally,
        rng: random.Random,
    ) -> None:
        self.seat, self.api, self.ws_url, self.talk = seat, api, ws_url, talk
        self.compress, self.units, self.tally, self.rng = compress, units, tally, rng
        self.on_shift = False
        self.pops: dict[str, dict] = {}
        self.handled: set[str] = set()
        self.ws: Any = None  # the open websocket, while there is one
        self.calls: set[asyncio.Task] = set()  # calls being handled (kept referenced)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                async with websockets.connect(self.ws_url, open_timeout=5) as ws:
                    self.ws = ws
                    await ws.send(json.dumps({"type": "auth", "token": await self._token()}))
                    await self._session(ws, stop)
            except (OSError, websockets.WebSocketException, TimeoutError):
                self.tally.error("desk connection")
            self.ws = None
            await asyncio.sleep(0.5)

    async def _token(self) -> str:
        if not self.api.headers:
            await self.api.call("GET", "/auth/me")
        return self.api.headers.get("Authorization", "").removeprefix("Bearer ")

    async def _session(self, ws, stop: asyncio.Event) -> None:
        logged_in = None
        while not stop.is_set():
            if logged_in != self.on_shift:  # the shift plan says in or out
                await ws.send(json.dumps({"type": "login" if self.on_shift else "logout"}))
                logged_in = self.on_shift
            try:
                raw = await asyncio.wait_for(ws.recv(), 0.5)
            except TimeoutError:
                continue
            message = json.loads(raw)
            kind = message.get("type")
            if kind == "screen_pop":
                self.pops[message["call_id"]] = message
            # the seat's state comes as its own message, or, on (re)connecting,
            # in the snapshot (as the desk page reads it): a call that began
            # while the bridge was away is seen there
            seats = message.get("seats", []) if kind == "snapshot" else [message]
            for seat in seats if kind in ("seat", "snapshot") else []:
                if seat.get("agent_id") == self.seat and self._seat(seat) and self.on_shift:
                    logged_in = None  # logged out behind our back (a restart): again

    def _seat(self, seat: dict) -> bool:
        """Take up a call the seat is talking on; whether it is logged out."""
        call = seat.get("call_id") or ""
        if seat.get("state") == "talking" and call and call not in self.handled:
            self.handled.add(call)
            task = asyncio.create_task(self._handle(call))
            self.calls.add(task)
            task.add_done_callback(self.calls.discard)
        return seat.get("state") == "logged_out"

    async def _handle(self, call_id: str) -> None:
        try:
            await self._answer(call_id)
        except Exception as error:  # counted in the account, never silent
            self.tally.error(f"desk: {type(error).__name__}")

    async def _answer(self, call_id: str) -> None:
        pop = self.pops.get(call_id, {})
        caller = pop.get("caller", "")
        self.tally.counts["answered by a desk"] += 1
        if pop.get("sos") and self.ws is not None:
            await self.ws.send(json.dumps({"type": "party", "number": "120"}))
        await asyncio.sleep(self.talk.get(caller, 180.0) / self.compress)
        if self.ws is not None:
            with contextlib.suppress(websockets.WebSocketException):
                await self.ws.send(json.dumps({"type": "hangup"}))
        # a pop that came during the call (the desk or the ACD was back meanwhile)
        pop = self.pops.pop(call_id, pop)
        if not pop:
            self.tally.error("call without a screen-pop: no order written")
        elif not pop.get("sos"):
            await self.write_order(pop)

    async def write_order(self, pop: dict) -> None:
        draft = dict(pop["draft"])
        subject = draft.get("subject_code") or self.rng.choice(SUBJECTS)
        draft["subject_code"] = subject
        draft["content"] = draft.get("content") or f"市民来电反映: {SAYS.get(subject, '有事反映')}"
        key = {"Idempotency-Key": f"day-{pop['call_id']}"}
        for attempt in range(30):  # the service may be down: the desk retries, like the page
            response = await self.api.call("POST", "/orders", json=draft, headers=key)
            if response is not None and response.status_code in (200, 201):
                break
            await asyncio.sleep(1 + attempt)
        else:
            self.tally.error("order not written")
            return
        self.tally.counts["orders written"] += 1
        order = response.json()
        if order["type"] == "consultation":
            await self.step(order, "answer_on_spot")
            return
        order = await self.step(order, "register")
        unit = next(
            (u for c, u in self.units.items() if subject.startswith(c)), self.units["municipal"]
        )
        if order is not None:
            await self.step(order, "dispatch", unit_id=unit)

    async def step(self, order: dict, action: str, **fields) -> dict | None:
        for attempt in range(10):
            response = await self.api.call(
                "POST",
                f"/orders/{order['id']}/transitions",
                json={"action": action, "version": order["version"], **fields},
            )
            if response is not None and response.status_code == 200:
                return response.json()
            if response is not None and response.status_code == 409:  # someone was first
                fresh = await self.api.call("GET", f"/orders/{order['id']}")
                if fresh is None or fresh.status_code != 200:
                    return None
                order = fresh.json()
                if action not in order.get("actions", []):
                    return order
            await asyncio.sleep(1 + attempt)
        self.tally.error(f"{action} failed")
        return None


async def back_office(
    apis: dict[str, Api],
    handlers: dict[int, Api],
    compress: float,
    tally: Tally,
    rng: random.Random,
    stop: asyncio.Event,
    every_s: float = 600.0,
) -> None:
    """Every `every_s` simulated seconds: units accept what was dispatched to
    them and feed back what they accepted (after a while), the shift lead
    closes what was fed back, agents call citizens back (a verdict; some are
    dissatisfied and the order goes back to the unit) and return missed calls."""
    lead, agent = apis["lead"], apis["callbacks"]
    while not stop.is_set():
        await asyncio.sleep(every_s / compress)
        with contextlib.suppress(Exception):
            await _office_round(lead, agent, handlers, tally, rng)


async def _office_round(
    lead: Api, agent: Api, handlers: dict[int, Api], tally: Tally, rng: random.Random
) -> None:
    for state, action in (("dispatched", "accept"), ("processing", "feedback")):
        page = await lead.call("GET", "/orders", params={"state": state, "limit": 200})
        for order in page.json()["items"] if page is not None and page.status_code == 200 else []:
            handler = handlers.get(order["unit_id"])
            if handler is None:
                continue
            body = {"action": action, "version": order["version"]}
            if action == "feedback":
                body["note"] = "已处理完毕"
            done = await handler.call("POST", f"/orders/{order['id']}/transitions", json=body)
            tally.counts[f"unit {action}"] += bool(done is not None and done.status_code == 200)
    page = await lead.call("GET", "/orders", params={"state": "feedback", "limit": 200})
    for order in page.json()["items"] if page is not None and page.status_code == 200 else []:
        done = await lead.call(
            "POST",
            f"/orders/{order['id']}/transitions",
            json={"action": "close", "version": order["version"]},
        )
        tally.counts["closed"] += bool(done is not None and done.status_code == 200)
    tasks = await agent.call("GET", "/callbacks", params={"limit": 200})
    for task in tasks.json()["items"] if tasks is not None and tasks.status_code == 200 else []:
        grade = rng.choices("ABC", [0.85, 0.10, 0.05])[0]
        body = {"grade": grade, "note": "" if grade != "C" else "问题没有解决"}
        done = await agent.call("POST", f"/callbacks/{task['id']}/result", json=body)
        tally.counts[f"callback {grade}"] += bool(done is not None and done.status_code == 200)
    missed = await agent.call("GET", "/missed-calls", params={"status": "pending"})
    for item in missed.json() if missed is not None and missed.status_code == 200 else []:
        done = await agent.call("POST", f"/missed-calls/{item['id']}/done", json={"note": "已回拨"})
        tally.counts["missed called back"] += bool(done is not None and done.status_code == 200)


async def shift_plan(
    desks: list[Desk],
    plan: list[tuple[float, int]],
    compress: float,
    started: float,
    stop: asyncio.Event,
) -> None:
    """Seats on shift by the plan [(from simulated second, seats open)]."""
    while not stop.is_set():
        now = (time.monotonic() - started) * compress
        seats = next((n for at, n in reversed(plan) if at <= now), plan[0][1])
        for index, desk in enumerate(desks):
            desk.on_shift = index < seats
        await asyncio.sleep(0.5)


def talk_times(callers: list[Caller]) -> dict[str, float]:
    return {c.number: c.talk_s for c in callers}
