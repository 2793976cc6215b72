"""Phone numbers, one canonical form everywhere.

A carrier may send the same caller as +8613900000001, 8613900000001,
013900000001 or 13900000001. Every edge (the dialplan's caller id, the work
order API's input, the caller hash, the elder registry, AstDB) turns a number
into one form before it is compared, stored or hashed:

- Chinese numbers: the national dialling digits (`13900000001`,
  `02388880001`), as phonenumbers formats them for region CN;
- short codes (110, 12345, 96010): their digits;
- other countries: E.164 (`+441234567890`).

The dialplan does the same with string functions (`yht-caller` in
20-hotline.conf); `tests/unit/test_phones.py` holds the cases both agree on.
"""

from __future__ import annotations

import re
from typing import Annotated

import phonenumbers
from pydantic import AfterValidator, StringConstraints

# what a phone field accepts before normalisation: digits, an optional +,
# and the separators people type
PHONE_PATTERN = r"^\+?[0-9][0-9 ()-]{1,28}[0-9]$"
_SEPARATORS = re.compile(r"[ ()-]")
SHORT_CODE_MAX = 6


def canonical(raw: str) -> str | None:
    """The canonical form of `raw`, or None when it is no phone number."""
    digits = _SEPARATORS.sub("", raw.strip())
    if not re.fullmatch(r"\+?[0-9]{3,20}", digits):
        return None
    if not digits.startswith("+") and len(digits) <= SHORT_CODE_MAX:
        return digits
    try:
        number = phonenumbers.parse(digits, "CN")
    except phonenumbers.NumberParseException:
        return None
    if number.country_code == 86:
        national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        return "".join(c for c in national if c.isdigit())
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _canonical_or_refuse(raw: str) -> str:
    found = canonical(raw)
    if found is None:
        raise ValueError("不是有效的电话号码")
    return found


# a phone field of an API: validated and stored in canonical form
Phone = Annotated[
    str, StringConstraints(pattern=PHONE_PATTERN), AfterValidator(_canonical_or_refuse)
]
