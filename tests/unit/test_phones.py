"""One canonical form for every phone number (yht/phones.py); the dialplan's
`yht-caller` follows the same cases (tests/integration/test_phones.py)."""

from __future__ import annotations

import pytest

from yht.phones import canonical

# raw caller id -> canonical; shared with the dialplan's integration test
CASES = {
    "+8613900000001": "13900000001",
    "8613900000001": "13900000001",
    "008613900000001": "13900000001",
    "013900000001": "13900000001",
    "13900000001": "13900000001",
    "+862388880001": "02388880001",
    "862388880001": "02388880001",
    "02388880001": "02388880001",
    "+441234567890": "+441234567890",
    "00441234567890": "+441234567890",
    "110": "110",
    "12345": "12345",
}


@pytest.mark.parametrize(("raw", "expected"), CASES.items())
def test_every_form_of_a_number_is_one_number(raw, expected):
    assert canonical(raw) == expected


@pytest.mark.parametrize("raw", ["139 0000 0001", "139-0000-0001", "(023) 8888-0001"])
def test_typed_separators_are_dropped(raw):
    assert canonical(raw) in ("13900000001", "02388880001")


@pytest.mark.parametrize("raw", ["", "abc", "+12", "1" * 25, "13900000001x"])
def test_what_is_no_number_is_refused(raw):
    assert canonical(raw) is None
