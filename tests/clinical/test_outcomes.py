"""Outcomes from patients' courses: change from baseline, response, remission, adherence."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from companion.clinical.outcomes import Course, by_month, figures, outcomes


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 15, tzinfo=UTC)


RESPONDER = Course(1, "iv", [(at(10, 1), 20), (at(10, 20), 9)], answered=[at(10, 2), at(10, 3)], expired=[at(10, 4)])
REMITTER = Course(2, "iv", [(at(10, 5), 12), (at(11, 2), 4)], answered=[at(11, 1)])
NO_CHANGE = Course(3, "oral", [(at(11, 1), 15), (at(11, 15), 14)], expired=[at(11, 3), at(11, 4)])
BASELINE_ONLY = Course(4, "oral", [(at(11, 10), 18)])
NO_SESSION = Course(5, None, [])


@pytest.mark.parametrize(
    ("courses", "expected"),
    [
        ([], (0, 0, None, None, None, 0, 0, None)),
        ([RESPONDER], (1, 1, 20, 9, -11, 1, 0, 2 / 3)),
        ([REMITTER], (1, 1, 12, 4, -8, 1, 1, 1.0)),  # 4 is below half of 12 and below 5
        ([NO_CHANGE], (1, 1, 15, 14, -1, 0, 0, 0.0)),
        ([BASELINE_ONLY, NO_SESSION], (2, 0, None, None, None, 0, 0, None)),
        ([RESPONDER, REMITTER, NO_CHANGE, BASELINE_ONLY], (4, 3, 15.67, 9, -6.67, 2, 1, 3 / 6)),
    ],
)
def test_figures(courses: list[Course], expected: tuple) -> None:
    f = figures(courses)
    assert (f.patients, f.followed_up, f.mean_baseline, f.mean_latest, f.mean_change, f.responders, f.remitters,
            f.adherence) == expected


def test_rates_are_over_the_patients_followed_up() -> None:
    f = figures([RESPONDER, REMITTER, NO_CHANGE, BASELINE_ONLY])
    assert f.response_rate == pytest.approx(2 / 3) and f.remission_rate == pytest.approx(1 / 3)
    assert figures([BASELINE_ONLY]).response_rate is None


def test_by_modality_groups_by_the_first_session_and_leaves_out_patients_without_one() -> None:
    result = outcomes([RESPONDER, REMITTER, NO_CHANGE, BASELINE_ONLY, NO_SESSION])
    assert sorted(result.by_modality) == ["iv", "oral"]
    assert (result.by_modality["iv"].followed_up, result.by_modality["iv"].responders) == (2, 2)
    assert (result.by_modality["oral"].patients, result.by_modality["oral"].followed_up) == (2, 1)
    assert result.overall.patients == 5


def test_by_month_counts_each_phq9_and_prompt_in_its_month() -> None:
    months = by_month([RESPONDER, REMITTER, NO_CHANGE])
    assert [(m.month, m.mean_phq9, m.phq9_count, m.answered, m.expired) for m in months] == [
        ("2026-10", 13.67, 3, 2, 1),
        ("2026-11", 11.0, 3, 1, 2),
    ]
    assert months[0].adherence == pytest.approx(2 / 3)
