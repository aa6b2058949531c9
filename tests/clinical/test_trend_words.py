"""The patient's questionnaire course in plain words."""

from __future__ import annotations

import pytest

from companion.clinical.trend_words import trend_sentence


@pytest.mark.parametrize(
    ("baseline", "latest", "judged", "expected"),
    [
        (None, 9, True, None),
        (18, None, True, None),
        (18, 9, True, "Since you started, your PHQ-9 went down from 18 to 9: that is a response "
                      "(it has fallen by half or more)."),
        (18, 4, True, "Since you started, your PHQ-9 went down from 18 to 4: that is a remission (a score below 5)."),
        (18, 12, True, "Since you started, your PHQ-9 went down from 18 to 12. Lower means fewer symptoms."),
        (12, 12, True, "Since you started, your PHQ-9 is where it was (12)."),
        (9, 14, True, "Since you started, your PHQ-9 went up from 9 to 14. Higher means more symptoms; your care "
                      "team sees this too, and you can tell them how you are."),
        (16, 4, False, "Since you started, your PHQ-9 went down from 16 to 4. Lower means fewer symptoms."),
        (0, 0, True, "Since you started, your PHQ-9 is where it was (0)."),
    ],
)
def test_trend_sentence(baseline: int | None, latest: int | None, judged: bool, expected: str | None) -> None:
    assert trend_sentence("your PHQ-9", baseline, latest, judged=judged) == expected
