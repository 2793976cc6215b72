from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from ticketing.auth.roles import Role
from ticketing.auth.service import Actor, Staff, audit, require
from ticketing.database import DbSession
from ticketing.errors import NotFound
from ticketing.kb import search
from ticketing.kb.models import Article
from ticketing.types import PathId

router = APIRouter(prefix="/kb", tags=["knowledge base 知识库"])
Editor = Annotated[Actor, require(Role.shift_lead, Role.admin)]


class ArticleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=50_000)
    subject_code: str | None = Field(default=None, max_length=32)


class ArticleOut(BaseModel):
    id: int
    title: str
    body: str
    subject_code: str | None
    updated_at: dt.datetime


def _out(article: Article) -> ArticleOut:
    return ArticleOut.model_validate(article, from_attributes=True)


@router.get("", response_model=list[ArticleOut])
def list_articles(
    db_session: DbSession,
    actor: Editor,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[ArticleOut]:
    """Every article, last edited first (the administrator's list)."""
    rows = db_session.scalars(select(Article).order_by(Article.updated_at.desc(), Article.id.desc())
                              .limit(limit).offset(offset))  # fmt: skip
    return [_out(a) for a in rows]


@router.get("/search", response_model=list[ArticleOut])
def search_articles(
    q: Annotated[str, Query(min_length=1, max_length=200)],
    db_session: DbSession,
    actor: Staff,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> list[ArticleOut]:
    """Articles matching the words of `q` (segmented by jieba), best matches first."""
    return [_out(a) for a in search.search(db_session, q, limit)]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ArticleOut)
def create_article(body: ArticleIn, db_session: DbSession, actor: Editor) -> ArticleOut:
    article = Article(**body.model_dump())
    db_session.add(article)
    db_session.flush()
    search.index(db_session, article)
    audit(db_session, actor, "create", f"kb:{article.id}")
    return _out(article)


@router.put("/{article_id}", response_model=ArticleOut)
def update_article(
    article_id: PathId, body: ArticleIn, db_session: DbSession, actor: Editor
) -> ArticleOut:
    article = db_session.get(Article, article_id)
    if article is None:
        raise NotFound(f"知识条目不存在: {article_id}")
    for key, value in body.model_dump().items():
        setattr(article, key, value)
    search.index(db_session, article)
    audit(db_session, actor, "update", f"kb:{article_id}")
    return _out(article)


@router.delete("/{article_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_article(article_id: PathId, db_session: DbSession, actor: Editor) -> None:
    if db_session.get(Article, article_id) is None:
        raise NotFound(f"知识条目不存在: {article_id}")
    search.unindex(db_session, article_id)
    audit(db_session, actor, "delete", f"kb:{article_id}")
