"""RFC 2833 key presses as pcap files for sipp's play_pcap_audio.

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
# Ethernet + IPv4 + UDP headers of a 16-byte RTP event packet (addresses are
# not used by sipp, which sends the payload to the call's media address)
_HEADERS = bytes.fromhex(
    "000000000000000000000000" "0800"  # Ethernet: addresses, IPv4
    "4500002c00004000401100007f0000017f000001"  # IPv4: 44 bytes, UDP, loopback
    "1f401f4000180000"  # UDP: ports 8000 -> 8000, 24 bytes
)  # fmt: skip
SSRC = 0x0E05384E


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


def _pcap(packets: list[tuple[float, bytes]]) -> bytes:
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    for at_ms, rtp in packets:
        frame = _HEADERS + rtp
        seconds, micros = divmod(int(at_ms * 1000), 1_000_000)
        out += struct.pack("<IIII", 1_700_000_000 + seconds, micros, len(frame), len(frame))
        out += frame
    return out
