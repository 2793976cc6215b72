"""Domain errors and the one place they become HTTP answers."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError


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


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_request: Request, exc: DomainError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
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
