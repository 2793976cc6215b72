"""The recording files on disk (Asterisk's spool/monitor, read only here):
their size, checksum and length; byte ranges for playback; retention."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import re
import shutil
import wave
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("ticketing.recordings")
CHUNK = 64 * 1024


@dataclass(frozen=True)
class FileFacts:
    size_bytes: int
    sha256: str
    duration_s: float


def describe(path: Path) -> FileFacts | None:
    """Size, SHA-256 and length of a recording; None when there is no file
    (MixMonitor writes nothing for a call no seat answered)."""
    try:
        digest = hashlib.sha256()
        size = 0
        with path.open("rb") as handle:
            while block := handle.read(CHUNK):
                digest.update(block)
                size += len(block)
    except FileNotFoundError:
        return None
    duration = 0.0
    with contextlib.suppress(wave.Error, EOFError, OSError), wave.open(str(path)) as audio:
        duration = audio.getnframes() / float(audio.getframerate() or 1)
    return FileFacts(size, digest.hexdigest(), round(duration, 2))


class BadRange(ValueError):
    pass


# at most 18 digits a side: a file's offset, never a 5,000-digit int to parse
_RANGE = re.compile(r"^bytes=(\d{0,18})-(\d{0,18})$")


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The first range of a Range header as (start, end inclusive); None for
    the whole file. A range the file cannot satisfy raises BadRange (416)."""
    if not header:
        return None
    match = _RANGE.match(header.split(",")[0].strip())
    if match is None:
        raise BadRange(header)
    first, last = match.groups()
    if not first and not last:
        raise BadRange(header)
    if not first:  # the last N bytes
        start, end = max(0, size - int(last)), size - 1
    else:
        start = int(first)
        end = min(int(last), size - 1) if last else size - 1
    if size == 0 or start > end or start >= size:
        raise BadRange(header)
    return start, end


def read_range(path: Path, start: int, end: int):
    with path.open("rb") as handle:
        handle.seek(start)
        left = end - start + 1
        while left > 0 and (block := handle.read(min(CHUNK, left))):
            left -= len(block)
            yield block


@dataclass(frozen=True)
class Retention:
    """Days a recording is kept: per queue, SOS longest. Setting:
    "default=180,sos=3650,dialect=365" (YHT_TICKETING_RECORDING_RETENTION)."""

    days: dict[str, int]

    @classmethod
    def parse(cls, setting: str) -> Retention:
        days: dict[str, int] = {}
        for part in filter(None, (p.strip() for p in setting.split(","))):
            name, _, value = part.partition("=")
            if not value.strip().isdigit() or int(value) < 1:
                raise ValueError(f"retention {part!r}: expected NAME=DAYS (DAYS >= 1)")
            days[name.strip()] = int(value)
        days.setdefault("default", 180)
        days.setdefault("sos", max(days.values()))
        return cls(days)

    def keep_days(self, kind: str, queue: str) -> int:
        if kind == "sos":
            return self.days["sos"]
        return self.days.get(queue, self.days["default"])

    def expired(self, kind: str, queue: str, ended: dt.datetime, now: dt.datetime) -> bool:
        return now - ended > dt.timedelta(days=self.keep_days(kind, queue))


def disk_room(directory: Path, min_free_mb: int) -> dict:
    """Free space where Asterisk writes the recordings, against the floor
    below which recordings are at risk (a full disk truncates them)."""
    try:
        free_mb = shutil.disk_usage(directory).free // 2**20
    except OSError as error:
        return {"ok": False, "free_mb": None, "min_free_mb": min_free_mb,
                "error": f"{type(error).__name__}: {error}"}  # fmt: skip
    return {"ok": free_mb >= min_free_mb, "free_mb": free_mb, "min_free_mb": min_free_mb}
