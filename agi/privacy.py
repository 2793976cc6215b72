"""Citizens' numbers never reach a log in clear."""

import hashlib
import hmac


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
