"""Numbers are masked however people spell them: the mask works on the
text after normalising (full-width digits, Chinese numerals, every kind of
space, dots, slashes, underscores, brackets, digits one by one)."""

from __future__ import annotations

import logging

from hypothesis import given
from hypothesis import strategies as st

from yht.privacy import MaskNumbers, mask_text_numbers, normalise_digits

FULL_WIDTH = {str(d): chr(0xFF10 + d) for d in range(10)}
CHINESE = dict(zip("0123456789", "零一二三四五六七八九", strict=True))
SPOKEN = dict(zip("0123456789", "洞幺二三四五六七八九", strict=True)) | {"0": "零"}
SEPARATORS = [" ", "\u00a0", "\u3000", "-", ".", "/", "_", "·", "－", "．"]
WORDS = st.text(alphabet="请回电话我的号码是住幸福路号楼谢谢，。：", max_size=8)


@st.composite
def spelt_numbers(draw) -> tuple[str, str]:
    number = (
        "1" + draw(st.sampled_from("3456789")) + draw(st.text("0123456789", min_size=9, max_size=9))
    )
    forms = draw(st.sampled_from([{}, FULL_WIDTH, CHINESE, SPOKEN]))
    digits = [forms.get(d, d) for d in number]
    sep = draw(st.sampled_from(SEPARATORS))
    layout = draw(st.sampled_from(["plain", "3-4-4", "3-8", "bracketed", "one-by-one"]))
    if layout == "3-4-4":
        spelt = sep.join(["".join(digits[:3]), "".join(digits[3:7]), "".join(digits[7:])])
    elif layout == "3-8":
        spelt = "".join(digits[:3]) + sep + "".join(digits[3:])
    elif layout == "bracketed":
        spelt = "(" + "".join(digits[:3]) + ")" + "".join(digits[3:7]) + sep + "".join(digits[7:])
    elif layout == "one-by-one":
        spelt = sep.join(digits)
    else:
        spelt = "".join(digits)
    return number, draw(WORDS) + spelt + draw(WORDS)


@given(spelt_numbers())
def test_a_number_is_masked_however_it_is_spelt(case):
    number, text = case
    masked = mask_text_numbers(text)
    left = "".join(c for c in normalise_digits(masked) if c.isdigit())
    assert left == number[:3] + number[-4:], (text, masked)


def test_normalising_keeps_one_character_for_one():
    text = "电话（１３８）零零幺三·8005"
    assert len(normalise_digits(text)) == len(text)
    assert normalise_digits(text) == "电话 138 0013 8005"


def test_ids_and_dates_are_not_taken_for_numbers():
    for text in (
        "通话 1733580000.1",
        "通话 1733580000.123",
        "2026-12-07 13:18:02",
        "工单 20261125-000123",
        "三号楼一单元",
    ):
        assert mask_text_numbers(text) == text


def test_a_traceback_in_a_log_line_carries_no_number_and_no_input():
    try:
        raise ValueError(
            "1 validation error input_value='请回电138 0013 8005 张三', input_type=str"
        )
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, "", 0, "failed", None, sys.exc_info())
    MaskNumbers().filter(record)
    formatted = logging.Formatter().format(record)
    assert "Traceback" in formatted
    assert "0013" not in formatted and "张三" not in formatted


def test_a_searched_number_never_reaches_the_access_log_however_encoded():
    mask = MaskNumbers()
    for query in (
        "q=138+0013+8005",
        "q=138%200013%208005",
        "q=138.0013.8005",
        "q=%31%33%38%30%30%31%33%38%30%30%35",
        "%6Eumber=%31%33%38%30%30%31%33%38%30%30%35",
        "caller_phone=13800138005&limit=5",
    ):
        record = logging.LogRecord(
            "uvicorn.access",
            logging.INFO,
            "",
            0,
            '%s - "%s %s HTTP/%s" %d',
            ("127.0.0.1:5", "GET", f"/orders?{query}", "1.1", 200),
            None,
        )
        mask.filter(record)
        line = record.getMessage()
        assert "/orders?" in line and "0013" not in line and "%30" not in line, line
