"""What the outcomes and audit-log endpoints answer (docs/clinical.md, "Outcomes";
docs/architecture.md, "The audit log")."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from companion.clinical.outcomes import Figures, Month, Outcomes


class FiguresRead(BaseModel):
    patients: int
    followed_up: int  # with a baseline PHQ-9 and a later one
    mean_baseline: float | None
    mean_latest: float | None
    mean_change: float | None  # latest minus baseline: negative is better
    responders: int
    remitters: int
    response_rate: float | None
    remission_rate: float | None
    answered: int
    expired: int
    adherence: float | None  # answered over answered and expired

    @classmethod
    def of(cls, f: Figures) -> FiguresRead:
        return cls(patients=f.patients, followed_up=f.followed_up, mean_baseline=f.mean_baseline,
                   mean_latest=f.mean_latest, mean_change=f.mean_change, responders=f.responders,
                   remitters=f.remitters, response_rate=f.response_rate, remission_rate=f.remission_rate,
                   answered=f.answered, expired=f.expired, adherence=f.adherence)


class MonthRead(BaseModel):
    month: str
    mean_phq9: float | None
    phq9_count: int
    answered: int
    expired: int
    adherence: float | None

    @classmethod
    def of(cls, m: Month) -> MonthRead:
        return cls(month=m.month, mean_phq9=m.mean_phq9, phq9_count=m.phq9_count, answered=m.answered,
                   expired=m.expired, adherence=m.adherence)


class OutcomesRead(BaseModel):
    overall: FiguresRead
    by_modality: dict[str, FiguresRead]
    by_month: list[MonthRead]

    @classmethod
    def of(cls, o: Outcomes) -> OutcomesRead:
        return cls(overall=FiguresRead.of(o.overall),
                   by_modality={k: FiguresRead.of(v) for k, v in o.by_modality.items()},
                   by_month=[MonthRead.of(m) for m in o.by_month])


class AuditEventRead(BaseModel):
    id: int
    at: datetime
    actor: str  # staff:<id>, patient:<id>, system:<part>
    actor_name: str | None  # the staff member's name for staff:<id>
    action: str
    subject: str
    detail: dict[str, Any]


class AuditPage(BaseModel):
    items: list[AuditEventRead]
    total: int
    limit: int
    offset: int
