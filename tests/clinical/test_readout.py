"""A check-in read back for the care team: every question in order with its wording, the answer
in words, and what the skip rules left out."""

from __future__ import annotations

import pytest

from companion.clinical.instruments import CSSRS, MOOD, PHQ9, POST_SESSION, Instrument, answer_label, read_back


@pytest.mark.parametrize(
    ("instrument", "key", "value", "label"),
    [
        (CSSRS, "cssrs_1", True, "Yes"),
        (CSSRS, "cssrs_1", False, "No"),
        (PHQ9, "phq9_9", 0, "Not at all"),
        (PHQ9, "phq9_9", 3, "Nearly every day"),
        (PHQ9, "phq9_9", 7, "7"),  # a value no choice has is still shown
        (POST_SESSION, "nausea", 1, "Mild"),
        (MOOD, "mood", 4, "4 of 10"),
        (MOOD, "sleep_hours", 7.5, "7.5"),
        (MOOD, "sleep_hours", 8.0, "8"),
        (MOOD, "note", "slept badly", "slept badly"),
        (MOOD, "note", None, None),
    ],
)
def test_an_answer_in_words(instrument: Instrument, key: str, value: object, label: str | None) -> None:
    assert answer_label(instrument.question(key), value) == label


@pytest.mark.parametrize(
    ("answers", "states"),
    [
        ({}, ["unanswered", "unanswered", "not_asked", "not_asked", "not_asked", "unanswered", "not_asked"]),
        ({"cssrs_1": True, "cssrs_2": False, "cssrs_6": True},
         ["answered", "answered", "not_asked", "not_asked", "not_asked", "answered", "unanswered"]),
        ({"cssrs_1": True, "cssrs_2": True},
         ["answered", "answered", "unanswered", "unanswered", "unanswered", "unanswered", "not_asked"]),
    ],
)
def test_every_cssrs_question_in_order_with_what_the_skip_rules_left_out(
    answers: dict[str, object], states: list[str]
) -> None:
    items = read_back(CSSRS, answers)
    assert [i.key for i in items] == list(CSSRS.keys)
    assert [i.number for i in items] == list(range(1, 8))
    assert [i.question for i in items] == [q.app_text for q in CSSRS.questions]
    assert [i.state for i in items] == states


def test_a_skipped_optional_question_and_an_unknown_key() -> None:
    items = read_back(MOOD, {"mood": 6, "note": None, "old_key": 2})
    assert [(i.key, i.state, i.label) for i in items] == [
        ("mood", "answered", "6 of 10"), ("anxiety", "unanswered", None), ("sleep_hours", "unanswered", None),
        ("note", "skipped", None), ("old_key", "answered", "2"),
    ]
    assert items[-1].number == 5 and items[-1].question == "old_key"
