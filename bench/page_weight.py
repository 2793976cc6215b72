"""What each page costs to load, and what a unit handler's photo costs to
send: for a grid worker on a slow mobile connection.

`python -m bench.page_weight [kbit_s] [rtt_ms]`

Per page (the bridge's PAGES): the HTML and every script and stylesheet it
names, raw and gzip-compressed (what the bridge sends a browser that takes gzip), the
number of requests, and the time to load it cold over a link of `kbit_s`
(default 400, a poor 3G) with `rtt_ms` round trips (default 300): one round
trip for the HTML, one more per batch of 6 parallel requests, plus the bytes.
The baseline is the agent desk (same run). Then a 12-megapixel camera photo
(4000x3000, a noisy scene so JPEG cannot shrink it to nothing) against what
the phone page uploads: scaled so its longer side is 1,280 px, JPEG quality
0.8 -- the same parameters as unit.js (the browser test checks the real
size on the device)."""

from __future__ import annotations

import gzip
import io
import math
import re
import sys

from softphone_bridge.pages import PAGES, STATIC, VENDOR, VENDOR_DIR

ASSET = re.compile(r'(?:src|href)="(/(?:static|vendor)/[^"]+)"')


def asset_bytes(path: str) -> bytes:
    if path.startswith("/vendor/"):
        return (VENDOR_DIR / VENDOR[path]).read_bytes()
    return (STATIC / path.removeprefix("/static/")).read_bytes()


def weigh(page: str) -> tuple[int, int, int]:
    """(raw bytes, gzip bytes, requests) of a page and what it loads."""
    html = (STATIC / PAGES[page]).read_bytes()
    parts = [html] + [asset_bytes(p) for p in ASSET.findall(html.decode())]
    raw = sum(len(p) for p in parts)
    packed = sum(len(gzip.compress(p, 6)) for p in parts)
    return raw, packed, len(parts)


def load_s(size: int, requests: int, kbit_s: float, rtt_ms: float) -> float:
    trips = 1 + math.ceil((requests - 1) / 6)
    return trips * rtt_ms / 1000 + size * 8 / (kbit_s * 1000)


def photo() -> tuple[int, int, tuple[int, int]]:
    """(camera JPEG bytes, uploaded JPEG bytes, uploaded size)."""
    from PIL import Image

    noise = Image.effect_noise((4000, 3000), 40).convert("RGB")
    scene = Image.blend(Image.linear_gradient("L").resize((4000, 3000)).convert("RGB"), noise, 0.5)
    camera = io.BytesIO()
    scene.save(camera, "JPEG", quality=92)
    scale = min(1.0, 1280 / max(scene.size))
    small = scene.resize((round(scene.width * scale), round(scene.height * scale)))
    upload = io.BytesIO()
    small.save(upload, "JPEG", quality=80)
    return len(camera.getvalue()), len(upload.getvalue()), small.size


def main() -> None:
    kbit_s = float(sys.argv[1]) if len(sys.argv) > 1 else 400.0
    rtt_ms = float(sys.argv[2]) if len(sys.argv) > 2 else 300.0
    missing = [p for p in VENDOR.values() if not (VENDOR_DIR / p).is_file()]
    if missing:
        raise SystemExit(f"not installed: {', '.join(missing)} (run make setup)")
    _, base_gz, base_n = weigh("/desk")
    base_s = load_s(base_gz, base_n, kbit_s, rtt_ms)
    print(f"link {kbit_s:g} kbit/s, round trip {rtt_ms:g} ms; baseline /desk")
    print("| page | requests | raw KB | gzip KB | cold load (gzip) | vs /desk |")
    print("|---|---|---|---|---|---|")
    for page in PAGES:
        raw, packed, n = weigh(page)
        seconds = load_s(packed, n, kbit_s, rtt_ms)
        print(f"| `{page}` | {n} | {raw / 1024:.1f} | {packed / 1024:.1f} | {seconds:.2f} s"
              f" | {seconds / base_s:.2f} |")  # fmt: skip
    camera, upload, size = photo()
    print(f"\nphoto 4000x3000: camera JPEG {camera / 1024:.0f} KB"
          f" ({camera * 8 / kbit_s / 1000:.1f} s to send); uploaded {size[0]}x{size[1]}"
          f" {upload / 1024:.0f} KB ({upload * 8 / kbit_s / 1000:.1f} s);"
          f" ratio {upload / camera:.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
