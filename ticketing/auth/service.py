"""Passwords (argon2 through pwdlib), bearer tokens, the current user, the audit log."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pwdlib import PasswordHash
from sqlalchemy import select
from sqlalchemy.orm import Session

from ticketing.auth.models import ApiToken, AuditEntry, User
from ticketing.auth.roles import STAFF, Role
from ticketing.cache import WriteClearedCache
from ticketing.database import DbSession, utcnow
from ticketing.errors import Forbidden, Unauthorized

_hasher = PasswordHash.recommended()
# token digest -> (actor, expiry): a desk's every request need not read its
# token and user again; emptied by any committed change to users or tokens
# (deactivation, password change or reset, log-out), bounded in size and age
_tokens = WriteClearedCache("tokens", {"users", "api_tokens"}, maxsize=4096, ttl_s=30)
# verified against when the user does not exist, so timing does not tell
_DUMMY_HASH = _hasher.hash("yihaotong-no-such-user")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    return _hasher.verify(password, password_hash)


def token_digest(token: str) -> str:
    return _digest(token)


def authenticate(*, db_session: Session, username: str, password: str) -> User | None:
    user = db_session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        _hasher.verify(password, _DUMMY_HASH)
        return None
    return user if _hasher.verify(password, user.password_hash) else None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(*, db_session: Session, user: User, ttl_hours: float) -> tuple[str, dt.datetime]:
    token = secrets.token_urlsafe(32)
    expires = utcnow() + dt.timedelta(hours=ttl_hours)
    db_session.add(ApiToken(token_hash=_digest(token), user_id=user.id, expires_at=expires))
    db_session.flush()
    return token, expires


@dataclass(frozen=True)
class Actor:
    """The authenticated user of a request."""

    id: int | None  # None: a service identity without a user row (the IVR)
    username: str
    role: Role
    unit_id: int | None


_bearer = HTTPBearer(auto_error=False)


async def current_actor(
    request: Request,
    db_session: DbSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    if credentials is None:
        raise Unauthorized("需要登录 (Authorization: Bearer <token>)")
    settings = request.app.state.context.settings
    for role, service_token in ((Role.ivr, settings.ivr_api_token),
                                (Role.acd, settings.acd_api_token),
                                (Role.asr, settings.asr_api_token)):  # fmt: skip
        if service_token and hmac.compare_digest(
            credentials.credentials.encode(), service_token.encode()
        ):
            return Actor(None, role.value, role, None)
    digest = _digest(credentials.credentials)
    # a cached token is answered on the event loop; only a miss reads the
    # database, in the thread pool (each sync dependency is a hop: bench (p))
    found = _tokens.peek(digest)
    if found is None:
        found = await run_in_threadpool(_tokens.get, digest,
                                        lambda: _token_actor(db_session, digest))  # fmt: skip
    if found is None or found[1] < utcnow():
        raise Unauthorized("令牌无效或已过期")
    return found[0]


def _token_actor(db_session: Session, digest: str) -> tuple[Actor, dt.datetime] | None:
    row = db_session.execute(
        select(ApiToken.expires_at, User.id, User.username, User.role, User.unit_id)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == digest, User.active.is_(True))
    ).first()
    if row is None:
        return None
    return Actor(row.id, row.username, Role(row.role), row.unit_id), row.expires_at


CurrentActor = Annotated[Actor, Depends(current_actor)]


def require(*roles: Role):
    """Dependency: the current actor, if their role is one of `roles`."""
    allowed = frozenset(roles)

    async def dependency(actor: CurrentActor) -> Actor:
        if actor.role not in allowed:
            raise Forbidden(f"角色 {actor.role} 无权执行此操作")
        return actor

    return Depends(dependency)


def audit(
    db_session: Session, actor: Actor | None, action: str, target: str, detail: str = ""
) -> None:
    db_session.add(
        AuditEntry(user_id=actor.id if actor else None, action=action, target=target, detail=detail)
    )


def client_label(request: Request) -> str:
    return request.client.host if request.client else "-"


# any member of staff; the default for reading endpoints
Staff = Annotated[Actor, require(*STAFF)]
