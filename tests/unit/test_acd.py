"""The ACD's agent states and queue figures from recorded AMI events, with a
small in-memory AMI and store (pure logic; the real thing is in
tests/integration/test_acd.py)."""

from __future__ import annotations

import itertools
from pathlib import Path

import yaml

from acd.service import Acd
from acd.settings import DATA_DIR
from acd.states import TRANSITIONS, AgentState, Signal, next_state
from yht.events import decode, encode

FIXTURES = Path(__file__).parent / "fixtures"


class RecordingManager:
    def __init__(self) -> None:
        self.actions: list[dict] = []

    async def send_action(self, action: dict, as_list: bool | None = None):
        self.actions.append(action)
        return [{"Response": "Success"}] if as_list else {"Response": "Success"}


class MemoryStore:
    def __init__(self) -> None:
        self.seat_states: list[tuple[str, str]] = []
        self.figures: dict = {}
        self.published: list[dict] = []
        self.missed: list[dict] = []
        self.recordings: list[dict] = []
        self.transcriptions: list[dict] = []

    async def publish(self, event) -> None:
        # what a follower of the channel gets back: the typed event, encoded and decoded
        self.published.append(decode(encode(event)).model_dump())

    async def offer(self, offer, publish: bool = True) -> None:
        if publish:
            await self.publish(offer)

    async def enqueue_missed(self, missed: dict) -> None:
        self.missed.append(missed)

    async def enqueue_recording(self, item: dict) -> None:
        self.recordings.append(item)

    async def enqueue_transcription(self, item: dict) -> None:
        self.transcriptions.append(item)

    async def save_seat(self, seat) -> None:
        self.seat_states.append((seat.agent_id, seat.state))

    async def save_queue(self, figures) -> None:
        self.figures[figures.name] = figures


def controller(wrapup: float = 10) -> tuple[Acd, RecordingManager, MemoryStore]:
    manager, store = RecordingManager(), MemoryStore()
    clock = itertools.count(1000).__next__
    acd = Acd(manager, store, DATA_DIR / "skills.yaml", wrapup, clock=lambda: float(clock()))
    return acd, manager, store


async def test_a_recorded_call_walks_the_seat_through_its_states():
    acd, manager, store = controller()
    for event in yaml.safe_load((FIXTURES / "ami_agent_call.yaml").read_text()):
        await acd.on_event(event)
    states = [s for agent, s in store.seat_states if agent == "1002"]
    assert states == ["ready", "ringing", "talking", "wrapup", "wrapup"]
    assert manager.actions[-1] == {"Action": "QueuePause", "Interface": "PJSIP/agent1002",
                                   "Paused": "true", "Reason": "wrapup",
                                   "Queue": "hotline"}  # fmt: skip
    figures = store.figures["hotline"]
    assert (figures.answered, figures.answered_in_target, figures.waiting) == (1, 0, 0)
    offer = next(m for m in store.published if m["type"] == "offer")
    assert offer["context"] == {"YHT_CATEGORY": "carmove", "YHT_CALLER": "13912345678"}
    acd._cancel_timer("1002")


async def test_an_abandoned_caller_is_counted_and_leaves_the_waiting_list():
    acd, _, store = controller()
    await acd.on_event({"Event": "QueueCallerJoin", "Queue": "hotline", "Uniqueid": "1.1"})
    await acd.on_event({"Event": "QueueCallerJoin", "Queue": "hotline", "Uniqueid": "1.2"})
    assert store.figures["hotline"].waiting == 2
    first_join = store.figures["hotline"].oldest_join
    await acd.on_event({"Event": "QueueCallerAbandon", "Queue": "hotline", "Uniqueid": "1.1"})
    figures = store.figures["hotline"]
    assert (figures.abandoned, figures.waiting) == (1, 1)
    assert figures.oldest_join > first_join
    assert [m["reason"] for m in store.missed] == ["abandoned"]


async def test_a_caller_no_seat_could_take_is_queued_for_a_callback():
    acd, _, store = controller()
    await acd.on_event({"Event": "UserEvent", "UserEvent": "YhtQueueNoAgent", "CallId": "9.9",
                        "ChanVariable": ["YHT_CALL_ID=9.9", "YHT_CALLER=13911112222",
                                         "YHT_QUEUE=dialect", "YHT_HOTLINE=96010"]})  # fmt: skip
    assert store.missed == [{"call_id": "9.9", "caller": "13911112222", "hotline": "96010",
                             "queue": "dialect", "waited_s": 0, "reason": "no_agent"}]  # fmt: skip


async def test_log_in_uses_the_seats_skills_and_penalties():
    acd, manager, _ = controller()
    await acd.login("1004")
    added = {(a["Queue"], a["Penalty"]) for a in manager.actions if a["Action"] == "QueueAdd"}
    assert added == {("dialect", "0"), ("hotline", "1"), ("sos", "0")}


async def test_a_seat_that_is_not_logged_in_cannot_pause():
    acd, manager, _ = controller()
    try:
        await acd.pause("1003", "break")
    except Exception as error:
        assert "未登录" in str(error)
    else:
        raise AssertionError("pause of a logged-out seat was accepted")
    assert manager.actions == []


def test_leaving_the_queues_always_logs_out_and_only_joining_or_answering_logs_in():
    for state in AgentState:
        assert next_state(state, Signal.member_removed) == AgentState.logged_out
        if state == AgentState.logged_out:
            continue
        assert next_state(state, Signal.member_added) == state
    leaving_logged_out = {s for (sig, frm), s in TRANSITIONS.items()
                          if frm == AgentState.logged_out}  # fmt: skip
    assert leaving_logged_out == {AgentState.ready, AgentState.talking}


def member(event: str, queue: str = "hotline") -> dict:
    return {"Event": event, "Queue": queue, "Interface": "PJSIP/agent1002",
            "MemberName": "agent1002", "StateInterface": "PJSIP/agent1002"}  # fmt: skip


def agent_event(event: str) -> dict:
    return {
        **member(event),
        "Uniqueid": "7.1",
        "Channel": "PJSIP/citizen-trunk-1",
        "DestChannel": "PJSIP/agent1002-2",
        "ChanVariable": ["YHT_CALLER=13912345678"],
    }


async def test_a_seat_logged_out_while_its_phone_rang_that_answers_is_talking_then_logged_out():
    """Found by the day: the shift plan logged a desk out while its phone
    rang; app_queue went on ringing the removed member, the agent answered,
    and the seat stayed "logged_out": its desk never saw the call, wrote no
    work order, and AgentComplete's wrap-up pause failed (Interface not found)."""
    acd, manager, store = controller()
    await acd.on_event(member("QueueMemberAdded"))
    await acd.on_event(agent_event("AgentCalled"))
    await acd.on_event(member("QueueMemberRemoved"))
    assert acd.seat("1002").state == AgentState.logged_out
    await acd.on_event(agent_event("AgentConnect"))
    assert acd.seat("1002").state == AgentState.talking
    assert store.seat_states[-1] == ("1002", "talking")  # the desk is told
    assert acd.seat("1002").call_id == "7.1"
    await acd.on_event(agent_event("AgentComplete"))  # raises if it pauses a non-member
    assert acd.seat("1002").state == AgentState.logged_out
    assert not [a for a in manager.actions if a["Action"] == "QueuePause"]


class LoggedOutManager(RecordingManager):
    """Asterisk has removed the member already; its QueueMemberRemoved is still
    on its way to the ACD."""

    async def send_action(self, action: dict, as_list: bool | None = None):
        self.actions.append(action)
        if action["Action"] == "QueuePause":
            return {"Response": "Error", "Message": "Interface not found"}
        return {"Response": "Success"}


async def test_a_call_that_ends_after_asterisk_logged_the_seat_out_ends_it_logged_out():
    """Found by the eighth day (6 tracebacks): the shift plan logged a seat out
    during its call; AgentComplete reached the ACD before QueueMemberRemoved,
    and the wrap-up pause was refused (Interface not found)."""
    acd, _, _ = controller()
    manager = LoggedOutManager()
    acd.manager = manager
    await acd.on_event(member("QueueMemberAdded"))
    await acd.on_event(agent_event("AgentCalled"))
    await acd.on_event(agent_event("AgentConnect"))
    await acd.on_event(agent_event("AgentComplete"))  # raised AmiError before the fix
    assert acd.seat("1002").state == AgentState.logged_out
    assert acd.seat("1002").queues == []
    assert [a["Action"] for a in manager.actions] == ["QueuePause"]
    await acd.on_event(member("QueueMemberRemoved"))  # arrives late: still out
    assert acd.seat("1002").state == AgentState.logged_out


class BusyManager(RecordingManager):
    """Asterisk's AMI does not answer the first two unpauses in time."""

    async def send_action(self, action: dict, as_list: bool | None = None):
        self.actions.append(action)
        unpauses = [a for a in self.actions if a["Action"] == "QueuePause"
                    and a.get("Paused") in (False, "false", "0")]  # fmt: skip
        if unpauses and len(unpauses) <= 2:
            return {"Response": "Error", "Message": "Asterisk 未在 10 秒内应答"}
        return {"Response": "Success"}


async def test_an_unpause_asterisk_does_not_take_is_tried_again_while_the_seat_wraps_up(caplog):
    """Found by the ninth day: at the morning peak Asterisk's AMI took more
    than 10 s to answer a few wrap-up unpauses; the timer gave up (an
    exception in a task nobody awaited) and those seats stayed paused,
    taking no call, for the rest of the shift."""
    acd, _, _ = controller(wrapup=0.01)
    manager = BusyManager()
    acd.manager = manager
    await acd.on_event(member("QueueMemberAdded"))
    await acd.on_event(agent_event("AgentCalled"))
    await acd.on_event(agent_event("AgentConnect"))
    await acd.on_event(agent_event("AgentComplete"))
    assert acd.seat("1002").state == AgentState.wrapup
    acd._cancel_timer("1002")  # its timer never ran: what it runs is awaited here instead
    await acd._end_wrapup("1002", first_retry_s=0.01)
    unpauses = [a for a in manager.actions if a["Action"] == "QueuePause"
                and a.get("Paused") in (False, "false", "0")]  # fmt: skip
    assert len(unpauses) == 3  # two refused, the third taken
    assert sum("ending seat 1002's wrap-up failed" in r.getMessage() for r in caplog.records) == 2


async def test_a_seat_logged_out_during_a_call_is_out_and_its_end_pauses_nothing():
    acd, manager, _ = controller()
    await acd.on_event(member("QueueMemberAdded"))
    await acd.on_event(agent_event("AgentCalled"))
    await acd.on_event(agent_event("AgentConnect"))
    await acd.on_event(member("QueueMemberRemoved"))
    assert acd.seat("1002").state == AgentState.logged_out
    await acd.on_event(agent_event("AgentComplete"))  # raised: QueuePause of a non-member
    assert acd.seat("1002").state == AgentState.logged_out
    assert not [a for a in manager.actions if a["Action"] == "QueuePause"]


def test_the_shift_plan_covers_the_day_and_counts_open_seats(tmp_path):
    import datetime as dt

    from acd.runner import staffing
    from acd.settings import SHIFT_PLAN
    from acd.store import Seat
    from yht.shifts import ShiftPlan

    plan = ShiftPlan(SHIFT_PLAN)
    cst = dt.timezone(dt.timedelta(hours=8))
    assert plan.current(dt.datetime(2026, 11, 25, 9, 30, tzinfo=cst)).seats == 6
    assert plan.current(dt.datetime(2026, 11, 25, 23, 59, tzinfo=cst)).name == "前夜班"
    assert plan.current(dt.datetime(2026, 11, 26, 3, 0, tzinfo=cst)).seats == 2
    seats = [Seat("1", "ready"), Seat("2", "talking"), Seat("3", "paused"), Seat("4", "logged_out")]
    figure = staffing(plan, seats, dt.datetime(2026, 11, 25, 10, 0, tzinfo=cst))
    assert (figure.shift, figure.planned, figure.open) == ("早班", 6, 2)
    gap = tmp_path / "gap.yaml"
    gap.write_text("timezone: Asia/Shanghai\nshifts:\n"
                   "  - {name: a, start: '00:00', end: '08:00', seats: 1}\n"
                   "  - {name: b, start: '09:00', end: '24:00', seats: 1}\n")  # fmt: skip
    try:
        ShiftPlan(gap)
    except ValueError as error:
        assert "gaps" in str(error)
    else:
        raise AssertionError("a plan with a gap was accepted")
