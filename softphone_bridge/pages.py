"""The zh-CN pages (the entry page, agent desk, seat map, reports, orders,
callbacks, the lead's ledger, the unit handlers' phone page, administration)
and their scripts, served on the
bridge's own port for plain HTTP GETs; websocket upgrades go to the bridge.
Everything is in the package: no CDN, no fonts or scripts from outside."""

from __future__ import annotations

import functools
import gzip
import json
import mimetypes
from collections.abc import Callable
from pathlib import Path

from websockets.asyncio.server import ServerConnection
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

STATIC = Path(__file__).resolve().parent / "static"
PAGES = {"/": "index.html", "/desk": "desk.html", "/seatmap": "seatmap.html",
         "/reports": "reports.html", "/orders": "orders.html", "/callbacks": "callbacks.html",
         "/ledger": "ledger.html", "/unit": "unit.html", "/admin": "admin.html"}  # fmt: skip
# scripts installed from the npm registry by `make setup` (never a CDN)
VENDOR_DIR = Path(__file__).resolve().parent.parent / ".local" / "npm" / "node_modules"
VENDOR = {"/vendor/echarts.min.js": "echarts/dist/echarts.min.js",
          "/vendor/alpine.min.js": "alpinejs/dist/cdn.min.js"}  # fmt: skip


def page_server(ticketing_url: str, health: Callable[[], dict] | None = None,
                metrics: Callable[[], tuple[bytes, str]] | None = None):  # fmt: skip
    def process_request(connection: ServerConnection, request: Request) -> Response | None:
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return None
        path = request.path.split("?", 1)[0]
        if path == "/health" and health is not None:
            report = health()
            body = json.dumps(report).encode()
            return _response(200 if report["ok"] else 503, body, "application/json")
        if path == "/metrics" and metrics is not None:
            body, kind = metrics()
            return _response(200, body, kind)
        gzip_ok = "gzip" in request.headers.get("Accept-Encoding", "")
        if path in PAGES:
            html = (STATIC / PAGES[path]).read_text(encoding="utf-8")
            body = html.replace("@@TICKETING_URL@@", ticketing_url).encode()
            return _file(body, "text/html; charset=utf-8", gzip_ok)
        if path in VENDOR:
            file = VENDOR_DIR / VENDOR[path]
            if file.is_file():
                # pinned versions (Makefile NPM_PACKAGES): a day in the cache
                return _file(file.read_bytes(), "text/javascript; charset=utf-8", gzip_ok,
                             cache="max-age=86400")  # fmt: skip
            message = "前端库未安装: 运行 make setup".encode()
            return _response(404, message, "text/plain; charset=utf-8")
        if path.startswith("/static/"):
            name = path.removeprefix("/static/")
            file = STATIC / name
            if "/" not in name and file.is_file():
                kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
                return _file(file.read_bytes(), f"{kind}; charset=utf-8", gzip_ok)
        return _response(404, "找不到页面".encode(), "text/plain; charset=utf-8")

    return process_request


def _file(body: bytes, kind: str, gzip_ok: bool, cache: str = "no-store") -> Response:
    """A page or script, gzip-compressed for a browser that takes it (a
    unit handler's phone on a slow connection gets a third of the bytes)."""
    extra = [("Vary", "Accept-Encoding")]
    if gzip_ok and len(body) > 1024:
        body = _gzip(body)
        extra.append(("Content-Encoding", "gzip"))
    return _response(200, body, kind, extra, cache)


@functools.lru_cache(maxsize=64)
def _gzip(body: bytes) -> bytes:
    return gzip.compress(body, 6)


def _response(status: int, body: bytes, kind: str, extra: list | None = None,
              cache: str = "no-store") -> Response:  # fmt: skip
    reason = {200: "OK", 302: "Found", 404: "Not Found", 503: "Service Unavailable"}[status]
    headers = Headers([("Content-Type", kind), ("Content-Length", str(len(body))),
                       ("Cache-Control", cache), *(extra or [])])  # fmt: skip
    return Response(status, reason, headers, body)
