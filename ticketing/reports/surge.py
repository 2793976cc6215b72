"""Hot topics: a surge of one subject (or area) caught the day it starts.

For each subject and day, the baseline is the mean count on the same weekday
of the four weeks before (calls follow the week: Mondays are busier); the
day is a surge when its count is improbably high for a Poisson count with
that mean: P(X ≥ count | λ = max(baseline, FLOOR)) < ALPHA, with at least
MIN_COUNT requests (a few calls on a quiet subject are not a surge). A surge
is reported with the words that stand out in the requests behind it (jieba
TF-IDF, the hotline's own dictionary)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

ALPHA = 0.001
MIN_COUNT = 10
FLOOR = 1.0  # a subject never seen is not a baseline of zero
WEEKS = 4


@dataclass(frozen=True)
class Surge:
    key: str  # the subject (or area)
    day: dt.date
    count: int
    baseline: float
    p_value: float
    keywords: tuple[str, ...] = ()


def poisson_tail(count: int, mean: float) -> float:
    """P(X ≥ count) for X ~ Poisson(mean), summed in log space (stable for
    large counts)."""
    if count <= 0:
        return 1.0
    log_term = -mean  # log P(X = 0)
    below = 0.0
    for k in range(count):
        below += math.exp(log_term)
        log_term += math.log(mean) - math.log(k + 1)
    return max(0.0, 1.0 - below)


def baseline(counts: Mapping[dt.date, int], day: dt.date) -> float:
    return sum(counts.get(day - dt.timedelta(weeks=w), 0) for w in range(1, WEEKS + 1)) / WEEKS


def surges_on(day: dt.date, counts: Mapping[str, Mapping[dt.date, int]]) -> list[Surge]:
    """The subjects that surge on `day`, most improbable first."""
    found = []
    for key, per_day in counts.items():
        count = per_day.get(day, 0)
        if count < MIN_COUNT:
            continue
        mean = baseline(per_day, day)
        p_value = poisson_tail(count, max(mean, FLOOR))
        if p_value < ALPHA:
            found.append(Surge(key, day, count, round(mean, 2), p_value))
    return sorted(found, key=lambda s: s.p_value)


def keywords(texts: Iterable[str], top: int = 5) -> tuple[str, ...]:
    """The words that stand out in these requests (jieba TF-IDF)."""
    import jieba.analyse

    from recordings.extract import _subject_words

    _subject_words()  # the hotline's words join jieba's dictionary
    return tuple(jieba.analyse.extract_tags("\n".join(texts)[:200_000], topK=top))
