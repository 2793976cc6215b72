"""The hotline's voice front end as a pure state machine over menu data.

Queue first (GB/T 33358-2016 counts the 15 seconds from the call): the caller
joins the queue the moment the call is answered and hears the welcome and the
self-service keys as the queue's hold sound ("wait class", see wait_class()).
A key pressed while waiting takes the caller out of the queue (app_queue's
`context=`, rendered from this data by ivr/render.py); every key leads back to
a queue. The engine knows nothing of Asterisk: it returns steps (collect
digits, look up a work order, route the call) and is fed the caller's input.
agi/ivr_entry.py runs the steps on a channel; the unit tests run them on
plain values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

DTMF_KEYS = "0123456789*#"
MENU_FILE = Path(__file__).with_name("menu.yaml")
PROMPTS_FILE = Path(__file__).with_name("prompts.yaml")


# ------------------------------------------------------------------ the data
class QueueAction(BaseModel):
    action: str = Field(pattern="^(queue|order_progress)$")
    queue: str = "hotline"
    category: str = "general"


class MenuLevel(BaseModel):
    """The keys offered while the caller waits in the queue."""

    prompt: str
    invalid_prompt: str
    options: dict[str, QueueAction]


class OrderProgress(BaseModel):
    prompt: str
    max_digits: int = Field(gt=0)
    digit_timeout_ms: int = Field(gt=0)
    retries: int = Field(ge=0)
    pattern: str
    unavailable_prompt: str
    not_found_prompt: str
    # the stage the caller hears, by work-order state (prompt ids)
    state_prompts: dict[str, str] = {}
    then: QueueAction


class RepeatCaller(BaseModel):
    """Who counts as a repeat caller (called within the window). What that is
    worth in the queue is a number of seconds of waiting, set on the switch
    (YHT_PBX_REPEAT_BOOST_S, 30-queue.conf), never a priority class: a
    repeat caller goes ahead of those who have waited less than that, and
    never ahead of one who has waited longer (issue 28 item 14)."""

    model_config = ConfigDict(extra="forbid")
    window_hours: float = Field(gt=0)


class Schedule(BaseModel):
    timezone: str
    day_hours: tuple[str, str]
    after_hours_prompt: str
    holiday_prompt: str
    holidays: list[str] = []


class MenuDefinition(BaseModel):
    welcome_prompt: str
    menu: MenuLevel
    default: QueueAction
    order_progress: OrderProgress
    transfer_prompt: str
    repeat_caller: RepeatCaller
    schedule: Schedule
    # prompt ids that exist (ivr/prompts.yaml); welcome-<hotline> is optional
    known_prompts: frozenset[str] = frozenset()

    def welcome_for(self, hotline: str) -> str:
        specific = f"{self.welcome_prompt}-{hotline}"
        return specific if specific in self.known_prompts else self.welcome_prompt


def load_menu(menu_file: Path = MENU_FILE, prompts_file: Path = PROMPTS_FILE) -> MenuDefinition:
    data = yaml.safe_load(menu_file.read_text())
    data["known_prompts"] = frozenset(yaml.safe_load(prompts_file.read_text()))
    menu = MenuDefinition.model_validate(data)
    for key in menu.menu.options:
        if len(key) != 1 or key not in DTMF_KEYS:
            raise ValueError(f"menu option {key!r} is not a single DTMF key")
    return menu


# ----------------------------------------------------------------- the steps
@dataclass(frozen=True)
class Collect:
    """Play prompts (a key interrupts them) and collect up to max_digits keys."""

    prompts: tuple[str, ...]
    max_digits: int
    timeout_ms: int
    terminator: str | None = None


@dataclass(frozen=True)
class LookupOrder:
    number: str


@dataclass(frozen=True)
class Route:
    """The front end is done: play the prompts, then queue the call."""

    queue: str
    category: str
    priority: int
    prompts: tuple[str, ...] = ()


Step = Collect | LookupOrder | Route


class OrderStatus(Enum):
    UNAVAILABLE = "unavailable"  # the work-order service did not answer
    NOT_FOUND = "not_found"
    FOUND = "found"


@dataclass(frozen=True)
class OrderLookupResult:
    """The work-order service's answer: found or not, and the order's stage
    (intake, case, dispatched, processing, feedback, closed, evaluated, merged)."""

    status: OrderStatus
    state: str | None = None


class _State(Enum):
    QUEUED = "queued"
    ORDER_NUMBER = "order_number"
    ORDER_LOOKUP = "order_lookup"
    DONE = "done"


WAIT_CLASS_PREFIX = "yht-wait-"


def wait_class(welcome: str, notice: str | None) -> str:
    """The music-on-hold class a queued caller hears: the notice (after hours,
    holiday) if any, the welcome, the keys, then hold music. ivr/render.py
    writes one class per welcome and notice; scripts/build_prompts.py fills it."""
    return f"{WAIT_CLASS_PREFIX}{welcome}" + (f"-{notice}" if notice else "")


@dataclass
class MenuSession:
    """One caller's walk through the front end. Feed it input, get the next step.

    start() queues the call at once; on_key() is a key pressed while queued
    (only the menu's keys take a caller out of the queue, so there is no wrong
    key at that level); the order-progress keys continue with on_input()."""

    menu: MenuDefinition
    hotline: str
    repeat_caller: bool = False
    opening_prompts: tuple[str, ...] = ()  # after-hours / holiday notice
    path: list[str] = field(default_factory=list)
    order_number: str | None = None
    _state: _State = _State.QUEUED
    _attempts: int = 0

    def start(self) -> Route:
        """The call joins the default queue at once, hearing the wait class."""
        self.path.append("queue")
        return self._route(self.menu.default, (), done=False)

    @property
    def wait_class(self) -> str:
        notice = self.opening_prompts[0] if self.opening_prompts else None
        return wait_class(self.menu.welcome_for(self.hotline), notice)

    def on_key(self, key: str) -> Collect | Route:
        """A key pressed while queued; unknown keys never leave the queue."""
        if self._state is not _State.QUEUED:
            raise RuntimeError(f"no queue key expected in state {self._state.value}")
        option = self.menu.menu.options.get(key)
        if option is None:
            raise ValueError(f"key {key!r} is not offered while queued")
        self.path.append(f"key:{key}")
        if option.action == "order_progress":
            self._state = _State.ORDER_NUMBER
            self._attempts = 0
            return self._order_collect((self.menu.order_progress.prompt,))
        return self._route(option, (), done=False)  # queued again: keys still work

    def on_input(self, digits: str) -> Step:
        """Keys typed for the order number; '' means silence until the timeout."""
        if self._state is _State.ORDER_NUMBER:
            return self._on_order_number(digits)
        raise RuntimeError(f"no input expected in state {self._state.value}")

    def on_order_lookup(self, progress: OrderLookupResult) -> Route:
        if self._state is not _State.ORDER_LOOKUP:
            raise RuntimeError(f"no lookup result expected in state {self._state.value}")
        spec = self.menu.order_progress
        status = progress.status
        self.path.append(f"order:{status.value}")
        if status is OrderStatus.UNAVAILABLE:
            return self._route(spec.then, (spec.unavailable_prompt,))
        if status is OrderStatus.NOT_FOUND:
            return self._route(spec.then, (spec.not_found_prompt, self.menu.transfer_prompt))
        stage = spec.state_prompts.get(progress.state or "")
        return self._route(spec.then, (*((stage,) if stage else ()), self.menu.transfer_prompt))

    @property
    def ivr_path(self) -> str:
        return ">".join(self.path)

    # ------------------------------------------------------- order progress
    def _on_order_number(self, digits: str) -> Step:
        spec = self.menu.order_progress
        if re.fullmatch(spec.pattern, digits):
            self.order_number = digits
            self.path.append("order:entered")
            self._state = _State.ORDER_LOOKUP
            return LookupOrder(digits)
        self.path.append("order:invalid" if digits else "order:none")
        self._attempts += 1
        if self._attempts <= spec.retries:
            return self._order_collect((self.menu.menu.invalid_prompt, spec.prompt))
        return self._route(spec.then, (self.menu.transfer_prompt,))

    def _order_collect(self, prompts: tuple[str, ...]) -> Collect:
        spec = self.menu.order_progress
        return Collect(prompts, spec.max_digits, spec.digit_timeout_ms, terminator="#")

    # ---------------------------------------------------------------- done
    def _route(self, action: QueueAction, prompts: tuple[str, ...], done: bool = True) -> Route:
        self._state = _State.DONE if done else _State.QUEUED
        return Route(action.queue, action.category, priority=0, prompts=prompts)
