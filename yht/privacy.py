"""Citizens' numbers never reach a log in clear."""

import hashlib
import hmac
import logging
import re
import unicodedata


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


# Chinese numerals as people write a number out (幺 is the spoken 1)
_NUMERALS = dict(
    zip("〇零一二三四五六七八九幺壹贰叁肆伍陆柒捌玖", "001234567891123456789", strict=True)
)
# what people put between a number's digits: spaces of every width, dashes,
# dots, slashes, underscores, brackets, in their ASCII and full-width forms
_SEPARATORS = frozenset(
    " \t\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u200b\u202f\u205f\u3000-‐‑‒–—－.．·・/／_＿()（）[]【】"
)


def _normal_char(char: str) -> str:
    if char.isdecimal():  # ０-９ and every other script's decimal digits
        return str(unicodedata.decimal(char))
    if char in _NUMERALS:
        return _NUMERALS[char]
    return " " if char in _SEPARATORS else char


def normalise_digits(text: str) -> str:
    """The text with every way of writing a digit as an ASCII digit and every
    separator people put between digits as a space, one character for one
    (so a match in it is a span of the original)."""
    return "".join(map(_normal_char, text))


_S = " {1,3}"  # one separator or a few ("(138) 0013": ") " is two)
# mobiles (13800138000, 138 0013 8000, 138 00138000, 1 3 8 0 ... one by one)
# and landlines with an area code (023-8888 0001), with +86 / 0086 before
# them; a digit run that is part of a longer one (a call id, a timestamp) is
# left alone, and so is 1733580000.1 (ten digits and a sequence number)
_TEXT_NUMBER = re.compile(
    rf"(?<![0-9])(?:(?:\+|00)?86 {{0,3}})?"
    rf"(?:1[3-9][0-9](?:[0-9]{{8}}|{_S}[0-9]{{4}}(?:{_S})?[0-9]{{4}})"
    rf"|1{_S}[3-9](?:{_S}[0-9]){{9}}"
    rf"|0[1-9][0-9]{{1,2}}(?:{_S})?(?:[0-9]{{7,8}}|[0-9]{{3,4}}{_S}[0-9]{{4}}))(?![0-9])"
)
# a query string's values in a logged URL: ?q=138+0013+8005&limit=5
_QUERY_VALUES = re.compile(r"([?&][^=&\s\"'?#]{1,64}=)([^&\s\"'#]*)")
# what pydantic and FastAPI put of the input into an exception's text
_INPUT_REPR = re.compile(
    r"(input_value=|'input': |\binput=)(?:'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|[^,}\]\s]+)"
)


def mask_text_numbers(text: str) -> str:
    """Phone numbers typed into free text (an order's content, a note), in
    any of the ways people write them, as 138****8000, for the roles that
    see numbers masked."""
    normal = normalise_digits(text)
    parts, last = [], 0
    for match in _TEXT_NUMBER.finditer(normal):
        digits = "".join(c for c in match[0] if c.isdigit())
        if len(digits) > 11 and digits.lstrip("0").startswith("86"):
            digits = digits[-11:] if digits[-11] == "1" else digits.lstrip("0")[2:]
        parts += [text[last : match.start()], mask_number(digits)]
        last = match.end()
    return "".join(parts) + text[last:] if parts else text


def mask_query_values(text: str) -> str:
    """Every value of a query string in the text as …: a logged URL keeps its
    path and its parameters' names, never what was searched for (however it
    was encoded: +, %20, %31, dots)."""
    return _QUERY_VALUES.sub(lambda m: m[1] + ("…" if m[2] else ""), text)


def mask_for_logs(text: str) -> str:
    return mask_text_numbers(_INPUT_REPR.sub(r"\1<hidden>", mask_query_values(text)))


class MaskNumbers(logging.Filter):
    """Masks what a log line could carry of a citizen: the values of the
    query strings in the URLs it holds (httpx's request lines of a lookup by
    caller, uvicorn's access lines), any phone number written in its text
    however spelled, and the same in its traceback and stack (an exception's
    text may quote the input)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_for_logs(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_for_logs(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_for_logs(record.stack_info)
        return True


def mask_logs() -> None:
    """Put the mask on every handler of the root logger (records of child
    loggers pass through them; a filter on a logger would not see those)."""
    for handler in logging.getLogger().handlers:
        handler.addFilter(MaskNumbers())
