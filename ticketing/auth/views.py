from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select

from ticketing.auth import service
from ticketing.auth.models import AuditEntry, User
from ticketing.auth.roles import Role
from ticketing.auth.service import Actor, CurrentActor, audit, client_label, require
from ticketing.database import DbSession
from ticketing.errors import Conflict, ErrorOut, Invalid, NotFound, Unauthorized
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
    role: Role
    unit_id: DbId | None = None
    seat: str | None = Field(default=None, pattern=r"^[0-9]{3,6}$")
    password: str = Field(min_length=10, max_length=256)

    @model_validator(mode="after")
    def handler_has_unit(self) -> UserIn:
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
    responses={429: {"model": ErrorOut, "description": "throttled: too many attempts"}},
)
async def login(body: Login, request: Request) -> TokenOut:
    """Password log-in. Throttled per account (failures) and per client
    address; every failure is in the audit log."""
    throttle = request.app.state.login_throttle
    address = client_label(request)
    throttle.attempt(address, body.username)
    async with throttle.password_check():
        # argon2 in a worker thread: the event loop keeps serving meanwhile
        result = await asyncio.to_thread(_login, request.app, body, address)
    if result is None:
        throttle.failed(body.username)
        raise Unauthorized("用户名或密码错误")
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


@router.post("/users", status_code=status.HTTP_201_CREATED, response_model=UserOut)
def create_user(body: UserIn, db_session: DbSession, actor: Admin) -> UserOut:
    if body.unit_id is not None and db_session.get(Unit, body.unit_id) is None:
        raise Invalid(f"unit_id: 单位不存在 {body.unit_id}")
    if db_session.scalar(select(User).where(User.username == body.username)) is not None:
        raise Conflict(f"用户名已存在: {body.username}")
    if body.seat and db_session.scalar(select(User).where(User.seat == body.seat)) is not None:
        raise Conflict(f"座席已分配: {body.seat}")
    user = User(
        username=body.username,
        display_name=body.display_name,
        role=body.role,
        unit_id=body.unit_id,
        seat=body.seat,
        password_hash=service.hash_password(body.password),
    )
    db_session.add(user)
    db_session.flush()
    audit(db_session, actor, "create", f"user:{user.id}", body.role)
    return UserOut.model_validate(user, from_attributes=True)


@router.get("/users", response_model=list[UserOut])
def list_users(db_session: DbSession, actor: Admin) -> list[UserOut]:
    return [
        UserOut.model_validate(u, from_attributes=True)
        for u in db_session.scalars(select(User).order_by(User.id))
    ]


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
    return [AuditOut.model_validate(a, from_attributes=True) for a in db_session.scalars(query)]
