"""The ACD's live state in Redis: one hash per seat and per queue, and a
channel of typed JSON events every other process (the websockets bridge, a
second controller) can follow. Redis is the shared truth; the controller's
memory is a cache of it."""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError
from redis.asyncio import Redis
from redis.exceptions import RedisError

from yht.events import CallOffered, QueueChanged, SeatChanged, decode, encode
from yht.outbox import Outbox

log = logging.getLogger("acd.store")


def _live_write(method: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    """A write of the live picture that Redis did not take (restarting,
    unreachable) is counted and marks the store stale instead of raising:
    the event being handled goes on, so the ACD's own picture (which the
    bridge reloads over HTTP) stays right, and the runner writes the whole
    picture back, published, once Redis answers (runner._watch_live_redis).
    The eleventh day's live-Redis restart broke an AgentConnect in the
    middle: the seat stayed "ringing" and its desk never took the call."""

    @functools.wraps(method)
    async def write(self: AcdStore, *args: Any, **kw: Any) -> None:
        try:
            await method(self, *args, **kw)
        except RedisError as error:
            if not self.stale:
                log.warning("live Redis did not take a write (%s): the picture is written"
                            " back when it answers", type(error).__name__)  # fmt: skip
            self.stale = True
            self.lost_writes += 1

    return write


@dataclass
class Seat:
    agent_id: str
    state: str = "logged_out"
    since: float = 0.0  # epoch seconds of the last state change
    reason: str = ""  # pause reason
    queues: list[str] = field(default_factory=list)
    call_id: str = ""  # the caller's channel uniqueid while ringing / talking
    call_since: float = 0.0
    # the seat's own leg and the caller's leg of the current call (AMI channel
    # names, never sent to a browser: the bridge strips them)
    agent_channel: str = ""
    caller_channel: str = ""
    conference: str = ""  # the ConfBridge the seat is in (three-way call), if any
    sos: bool = False  # the current call is an SOS call


@dataclass
class QueueFigures:
    name: str
    waiting: int = 0
    oldest_join: float = 0.0  # epoch of the longest-waiting caller, 0 when none
    answered: int = 0
    answered_in_target: int = 0  # answered within the service level (15 s)
    abandoned: int = 0


class AcdStore:
    """Live state on `redis` (volatile: rebuilt from Asterisk after a loss);
    what the work-order service must get goes through `outbox` (durable)."""

    def __init__(self, redis: Redis, prefix: str, outbox: Outbox | None = None) -> None:
        self.redis = redis
        self.prefix = prefix
        self.channel = f"{prefix}:events"
        self.outbox = outbox or Outbox(redis, prefix)
        self.stale = False  # a live write was lost: the picture is to be written back
        self.lost_writes = 0

    @_live_write
    async def save_seat(self, seat: Seat) -> None:
        data = {**asdict(seat), "queues": ",".join(seat.queues)}
        # one round trip: the ACD handles events one after another, and at a
        # soak's rate three sequential trips per change were what it waited on
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hset(f"{self.prefix}:seat:{seat.agent_id}",
                      mapping={k: str(v) for k, v in data.items()})  # fmt: skip
            pipe.sadd(f"{self.prefix}:seats", seat.agent_id)
            pipe.publish(self.channel, encode(SeatChanged(**asdict(seat))))
            await pipe.execute()

    @_live_write
    async def offer(self, offer: CallOffered, publish: bool = True) -> None:
        """A seat's screen-pop: kept (live, for six hours at most) so a desk
        that (re)connects during the call gets it again, and published
        (not when only written back to an emptied Redis)."""
        await self.redis.set(f"{self.prefix}:offer:{offer.agent_id}", encode(offer), ex=6 * 3600)
        if publish:
            await self.publish(offer)

    async def offers(self) -> list[CallOffered]:
        """The pops kept for the seats the store knows."""
        names = sorted(_s(n) for n in await self.redis.smembers(f"{self.prefix}:seats"))
        if not names:
            return []
        found = await self.redis.mget([f"{self.prefix}:offer:{n}" for n in names])
        offers = []
        for raw in found:
            with contextlib.suppress(ValidationError):  # not a pop: left to expire
                if raw and isinstance(event := decode(raw), CallOffered):
                    offers.append(event)
        return offers

    @_live_write
    async def save_queue(self, figures: QueueFigures) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:  # one round trip
            pipe.hset(f"{self.prefix}:queue:{figures.name}",
                      mapping={k: str(v) for k, v in asdict(figures).items()})  # fmt: skip
            pipe.sadd(f"{self.prefix}:queues", figures.name)
            pipe.publish(self.channel, encode(QueueChanged(**asdict(figures))))
            await pipe.execute()

    async def enqueue_missed(self, missed: dict) -> None:
        """A missed call, kept until the work-order service has it."""
        await self.outbox.put("missed", missed)

    async def enqueue_recording(self, item: dict) -> None:
        """A recorded call that has ended, kept until the work-order service has it."""
        await self.outbox.put("recording", item)

    async def enqueue_transcription(self, item: dict) -> None:
        """A job for the transcription workers (python -m recordings.worker)."""
        await self.outbox.put("transcribe", item)

    async def enqueue_sos(self, item: dict) -> None:
        """One step of an SOS call's timeline, kept in order until delivered."""
        await self.outbox.put("sos", item)

    async def enqueue_audit(self, item: dict) -> None:
        """A desk call action, kept until the work-order service's audit log has it."""
        await self.outbox.put("audit", item)

    @_live_write
    async def publish(self, event: BaseModel) -> None:
        """One typed event (yht/events.py) for everyone following the channel."""
        await self.redis.publish(self.channel, encode(event))

    async def _hashes(self, kind: str) -> list[dict[str, str]]:
        """Every `<prefix>:<kind>:<name>` hash listed in `<prefix>:<kind>s`, in one round trip."""
        names = sorted(_s(n) for n in await self.redis.smembers(f"{self.prefix}:{kind}s"))
        async with self.redis.pipeline(transaction=False) as pipe:
            for name in names:
                pipe.hgetall(f"{self.prefix}:{kind}:{name}")
            found = await pipe.execute()
        return [{_s(k): _s(v) for k, v in raw.items()} for raw in found if raw]

    async def seats(self) -> list[Seat]:
        return [
            Seat(agent_id=d["agent_id"], state=d["state"], since=float(d["since"]),
                 reason=d["reason"], queues=[q for q in d["queues"].split(",") if q],
                 call_id=d["call_id"], call_since=float(d["call_since"]),
                 agent_channel=d.get("agent_channel", ""),
                 caller_channel=d.get("caller_channel", ""),
                 conference=d.get("conference", ""), sos=d.get("sos") == "True")
            for d in await self._hashes("seat")
        ]  # fmt: skip

    async def queues(self) -> list[QueueFigures]:
        return [
            QueueFigures(name=d["name"], waiting=int(d["waiting"]),
                         oldest_join=float(d["oldest_join"]), answered=int(d["answered"]),
                         answered_in_target=int(d["answered_in_target"]),
                         abandoned=int(d["abandoned"]))
            for d in await self._hashes("queue")
        ]  # fmt: skip


def _s(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
