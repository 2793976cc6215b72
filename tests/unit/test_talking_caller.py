"""The day's callers send audio for the whole call, as a real phone does
(testkit.sipp.citizen_scenario talk_ms): a first second of hum, the key,
then the talk — so a recording holds what was said while the caller was
bridged to a seat, whenever that was."""

from __future__ import annotations

import re
import struct
from pathlib import Path

from testkit.sipp import (
    KEY_TO_TALK_MS,
    SILENCE,
    answering_with,
    citizen_scenario,
    seat_audio,
    talk_delay_ms,
)


def plays(scenario: Path) -> list[tuple[int, Path]]:
    """(pause before, pcap) of each play in the scenario, in order."""
    found = re.findall(r'<pause milliseconds="(\d+)"/>\s*<nop>\s*<action>\s*'
                       r'<exec play_pcap_audio="([^"]+)"/>', scenario.read_text())  # fmt: skip
    return [(int(ms), Path(path)) for ms, path in found]


def rtp(pcap: Path) -> list[tuple[float, int, int, bytes]]:
    """(ms from the first packet, payload type, sequence number, payload)."""
    data, out, at = pcap.read_bytes(), [], 24
    first = None
    while at < len(data):
        seconds, micros, length, _ = struct.unpack_from("<IIII", data, at)
        frame = data[at + 16 : at + 16 + length]
        ms = seconds * 1000 + micros / 1000
        first = ms if first is None else first
        packet = frame[42:]  # Ethernet + IPv4 + UDP
        out.append((ms - first, packet[1] & 0x7F, struct.unpack("!H", packet[2:4])[0], packet[12:]))
        at += 16 + length
    return out


def test_a_talking_caller_hums_keys_then_talks_on_for_the_whole_call(tmp_path):
    speech = bytes([0x20]) * 16000  # two seconds of "speech"
    scenario = citizen_scenario(tmp_path, "2", 1500, 1000, speech=speech, talk_ms=10_000)
    [(d0, hum), (d1, key), (d2, talk)] = plays(scenario)
    assert (d0, d1) == (0, 1500) and d2 == talk_delay_ms("2", 1000)
    assert d2 == 7 * 20 + 200 + KEY_TO_TALK_MS  # after the key's last tone
    hum_packets, key_packets, talk_packets = rtp(hum), rtp(key), rtp(talk)
    assert not any(0x20 in p[3] for p in hum_packets)  # the speech waits for the talk
    assert {p[1] for p in key_packets} == {101}
    # one stream: sequence numbers keep rising across the three files
    seqs = [p[2] for p in hum_packets + key_packets + talk_packets]
    assert seqs == sorted(seqs)
    assert talk_packets[-1][0] == 10_000 - 20  # ten seconds of audio, 20 ms a packet
    # said again a second apart: speech at 0-2 s, silence 2-3 s, speech from 3 s
    said = [p[0] for p in talk_packets if p[3] == bytes([0x20]) * 160]
    assert said[0] == 0 and 2000 - 20 in said and 2500 not in said and 3000 in said


def test_a_silent_caller_without_a_key_hums_from_the_first_second_on(tmp_path):
    scenario = citizen_scenario(tmp_path, None, 1500, 1000, talk_ms=5000)
    [(d0, _), (d1, talk)] = plays(scenario)
    assert (d0, d1) == (0, 1000) and talk_delay_ms(None, 1000) == 1000
    assert len(rtp(talk)) == 5000 // 20


def test_without_talk_the_scenario_is_as_before(tmp_path):
    speech = bytes([0x20]) * 800
    [(d0, voice)] = plays(citizen_scenario(tmp_path, None, 0, speech=speech))
    assert d0 == 0 and rtp(voice)[0][3] == bytes([0x20]) * 160


def test_a_seat_phone_sends_silence_from_each_answer(tmp_path):
    audio = seat_audio(tmp_path, 3)
    packets = rtp(audio)
    assert len(packets) == 150 and all(p[3] == SILENCE * 160 for p in packets)
    scenario = answering_with(audio)
    # played once the call is up (after the ACK), before the caller's BYE
    assert (
        scenario.index('request="ACK"')
        < scenario.index(str(audio))
        < scenario.index('request="BYE"')
    )
