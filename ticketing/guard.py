"""What every request passes before it reaches a route (pure ASGI middleware).

- Bodies are bounded: a declared length over the limit is refused with 413
  before a byte is read, an undeclared (chunked) one as soon as it passes the
  limit. JSON bodies get `max_json_bytes`, attachment uploads
  `max_attachment_bytes`.
- A JSON body must be UTF-8 JSON (else 422, never a 500), parsed and
  walked off the event loop when it is large, so one request cannot stall
  the others; its shape is bounded (`Shape`: values, keys per object,
  depth) before any schema sees it.
- Text may not carry control characters (other than tab and line breaks in
  a body) or bidirectional-override characters (U+202E and kin, which make a
  file name or an address read differently from what is stored) or lone
  surrogates (which no UTF-8 encoder can write): anywhere in
  a JSON body or a query parameter, refused with 422 naming the field.
"""

from __future__ import annotations

import asyncio
import json
import re
import urllib.parse
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# DEL, C1 controls, the bidirectional controls and lone surrogates (JSON's
# "\\ud800" parses to a string that no UTF-8 encoder -- the database's, the
# response's, a log's -- can write); C0 controls are added below (a body may
# keep tab and line breaks, a query parameter may not)
_NEVER_IN_TEXT = "\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_FORBIDDEN_IN_BODY = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f{_NEVER_IN_TEXT}]")
_FORBIDDEN_IN_QUERY = re.compile(f"[\x00-\x1f{_NEVER_IN_TEXT}]")
_PARSE_OFF_LOOP = 64 * 1024


class RequestRefused(Exception):
    def __init__(self, status: int, detail: str) -> None:
        self.status, self.detail = status, detail


@dataclass(frozen=True)
class Shape:
    """What one JSON body may hold, checked before any validation runs: the
    schema's own limits are checked by pydantic, on the event loop, after the
    whole body was built into objects; these bound that work (the largest
    legitimate body, a long call's transcript, is ~100,000 values)."""

    max_values: int = 150_000
    max_keys: int = 200
    max_depth: int = 16


def inspect_body(value: Any, pattern: re.Pattern[str], shape: Shape) -> str | None:
    """Why a parsed body is refused (the first forbidden string's path, or the
    limit it passes), or None. One iterative walk: no recursion to exhaust,
    and it stops at the first fault."""
    stack: list[tuple[Any, str, int]] = [(value, "body", 0)]
    seen = 0
    while stack:
        item, path, depth = stack.pop()
        seen += 1
        if seen > shape.max_values:
            return f"body: 超过 {shape.max_values} 个值"
        if isinstance(item, str):
            if pattern.search(item):
                return f"{path}: 含有控制字符、双向文本控制字符或不成对的代理字符"
        elif isinstance(item, dict | list):
            if depth >= shape.max_depth:
                return f"{path}: 嵌套超过 {shape.max_depth} 层"
            if isinstance(item, dict):
                if len(item) > shape.max_keys:
                    return f"{path}: 超过 {shape.max_keys} 个字段"
                for key, child in item.items():
                    where = f"{path}.{key[:40]}"
                    if pattern.search(key):
                        return f"{where}: 字段名含有控制字符"
                    stack.append((child, where, depth + 1))
            else:
                if len(item) > shape.max_values:
                    return f"{path}: 超过 {shape.max_values} 个值"
                stack.extend((child, f"{path}[{i}]", depth + 1) for i, child in enumerate(item))
    return None


class RequestGuard:
    def __init__(self, app: ASGIApp, max_json_bytes: int, max_upload_bytes: int,
                 upload_path: str = r"/attachments$") -> None:  # fmt: skip
        self.app = app
        self.max_json = max_json_bytes
        self.max_upload = max_upload_bytes
        self.upload_path = re.compile(upload_path)
        self.shape = Shape()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            self._check_query(scope)
            body = await self._read_body(scope, receive)
            if body and _is_json(scope):
                await _check_json(body, self.shape)
        except RequestRefused as refused:
            await _refuse(send, refused.status, refused.detail)
            return
        send = _private(send)
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
        if len(pairs) > self.shape.max_keys:
            raise RequestRefused(422, f"query: 超过 {self.shape.max_keys} 个参数")

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


async def _check_json(body: bytes, shape: Shape) -> None:
    if len(body) > _PARSE_OFF_LOOP:
        fault = await asyncio.to_thread(_parse_and_inspect, body, shape)
    else:
        fault = _parse_and_inspect(body, shape)
    if fault:
        raise RequestRefused(422, fault)


def _parse_and_inspect(body: bytes, shape: Shape) -> str | None:
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return "请求体不是合法的 UTF-8 JSON"
    return inspect_body(value, _FORBIDDEN_IN_BODY, shape)


def _is_json(scope: Scope) -> bool:
    content_type = (_header(scope, b"content-type") or "").lower()
    # no content type at all: FastAPI parses the body as JSON, so check it as such
    json_type = content_type.startswith("application/json") or content_type.endswith("+json")
    return not content_type or json_type


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return value.decode("latin-1").strip()
    return None


# every answer may carry a citizen's data: no cache keeps it, no browser
# reads it as another type than the one declared
_PRIVATE = [(b"cache-control", b"no-store"), (b"x-content-type-options", b"nosniff")]


def _private(send: Send) -> Send:
    async def private(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *_PRIVATE]}
        await send(message)

    return private


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
