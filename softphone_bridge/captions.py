"""Live captions to the pages that may read them: the seat on the call, and
a shift lead who listens to that seat (spy), until the seat's call ends.
Captions carry what citizens say: nobody else gets them."""

from __future__ import annotations

from softphone_bridge.session import Session
from yht.events import Caption


class CaptionFeed:
    sessions: set[Session]

    async def _caption(self, event: Caption) -> None:
        message = event.model_dump()
        for session in list(self.sessions):
            if session.seat == event.seat or session.listening == event.seat:
                await session.send(message)

    def _listening_ends(self, seat: dict) -> None:
        """A lead listens to a seat's call: the call ended, so did the listening."""
        if seat.get("state") == "talking":
            return
        for session in self.sessions:
            if session.listening == seat.get("agent_id"):
                session.listening = None
