"""The bridge serves every page and what it loads from the package itself
(no CDN), compressed for a browser that accepts gzip (a phone on a slow
connection), the pinned front-end libraries cacheable for a day."""

from __future__ import annotations

import gzip
import re

from websockets.datastructures import Headers
from websockets.http11 import Request

from softphone_bridge.pages import PAGES, STATIC, VENDOR, VENDOR_DIR, page_server

ASSET = re.compile(r'(?<![:@])(?:src|href)="([^"#]+)"')


def get(path: str, gzip_ok: bool = False):
    serve = page_server("http://127.0.0.1:8080")
    headers = Headers({"Accept-Encoding": "gzip, deflate"} if gzip_ok else {})
    return serve(None, Request(path, headers))  # type: ignore[arg-type]


def test_every_page_loads_only_what_the_bridge_serves_itself():
    for page, name in PAGES.items():
        html = (STATIC / name).read_text(encoding="utf-8")
        assert 'lang="zh-CN"' in html and "@@TICKETING_URL@@" in html, name
        for asset in ASSET.findall(html):
            assert asset.startswith(("/static/", "/vendor/")), f"{name} loads {asset}"
            if asset.startswith("/static/"):
                assert (STATIC / asset.removeprefix("/static/")).is_file(), asset
            else:
                assert asset in VENDOR, asset
        assert get(page).status_code == 200


def test_pages_and_scripts_go_compressed_to_a_browser_that_takes_gzip():
    plain, packed = get("/unit"), get("/unit", gzip_ok=True)
    assert "Content-Encoding" not in plain.headers
    assert (
        packed.headers["Content-Encoding"] == "gzip" and packed.headers["Vary"] == "Accept-Encoding"
    )
    assert gzip.decompress(packed.body) == plain.body
    assert len(packed.body) < len(plain.body) / 2
    assert b"@@TICKETING_URL@@" not in plain.body and b"http://127.0.0.1:8080" in plain.body
    script = get("/static/app.js", gzip_ok=True)
    assert script.headers["Cache-Control"] == "no-store"  # ours: the next deploy's at once
    if (VENDOR_DIR / VENDOR["/vendor/alpine.min.js"]).is_file():
        alpine = get("/vendor/alpine.min.js", gzip_ok=True)
        assert alpine.status_code == 200 and alpine.headers["Cache-Control"] == "max-age=86400"


def test_what_is_not_a_page_is_not_found():
    for path in ("/nope", "/static/../ticketing/settings.py", "/static/x/y.js", "/vendor/x.js"):
        assert get(path).status_code == 404, path
