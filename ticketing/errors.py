"""Domain errors and the one place they become HTTP answers."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import DataError, DisconnectionError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as SaPoolTimeout
from sqlalchemy.orm.exc import StaleDataError

from ticketing.database import DatabaseBusy

log = logging.getLogger("ticketing")


class ValidationItem(BaseModel):
    model_config = ConfigDict(extra="allow")
    loc: list[str | int]
    msg: str
    type: str


class ErrorOut(BaseModel):
    """Every error answer: `detail` is the reason in words, or, when the
    request did not match the schema, the list of what did not match."""

    detail: str | list[ValidationItem]


def _answer(description: str) -> dict[str, Any]:
    return {"model": ErrorOut, "description": description}


# declared on every operation, so generated clients know the error shape
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _answer("not logged in, or the token is invalid or expired"),
    403: _answer("this role may not do this"),
    404: _answer("not found (or not visible to this user)"),
    409: _answer("conflict: an invalid transition, a stale version, a duplicate"),
    405: _answer("this path takes other methods (the Allow header names them)"),
    413: _answer("request body too large"),
    422: _answer(
        "invalid input: a reason in words, or the schema's list of errors (at most "
        "10, never echoing the input); see the rules in the API's description"
    ),
    503: _answer(
        "the database is unavailable or every request slot is busy; retry after "
        "Retry-After seconds (nothing was done)"
    ),
}
# declared on the operations that check a password (argon2 limit, throttles)
THROTTLED: dict[int | str, dict[str, Any]] = {
    429: _answer(
        "throttled: too many attempts, or no turn for a password check; retry after "
        "Retry-After seconds"
    ),
}


class DomainError(Exception):
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    """Invalid transition, stale version, duplicate: 409 with the reason."""

    status = 409


class Invalid(DomainError):
    """Well-formed but unacceptable input; the message names the field."""

    status = 422


class Forbidden(DomainError):
    status = 403


class Unauthorized(DomainError):
    status = 401


class TooManyRequests(DomainError):
    """Throttled (log-in attempts); the client may retry after `retry_after` s."""

    status = 429

    def __init__(self, message: str, retry_after: int = 60) -> None:
        super().__init__(message)
        self.retry_after = retry_after


MAX_ERRORS = 10
_MAX_LOC = 64


def _validation_items(exc: RequestValidationError) -> list[dict[str, Any]]:
    """The schema's errors as the answer holds them: at most MAX_ERRORS, each
    its place, rule and words -- never the input (it may be a citizen's
    number, or 90,000 keys echoed back), nor pydantic's context objects."""
    items = []
    for error in exc.errors()[:MAX_ERRORS]:
        loc = [part if isinstance(part, int) else str(part)[:_MAX_LOC] for part in error["loc"]]
        items.append({"loc": loc[:8], "msg": str(error["msg"])[:200], "type": error["type"]})
    return items


def _wrong_method(request: Request, exc: RequestValidationError) -> list[str]:
    """The methods of a fixed path this request's path is, when its method
    only matched a route with an id there (PUT /kb/search reaching
    PUT /kb/{article_id}): the answer is 405, not a complaint about the id."""
    if not any(error["loc"][:1] == ("path",) for error in exc.errors()):
        return []
    # the schema's fixed paths (FastAPI builds it once and keeps it)
    fixed = request.app.openapi()["paths"].get(request.url.path, {})
    return sorted(method.upper() for method in fixed)


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        allowed = _wrong_method(request, exc)
        if allowed:
            return JSONResponse({"detail": f"{request.method} 不适用于 {request.url.path[:100]}"},
                                status_code=405, headers={"Allow": ", ".join(allowed)})  # fmt: skip
        return JSONResponse({"detail": _validation_items(exc)}, status_code=422)

    @app.exception_handler(DomainError)
    async def _domain(_request: Request, exc: DomainError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        if isinstance(exc, TooManyRequests):
            headers = {"Retry-After": str(exc.retry_after)}
        return JSONResponse({"detail": exc.message}, status_code=exc.status, headers=headers)

    @app.exception_handler(StaleDataError)
    async def _stale(_request: Request, _exc: StaleDataError) -> JSONResponse:
        return JSONResponse({"detail": "工单已被他人修改, 请刷新后重试"}, status_code=409)

    @app.exception_handler(IntegrityError)
    async def _integrity(_request: Request, _exc: IntegrityError) -> JSONResponse:
        return JSONResponse({"detail": "与已有数据冲突 (重复或引用不存在)"}, status_code=409)

    @app.exception_handler(DataError)
    async def _data(_request: Request, _exc: DataError) -> JSONResponse:
        # what the schema let through but the database refuses (a NUL character
        # in text, say): the client's input, so 422, and the transaction is rolled back
        return JSONResponse(
            {"detail": "输入包含数据库不能保存的内容 (例如 NUL 字符)"}, status_code=422
        )

    async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
        # PostgreSQL restarting, unreachable or past the statement timeout: the
        # request did nothing (its transaction is rolled back); the desk, the
        # ACD's outbox and the IVR retry. A 503 that says so, not a traceback.
        log.warning("database unavailable for %s %s (%s)", request.method, request.url.path,
                    type(getattr(exc, "orig", None) or exc).__name__)  # fmt: skip
        return JSONResponse({"detail": "数据库暂时不可用, 请稍后重试"}, status_code=503,
                            headers={"Retry-After": "1"})  # fmt: skip

    async def _busy(request: Request, _exc: Exception) -> JSONResponse:
        log.warning("no database slot for %s %s within the pool's timeout",
                    request.method, request.url.path)  # fmt: skip
        return JSONResponse({"detail": "服务繁忙, 请稍后重试"}, status_code=503,
                            headers={"Retry-After": "1"})  # fmt: skip

    app.add_exception_handler(DatabaseBusy, _busy)
    app.add_exception_handler(SaPoolTimeout, _busy)
    app.add_exception_handler(OperationalError, _database_unavailable)
    app.add_exception_handler(DisconnectionError, _database_unavailable)
