"""Passwords: a user changes their own (knowing the old one); an
administrator resets anyone's. Either way the user's other tokens are
revoked: a password changed because it leaked must lock the leaker out."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete

from ticketing.auth.models import ApiToken, User
from ticketing.auth.roles import Role
from ticketing.auth.service import (
    Actor,
    CurrentActor,
    audit,
    client_label,
    hash_password,
    require,
    token_digest,
    verify_password,
)
from ticketing.errors import THROTTLED, Invalid, NotFound, Unauthorized
from ticketing.types import PathId

router = APIRouter(tags=["auth 用户与权限"])
Admin = Annotated[Actor, require(Role.admin)]
NEW = Field(min_length=10, max_length=256, description="至少 10 个字符")


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    old_password: str = Field(min_length=1, max_length=256)
    new_password: str = NEW


class PasswordReset(BaseModel):
    model_config = ConfigDict(extra="forbid")
    password: str = NEW


@router.post("/auth/password", status_code=204, responses=THROTTLED)
async def change_own(body: PasswordChange, request: Request, actor: CurrentActor) -> None:
    """The user's own password, with the old one; their other sessions end
    (the token of this request stays valid until it expires)."""
    if actor.id is None:
        raise NotFound("服务身份没有密码")
    if body.new_password == body.old_password:
        raise Invalid("new_password: 新密码不能与旧密码相同")
    # the log-in's throttle and argon2 limit: the old password is a password check
    throttle = request.app.state.login_throttle
    throttle.attempt(client_label(request), actor.username)
    ok = await throttle.argon2(_change, request.app, actor, body, _token_of(request))
    if not ok:
        raise Unauthorized("旧密码不正确")
    throttle.succeeded(actor.username)


def _token_of(request: Request) -> str:
    return request.headers.get("authorization", "").removeprefix("Bearer ").strip()


def _change(app, actor: Actor, body: PasswordChange, keep_token: str) -> bool:
    with app.state.sessions.begin() as db_session:
        user = db_session.get(User, actor.id)
        if user is None or not verify_password(body.old_password, user.password_hash):
            audit(db_session, actor, "password_change_failed", f"user:{actor.id}")
            return False
        user.password_hash = hash_password(body.new_password)
        others = (ApiToken.user_id == user.id) & (ApiToken.token_hash != token_digest(keep_token))
        db_session.execute(delete(ApiToken).where(others))
        audit(db_session, actor, "password_change", f"user:{actor.id}")
        return True


@router.post("/users/{user_id}/password", status_code=204, responses=THROTTLED)
async def reset(user_id: PathId, body: PasswordReset, request: Request, actor: Admin) -> None:
    """An administrator sets a new password (given to the user in person);
    every session of the user ends."""
    password_hash = await request.app.state.login_throttle.argon2(hash_password, body.password)
    await asyncio.to_thread(_reset, request.app, user_id, password_hash, actor)


def _reset(app, user_id: int, password_hash: str, actor: Actor) -> None:
    with app.state.sessions.begin() as db_session:
        user = db_session.get(User, user_id)
        if user is None:
            raise NotFound(f"用户不存在: {user_id}")
        user.password_hash = password_hash
        db_session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
        audit(db_session, actor, "password_reset", f"user:{user_id}")
