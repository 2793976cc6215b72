"""The baseline of bench (p): a bare FastAPI + SQLAlchemy service that inserts
the same work-order row into the same PostgreSQL and answers it, nothing
else (no log-in, no event log, no audit, no related requests, no numbering
counter). `python -m bench.bare_orders PORT DATABASE_URL`."""

from __future__ import annotations

import sys
import uuid

import uvicorn
from fastapi import Depends, FastAPI
from pydantic import BaseModel
from sqlalchemy.orm import Session

import ticketing.models  # noqa: F401  (every table work_orders refers to)
from ticketing.database import make_engine, session_factory
from ticketing.orders.models import WorkOrder


class Caller(BaseModel):
    phone: str | None = None
    address: str | None = None


class OrderIn(BaseModel):
    channel: str
    type: str
    subject_code: str | None = None
    content: str
    caller: Caller = Caller()


def build(database_url: str) -> FastAPI:
    sessions = session_factory(make_engine(database_url))
    app = FastAPI()

    def db():
        with sessions.begin() as db_session:
            yield db_session

    @app.post("/orders", status_code=201)
    def create(body: OrderIn, db_session: Session = Depends(db)) -> dict:  # noqa: B008
        order = WorkOrder(number=uuid.uuid4().hex[:20], channel=body.channel, type=body.type,
                          subject_code=body.subject_code, urgency="normal", content=body.content,
                          caller_phone=body.caller.phone, address=body.caller.address,
                          state="intake")  # fmt: skip
        db_session.add(order)
        db_session.flush()
        return {"id": order.id, "number": order.number, "state": order.state}

    @app.get("/health")
    def health() -> dict:
        return {"ok": True}

    return app


if __name__ == "__main__":
    uvicorn.run(build(sys.argv[2]), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
