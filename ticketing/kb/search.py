"""Chinese full text: jieba segments, the database indexes the words.

Both title and body are segmented with jieba's search mode and stored as a
space-separated token string. PostgreSQL indexes it with the 'simple' text
search configuration (a GIN index on to_tsvector); SQLite with an FTS5 table.
A query is segmented the same way; an article matching any of its words is
found, ranked by how well it matches (ts_rank / FTS5 bm25). Single-character
words (找, 谁, 的) are dropped from a query that has longer ones.
"""

from __future__ import annotations

import logging
import re
from functools import cache

import jieba
from sqlalchemy import bindparam, delete, func, select, text
from sqlalchemy.orm import Session

from ticketing.kb.models import Article
from ticketing.settings import DATA_DIR

jieba.setLogLevel(logging.WARNING)
_WORD = re.compile(r"\w", re.UNICODE)
# jieba cuts scripts it has no dictionary for into single letters; a Hangul
# word (the test speech's language) is kept whole instead
_HANGUL = re.compile(r"[\uac00-\ud7a3]+")
MAX_TERMS = 16


@cache
def _tokenizer() -> jieba.Tokenizer:
    tokenizer = jieba.Tokenizer()
    tokenizer.load_userdict(str(DATA_DIR / "kb_words.txt"))
    return tokenizer


def tokens(text_: str) -> list[str]:
    whole = _HANGUL.findall(text_)
    words = (w.strip().lower() for w in _tokenizer().cut_for_search(_HANGUL.sub(" ", text_)))
    return list(dict.fromkeys([*whole, *(w for w in words if w and _WORD.search(w))]))


def index(db_session: Session, article: Article) -> None:
    article.tokens = " ".join(tokens(f"{article.title} {article.body}"))
    db_session.flush()
    if db_session.get_bind().dialect.name == "sqlite":
        db_session.execute(text("DELETE FROM kb_fts WHERE rowid = :id"), {"id": article.id})
        db_session.execute(
            text("INSERT INTO kb_fts(rowid, tokens) VALUES (:id, :t)"),
            {"id": article.id, "t": article.tokens},
        )


def unindex(db_session: Session, article_id: int) -> None:
    if db_session.get_bind().dialect.name == "sqlite":
        db_session.execute(text("DELETE FROM kb_fts WHERE rowid = :id"), {"id": article_id})
    db_session.execute(delete(Article).where(Article.id == article_id))


def search(db_session: Session, query: str, limit: int) -> list[Article]:
    terms = tokens(query)
    if any(len(t) > 1 for t in terms):
        terms = [t for t in terms if len(t) > 1]
    terms = terms[:MAX_TERMS]
    if not terms:
        return []
    if db_session.get_bind().dialect.name == "postgresql":
        vector = func.to_tsvector(text("'simple'"), Article.tokens)
        wanted = func.to_tsquery(text("'simple'"), bindparam("q"))
        stmt = (
            select(Article)
            .where(vector.op("@@")(wanted))
            .order_by(func.ts_rank(vector, wanted).desc(), Article.id)
            .limit(limit)
        )
        # each term quoted as a phrase: no tsquery operators from the caller
        quoted = " | ".join("'" + t.replace("'", "''").replace("\\", "") + "'" for t in terms)
        return list(db_session.scalars(stmt, {"q": quoted}))
    match = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
    ids = db_session.scalars(
        text("SELECT rowid FROM kb_fts WHERE kb_fts MATCH :m ORDER BY rank LIMIT :n"),
        {"m": match, "n": limit},
    ).all()
    found = {a.id: a for a in db_session.scalars(select(Article).where(Article.id.in_(ids)))}
    return [found[i] for i in ids if i in found]
