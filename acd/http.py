"""The controller's HTTP API on loopback: seats and queues as they are, and the
seat commands. Its one client is the websockets bridge, which has already
checked who the user is and which seat is theirs, and names the user in
`X-Yht-User`: every call action (hang-up, transfer, 110 handoff, added party,
listen) goes to the work-order service's audit log with who, which call and
which number, delivered from Redis like the missed calls."""

from __future__ import annotations

import hmac
import time
import uuid
from dataclasses import asdict
from typing import Annotated

from fastapi import Depends, FastAPI, Header, HTTPException, Path, Request
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from acd.ami import AmiError
from acd.health import health as acd_health
from acd.health import metrics as acd_metrics
from acd.runner import AcdRunner
from acd.service import CallActionRefused, UnknownSeat
from yht.metrics import exposition

SeatId = Annotated[str, Path(pattern=r"^[0-9]{3,6}$")]
User = Annotated[str, Header(alias="X-Yht-User", pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
PAUSE_REASONS = ("break", "training", "meeting", "after_call_work")


class TransferIn(BaseModel):
    # a queue, or an outside number (the checks are the controller's)
    target: str = Field(min_length=2, max_length=16, pattern=r"^[a-z0-9]+$")


class PartyIn(BaseModel):
    number: str = Field(min_length=3, max_length=16, pattern=r"^[0-9]+$")


class DialIn(BaseModel):
    number: str = Field(min_length=3, max_length=16, pattern=r"^[0-9]+$")
    caller_id: str = Field(min_length=3, max_length=12, pattern=r"^[0-9]+$")
    # the work-order service's id for the call (its recording joins the order)
    call_id: str | None = Field(default=None, pattern=r"^cb[0-9]{10}\.[0-9]{9}$")


class SpyIn(BaseModel):
    target: str = Field(pattern=r"^[0-9]{3,6}$")
    mode: str = Field(pattern="^(listen|whisper|barge)$")


class PauseIn(BaseModel):
    reason: str = Field(pattern="^(" + "|".join(PAUSE_REASONS) + ")$")


_bearer = HTTPBearer(auto_error=False)


def authorised(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    token = request.app.state.token
    if (
        not token
        or credentials is None
        or not hmac.compare_digest(credentials.credentials.encode(), token.encode())
    ):
        raise HTTPException(401, "需要 ACD 令牌")


def build_app(runner: AcdRunner, token: str) -> FastAPI:
    app = FastAPI(title="Yihaotong ACD", docs_url=None, redoc_url=None)
    app.state.token = token
    guard = [Depends(authorised)]

    # the picture this process holds (what it writes to the live Redis): right
    # also while that Redis is down or has just come back empty
    @app.get("/seats", dependencies=guard)
    async def seats() -> list[dict]:
        return [asdict(runner.acd.seats[a]) for a in sorted(runner.acd.seats)]

    @app.get("/queues", dependencies=guard)
    async def queues() -> list[dict]:
        return [asdict(runner.acd.queues[q]) for q in sorted(runner.acd.queues)]

    @app.get("/offers", dependencies=guard)
    async def offers() -> list[dict]:
        """The screen-pop of every seat on a call (a desk that reconnects gets it again)."""
        acd = runner.acd
        return [acd.offers[a].model_dump() for a in sorted(acd.offers)
                if acd.offered(a, acd.seat(a).call_id) and acd.seat(a).call_id]  # fmt: skip

    async def run(command, *args, audit: tuple[str, str, str] | None = None,
                  call_of: str = "") -> dict:  # fmt: skip
        """Carry out a command; `audit` (user, action, target) records a call
        action once it is done, with the call it acted on (the call of seat
        `call_of`, by default the acting seat's own)."""
        seat = args[0]
        call_id = runner.acd.seat(call_of or seat).call_id if audit else ""
        try:
            await command(*args)
        except UnknownSeat as error:
            raise HTTPException(409, str(error)) from None
        except CallActionRefused as error:
            raise HTTPException(409, str(error)) from None
        except AmiError as error:
            raise HTTPException(409, f"Asterisk 拒绝: {error}") from None
        if audit is not None:
            user, action, target = audit
            await runner.acd.store.enqueue_audit({
                "ref": uuid.uuid4().hex, "user": user, "seat": seat, "action": action,
                "call_id": call_id, "target": target, "at": time.time(),
            })  # fmt: skip
        return {"accepted": True}

    @app.post("/seats/{seat}/login", dependencies=guard)
    async def login(seat: SeatId) -> dict:
        return await run(runner.acd.login, seat)

    @app.post("/seats/{seat}/logout", dependencies=guard)
    async def logout(seat: SeatId) -> dict:
        return await run(runner.acd.logout, seat)

    @app.post("/seats/{seat}/ready", dependencies=guard)
    async def ready(seat: SeatId) -> dict:
        return await run(runner.acd.ready, seat)

    @app.post("/seats/{seat}/pause", dependencies=guard)
    async def pause(seat: SeatId, body: PauseIn) -> dict:
        return await run(runner.acd.pause, seat, body.reason)

    @app.post("/seats/{seat}/hangup", dependencies=guard)
    async def hangup(seat: SeatId, user: User) -> dict:
        return await run(runner.acd.hangup, seat, audit=(user, "hangup", ""))

    @app.post("/seats/{seat}/transfer", dependencies=guard)
    async def transfer(seat: SeatId, body: TransferIn, user: User) -> dict:
        return await run(runner.acd.transfer, seat, body.target,
                         audit=(user, "transfer", body.target))  # fmt: skip

    @app.post("/seats/{seat}/party", dependencies=guard)
    async def party(seat: SeatId, body: PartyIn, user: User) -> dict:
        return await run(runner.acd.add_party, seat, body.number,
                         audit=(user, "party", body.number))  # fmt: skip

    @app.post("/seats/{seat}/dial", dependencies=guard)
    async def dial(seat: SeatId, body: DialIn, user: User) -> dict:
        return await run(runner.acd.dial, seat, body.number, body.caller_id, body.call_id,
                         audit=(user, "dial", body.number))  # fmt: skip

    @app.post("/seats/{seat}/spy", dependencies=guard)
    async def spy(seat: SeatId, body: SpyIn, user: User) -> dict:
        return await run(runner.acd.spy, seat, body.target, body.mode,
                         audit=(user, f"spy_{body.mode}", body.target),
                         call_of=body.target)  # fmt: skip

    @app.get("/metrics")
    async def metrics() -> Response:
        """Prometheus: queues, seats, deliveries, the tasks' restarts."""
        figures = await acd_metrics(runner)
        body, kind = exposition(lambda: figures)
        return Response(body, media_type=kind)

    @app.get("/health")
    async def health() -> JSONResponse:
        """200 when AMI is connected and every loop runs; 503 otherwise, with
        what is wrong, the outbox's backlog and the tasks' restarts."""
        report = await acd_health(runner)
        return JSONResponse(report, status_code=200 if report["ok"] else 503)

    return app
