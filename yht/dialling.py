"""What the center may dial out to: one rule for the dialplan and the ACD.

Outbound calls are explicit and national: the emergency and traffic numbers,
Chinese mobiles, landlines with their area code, and the partner numbers the
deployment lists (a department's hotline, say). Never 00 (international),
never a short service or premium number, never a local number that starts
with 1 (the 1xx service range, e.g. 168 information lines). The patterns
below are Asterisk's; the ACD checks a number against the same patterns
translated to a regular expression, so the two cannot drift apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

EMERGENCY = ("110", "119", "120", "122")
# Asterisk extension patterns (X any digit, [a-b] a range), with why
NATIONAL_PATTERNS = (
    ("_11[09]", "110 police, 119 fire"),
    ("_12[02]", "120 ambulance, 122 traffic police"),
    ("_1[3-9]XXXXXXXXX", "mobiles: 11 digits"),
    ("_010[2-9]XXXXXXX", "Beijing: 010 + 8 digits"),
    ("_02X[2-9]XXXXXXX", "two-digit area codes 020-029 + 8 digits"),
    ("_0[3-9]XX[2-9]XXXXXX", "three-digit area codes + 7 digits"),
    ("_0[3-9]XX[2-9]XXXXXXX", "three-digit area codes + 8 digits"),
)


def _regex(pattern: str) -> str:
    """An Asterisk extension pattern as a regular expression (no '.' or '!')."""
    out, body, i = [], pattern.removeprefix("_"), 0
    while i < len(body):
        char = body[i]
        if char == "[":
            end = body.index("]", i)
            out.append(body[i : end + 1])
            i = end + 1
            continue
        out.append({"X": "[0-9]", "Z": "[1-9]", "N": "[2-9]"}.get(char, re.escape(char)))
        i += 1
    return "".join(out)


@dataclass(frozen=True)
class OutboundRule:
    """The national patterns plus the deployment's partner numbers (exact)."""

    partner_numbers: tuple[str, ...] = field(default=())

    @classmethod
    def from_setting(cls, partners: str) -> OutboundRule:
        numbers = tuple(p.strip() for p in partners.split(",") if p.strip())
        bad = [n for n in numbers if not re.fullmatch(r"[0-9]{3,16}", n) or n.startswith("00")]
        if bad:
            raise ValueError(f"partner numbers must be 3-16 digits, not international: {bad}")
        return cls(numbers)

    @property
    def patterns(self) -> list[str]:
        return [p for p, _ in NATIONAL_PATTERNS] + list(self.partner_numbers)

    def allows(self, number: str) -> bool:
        return bool(self._compiled.fullmatch(number))

    @cached_property
    def _compiled(self) -> re.Pattern[str]:
        alternatives = [_regex(p) for p, _ in NATIONAL_PATTERNS]
        alternatives += [re.escape(n) for n in self.partner_numbers]
        return re.compile("|".join(f"(?:{a})" for a in alternatives))

    def dialplan(self, context_line: str) -> str:
        """One `exten => PATTERN,1,...` line per allowed pattern."""
        return "\n".join(f"exten => {p},1,{context_line}" for p in self.patterns)


def is_emergency(number: str) -> bool:
    return number in EMERGENCY
