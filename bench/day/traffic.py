"""The day's callers, drawn before the day starts: when each calls (Poisson
arrivals within each hour of a citizen hotline's profile), which hotline,
which keys, how long they will wait, how long their matter takes, whether
they speak, and the SOS calls of registered and unknown one-key phones.

Times are simulated seconds from the day's start; the runner divides them
by the compression factor (a day of 86,400 s in 30 minutes at 48)."""

from __future__ import annotations

import random
from dataclasses import dataclass

# share of the day's calls per hour (a citizen hotline: quiet night, a
# morning peak, an early-afternoon peak; seed 005's Datong 12345 profile)
HOURLY = [
    0.6,
    0.4,
    0.3,
    0.3,
    0.3,
    0.6,
    1.5,
    3.8,
    7.2,
    8.6,
    8.2,
    7.0,
    5.0,
    5.6,
    7.4,
    7.6,
    6.8,
    5.6,
    4.2,
    3.6,
    3.0,
    2.4,
    1.8,
    1.2,
]
HOTLINES = [("12345", 0.7), ("96010", 0.1), ("89000", 0.1), ("61696156", 0.1)]
# keys pressed while queued: none, 1 (order progress, then nothing keyed),
# 2 (car moving), 9 (dialect), 7 (not offered: ignored)
KEYS = [(None, 0.70), ("1", 0.08), ("2", 0.10), ("9", 0.07), ("7", 0.05)]


@dataclass(frozen=True)
class Caller:
    at_s: float  # simulated seconds from the day's start
    number: str  # the caller's phone, unique in the day
    hotline: str
    key: str | None
    patience_s: float  # how long they stay on the line if nobody answers
    talk_s: float  # how long the agent needs once connected
    speaks: bool  # plays synthesised speech (the transcription pipeline runs)
    sos: bool = False
    registered: bool = False  # an SOS device known to the elder registry


def _pick(rng: random.Random, weighted: list) -> object:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


def day_plan(
    calls: int,
    seed: int = 12345,
    hours: float = 24.0,
    sos_calls: int = 4,
    talk_median_s: float = 180.0,
    patience_mean_s: float = 90.0,
    speaking_share: float = 0.2,
    start_hour: int = 0,
) -> list[Caller]:
    """`calls` ordinary callers over `hours` from `start_hour` (the profile's
    own weights for those hours, scaled so the calls asked for come; times
    count from the start),
    and `sos_calls` SOS calls at random moments, half from registered
    devices. Handle times are lognormal around `talk_median_s`; patience is
    exponential with `patience_mean_s`, at least 5 s."""
    rng = random.Random(seed)
    whole = int(hours)
    profile = [HOURLY[(start_hour + h) % 24] for h in range(whole + 1)]
    weights = profile[:whole] + ([profile[whole] * (hours - whole)] if hours % 1 else [])
    scale = calls / sum(weights)
    found: list[Caller] = []
    serial = 0
    for hour, weight in enumerate(weights):
        span = min(1.0, hours - hour) * 3600
        rate = weight * scale / span  # Poisson: exponential gaps within the hour
        t = hour * 3600 + rng.expovariate(rate) if rate > 0 else span
        while t < hour * 3600 + span:
            serial += 1
            found.append(
                Caller(
                    at_s=t,
                    number=f"139{serial:08d}",
                    hotline=str(_pick(rng, HOTLINES)),
                    key=_pick(rng, KEYS),  # type: ignore[arg-type]
                    patience_s=max(5.0, rng.expovariate(1 / patience_mean_s)),
                    talk_s=rng.lognormvariate(_ln(talk_median_s), 0.5),
                    speaks=rng.random() < speaking_share,
                )
            )
            t += rng.expovariate(rate)
    for n in range(sos_calls):
        serial += 1
        found.append(
            Caller(
                at_s=rng.uniform(0, hours * 3600),
                number=f"137{serial:08d}",
                hotline="12349",
                key=None,
                patience_s=60.0,
                talk_s=rng.lognormvariate(_ln(talk_median_s), 0.5),
                speaks=False,
                sos=True,
                registered=n % 2 == 0,
            )
        )
    return sorted(found, key=lambda c: c.at_s)


def _ln(value: float) -> float:
    import math

    return math.log(value)
