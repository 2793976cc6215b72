"""One FastAGI conversation, with pyst2's vocabulary and real exceptions.

panoramisk 1.4 returns AGI errors as dicts and fails on a closed socket;
every command goes through `AgiChannel.command`, which raises instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from panoramisk.utils import parse_agi_result

from yht.phones import canonical


class AgiError(Exception):
    """Asterisk answered a command with an error."""


class AgiHangup(AgiError):
    """The caller hung up (or the channel is gone)."""


class AgiAppError(AgiError):
    """An application or command failed on a live channel."""


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


class AgiChannel:
    def __init__(
        self,
        env: Mapping[str, str],
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        encoding: str = "utf-8",
    ) -> None:
        self.env = env
        self._reader = reader
        self._writer = writer
        self._encoding = encoding
        self.hung_up = False

    @property
    def unique_id(self) -> str:
        return self.env.get("agi_uniqueid", "")

    @property
    def caller_number(self) -> str:
        """The caller in canonical form (yht/phones.py), so the caller history
        knows +8613900000001 and 13900000001 as one caller; "" when none."""
        return canonical(self.env.get("agi_callerid", "")) or ""

    def arg(self, index: int) -> str:
        return self.env.get(f"agi_arg_{index}", "")

    async def command(self, line: str) -> dict:
        """Send one AGI command; return panoramisk's parsed result or raise."""
        if self.hung_up:
            raise AgiHangup("channel already hung up")
        self._writer.write((line + "\n").encode(self._encoding))
        await self._writer.drain()
        while True:
            raw = await self._reader.readline()
            if not raw:
                self.hung_up = True
                raise AgiHangup("Asterisk closed the AGI connection")
            text = raw.decode(self._encoding, errors="replace").rstrip("\r\n")
            if text == "HANGUP":
                # Asterisk's asynchronous hang-up notice; the result line follows.
                self.hung_up = True
                continue
            result = parse_agi_result(text)
            if result.get("status_code") == 100:
                continue
            break
        if result.get("status_code") == 511 or result.get("error") == "AGIResultHangup":
            self.hung_up = True
            raise AgiHangup(text)
        if result.get("status_code") == 520:
            # usage text follows until "520 End of proper usage."
            while raw and not raw.startswith(b"520 "):
                raw = await self._reader.readline()
            raise AgiAppError(f"usage error: {line}")
        if "error" in result:
            if result["error"] == "AGIAppError" and self.hung_up:
                raise AgiHangup(text)
            raise AgiAppError(f"{line}: {text}")
        return result

    @staticmethod
    def _result(result: dict) -> str:
        return result.get("result", ("", ""))[0]

    async def stream_file(self, name: str, escape_digits: str = "") -> str:
        """Play a prompt; return the key that interrupted it, or ''."""
        return await self._media(f"STREAM FILE {name} {_quote(escape_digits)}")

    async def wait_for_digit(self, timeout_ms: int) -> str:
        """Wait for one key; '' on timeout."""
        return await self._media(f"WAIT FOR DIGIT {int(timeout_ms)}")

    async def _media(self, line: str) -> str:
        """Media commands answer result=-1 both on hang-up and on failure (a
        missing prompt): a cheap probe tells the two apart."""
        try:
            return _digit(self._result(await self.command(line)))
        except AgiHangup:
            raise
        except AgiAppError:
            await self.command("GET VARIABLE UNIQUEID")  # raises AgiHangup if gone
            raise

    async def set_variable(self, name: str, value: str) -> None:
        await self.command(f"SET VARIABLE {name} {_quote(value)}")

    async def get_variable(self, name: str) -> str | None:
        result = await self.command(f"GET VARIABLE {name}")
        if self._result(result) != "1":
            return None
        return result["result"][1]

    async def verbose(self, message: str, level: int = 1) -> None:
        await self.command(f"VERBOSE {_quote(message)} {level}")


def _digit(code: str) -> str:
    """AGI reports a key as its ASCII code; 0 means none."""
    try:
        value = int(code)
    except ValueError:
        return ""
    return chr(value) if value > 0 else ""
