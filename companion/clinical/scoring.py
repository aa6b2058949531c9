"""Pure scoring of check-in answers (docs/clinical.md).

Answers are a mapping from question key to the stored value (see `instruments`). Functions here
never look at the clock or the database; thresholds that a clinic may change (what counts as a low
mood, how far below baseline is concerning) belong to the safety rules, not here.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from companion.clinical.instruments import CSSRS, GAD7, PHQ9, get_instrument, is_complete

__all__ = [
    "BASELINE_MIN_ANSWERS",
    "BASELINE_WINDOW",
    "REMISSION_BELOW",
    "CssrsRisk",
    "Gad7Band",
    "Phq9Band",
    "Score",
    "cssrs_risk",
    "cssrs_risk_so_far",
    "gad7_band",
    "gad7_total",
    "is_remission",
    "is_response",
    "mood_baseline",
    "phq9_band",
    "phq9_item9_flag",
    "phq9_total",
    "score",
]

Phq9Band = Literal["minimal", "mild", "moderate", "moderately_severe", "severe"]
Gad7Band = Literal["minimal", "mild", "moderate", "severe"]
CssrsRisk = Literal["none", "low", "moderate", "high"]

PHQ9_KEYS: tuple[str, ...] = PHQ9.keys
GAD7_KEYS: tuple[str, ...] = GAD7.keys

#: The mood baseline is the median of at most this many of the most recent answers ...
BASELINE_WINDOW = 7
#: ... and needs at least this many answers; with fewer there is no baseline.
BASELINE_MIN_ANSWERS = 3
#: A PHQ-9 total below this is remission.
REMISSION_BELOW = 5

_PHQ9_BANDS: tuple[tuple[int, Phq9Band], ...] = (
    (4, "minimal"),
    (9, "mild"),
    (14, "moderate"),
    (19, "moderately_severe"),
    (27, "severe"),
)
_GAD7_BANDS: tuple[tuple[int, Gad7Band], ...] = (
    (4, "minimal"),
    (9, "mild"),
    (14, "moderate"),
    (21, "severe"),
)


def _item_value(answers: Mapping[str, object], key: str) -> int | None:
    """A 0-3 questionnaire item, or None if not answered. A stored value of the wrong kind is a bug."""
    value = answers.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 3:
        raise ValueError(f"{key}: stored answer must be an integer from 0 to 3")
    return value


def _total(answers: Mapping[str, object], keys: Sequence[str]) -> int | None:
    values = [_item_value(answers, key) for key in keys]
    if any(value is None for value in values):
        return None
    return sum(value for value in values if value is not None)


def _check_total(total: int, maximum: int, name: str) -> None:
    if not isinstance(total, int) or isinstance(total, bool) or not 0 <= total <= maximum:
        raise ValueError(f"{name} total must be an integer from 0 to {maximum}")


def phq9_total(answers: Mapping[str, object]) -> int | None:
    """Sum of phq9_1..phq9_9, or None unless all nine are answered."""
    return _total(answers, PHQ9_KEYS)


def phq9_band(total: int) -> Phq9Band:
    """0-4 minimal, 5-9 mild, 10-14 moderate, 15-19 moderately_severe, 20-27 severe."""
    _check_total(total, 27, "PHQ-9")
    return next(band for upper, band in _PHQ9_BANDS if total <= upper)


def gad7_total(answers: Mapping[str, object]) -> int | None:
    """Sum of gad7_1..gad7_7, or None unless all seven are answered."""
    return _total(answers, GAD7_KEYS)


def gad7_band(total: int) -> Gad7Band:
    """0-4 minimal, 5-9 mild, 10-14 moderate, 15-21 severe."""
    _check_total(total, 21, "GAD-7")
    return next(band for upper, band in _GAD7_BANDS if total <= upper)


def phq9_item9_flag(answers: Mapping[str, object]) -> bool:
    """Item 9 (thoughts of death or self-harm) answered 1 or more: same-day follow-up whatever the
    total, and the C-SSRS screener starts at once. Available as soon as item 9 is answered."""
    value = _item_value(answers, "phq9_9")
    return value is not None and value >= 1


def _yes(answers: Mapping[str, object], key: str) -> bool:
    return answers.get(key) is True


def cssrs_risk_so_far(answers: Mapping[str, object]) -> CssrsRisk:
    """The highest C-SSRS risk level already shown by the answers given so far.

    A risk rule fires on the first answer that shows it: a yes to cssrs_4 alone is high at once, and
    a yes to cssrs_6 before cssrs_6_recent is answered is at least moderate. An answer that is present
    counts even where the skip logic would not have asked for it, so a risk shown is never dropped.
    "none" means no risk shown yet (and, once the screener is complete, none at all).

    high = yes to 4 or 5, or 6 within the past 3 months; moderate = yes to 3, or 6 longer ago;
    low = yes to 1 or 2 only.
    """
    if _yes(answers, "cssrs_4") or _yes(answers, "cssrs_5"):
        return "high"
    if _yes(answers, "cssrs_6") and _yes(answers, "cssrs_6_recent"):
        return "high"
    if _yes(answers, "cssrs_3") or _yes(answers, "cssrs_6"):
        return "moderate"
    if _yes(answers, "cssrs_1") or _yes(answers, "cssrs_2"):
        return "low"
    return "none"


def cssrs_risk(answers: Mapping[str, object]) -> CssrsRisk | None:
    """Risk level of a completed C-SSRS screener (skip logic applied), or None if it is not complete.

    For rules that must fire before the screener is finished use `cssrs_risk_so_far`.
    """
    if not is_complete(CSSRS, answers):
        return None
    return cssrs_risk_so_far(answers)


def mood_baseline(previous_moods: Sequence[int]) -> float | None:
    """The patient's own mood baseline: the median of their last 7 mood answers.

    `previous_moods` is in time order, most recent last; only the last 7 are used. With fewer than 3
    answers in all there is no baseline yet and the result is None. With an even number of answers
    (4 or 6) the median is the mean of the two middle values, so it may end in .5.
    """
    if len(previous_moods) < BASELINE_MIN_ANSWERS:
        return None
    window = list(previous_moods)[-BASELINE_WINDOW:]
    return float(statistics.median(window))


def is_response(baseline_total: int, current_total: int) -> bool:
    """Treatment response: the total has fallen by 50% or more from the baseline total.

    A baseline of 0 cannot fall, so it is never a response.
    """
    if baseline_total < 0 or current_total < 0:
        raise ValueError("totals cannot be negative")
    if baseline_total == 0:
        return False
    return 2 * current_total <= baseline_total


def is_remission(total: int) -> bool:
    """Remission: a PHQ-9 total below 5."""
    if total < 0:
        raise ValueError("totals cannot be negative")
    return total < REMISSION_BELOW


@dataclass(frozen=True, slots=True)
class Score:
    """What is stored with every check-in.

    total: the questionnaire total (for mood, the mood answer), or None when not scorable.
    band: the severity band for PHQ-9 and GAD-7, the risk level of a complete C-SSRS, else None.
    flags: findings fixed by the instrument itself, e.g. "phq9_item9", "cssrs_high".
    """

    total: int | None
    band: str | None
    flags: tuple[str, ...] = ()


def _score_mood(answers: Mapping[str, object]) -> Score:
    mood = answers.get("mood")
    total = mood if isinstance(mood, int) and not isinstance(mood, bool) else None
    return Score(total=total, band=None)


def _score_post_session(answers: Mapping[str, object]) -> Score:
    flags: list[str] = []
    if _yes(answers, "red_flags"):
        flags.append("post_session_red_flags")
    if answers.get("home_safely") is False:
        flags.append("post_session_not_home_safely")
    side_effects = ("dizziness", "nausea", "dissociation", "headache")
    if any(answers.get(key) == 2 for key in side_effects):
        flags.append("post_session_strong_side_effect")
    return Score(total=None, band=None, flags=tuple(flags))


def _score_phq9(answers: Mapping[str, object]) -> Score:
    total = phq9_total(answers)
    flags = ("phq9_item9",) if phq9_item9_flag(answers) else ()
    return Score(total=total, band=phq9_band(total) if total is not None else None, flags=flags)


def _score_gad7(answers: Mapping[str, object]) -> Score:
    total = gad7_total(answers)
    return Score(total=total, band=gad7_band(total) if total is not None else None)


def _score_cssrs(answers: Mapping[str, object]) -> Score:
    shown = cssrs_risk_so_far(answers)
    flags = (f"cssrs_{shown}",) if shown != "none" else ()
    return Score(total=None, band=cssrs_risk(answers), flags=flags)


def score(instrument_code: str, answers: Mapping[str, object]) -> Score:
    """Score any check-in, complete or not (raises UnknownInstrument for an unknown code).

    Partial answers give a None total and band where a total needs every item, but flags shown by
    the answers so far are always present.
    """
    instrument = get_instrument(instrument_code)
    scorers = {
        "mood": _score_mood,
        "post_session": _score_post_session,
        "phq9": _score_phq9,
        "gad7": _score_gad7,
        "cssrs": _score_cssrs,
    }
    return scorers[instrument.code](answers)
