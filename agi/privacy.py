"""Citizens' numbers never reach a log in clear."""

import hashlib
import hmac
import logging
import re


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


# a number in a URL's query string (caller_phone=..., number=..., phone=...)
_QUERY_NUMBER = re.compile(r"((?:caller_phone|number|phone)=)(%2B|\+)?([0-9]{3,20})")


def mask_query_numbers(text: str) -> str:
    return _QUERY_NUMBER.sub(lambda m: m[1] + (m[2] or "") + mask_number(m[3]), text)


class MaskNumbers(logging.Filter):
    """Masks phone numbers in the URLs a log line carries: httpx's request
    lines (a lookup by caller) and uvicorn's access lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_query_numbers(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def mask_logs() -> None:
    """Put the mask on every handler of the root logger (records of child
    loggers pass through them; a filter on a logger would not see those)."""
    for handler in logging.getLogger().handlers:
        handler.addFilter(MaskNumbers())
