"""The safety plan's checks: what a plan may hold, the field named when it may not, phone numbers
a tap can dial, and which sections a new version changes."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from companion.clinical.safety_plan import (
    CONTENT_KEYS,
    CRISIS_LINES,
    MAX_ENTRIES,
    MAX_ENTRY,
    MAX_NAME,
    MAX_REASON,
    SECTION_KEYS,
    SECTIONS,
    SafetyPlanContent,
    dial_string,
    empty_content,
    entry_counts,
    sections_changed,
)

FULL: dict[str, Any] = {
    "warning_signs": ["Not sleeping", "Pulling away from friends"],
    "coping_strategies": ["Walk the dog", "Listen to music"],
    "distractions": [{"name": "Coffee shop on Main St"}, {"name": "Sam", "phone": "(202) 555-0101"}],
    "people_to_ask": [{"name": "Mum", "phone": "+44 20 7946 0018"}],
    "professionals": [{"name": "North Clinic", "phone": "202.555.0199"}, {"name": "Dr Lee", "phone": "202-555-0123"}],
    "safe_environment": ["Ask Sam to keep my medication"],
    "reason_for_living": "My daughter",
}


def _with(**changes: Any) -> dict[str, Any]:
    return {**FULL, **changes}


VALID = [
    # (why, plan)
    ("a full plan", FULL),
    ("an empty plan: saved as far as it is written", {}),
    ("only a reason for living", {"reason_for_living": "Seeing the sea again"}),
    ("the most entries a section holds", _with(warning_signs=[f"sign {n}" for n in range(MAX_ENTRIES)])),
    ("an entry at its longest", _with(coping_strategies=["x" * MAX_ENTRY])),
    ("a name at its longest", _with(people_to_ask=[{"name": "n" * MAX_NAME}])),
    ("a reason at its longest, with line breaks", _with(reason_for_living=("a\n" * (MAX_REASON // 2)))),
    ("a person without a phone number", _with(people_to_ask=[{"name": "Grandad"}])),
    ("a phone number written with null", _with(people_to_ask=[{"name": "Grandad", "phone": None}])),
    ("a three-digit line", _with(professionals=[{"name": "Crisis line", "phone": "988"}])),
    ("a fifteen-digit international number", _with(people_to_ask=[{"name": "Ana", "phone": "+351 912 345 678 123"}])),
    ("emoji and accents", _with(coping_strategies=["Café with Zoë ☕️👩‍👧"])),
]


@pytest.mark.parametrize(("why", "plan"), VALID, ids=[row[0] for row in VALID])
def test_a_plan_the_patient_may_save(why: str, plan: dict[str, Any]) -> None:
    content = SafetyPlanContent.model_validate(plan)
    stored = content.stored()
    assert set(stored) == set(CONTENT_KEYS)
    for key in SECTION_KEYS:
        assert len(stored[key]) == len(plan.get(key, []))


INVALID = [
    # (why, plan, the field named, words of the message)
    ("too many warning signs", _with(warning_signs=["s"] * (MAX_ENTRIES + 1)), ("warning_signs",), "at most 12"),
    ("too many people", _with(people_to_ask=[{"name": "p"}] * (MAX_ENTRIES + 1)), ("people_to_ask",), "at most 12"),
    ("an entry too long", _with(coping_strategies=["ok", "x" * (MAX_ENTRY + 1)]), ("coping_strategies", 1),
     "at most 300"),
    ("an empty entry", _with(safe_environment=["   "]), ("safe_environment", 0), "must not be empty"),
    ("a name too long", _with(distractions=[{"name": "n" * (MAX_NAME + 1)}]), ("distractions", 0, "name"),
     "at most 120"),
    ("a person with no name", _with(people_to_ask=[{"phone": "202 555 0101"}]), ("people_to_ask", 0, "name"),
     "required"),
    ("a blank name", _with(people_to_ask=[{"name": " ", "phone": "202 555 0101"}]), ("people_to_ask", 0, "name"),
     "must not be empty"),
    ("letters in a phone number", _with(people_to_ask=[{"name": "Sam", "phone": "call me"}]),
     ("people_to_ask", 0, "phone"), "only digits"),
    ("a plus inside a number", _with(professionals=[{"name": "Clinic", "phone": "202+555"}]),
     ("professionals", 0, "phone"), "only digits"),
    ("too few digits", _with(professionals=[{"name": "Clinic", "phone": "12"}]), ("professionals", 0, "phone"),
     "3 to 15 digits"),
    ("too many digits", _with(professionals=[{"name": "Clinic", "phone": "1234567890123456"}]),
     ("professionals", 0, "phone"), "3 to 15 digits"),
    ("a reason too long", _with(reason_for_living="r" * (MAX_REASON + 1)), ("reason_for_living",), "at most 1000"),
    ("an empty reason (send null)", _with(reason_for_living=""), ("reason_for_living",), "must not be empty"),
    ("a control character", _with(warning_signs=["bad\x00day"]), ("warning_signs", 0), "control characters"),
    ("a lone surrogate", _with(warning_signs=["bad\ud800day"]), ("warning_signs", 0), "valid string"),
    ("a number for a text", _with(warning_signs=[7]), ("warning_signs", 0), "valid string"),
    ("a section given as text", _with(coping_strategies="walk"), ("coping_strategies",), "valid list"),
    ("an unknown section", _with(hobbies=["chess"]), ("hobbies",), "not permitted"),
    ("an unknown field of a person", _with(people_to_ask=[{"name": "Sam", "email": "s@example.org"}]),
     ("people_to_ask", 0, "email"), "not permitted"),
]


@pytest.mark.parametrize(("why", "plan", "where", "words"), INVALID, ids=[row[0] for row in INVALID])
def test_a_plan_refused_names_the_field_at_fault(why: str, plan: dict[str, Any], where: tuple[Any, ...],
                                                  words: str) -> None:
    with pytest.raises(ValidationError) as refused:
        SafetyPlanContent.model_validate(plan)
    errors = refused.value.errors()
    assert [e["loc"] for e in errors] == [where], errors
    assert words in errors[0]["msg"].lower() or words in errors[0]["msg"], errors[0]["msg"]


def test_text_is_kept_trimmed() -> None:
    content = SafetyPlanContent.model_validate({"warning_signs": ["  Not sleeping \n"],
                                                "people_to_ask": [{"name": " Sam ", "phone": " 202 555 0101 "}]})
    assert content.stored()["warning_signs"] == ["Not sleeping"]
    assert content.stored()["people_to_ask"] == [{"name": "Sam", "phone": "202 555 0101"}]


@pytest.mark.parametrize(("written", "dialled"), [
    ("(202) 555-0142", "2025550142"),
    ("+44 20 7946 0018", "+442079460018"),
    ("202.555.0199", "2025550199"),
    ("988", "988"),
])
def test_a_number_as_written_becomes_one_a_tap_dials(written: str, dialled: str) -> None:
    assert dial_string(written) == dialled


CHANGES = [
    # (before, after, the sections named)
    (None, empty_content(), []),
    (None, SafetyPlanContent.model_validate(FULL).stored(), list(CONTENT_KEYS)),
    (SafetyPlanContent.model_validate(FULL).stored(), SafetyPlanContent.model_validate(FULL).stored(), []),
    (SafetyPlanContent.model_validate(FULL).stored(),
     SafetyPlanContent.model_validate(_with(warning_signs=["Not sleeping"], reason_for_living=None)).stored(),
     ["warning_signs", "reason_for_living"]),
    (SafetyPlanContent.model_validate(FULL).stored(),
     SafetyPlanContent.model_validate(_with(people_to_ask=[{"name": "Mum", "phone": "+44 20 7946 0019"}])).stored(),
     ["people_to_ask"]),
]


@pytest.mark.parametrize(("before", "after", "named"), CHANGES)
def test_a_new_version_names_the_sections_it_changes(before: dict[str, Any] | None, after: dict[str, Any],
                                                      named: list[str]) -> None:
    assert sections_changed(before, after) == named


def test_the_form_has_its_six_sections_in_order_and_counts_entries() -> None:
    assert [s.number for s in SECTIONS] == [1, 2, 3, 4, 5, 6]
    assert SECTION_KEYS == ("warning_signs", "coping_strategies", "distractions", "people_to_ask", "professionals",
                            "safe_environment")
    assert [s.key for s in SECTIONS if s.contacts] == ["distractions", "people_to_ask", "professionals"]
    assert entry_counts(SafetyPlanContent.model_validate(FULL).stored()) == {
        "warning_signs": 2, "coping_strategies": 2, "distractions": 2, "people_to_ask": 1, "professionals": 2,
        "safe_environment": 1}


def test_988_and_911_are_always_listed() -> None:
    assert [(line.call, line.text) for line in CRISIS_LINES] == [("988", "988"), ("911", None)]
