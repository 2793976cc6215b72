"""The draft filled from what the citizen said (Chinese text directly): each
field with the words it came from; any input, however odd or long, gives a
draft (possibly empty) and never an error."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from recordings.extract import MAX_CHARS, fill

SAID = ("你好，我住在幸福社区，幸福路8号3单元楼下的路灯坏了好几天了，晚上很危险。"
        "我的电话是一三八零零一三八零零零，明天上午能来修吗？")  # fmt: skip


def test_a_report_fills_subject_address_phone_date_urgency_and_summary():
    draft = fill(SAID)
    assert draft.subject is not None and draft.subject.value == "municipal.road"
    assert draft.subject.source == ["路灯"]
    assert draft.address is not None and draft.address.value == "幸福社区幸福路8号3单元"
    assert draft.address.source == ["幸福社区", "幸福路", "8号3单元"]
    assert [p.value for p in draft.phones] == ["13800138000"]
    assert draft.phones[0].source == ["一三八零零一三八零零零"]  # said in words, as people do
    assert [d.value for d in draft.dates] == ["明天"]
    assert draft.urgent is not None and draft.urgent.source == ["危险"]
    assert draft.summary is not None and "路灯坏了" in draft.summary.value


def test_the_more_specific_subject_wins_and_numbers_are_canonical():
    draft = fill("楼下有辆车堵住了我家车库，请联系车主挪车，车牌不清楚。电话 +86 139 0000 0001")
    assert draft.subject is not None and draft.subject.value == "traffic.carmove"
    assert [p.value for p in draft.phones] == ["13900000001"]
    assert draft.address is None and draft.urgent is None


def test_nothing_said_fills_nothing():
    draft = fill("")
    assert (draft.subject, draft.address, draft.phones, draft.summary) == (None, None, [], None)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=400))
def test_any_text_gives_a_draft(text):
    draft = fill(text)
    assert len(draft.phones) <= 3 and len(draft.dates) <= 5
    if draft.summary is not None:
        assert len(draft.summary.value) <= 60


def test_a_very_long_transcript_is_read_up_to_the_cap():
    draft = fill("噪音太吵了。" * 50_000 + "路灯坏了" * 10)
    assert draft.subject is not None and draft.subject.value == "environment.noise"
    assert len("噪音太吵了。" * 50_000) > MAX_CHARS
