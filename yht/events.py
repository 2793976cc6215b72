"""The events that cross processes, typed once: the ACD publishes them on its
Redis channel (`<prefix>:events`), the websockets bridge (and a second ACD,
or a test) reads them back. `encode` and `decode` are the only way on and
off the wire; an event that does not match is refused with a clear error,
never read back as a half-filled dict.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter


class SeatChanged(BaseModel):
    """A seat's state, as the ACD holds it (acd/store.Seat)."""

    type: Literal["seat"] = "seat"
    agent_id: str
    state: str
    since: float = 0.0
    reason: str = ""
    queues: list[str] = Field(default_factory=list)
    call_id: str = ""
    call_since: float = 0.0
    # AMI channel names: stay between the ACD and the bridge, never to a page
    agent_channel: str = ""
    caller_channel: str = ""
    conference: str = ""
    sos: bool = False


class QueueChanged(BaseModel):
    type: Literal["queue"] = "queue"
    name: str
    waiting: int = 0
    oldest_join: float = 0.0
    answered: int = 0
    answered_in_target: int = 0
    abandoned: int = 0


class CallOffered(BaseModel):
    """A seat is being rung: the source of the agent's screen-pop."""

    type: Literal["offer"] = "offer"
    agent_id: str
    queue: str = ""
    call_id: str
    channel: str = ""
    context: dict[str, str] = Field(default_factory=dict)
    at: float = 0.0


class SosState(BaseModel):
    type: Literal["sos"] = "sos"
    call_id: str
    state: Literal["waiting", "escalated", "answered", "ended"]
    caller: str = ""
    seat: str = ""
    at: float = 0.0


class AlarmSet(BaseModel):
    type: Literal["alarm_set"] = "alarm_set"
    key: str
    message: str
    at: float = 0.0


class AlarmClear(BaseModel):
    type: Literal["alarm_clear"] = "alarm_clear"
    key: str


class Staffing(BaseModel):
    """Seats able to take calls against the shift plan."""

    type: Literal["staffing"] = "staffing"
    shift: str
    planned: int
    open: int
    at: float = 0.0


class Caption(BaseModel):
    """Live captions (recordings/captions, on `<prefix>:captions`): what one
    leg of a call has said so far. A partial replaces the leg's previous
    partial; a final is a finished utterance. Carries what citizens say: the
    bridge hands it only to the seat on the call and a lead listening to it."""

    type: Literal["caption"] = "caption"
    call_id: str
    seat: str
    leg: Literal["citizen", "agent"]
    final: bool = False
    text: str = ""
    seq: int = 0
    # the audio position (seconds from the stream's first frame) at which
    # this was produced, and the wall time of that first frame
    stream_s: float = 0.0
    started_at: float = 0.0
    words: list[dict[str, Any]] = Field(default_factory=list)  # finals: word, start, end, conf
    # citizen finals: the draft's fields from what the citizen said so far
    draft: dict[str, Any] | None = None
    # no text: why there are no captions ("unavailable") or that they ended
    note: str = ""
    at: float = 0.0


def captions_channel(prefix: str) -> str:
    return f"{prefix}:captions"


AcdEvent = Annotated[
    SeatChanged
    | QueueChanged
    | CallOffered
    | SosState
    | AlarmSet
    | AlarmClear
    | Staffing
    | Caption,
    Field(discriminator="type"),
]
_events: TypeAdapter[Any] = TypeAdapter(AcdEvent)


def encode(event: BaseModel) -> str:
    return event.model_dump_json()


def decode(raw: str | bytes | dict) -> Any:
    """One AcdEvent from the wire (or a dict); pydantic.ValidationError when
    it is none."""
    if isinstance(raw, dict):
        return _events.validate_python(raw)
    return _events.validate_json(raw)
