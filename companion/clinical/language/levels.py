"""The detector's output: a level, how acute it reads, and the evidence staff see."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

__all__ = ["Acuity", "RiskAssessment", "RiskLevel"]


class RiskLevel(StrEnum):
    """In order of precedence, lowest first."""

    none = "none"
    concern = "concern"
    uncertain = "uncertain"
    passive = "passive"
    self_harm = "self_harm"
    intent = "intent"


Acuity = Literal["urgent", "high"]


@dataclass(frozen=True)
class RiskAssessment:
    """``severity`` is how acute the text reads (an act or intent is urgent; thoughts, wishes and
    what cannot be placed are high; a concern or nothing is None). The clinic's protocol decides
    what an alert's severity is; this is what its ``language_severity`` narrows on.
    ``evidence``: one line per concept, with the words ("intent: overdose: 'took 30 trazodone'").
    ``concepts``: the writer's own concepts found."""

    level: RiskLevel
    severity: Acuity | None
    evidence: tuple[str, ...]
    concepts: tuple[str, ...] = ()
