"""A clinic's outcomes: PHQ-9 change from baseline, response and remission rates, check-in
adherence, by modality and by month (docs/clinical.md, "Outcomes"). Pure: no I/O.

A patient's course is their PHQ-9 totals in time order and their prompts' fates. The baseline is
the first PHQ-9; the patient counts for change, response and remission once a later PHQ-9 exists
(the latest one is compared). A patient's modality is that of their first session. Adherence is
answered prompts over prompts that were due to be answered (answered or expired), so prompts
still open, planned or cancelled count neither way."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from companion.clinical.scoring import is_remission, is_response


@dataclass(frozen=True)
class Course:
    patient_id: int
    modality: str | None  # of the first session; None: no session yet
    phq9: Sequence[tuple[datetime, int]]  # (completed at, total), oldest first
    answered: Sequence[datetime] = ()  # due times of answered prompts
    expired: Sequence[datetime] = ()  # due times of prompts that expired unanswered


@dataclass(frozen=True)
class Figures:
    patients: int
    followed_up: int  # with a baseline and a later PHQ-9
    mean_baseline: float | None
    mean_latest: float | None
    mean_change: float | None  # latest minus baseline: negative is better
    responders: int
    remitters: int
    answered: int
    expired: int

    @property
    def response_rate(self) -> float | None:
        return self.responders / self.followed_up if self.followed_up else None

    @property
    def remission_rate(self) -> float | None:
        return self.remitters / self.followed_up if self.followed_up else None

    @property
    def adherence(self) -> float | None:
        due = self.answered + self.expired
        return self.answered / due if due else None


@dataclass(frozen=True)
class Month:
    month: str  # YYYY-MM
    mean_phq9: float | None  # of the PHQ-9s completed that month
    phq9_count: int
    answered: int
    expired: int

    @property
    def adherence(self) -> float | None:
        due = self.answered + self.expired
        return self.answered / due if due else None


@dataclass(frozen=True)
class Outcomes:
    overall: Figures
    by_modality: dict[str, Figures] = field(default_factory=dict)
    by_month: list[Month] = field(default_factory=list)


def _mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def figures(courses: Iterable[Course]) -> Figures:
    courses = list(courses)
    followed = [c for c in courses if len(c.phq9) >= 2]
    baselines = [c.phq9[0][1] for c in followed]
    latest = [c.phq9[-1][1] for c in followed]
    return Figures(
        patients=len(courses),
        followed_up=len(followed),
        mean_baseline=_mean(baselines),
        mean_latest=_mean(latest),
        mean_change=_mean([b - a for a, b in zip(baselines, latest, strict=True)]),
        responders=sum(is_response(a, b) for a, b in zip(baselines, latest, strict=True)),
        remitters=sum(is_remission(b) for b in latest),
        answered=sum(len(c.answered) for c in courses),
        expired=sum(len(c.expired) for c in courses),
    )


def _month(at: datetime) -> str:
    return f"{at.year:04d}-{at.month:02d}"


def by_month(courses: Iterable[Course]) -> list[Month]:
    """Each calendar month (UTC) that has a PHQ-9 or a prompt due, oldest first."""
    totals: dict[str, list[int]] = {}
    answered: dict[str, int] = {}
    expired: dict[str, int] = {}
    for course in courses:
        for at, total in course.phq9:
            totals.setdefault(_month(at), []).append(total)
        for at in course.answered:
            answered[_month(at)] = answered.get(_month(at), 0) + 1
        for at in course.expired:
            expired[_month(at)] = expired.get(_month(at), 0) + 1
    months = sorted(set(totals) | set(answered) | set(expired))
    return [Month(m, _mean(totals.get(m, [])), len(totals.get(m, [])), answered.get(m, 0), expired.get(m, 0))
            for m in months]


def outcomes(courses: Iterable[Course]) -> Outcomes:
    courses = list(courses)
    modalities = sorted({c.modality for c in courses if c.modality is not None})
    return Outcomes(
        overall=figures(courses),
        by_modality={m: figures(c for c in courses if c.modality == m) for m in modalities},
        by_month=by_month(courses),
    )
