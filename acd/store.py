"""The ACD's live state in Redis: one hash per seat and per queue, and a
channel of typed JSON events every other process (the websockets bridge, a
second controller) can follow. Redis is the shared truth; the controller's
memory is a cache of it."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from redis.asyncio import Redis


@dataclass
class Seat:
    agent_id: str
    state: str = "logged_out"
    since: float = 0.0  # epoch seconds of the last state change
    reason: str = ""  # pause reason
    queues: list[str] = field(default_factory=list)
    call_id: str = ""  # the caller's channel uniqueid while ringing / talking
    call_since: float = 0.0


@dataclass
class QueueFigures:
    name: str
    waiting: int = 0
    oldest_join: float = 0.0  # epoch of the longest-waiting caller, 0 when none
    answered: int = 0
    answered_in_target: int = 0  # answered within the service level (15 s)
    abandoned: int = 0


class AcdStore:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix
        self.channel = f"{prefix}:events"

    async def save_seat(self, seat: Seat) -> None:
        data = {**asdict(seat), "queues": ",".join(seat.queues)}
        await self.redis.hset(f"{self.prefix}:seat:{seat.agent_id}",
                              mapping={k: str(v) for k, v in data.items()})  # fmt: skip
        await self.redis.sadd(f"{self.prefix}:seats", seat.agent_id)
        await self.publish({"type": "seat", **asdict(seat)})

    async def save_queue(self, figures: QueueFigures) -> None:
        await self.redis.hset(f"{self.prefix}:queue:{figures.name}",
                              mapping={k: str(v) for k, v in asdict(figures).items()})  # fmt: skip
        await self.redis.sadd(f"{self.prefix}:queues", figures.name)
        await self.publish({"type": "queue", **asdict(figures)})

    async def enqueue_missed(self, missed: dict) -> None:
        """A missed call waits in Redis until the work-order service has it."""
        await self.redis.rpush(f"{self.prefix}:missed", json.dumps(missed, ensure_ascii=False))

    async def publish(self, message: dict) -> None:
        await self.redis.publish(self.channel, json.dumps(message, ensure_ascii=False))

    async def seats(self) -> list[Seat]:
        out = []
        for agent_id in sorted(await self.redis.smembers(f"{self.prefix}:seats")):
            raw = await self.redis.hgetall(f"{self.prefix}:seat:{_s(agent_id)}")
            if raw:
                data = {_s(k): _s(v) for k, v in raw.items()}
                out.append(Seat(agent_id=data["agent_id"], state=data["state"],
                                since=float(data["since"]), reason=data["reason"],
                                queues=[q for q in data["queues"].split(",") if q],
                                call_id=data["call_id"],
                                call_since=float(data["call_since"])))  # fmt: skip
        return out

    async def queues(self) -> list[QueueFigures]:
        out = []
        for name in sorted(await self.redis.smembers(f"{self.prefix}:queues")):
            raw = await self.redis.hgetall(f"{self.prefix}:queue:{_s(name)}")
            if raw:
                data = {_s(k): _s(v) for k, v in raw.items()}
                out.append(QueueFigures(
                    name=data["name"], waiting=int(data["waiting"]),
                    oldest_join=float(data["oldest_join"]), answered=int(data["answered"]),
                    answered_in_target=int(data["answered_in_target"]),
                    abandoned=int(data["abandoned"])))  # fmt: skip
        return out


def _s(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
