"""The hotline's voice front end as a pure state machine over menu data.

The engine knows nothing of Asterisk: it returns steps (collect digits, look up
a work order, route the call) and is fed the caller's input. agi/ivr_entry.py
runs the steps on a channel; the unit tests run them on plain values.

GB/T 33358-2016 shapes the rules: keys are offered, never required. Silence,
or a wrong key after the allowed retries, routes the call to an agent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

import yaml
from pydantic import BaseModel, Field

DTMF_KEYS = "0123456789*#"
MENU_FILE = Path(__file__).with_name("menu.yaml")
PROMPTS_FILE = Path(__file__).with_name("prompts.yaml")


# ------------------------------------------------------------------ the data
class QueueAction(BaseModel):
    action: str = Field(pattern="^(queue|order_progress)$")
    queue: str = "hotline"
    category: str = "general"


class MenuLevel(BaseModel):
    prompt: str
    digit_timeout_ms: int = Field(gt=0)
    retries: int = Field(ge=0)
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
    window_hours: float = Field(gt=0)
    priority_boost: int = Field(ge=0)


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
    MENU = "menu"
    ORDER_NUMBER = "order_number"
    ORDER_LOOKUP = "order_lookup"
    DONE = "done"


@dataclass
class MenuSession:
    """One caller's walk through the menu. Feed it input, get the next step."""

    menu: MenuDefinition
    hotline: str
    repeat_caller: bool = False
    opening_prompts: tuple[str, ...] = ()  # after-hours / holiday notice
    path: list[str] = field(default_factory=list)
    order_number: str | None = None
    _state: _State = _State.MENU
    _attempts: int = 0

    def start(self) -> Collect:
        self.path.append("welcome")
        prompts = (
            *self.opening_prompts,
            self.menu.welcome_for(self.hotline),
            self.menu.menu.prompt,
        )
        return self._menu_collect(prompts)

    def on_input(self, digits: str) -> Step:
        """Keys the caller pressed; '' means silence until the timeout."""
        if self._state is _State.MENU:
            return self._on_menu_input(digits)
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

    # -------------------------------------------------------------- menu level
    def _on_menu_input(self, digits: str) -> Step:
        key = digits[:1]
        if not key:
            # The menu prompt already asked the caller to hold: no extra prompt.
            self.path.append("menu:none")
            return self._route(self.menu.default, ())
        option = self.menu.menu.options.get(key) if key in DTMF_KEYS else None
        if option is None:
            self.path.append("menu:invalid")
            self._attempts += 1
            if self._attempts <= self.menu.menu.retries:
                return self._menu_collect((self.menu.menu.invalid_prompt, self.menu.menu.prompt))
            return self._route(self.menu.default, (self.menu.transfer_prompt,))
        self.path.append(f"menu:{key}")
        if option.action == "order_progress":
            self._state = _State.ORDER_NUMBER
            self._attempts = 0
            return self._order_collect((self.menu.order_progress.prompt,))
        return self._route(option, (self.menu.transfer_prompt,))

    def _menu_collect(self, prompts: tuple[str, ...]) -> Collect:
        return Collect(prompts, max_digits=1, timeout_ms=self.menu.menu.digit_timeout_ms)

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
    def _route(self, action: QueueAction, prompts: tuple[str, ...]) -> Route:
        self._state = _State.DONE
        boost = self.menu.repeat_caller.priority_boost if self.repeat_caller else 0
        return Route(action.queue, action.category, priority=boost, prompts=prompts)
