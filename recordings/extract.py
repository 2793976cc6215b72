"""The draft fills itself (智能填单): from what the citizen said, the
subject, the address, phone numbers and dates mentioned, urgency, and a
short extractive summary. Each field carries the words it came from, so the
agent sees why and confirms or corrects. Pure functions on text (jieba for
words, the center's gazetteer shipped as data); bounded work on any input."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import jieba
import yaml

from yht.phones import canonical

jieba.setLogLevel(logging.WARNING)
DATA = Path(__file__).with_name("data")
MAX_CHARS = 20_000  # longer transcripts are read up to here
URGENT = ("紧急", "马上", "赶紧", "危险", "着火", "起火", "漏气", "救命", "受伤", "摔倒", "晕倒",
          "被困", "塌了")  # fmt: skip
CN_DIGITS = str.maketrans("零〇一幺二两三四五六七八九", "0011223456789")
PHONE = re.compile(r"[0-9零〇一幺二两三四五六七八九\s-]{7,20}")
NUM = "0-9一二三四五六七八九十百"
HOUSE = re.compile(rf"[{NUM}]+号(?:楼|院)?(?:[{NUM}]+(?:栋|幢|单元|层|室|号楼))*")
DATE = re.compile(r"(今天|明天|昨天|前天|今晚|昨晚|上周[一二三四五六日天]?|这周[一二三四五六日天]?|"
                  rf"[{NUM}]{{1,3}}月[{NUM}]{{1,3}}[日号])")  # fmt: skip


@dataclass
class Filled:
    value: str
    source: list[str] = field(default_factory=list)  # the words it came from


@dataclass
class Draft:
    subject: Filled | None = None
    address: Filled | None = None
    phones: list[Filled] = field(default_factory=list)
    dates: list[Filled] = field(default_factory=list)
    urgent: Filled | None = None
    summary: Filled | None = None


@lru_cache(maxsize=1)
def _subject_words() -> dict[str, list[str]]:
    words = yaml.safe_load((DATA / "subject_words.yaml").read_text(encoding="utf-8"))
    for ws in words.values():
        for w in ws:
            jieba.add_word(w)
    return words


@lru_cache(maxsize=1)
def _gazetteer() -> dict[str, list[str]]:
    return yaml.safe_load((DATA / "gazetteer.yaml").read_text(encoding="utf-8"))


def fill(text: str) -> Draft:
    """The draft's fields from what the citizen said (their utterances)."""
    text = text[:MAX_CHARS]
    return Draft(subject=_subject(text), address=_address(text), phones=_phones(text),
                 dates=[Filled(d, [d]) for d in dict.fromkeys(DATE.findall(text))][:5],
                 urgent=_urgent(text), summary=_summary(text))  # fmt: skip


def _subject(text: str) -> Filled | None:
    said = set(jieba.lcut(text))
    best: tuple[int, int, str, list[str]] | None = None
    for code, words in _subject_words().items():
        found = [w for w in words if w in said or (len(w) > 1 and w in text)]
        if found:
            rank = (len(found), code.count("."), code, found)
            best = max(best, rank) if best else rank
    return Filled(best[2], best[3]) if best else None


def _address(text: str) -> Filled | None:
    places = _gazetteer()
    parts = sorted((name for kind in ("streets", "communities", "grids") for name in places[kind]
                    if name in text), key=text.find)  # fmt: skip
    if not parts:
        return None
    street_end = max(text.find(p) + len(p) for p in parts)
    house = HOUSE.search(text, max(0, street_end - 1), min(len(text), street_end + 30))
    source = [*parts, *([house.group(0)] if house else [])]
    return Filled("".join(source), source)


def _phones(text: str) -> list[Filled]:
    found: dict[str, str] = {}
    for match in PHONE.finditer(text):
        raw = match.group(0).strip()
        digits = re.sub(r"\D", "", raw.translate(CN_DIGITS))
        number = canonical(digits) if 7 <= len(digits) <= 13 else None
        if number and number not in found:
            found[number] = raw
    return [Filled(n, [raw]) for n, raw in list(found.items())[:3]]


def _urgent(text: str) -> Filled | None:
    words = [w for w in URGENT if w in text]
    return Filled("urgent", words) if words else None


def _summary(text: str) -> Filled | None:
    """The first sentence that says what the matter is (or the first one)."""
    sentences = [s.strip() for s in re.split(r"[。！？!?\n]", text) if s.strip()]
    if not sentences:
        return None
    words = [w for ws in _subject_words().values() for w in ws]
    chosen = next((s for s in sentences if any(w in s for w in words)), sentences[0])
    return Filled(chosen[:60], [chosen[:60]])
