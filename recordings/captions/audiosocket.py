"""The AudioSocket protocol (Asterisk's app_audiosocket): frames of a
one-byte kind, a two-byte big-endian length and the payload. Asterisk sends
the call's UUID first, then signed-linear 16-bit 8 kHz mono audio (20 ms,
320 bytes a frame), DTMF, and a hang-up or an error at the end."""

from __future__ import annotations

import asyncio
import uuid

HANGUP, UUID, DTMF, AUDIO, ERROR = 0x00, 0x01, 0x03, 0x10, 0xFF
RATE = 8000
MAX_PAYLOAD = 65_535


class ProtocolError(ValueError):
    """Not AudioSocket: the connection is closed."""


async def read_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """One frame; (HANGUP, b"") at the end of the stream."""
    try:
        header = await reader.readexactly(3)
    except asyncio.IncompleteReadError:
        return HANGUP, b""
    kind, length = header[0], int.from_bytes(header[1:3], "big")
    try:
        payload = await reader.readexactly(length) if length else b""
    except asyncio.IncompleteReadError as error:
        raise ProtocolError(f"frame of {length} bytes cut short") from error
    return kind, payload


async def read_uuid(reader: asyncio.StreamReader) -> str:
    """The first frame: the stream's UUID (string form)."""
    kind, payload = await read_frame(reader)
    if kind != UUID or len(payload) != 16:
        raise ProtocolError(f"expected the UUID frame, got kind {kind:#04x} ({len(payload)} bytes)")
    return str(uuid.UUID(bytes=payload))


def frame(kind: int, payload: bytes = b"") -> bytes:
    """A frame as Asterisk sends one (tests, benchmarks)."""
    if len(payload) > MAX_PAYLOAD:
        raise ProtocolError("payload too long")
    return bytes([kind]) + len(payload).to_bytes(2, "big") + payload
