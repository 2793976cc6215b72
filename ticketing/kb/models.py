from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ticketing.database import Base, utcnow


class Article(Base):
    __tablename__ = "kb_articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    subject_code: Mapped[str | None] = mapped_column(String(32))
    # jieba word segmentation of title and body, space separated: what the
    # full-text index (PostgreSQL tsvector 'simple' / SQLite FTS5) is built on
    tokens: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
