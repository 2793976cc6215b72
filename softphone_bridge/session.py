"""One page's connection: who it is, and its own bounded way out."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

log = logging.getLogger("bridge")
SLOW = 4408  # close code: the page could not keep up
_CLOSING: set[asyncio.Task] = set()


@dataclass(eq=False)
class Session:
    """One page. Messages go out through its own bounded queue and writer, so
    a stalled browser stalls nobody else: a page whose queue fills up, or that
    does not take a message within `send_timeout_s`, is closed with 4408 (it
    reconnects and gets a fresh snapshot)."""

    ws: ServerConnection
    token: str
    username: str
    role: str
    seat: str | None
    # a shift lead listening to a seat's call (spy): that seat's captions too
    listening: str | None = None
    queue_size: int = 512
    send_timeout_s: float = 5.0
    sent: int = 0
    dropped: bool = False
    _queue: asyncio.Queue[str] | None = None
    _writer: asyncio.Task | None = None

    @property
    def is_lead(self) -> bool:
        return self.role == "shift_lead"

    async def send(self, message: dict) -> None:
        if self.dropped:
            return
        if self._queue is None:
            self._queue = asyncio.Queue(self.queue_size)
            self._writer = asyncio.create_task(self._write(self._queue))
        try:
            self._queue.put_nowait(json.dumps(message, ensure_ascii=False))
        except asyncio.QueueFull:
            self._drop(f"{self.queue_size} 条消息未送达")

    async def _write(self, queue: asyncio.Queue[str]) -> None:
        while True:
            text = await queue.get()
            try:
                await asyncio.wait_for(self.ws.send(text), self.send_timeout_s)
                self.sent += 1
            except TimeoutError:
                self._drop(f"{self.send_timeout_s:.0f} 秒未收下消息")
            except ConnectionClosed:
                self.dropped = True
            finally:
                queue.task_done()
            if self.dropped:
                return

    def _drop(self, why: str) -> None:
        """Tell the page why, and close it without waiting for it."""
        self.dropped = True
        log.warning("closing the slow page of %s: %s", self.username, why)
        # nothing more can be sent to it: the reason goes in the close frame
        task = asyncio.create_task(self.ws.close(SLOW, "page too slow, reload"))
        _CLOSING.add(task)
        task.add_done_callback(_CLOSING.discard)

    async def flush(self) -> None:
        """Wait until every queued message was handed to the socket."""
        if self._queue is not None and not self.dropped:
            await self._queue.join()

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer


async def refuse(ws: ServerConnection, code: int, reason: str) -> None:
    with contextlib.suppress(ConnectionClosed):
        await ws.send(json.dumps({"type": "error", "message": reason}, ensure_ascii=False))
        await ws.close(code, "refused")
