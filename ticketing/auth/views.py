from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import delete, func, select

from ticketing.auth import service
from ticketing.auth.models import ApiToken, AuditEntry, User
from ticketing.auth.roles import SERVICE_ROLES, Role
from ticketing.auth.service import Actor, CurrentActor, audit, client_label, require
from ticketing.database import DbSession
from ticketing.errors import THROTTLED, Conflict, Invalid, NotFound, Unauthorized
from ticketing.orgs.models import Unit
from ticketing.types import DbId, PathId

router = APIRouter(tags=["auth 用户与权限"])
Admin = Annotated[Actor, require(Role.admin)]


class Login(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: dt.datetime
    role: Role
    unit_id: int | None


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    display_name: str = Field(min_length=1, max_length=64)
    role: Role = Field(description="a person's role or gateway; never acd, ivr, asr")
    unit_id: DbId | None = None
    seat: str | None = Field(default=None, pattern=r"^[0-9]{3,6}$")
    password: str = Field(min_length=10, max_length=256)

    @model_validator(mode="after")
    def handler_has_unit(self) -> UserIn:
        if self.role in SERVICE_ROLES:
            raise ValueError(f"role: {self.role} 是服务身份, 由配置的令牌认证, 不能创建为用户")
        if (self.role == Role.unit_handler) != (self.unit_id is not None):
            raise ValueError("unit_id: 承办人必须属于一个单位, 其他角色不属于单位")
        if self.seat is not None and self.role not in (Role.agent, Role.shift_lead):
            raise ValueError("seat: 只有话务员和值班长有座席")
        return self


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    role: Role
    unit_id: int | None
    seat: str | None
    active: bool


class AuditOut(BaseModel):
    id: int
    at: dt.datetime
    user_id: PathId | None
    action: str
    target: str
    detail: str


@router.post(
    "/auth/token",
    response_model=TokenOut,
    responses=THROTTLED,
)
async def login(body: Login, request: Request) -> TokenOut:
    """Password log-in. Throttled per account (failures) and per client
    address; every failure is in the audit log."""
    throttle = request.app.state.login_throttle
    address = client_label(request)
    throttle.attempt(address, body.username)
    # argon2 in a worker thread: the event loop keeps serving meanwhile
    result = await throttle.argon2(_login, request.app, body, address)
    if result is None:
        raise Unauthorized("用户名或密码错误")
    throttle.succeeded(body.username)
    return result


def _login(app, body: Login, address: str) -> TokenOut | None:
    """Check the password and issue a token, in its own unit of work: a
    failure is audited and committed although the request answers 401."""
    with app.state.sessions.begin() as db_session:
        user = service.authenticate(
            db_session=db_session, username=body.username, password=body.password
        )
        if user is None:
            audit(db_session, None, "login_failed", f"login:{body.username}"[:64], address)
            return None
        token, expires = service.issue_token(
            db_session=db_session, user=user, ttl_hours=app.state.context.settings.token_ttl_hours
        )
        actor = Actor(user.id, user.username, Role(user.role), user.unit_id)
        audit(db_session, actor, "login", f"user:{user.id}", address)
        return TokenOut(
            access_token=token, expires_at=expires, role=Role(user.role), unit_id=user.unit_id
        )


@router.get("/auth/me", response_model=UserOut)
def me(db_session: DbSession, actor: CurrentActor) -> UserOut:
    if actor.id is None:
        raise NotFound("服务身份没有用户资料")
    return UserOut.model_validate(db_session.get(User, actor.id), from_attributes=True)


@router.post("/auth/logout", status_code=204)
def logout(request: Request, db_session: DbSession, actor: CurrentActor) -> None:
    """The token of this request ends now, on the server (not only in the page)."""
    if actor.id is None:
        raise NotFound("服务身份没有会话")
    token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    db_session.execute(delete(ApiToken).where(ApiToken.token_hash == service.token_digest(token)))
    audit(db_session, actor, "logout", f"user:{actor.id}")


@router.post("/users", status_code=status.HTTP_201_CREATED, response_model=UserOut,
             responses=THROTTLED)  # fmt: skip
async def create_user(body: UserIn, request: Request, actor: Admin) -> UserOut:
    """A person's account (a service identity -- acd, ivr, asr -- has its own
    token from the settings, never a user). Usernames are unique whatever
    their case."""
    password_hash = await request.app.state.login_throttle.argon2(service.hash_password,
                                                                  body.password)  # fmt: skip
    return await asyncio.to_thread(_create_user, request.app, body, password_hash, actor)


def _create_user(app, body: UserIn, password_hash: str, actor: Actor) -> UserOut:
    with app.state.sessions.begin() as db_session:
        if body.unit_id is not None and db_session.get(Unit, body.unit_id) is None:
            raise Invalid(f"unit_id: 单位不存在 {body.unit_id}")
        same_name = func.lower(User.username) == body.username.lower()
        if db_session.scalar(select(User).where(same_name)) is not None:
            raise Conflict(f"用户名已存在: {body.username}")
        if body.seat and db_session.scalar(select(User).where(User.seat == body.seat)) is not None:
            raise Conflict(f"座席已分配: {body.seat}")
        user = User(
            username=body.username,
            display_name=body.display_name,
            role=body.role,
            unit_id=body.unit_id,
            seat=body.seat,
            password_hash=password_hash,
        )
        db_session.add(user)
        db_session.flush()
        audit(db_session, actor, "create", f"user:{user.id}", body.role)
        return UserOut.model_validate(user, from_attributes=True)


@router.get("/users", response_model=list[UserOut])
def list_users(db_session: DbSession, actor: Admin) -> list[UserOut]:
    users = [UserOut.model_validate(u, from_attributes=True)
             for u in db_session.scalars(select(User).order_by(User.id))]  # fmt: skip
    audit(db_session, actor, "list", "users", f"n={len(users)}")
    return users


@router.post("/users/{user_id}/deactivate", response_model=UserOut)
def deactivate(user_id: PathId, db_session: DbSession, actor: Admin) -> UserOut:
    user = db_session.get(User, user_id)
    if user is None:
        raise NotFound(f"用户不存在: {user_id}")
    user.active = False
    audit(db_session, actor, "deactivate", f"user:{user_id}")
    return UserOut.model_validate(user, from_attributes=True)


@router.get("/audit", response_model=list[AuditOut])
def audit_log(
    db_session: DbSession,
    actor: Admin,
    target: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[AuditOut]:
    """Who read or changed what, newest first."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if target:
        query = query.where(AuditEntry.target == target)
    entries = [AuditOut.model_validate(a, from_attributes=True) for a in db_session.scalars(query)]
    # the audit log names who read which citizen's order: reading it is audited too
    audit(db_session, actor, "list", "audit", f"target={target or '*'}"[:64])
    return entries
