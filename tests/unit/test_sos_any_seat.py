"""The SOS line rings every logged-in seat that is not on a call: a pause or
a wrap-up holds back ordinary calls only; a seat coming off a call is offered
a waiting SOS call at once (pure logic, recorded AMI events)."""

from __future__ import annotations

from acd.states import AgentState
from tests.unit.test_acd import controller

SEAT = "1001"
IFACE = f"PJSIP/agent{SEAT}"


def member(queue: str, **fields: str) -> dict:
    return {"Queue": queue, "Interface": IFACE, "MemberName": f"agent{SEAT}", **fields}


async def logged_in(acd) -> None:
    for queue in ("hotline", "sos"):
        await acd.on_event({"Event": "QueueMemberAdded", **member(queue)})


async def test_a_pause_holds_back_ordinary_calls_only():
    acd, manager, _ = controller()
    await logged_in(acd)
    await acd.pause(SEAT, "break")
    pauses = [a for a in manager.actions if a["Action"] == "QueuePause"]
    assert [(a["Queue"], a["Paused"]) for a in pauses] == [("hotline", "true")]


async def test_the_sos_queues_unpaused_member_does_not_end_a_break():
    acd, _, _ = controller()
    await logged_in(acd)
    await acd.on_event({"Event": "QueueMemberPause", **member("hotline", Paused="1",
                                                               PausedReason="break")})  # fmt: skip
    await acd.on_event({"Event": "QueueMemberPause", **member("sos", Paused="0")})
    await acd.on_event({"Event": "QueueMemberStatus", **member("sos", Status="1", Paused="0")})
    assert acd.seat(SEAT).state == AgentState.paused and acd.seat(SEAT).reason == "break"


async def test_a_seat_on_a_break_answers_an_sos_call_and_talks():
    acd, _, _ = controller()
    await logged_in(acd)
    await acd.on_event({"Event": "QueueMemberPause", **member("hotline", Paused="1",
                                                               PausedReason="break")})  # fmt: skip
    call = {"Queue": "sos", "Uniqueid": "1.1", "Channel": "PJSIP/citizen-1",
            "DestChannel": f"{IFACE}-2", "ChanVariable": ["YHT_CATEGORY=sos"]}  # fmt: skip
    await acd.on_event({"Event": "AgentCalled", **call, **member("sos")})
    assert acd.seat(SEAT).state == AgentState.paused  # ringing does not end the break
    await acd.on_event({"Event": "AgentConnect", **call, **member("sos"), "HoldTime": "1"})
    assert acd.seat(SEAT).state == AgentState.talking and acd.seat(SEAT).sos


async def test_a_seat_coming_off_a_call_is_offered_the_waiting_sos_call_at_once():
    acd, manager, _ = controller()
    await logged_in(acd)
    await acd.on_event({"Event": "QueueCallerJoin", "Queue": "sos", "Uniqueid": "9.9",
                        "Channel": "PJSIP/citizen-9"})  # fmt: skip
    await acd.on_event({"Event": "QueueMemberStatus", **member("sos", Status="2")})  # in use
    assert not [a for a in manager.actions if a["Action"] == "Redirect"]
    await acd.on_event({"Event": "QueueMemberStatus", **member("sos", Status="1")})  # free
    redirects = [a for a in manager.actions if a["Action"] == "Redirect"]
    assert [(a["Channel"], a["Context"], a["Exten"]) for a in redirects] == [
        ("PJSIP/citizen-9", "yht-sos-requeue", "s")
    ]
    # a seat that only stopped ringing (it declined) does not restart the ringing
    await acd.on_event({"Event": "QueueMemberStatus", **member("sos", Status="6")})
    await acd.on_event({"Event": "QueueMemberStatus", **member("sos", Status="1")})
    assert len([a for a in manager.actions if a["Action"] == "Redirect"]) == 1
    # nobody waiting any more: a freed seat moves nobody
    await acd.on_event({"Event": "QueueCallerLeave", "Queue": "sos", "Uniqueid": "9.9"})
    await acd.on_event({"Event": "QueueMemberStatus", **member("sos", Status="2")})
    await acd.on_event({"Event": "QueueMemberStatus", **member("sos", Status="1")})
    assert len([a for a in manager.actions if a["Action"] == "Redirect"]) == 1


async def test_after_a_resync_a_seat_paused_for_ordinary_calls_is_still_on_its_break():
    acd, manager, _ = controller()
    status = [
        {"Event": "QueueMember", **member("sos", Paused="0", Status="1")},
        {"Event": "QueueMember",
         **member("hotline", Paused="1", PausedReason="lunch", Status="1")},
    ]  # fmt: skip

    async def send_action(action, as_list=None):
        manager.actions.append(action)
        return status if action["Action"] == "QueueStatus" else {"Response": "Success"}

    manager.send_action = send_action  # type: ignore[method-assign]
    await acd.resync()
    assert acd.seat(SEAT).state == AgentState.paused and acd.seat(SEAT).reason == "lunch"
    assert sorted(acd.seat(SEAT).queues) == ["hotline", "sos"]


async def test_a_resync_takes_the_queue_figures_from_asterisk():
    """The 15-second figures on the seat map come from app_queue's own counts
    (QueueParams: servicelevel = 15), so a restarted ACD shows the same."""
    acd, manager, _ = controller()
    status = [{"Event": "QueueParams", "Queue": "hotline", "Completed": "10", "Abandoned": "2",
               "ServiceLevel": "15", "ServicelevelPerf": "80.0"}]  # fmt: skip

    async def send_action(action, as_list=None):
        return status if action["Action"] == "QueueStatus" else {"Response": "Success"}

    manager.send_action = send_action  # type: ignore[method-assign]
    await acd.resync()
    figures = acd.queues["hotline"]
    assert (figures.answered, figures.answered_in_target, figures.abandoned) == (10, 8, 2)
