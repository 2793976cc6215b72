"""The work-order loop as one transition table.

受理 intake → 立案 case → 派遣 dispatch → 处置 processing → 反馈 feedback →
核实结案 close → 评价 evaluation (seed 002's seven steps). Consultations
answered on the spot close at intake (即时办结). Units never return a work
order (不得退单): they ask the center, and only the shift lead reassigns.
"""

from __future__ import annotations

from dataclasses import dataclass

from ticketing.auth.roles import Role
from ticketing.orders.enums import OrderType, State

S = State


@dataclass(frozen=True)
class Transition:
    sources: frozenset[State]
    target: State
    roles: frozenset[Role]
    # the acting unit handler must belong to the work order's main unit
    own_unit_only: bool = False


def _t(sources, target, roles, own_unit_only=False) -> Transition:
    return Transition(frozenset(sources), target, frozenset(roles), own_unit_only)


CENTER = (Role.agent, Role.shift_lead)
OPEN = (S.intake, S.case, S.dispatched, S.processing, S.feedback)

TRANSITIONS: dict[str, Transition] = {
    "register": _t([S.intake], S.case, CENTER),
    "answer_on_spot": _t([S.intake], S.closed, CENTER),
    "dispatch": _t([S.case], S.dispatched, CENTER),
    "accept": _t([S.dispatched], S.processing, [Role.unit_handler], own_unit_only=True),
    "feedback": _t([S.processing], S.feedback, [Role.unit_handler], own_unit_only=True),
    "return_for_rework": _t([S.feedback], S.processing, CENTER),
    "close": _t([S.feedback], S.closed, CENTER),
    "reassign": _t([S.dispatched, S.processing], S.dispatched, [Role.shift_lead]),
    "evaluate": _t([S.closed], S.evaluated, CENTER),
    "reopen": _t([S.closed], S.processing, CENTER),
    "merge": _t(OPEN, S.merged, [Role.shift_lead]),
}

# actions the generic transition endpoint accepts; the others have their own
# endpoints because they carry more than a note (callback verdict, merge target)
DIRECT_ACTIONS = frozenset(
    {
        "register",
        "answer_on_spot",
        "dispatch",
        "accept",
        "feedback",
        "return_for_rework",
        "close",
        "reassign",
    }
)


class TransitionRefused(Exception):
    """The action is not allowed now; `reason` says why (zh-CN for the desk)."""

    def __init__(self, reason: str, forbidden: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.forbidden = forbidden


def check(
    action: str,
    *,
    state: State,
    role: Role,
    order_type: OrderType,
    actor_unit: int | None,
    main_unit: int | None,
) -> State:
    """The target state of `action`, or TransitionRefused with the reason."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise TransitionRefused(f"未知操作: {action}")
    if role not in transition.roles:
        raise TransitionRefused(f"角色 {role} 不能执行 {action}", forbidden=True)
    if transition.own_unit_only and (actor_unit is None or actor_unit != main_unit):
        raise TransitionRefused("只有主办单位可以办理此工单", forbidden=True)
    if state not in transition.sources:
        raise TransitionRefused(f"工单处于 {state} 状态, 不能执行 {action}")
    if action == "answer_on_spot" and order_type != OrderType.consultation:
        raise TransitionRefused("只有咨询类工单可以即时办结")
    return transition.target


def allowed(
    *,
    state: State,
    role: Role,
    order_type: OrderType,
    actor_unit: int | None,
    main_unit: int | None,
) -> list[str]:
    """The actions this user may take on this order now, by this table: the
    pages show these buttons and no others. `request_reassign` (the owning
    unit asks the center, 不得退单) and the shift lead's `merge` go with them."""
    found = []
    for action in TRANSITIONS:
        try:
            check(action, state=state, role=role, order_type=order_type,
                  actor_unit=actor_unit, main_unit=main_unit)  # fmt: skip
        except TransitionRefused:
            continue
        found.append(action)
    unit_side = role == Role.unit_handler and actor_unit is not None and actor_unit == main_unit
    if unit_side and state in (S.dispatched, S.processing):
        found.append("request_reassign")
    return found
