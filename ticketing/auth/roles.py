"""Roles and what each may see. Permissions of the work-order loop itself
live in ticketing/orders/workflow.py, next to the transitions."""

from enum import StrEnum

from yht.privacy import mask_number, mask_text_numbers


class Role(StrEnum):
    agent = "agent"  # 话务员: takes calls, opens and dispatches work orders, calls back
    shift_lead = "shift_lead"  # 值班长: supervises, verifies and closes, decides reassignment
    unit_handler = "unit_handler"  # 承办人: works the orders of one unit
    admin = "admin"  # 管理员: users and reference data
    leader = "leader"  # 领导: reads the center's reports
    gateway = "gateway"  # SMS / web / WeChat intake integrations
    ivr = "ivr"  # the voice front end: work-order progress by number, nothing else
    acd = "acd"  # the queue controller: reports missed calls, nothing else
    asr = "asr"  # the transcription workers: a recording's transcript, nothing else


# the services, each authenticated by its own token from the settings
SERVICE_ROLES = frozenset({Role.ivr, Role.acd, Role.asr})
CENTER = frozenset({Role.agent, Role.shift_lead})
# people; the service identities (gateway, ivr) reach only their own endpoints
STAFF = frozenset({Role.agent, Role.shift_lead, Role.unit_handler, Role.admin, Role.leader})
# who reads the center's reports
READERS = frozenset({Role.leader, Role.shift_lead, Role.admin})
# who sees a citizen's phone number in clear: the people who call citizens
PHONE_VISIBLE = frozenset({Role.agent, Role.shift_lead})
# who sees a citizen's name and address: the people who call them and the
# units that go to them; not leaders (reports) nor administrators (users)
PERSONAL_VISIBLE = frozenset({Role.agent, Role.shift_lead, Role.unit_handler})


def phone_for(role: Role, phone: str | None) -> str | None:
    """A citizen's number as this role may see it: in clear or 138****8000."""
    if phone and role not in PHONE_VISIBLE:
        return mask_number(phone)
    return phone


def text_for(role: Role, text: str) -> str:
    """Free text (an order's content, a note, a transcript) as this role may
    see it: phone numbers typed into it are masked like the phone field."""
    if text and role not in PHONE_VISIBLE:
        return mask_text_numbers(text)
    return text
