"""What every request passes before it reaches a route (pure ASGI middleware).

- Bodies are bounded: a declared length over the limit is refused with 413
  before a byte is read, an undeclared (chunked) one as soon as it passes the
  limit. JSON bodies get `max_json_bytes`, attachment uploads
  `max_attachment_bytes`.
- A JSON body must be UTF-8 JSON (else 422, never a 500), parsed off the
  event loop when it is large, so one request cannot stall the others.
- Text may not carry control characters (other than tab and line breaks in
  a body) or bidirectional-override characters (U+202E and kin, which make a
  file name or an address read differently from what is stored): anywhere in
  a JSON body or a query parameter, refused with 422 naming the field.
"""

from __future__ import annotations

import asyncio
import json
import re
import urllib.parse
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# DEL, C1 controls and the bidirectional controls; C0 controls are added
# below (a body may keep tab and line breaks, a query parameter may not)
_BIDI_AND_C1 = "\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_FORBIDDEN_IN_BODY = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f{_BIDI_AND_C1}]")
_FORBIDDEN_IN_QUERY = re.compile(f"[\x00-\x1f{_BIDI_AND_C1}]")
_PARSE_OFF_LOOP = 64 * 1024


class RequestRefused(Exception):
    def __init__(self, status: int, detail: str) -> None:
        self.status, self.detail = status, detail


def find_forbidden(value: Any, pattern: re.Pattern[str], path: str = "body") -> str | None:
    """The path of the first string (key or value) holding a forbidden character."""
    if isinstance(value, str):
        return path if pattern.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}"
            if pattern.search(str(key)):
                return where
            found = find_forbidden(item, pattern, where)
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = find_forbidden(item, pattern, f"{path}[{index}]")
            if found:
                return found
    return None


class RequestGuard:
    def __init__(self, app: ASGIApp, max_json_bytes: int, max_upload_bytes: int,
                 upload_path: str = r"/attachments$") -> None:  # fmt: skip
        self.app = app
        self.max_json = max_json_bytes
        self.max_upload = max_upload_bytes
        self.upload_path = re.compile(upload_path)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            self._check_query(scope)
            body = await self._read_body(scope, receive)
            if body and _is_json(scope):
                await _check_json(body)
        except RequestRefused as refused:
            await _refuse(send, refused.status, refused.detail)
            return
        if body is None:
            await self.app(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    def _check_query(self, scope: Scope) -> None:
        query = scope.get("query_string", b"").decode("latin-1")
        try:
            pairs = urllib.parse.parse_qsl(query, keep_blank_values=True, errors="strict")
        except (UnicodeDecodeError, ValueError):
            raise RequestRefused(422, "查询参数不是合法的 UTF-8") from None
        for name, value in pairs:
            if _FORBIDDEN_IN_QUERY.search(name) or _FORBIDDEN_IN_QUERY.search(value):
                raise RequestRefused(422, f"query.{name[:40]}: 含有控制字符或双向文本控制字符")

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes | None:
        if scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            return None
        limit = self.max_upload if self.upload_path.search(scope["path"]) else self.max_json
        declared = _header(scope, b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            raise RequestRefused(413, f"请求体超过 {limit} 字节")
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise RequestRefused(413, f"请求体超过 {limit} 字节")
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


async def _check_json(body: bytes) -> None:
    try:
        if len(body) > _PARSE_OFF_LOOP:
            value = await asyncio.to_thread(_parse, body)
        else:
            value = _parse(body)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise RequestRefused(422, "请求体不是合法的 UTF-8 JSON") from None
    where = find_forbidden(value, _FORBIDDEN_IN_BODY)
    if where:
        raise RequestRefused(422, f"{where}: 含有控制字符或双向文本控制字符")


def _parse(body: bytes) -> Any:
    return json.loads(body.decode("utf-8"))


def _is_json(scope: Scope) -> bool:
    content_type = (_header(scope, b"content-type") or "").lower()
    return content_type.startswith("application/json") or content_type.endswith("+json")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return value.decode("latin-1").strip()
    return None


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _refuse(send: Send, status: int, detail: str) -> None:
    payload = json.dumps({"detail": detail}, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(payload)).encode()),
                            (b"connection", b"close")]})  # fmt: skip
    await send({"type": "http.response.body", "body": payload})
