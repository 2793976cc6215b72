"""Every model, imported once so the metadata (and Alembic) sees all tables."""

from ticketing.auth.models import ApiToken, AuditEntry, User
from ticketing.callbacks.models import CallbackTask
from ticketing.database import Base
from ticketing.elders.models import Elder, ElderNumber, SosCall, SosEvent
from ticketing.kb.models import Article
from ticketing.missed.models import MissedCall
from ticketing.orders.models import (
    Attachment,
    DailyCounter,
    IntakeKey,
    OrderCall,
    OrderEvent,
    OrderLink,
    OrderUnit,
    ReassignRequest,
    WorkOrder,
)
from ticketing.orgs.models import Subject, Unit
from ticketing.recordings.models import Recording
from ticketing.reports.models import QueueCall, QueueLogCursor, QueueLogLine
from ticketing.supervision.models import Supervision

__all__ = [
    "ApiToken",
    "Article",
    "Attachment",
    "AuditEntry",
    "Base",
    "CallbackTask",
    "DailyCounter",
    "Elder",
    "ElderNumber",
    "IntakeKey",
    "MissedCall",
    "OrderCall",
    "OrderEvent",
    "OrderLink",
    "OrderUnit",
    "QueueCall",
    "QueueLogCursor",
    "QueueLogLine",
    "ReassignRequest",
    "Recording",
    "SosCall",
    "SosEvent",
    "Subject",
    "Supervision",
    "Unit",
    "User",
    "WorkOrder",
]
