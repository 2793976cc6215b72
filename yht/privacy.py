"""Citizens' numbers never reach a log in clear."""

import hashlib
import hmac
import logging
import re
import urllib.parse


def mask_number(number: str) -> str:
    """13800138000 -> 138****8000; short numbers keep only their last two digits."""
    if len(number) >= 7:
        return f"{number[:3]}****{number[-4:]}"
    if len(number) > 2:
        return "*" * (len(number) - 2) + number[-2:]
    return "*" * len(number)


def number_key(number: str, secret: str) -> str:
    """A stable pseudonym for a number, used as a storage key instead of it."""
    return hmac.new(secret.encode(), number.encode(), hashlib.sha256).hexdigest()[:32]


# a number in a URL's query string (caller_phone=..., number=..., phone=...),
# percent-encoded or not
_QUERY_NUMBER = re.compile(r"((?:caller_phone|number|phone)=)([^&\s\"']+)")
# a phone number written in free text: mobiles (138 0013 8000, +86-138...) and
# landlines with area code (023-8888 0001); digit runs that are part of a
# longer number (a call id, a timestamp) are left alone
_TEXT_NUMBER = re.compile(
    r"(?<![0-9])(?:(?:\+|00)?86[ -]?)?(?:1[3-9][0-9](?:[ -]?[0-9]){8}"
    r"|0[1-9][0-9]{1,2}[ -]?[0-9]{3,4}[ -]?[0-9]{4})(?![0-9])"
)


def _mask_query_value(match: re.Match[str]) -> str:
    value = urllib.parse.unquote(match[2])
    digits = "".join(c for c in value if c.isdigit())
    if len(digits) < 3:
        return match[0]
    return match[1] + ("+" if value.startswith("+") else "") + mask_number(digits)


def mask_query_numbers(text: str) -> str:
    return _QUERY_NUMBER.sub(_mask_query_value, text)


def mask_text_numbers(text: str) -> str:
    """Phone numbers typed into free text (an order's content, a note) as
    138****8000, for the roles that see numbers masked."""

    def masked(match: re.Match[str]) -> str:
        digits = "".join(c for c in match[0] if c.isdigit())
        return mask_number(digits)

    return _TEXT_NUMBER.sub(masked, text)


class MaskNumbers(logging.Filter):
    """Masks phone numbers in the URLs a log line carries (httpx's request
    lines of a lookup by caller, uvicorn's access lines), percent-encoded or
    not, and any phone number written in the line's text."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_text_numbers(mask_query_numbers(message))
        if masked != message:
            record.msg, record.args = masked, None
        return True


def mask_logs() -> None:
    """Put the mask on every handler of the root logger (records of child
    loggers pass through them; a filter on a logger would not see those)."""
    for handler in logging.getLogger().handlers:
        handler.addFilter(MaskNumbers())
