"""RFC 2833 key presses (and a caller's voice) as pcap files for sipp's
play_pcap_audio.

sipp plays a pcap's RTP packets as they are recorded. The pcaps shipped with
sipp all carry the same sequence numbers and timestamp, so a second key from
another file looks to Asterisk like a repeat of the first and is dropped. Here
each key is its own event (new timestamp) and sequence numbers keep rising
across keys and across the files of one call.
"""

from __future__ import annotations

import struct
from pathlib import Path

EVENTS = {**{str(d): d for d in range(10)}, "*": 10, "#": 11}
PACKET_MS = 20
TONE_PACKETS = 7  # 140 ms of tone, then three end-of-event packets
PAUSE_MS = 200  # silence between keys of one file
CLOCK = 8  # RTP clock ticks per ms (8 kHz)
# Ethernet + IPv4 + UDP headers around an RTP packet (addresses are not used
# by sipp, which sends the payload to the call's media address)
_ETHERNET = bytes.fromhex("0000000000000000000000000800")  # addresses, IPv4
SSRC = 0x0E05384E
SAMPLES_PER_PACKET = PACKET_MS * 8  # G.711 at 8 kHz: one byte per sample


def key_ms(keys: str) -> int:
    """How long the pcap of `keys` plays (DtmfStream.write)."""
    return len(keys) * (TONE_PACKETS * PACKET_MS + PAUSE_MS)


class DtmfStream:
    """One call's key presses; `write` makes the next file, continuing the stream."""

    def __init__(self) -> None:
        self.seq = 1000
        self.timestamp = 16000

    def write(self, keys: str, path: Path) -> Path:
        packets: list[tuple[float, bytes]] = []
        clock_ms = 0.0
        for key in keys:
            event = EVENTS[key]
            for i in range(TONE_PACKETS + 3):
                end = i >= TONE_PACKETS
                duration = min(i, TONE_PACKETS) * PACKET_MS * CLOCK
                flags = 0x8A if end else 0x0A  # E bit when ending; volume 10
                rtp = struct.pack("!BBHII", 0x80, (0x80 if i == 0 else 0) | 101, self.seq,
                                  self.timestamp, SSRC)  # fmt: skip
                rtp += struct.pack("!BBH", event, flags, duration)
                packets.append((clock_ms + min(i, TONE_PACKETS) * PACKET_MS, rtp))
                if i < TONE_PACKETS:
                    self.seq += 1
            self.seq += 1
            clock_ms += TONE_PACKETS * PACKET_MS + PAUSE_MS
            self.timestamp += int((TONE_PACKETS * PACKET_MS + PAUSE_MS) * CLOCK)
        path.write_bytes(_pcap(packets))
        return path

    def write_voice(self, ms: int, path: Path, ulaw: bytes = b"") -> Path:
        """G.711 mu-law (payload 0) as a phone sends it from the first moment
        of the call: `ulaw` (8 kHz samples, e.g. synthesised speech) followed
        by a quiet hum up to `ms`, so Asterisk sees media at once (Answer()
        otherwise waits up to 500 ms for the first frame)."""
        packets: list[tuple[float, bytes]] = []
        hum = bytes(0xF0 if i % 16 < 8 else 0xFF for i in range(SAMPLES_PER_PACKET))
        count = max(ms // PACKET_MS, -(-len(ulaw) // SAMPLES_PER_PACKET))
        for i in range(count):
            rtp = struct.pack("!BBHII", 0x80, (0x80 if i == 0 else 0) | 0, self.seq,
                              self.timestamp, SSRC)  # fmt: skip
            chunk = ulaw[i * SAMPLES_PER_PACKET : (i + 1) * SAMPLES_PER_PACKET]
            payload = chunk + hum[len(chunk) :]
            packets.append((i * PACKET_MS, rtp + payload))
            self.seq += 1
            self.timestamp += SAMPLES_PER_PACKET
        path.write_bytes(_pcap(packets))
        return path


def _headers(payload: int) -> bytes:
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28 + payload, 0, 0x4000, 64, 17, 0,
                     bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1]))  # fmt: skip
    return _ETHERNET + ip + struct.pack("!HHHH", 8000, 8000, 8 + payload, 0)


def _pcap(packets: list[tuple[float, bytes]]) -> bytes:
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    for at_ms, rtp in packets:
        frame = _headers(len(rtp)) + rtp
        seconds, micros = divmod(int(at_ms * 1000), 1_000_000)
        out += struct.pack("<IIII", 1_700_000_000 + seconds, micros, len(frame), len(frame))
        out += frame
    return out
