"""The FastAGI server over real loopback sockets, fed recorded AGI dialogues."""

from __future__ import annotations

import asyncio
import logging

import pytest
import pytest_asyncio

from agi.channel import AgiChannel, AgiHangup
from agi.server import FastAgiServer, Report

ENV = (
    b"agi_network: yes\nagi_network_script: echo\nagi_uniqueid: 1700000000.1\n"
    b"agi_callerid: 13800138000\n\n"
)


class NullWriter:
    """Stands in for Asterisk's side of the socket: commands go nowhere."""

    def write(self, data: bytes) -> None:
        pass

    async def drain(self) -> None:
        pass


async def start(server: FastAgiServer):
    listener = await asyncio.start_server(server.handler, "127.0.0.1", 0)
    return listener, listener.sockets[0].getsockname()[1]


async def echo(channel: AgiChannel, report: Report) -> None:
    report.outcome = f"hotline={await channel.get_variable('YHT_HOTLINE')}"
    await channel.set_variable("__YHT_CATEGORY", "carmove")


@pytest_asyncio.fixture
async def server():
    s = FastAgiServer(call_deadline_s=2.0, header_timeout_s=0.5)
    s.add_endpoint("echo", echo)
    return s


async def test_a_call_gets_its_commands_and_one_log_line(server, caplog):
    caplog.set_level(logging.INFO, "agi.calls")
    listener, port = await start(server)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(ENV)
    assert await reader.readline() == b"GET VARIABLE YHT_HOTLINE\n"
    writer.write(b"200 result=1 (12345)\n")
    assert await reader.readline() == b'SET VARIABLE __YHT_CATEGORY "carmove"\n'
    writer.write(b"200 result=1\n")
    assert await reader.read() == b""  # the server closes when the route ends
    listener.close()
    [line] = [r.getMessage() for r in caplog.records if r.name == "agi.calls"]
    assert "call=1700000000.1 route=echo caller=138****8000 status=ok hotline=12345" in line
    assert "13800138000" not in line


@pytest.mark.parametrize(
    "garbage",
    [b"", b"agi_network: yes\n", b"hello world\n\n", b"agi_callerid: 1\n\n", b"\xff\xfe\n\n"],
)
async def test_a_malformed_environment_is_rejected_and_the_server_keeps_serving(
    server, caplog, garbage
):
    caplog.set_level(logging.WARNING, "agi.calls")
    listener, port = await start(server)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(garbage)
    if not garbage.endswith(b"\n\n"):
        writer.write_eof()
    assert await asyncio.wait_for(reader.read(), 2) == b""
    assert any("rejected connection" in r.getMessage() for r in caplog.records)
    # a good call right after is served
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(ENV)
    assert await reader.readline() == b"GET VARIABLE YHT_HOTLINE\n"
    writer.close()
    listener.close()


async def test_a_caller_hangup_is_logged_as_such(server, caplog):
    caplog.set_level(logging.INFO, "agi.calls")
    listener, port = await start(server)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(ENV)
    await reader.readline()
    writer.write(b"HANGUP\n511 Command Not Permitted on a dead channel or intercept routine\n")
    assert await reader.read() == b""
    listener.close()
    assert any("status=caller-hangup" in r.getMessage() for r in caplog.records)


async def test_a_route_past_its_deadline_is_closed_so_the_dialplan_takes_over(server, caplog):
    caplog.set_level(logging.INFO, "agi.calls")
    listener, port = await start(server)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(ENV)
    await reader.readline()  # Asterisk never answers: a stuck channel
    assert await asyncio.wait_for(reader.read(), 5) == b""
    listener.close()
    assert any("status=deadline" in r.getMessage() for r in caplog.records)


async def test_media_failure_on_a_live_channel_is_not_mistaken_for_a_hangup():
    reader = asyncio.StreamReader()

    reader.feed_data(b"200 result=-1 endpos=0\n200 result=1 (1700000000.1)\n")
    channel = AgiChannel({}, reader, NullWriter())
    with pytest.raises(Exception) as failure:
        await channel.stream_file("yht/missing", "12")
    assert not isinstance(failure.value, AgiHangup)
    assert not channel.hung_up


async def test_media_result_minus_one_after_hangup_raises_hangup():
    reader = asyncio.StreamReader()

    reader.feed_data(b"200 result=-1 endpos=100\nHANGUP\n511 Command Not Permitted\n")
    channel = AgiChannel({}, reader, NullWriter())
    with pytest.raises(AgiHangup):
        await channel.wait_for_digit(3000)
