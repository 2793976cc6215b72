"""An agent's states, as one transition table driven by what Asterisk reports.

The controller never assumes a state: it asks Asterisk (QueueAdd, QueuePause)
and moves only when the matching AMI event arrives.
"""

from __future__ import annotations

from enum import StrEnum


class AgentState(StrEnum):
    logged_out = "logged_out"  # 未登录
    ready = "ready"  # 空闲
    ringing = "ringing"  # 振铃
    talking = "talking"  # 通话
    wrapup = "wrapup"  # 话后处理
    paused = "paused"  # 小休 (with a reason)
    unreachable = "unreachable"  # 话机离线: logged in, phone gone (unregistered, qualify)


class Signal(StrEnum):
    """What moves an agent, named after the AMI event behind it."""

    member_added = "member_added"  # QueueMemberAdded
    member_removed = "member_removed"  # QueueMemberRemoved
    paused = "paused"  # QueueMemberPause Paused: 1
    wrapup_paused = "wrapup_paused"  # QueueMemberPause Paused: 1, PausedReason: wrapup
    unpaused = "unpaused"  # QueueMemberPause Paused: 0
    called = "called"  # AgentCalled
    missed = "missed"  # AgentRingNoAnswer
    connected = "connected"  # AgentConnect
    completed = "completed"  # AgentComplete
    unreachable = "unreachable"  # QueueMemberStatus Status: 4 invalid / 5 unavailable
    reachable = "reachable"  # QueueMemberStatus any other status, after unreachable
    conference_joined = "conference_joined"  # ConfbridgeJoin of the seat's channel
    conference_left = "conference_left"  # ConfbridgeLeave of the seat's channel


S, G = AgentState, Signal
ANY_LOGGED_IN = (S.ready, S.ringing, S.talking, S.wrapup, S.paused, S.unreachable)

# (signal, from) -> to. Signals not listed for a state leave it unchanged.
TRANSITIONS: dict[tuple[Signal, AgentState], AgentState] = {
    (G.member_added, S.logged_out): S.ready,
    **{(G.member_removed, s): S.logged_out for s in ANY_LOGGED_IN},
    # a seat logged out while it rang (app_queue goes on ringing a removed
    # member) that answers is talking: what Asterisk reports decides. (A
    # seat logged out during a call is logged out at once: its desk has the
    # call already, and a seat may stay in an SOS conference with 120 long
    # after it left the queues.)
    (G.connected, S.logged_out): S.talking,
    (G.paused, S.ready): S.paused,
    (G.paused, S.wrapup): S.paused,
    (G.paused, S.paused): S.paused,  # a new reason
    (G.unpaused, S.paused): S.ready,
    (G.unpaused, S.wrapup): S.ready,
    (G.called, S.ready): S.ringing,
    (G.missed, S.ringing): S.ready,
    (G.connected, S.ringing): S.talking,
    (G.connected, S.ready): S.talking,  # AgentCalled lost in a reconnect
    # the SOS line rings paused and wrap-up seats too (never paused in "sos");
    # ringing leaves them paused for ordinary calls until they answer
    (G.connected, S.paused): S.talking,
    (G.connected, S.wrapup): S.talking,
    (G.conference_joined, S.paused): S.talking,
    # after a call the controller pauses the seat with reason "wrapup" and
    # unpauses it when the wrap-up time is over: Asterisk rings nobody in wrap-up
    (G.completed, S.talking): S.wrapup,
    (G.wrapup_paused, S.talking): S.wrapup,
    (G.wrapup_paused, S.wrapup): S.wrapup,
    (G.wrapup_paused, S.ready): S.wrapup,
    # a phone that drops off (unregistered, qualify fails) cannot take calls;
    # Asterisk stops offering them, and the seat map shows it
    **{(G.unreachable, s): S.unreachable for s in (S.ready, S.ringing, S.wrapup, S.paused)},
    (G.reachable, S.unreachable): S.ready,
    # a call moved into a three-way conference: the seat is still on the call
    (G.conference_joined, S.wrapup): S.talking,
    (G.conference_joined, S.ready): S.talking,
    (G.conference_joined, S.ringing): S.talking,
    (G.conference_left, S.talking): S.wrapup,
}


def next_state(state: AgentState, signal: Signal) -> AgentState:
    return TRANSITIONS.get((signal, state), state)
