"""The controller's HTTP API on loopback: seats and queues as they are, and the
seat commands. Its one client is the websockets bridge, which has already
checked who the user is and which seat is theirs."""

from __future__ import annotations

import hmac
from dataclasses import asdict
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from acd.ami import AmiError
from acd.runner import AcdRunner
from acd.service import CallActionRefused, UnknownSeat

SeatId = Annotated[str, Path(pattern=r"^[0-9]{3,6}$")]
PAUSE_REASONS = ("break", "training", "meeting", "after_call_work")


class TransferIn(BaseModel):
    # a queue, or an outside number (the checks are the controller's)
    target: str = Field(min_length=2, max_length=16, pattern=r"^[a-z0-9]+$")


class PartyIn(BaseModel):
    number: str = Field(min_length=3, max_length=16, pattern=r"^[0-9]+$")


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

    @app.get("/seats", dependencies=guard)
    async def seats() -> list[dict]:
        return [asdict(s) for s in await runner.acd.store.seats()]

    @app.get("/queues", dependencies=guard)
    async def queues() -> list[dict]:
        return [asdict(q) for q in await runner.acd.store.queues()]

    async def run(command, *args) -> dict:
        try:
            await command(*args)
        except UnknownSeat as error:
            raise HTTPException(409, str(error)) from None
        except CallActionRefused as error:
            raise HTTPException(409, str(error)) from None
        except AmiError as error:
            raise HTTPException(409, f"Asterisk 拒绝: {error}") from None
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
    async def hangup(seat: SeatId) -> dict:
        return await run(runner.acd.hangup, seat)

    @app.post("/seats/{seat}/transfer", dependencies=guard)
    async def transfer(seat: SeatId, body: TransferIn) -> dict:
        return await run(runner.acd.transfer, seat, body.target)

    @app.post("/seats/{seat}/party", dependencies=guard)
    async def party(seat: SeatId, body: PartyIn) -> dict:
        return await run(runner.acd.add_party, seat, body.number)

    @app.post("/seats/{seat}/spy", dependencies=guard)
    async def spy(seat: SeatId, body: SpyIn) -> dict:
        return await run(runner.acd.spy, seat, body.target, body.mode)

    @app.get("/health")
    async def health() -> dict:
        return {"ami": bool(runner.manager.authenticated), "resyncs": runner.resyncs}

    return app
