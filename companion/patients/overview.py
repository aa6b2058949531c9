"""The dashboard's patient list: per patient the latest scores, the mood trend, missed check-ins and
open alerts, for one page of the caller's clinic, and whether anything reaches the patient outside
the app (docs/push.md, "No subscription").

A page costs a fixed handful of queries whatever its size (patients, check-ins, missed prompts,
missed streaks, open alerts), never one per patient: window functions pick each patient's most recent
rows in the database on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from companion.audit import services as audit
from companion.auth.principals import StaffPrincipal
from companion.clinical import scoring
from companion.clock import Clock
from companion.errors import NotFound
from companion.models import (
    Alert,
    AlertSeverity,
    AlertStatus,
    CheckIn,
    CheckInStatus,
    Clinic,
    PatientChannel,
    Prompt,
    PromptStatus,
    PushSubscription,
    SmsConsent,
)
from companion.patients.listing import MISSED_WINDOW, PatientQuery, patient_page
from companion.patients.schemas import LatestScore, MoodPoint, PatientOverview, PatientOverviewPage
from companion.safety.services import SEVERITY_ORDER
from companion.scheduling.due import missed_in_a_row_of

#: The trend shows this many of the most recent moods (the same window as the baseline).
TREND_POINTS = scoring.BASELINE_WINDOW
#: Severities in the order of SEVERITY_ORDER's ranks.
SEVERITIES: tuple[str, ...] = (AlertSeverity.URGENT, AlertSeverity.HIGH, AlertSeverity.ROUTINE)
QUESTIONNAIRES = ("phq9", "gad7")


@dataclass
class _Scores:
    moods: list[MoodPoint] = field(default_factory=list)  # most recent first
    latest: dict[str, LatestScore] = field(default_factory=dict)


def mood_summary(moods_latest_first: Sequence[MoodPoint]) -> tuple[list[MoodPoint], float | None]:
    """The trend (oldest first) and the baseline the latest mood is judged against: the median of
    the moods before it (as the timeline and the mood-drop rule count it)."""
    trend = list(reversed(moods_latest_first[:TREND_POINTS]))
    previous = [p.value for p in reversed(moods_latest_first[1:])]
    return trend, scoring.mood_baseline(previous)


def reached_outside_app(channel: str, sms_consent: str, devices: int) -> bool:
    """Whether a prompt or reminder can reach the patient anywhere but in the open app: by text
    (consented), or by push (chose the app and has a device with notifications on)."""
    return sms_consent == SmsConsent.OPTED_IN or (channel in (PatientChannel.APP, PatientChannel.BOTH) and devices > 0)


async def _devices(session: AsyncSession, ids: list[int]) -> dict[int, int]:
    rows = await session.execute(
        select(col(PushSubscription.patient_id), func.count())
        .where(col(PushSubscription.patient_id).in_(ids), col(PushSubscription.expired_at).is_(None))
        .group_by(col(PushSubscription.patient_id))
    )
    return {patient_id: int(count) for patient_id, count in rows.all()}


async def _scores(session: AsyncSession, clinic_id: int, ids: list[int]) -> dict[int, _Scores]:
    """Each patient's latest moods (enough for the trend and the baseline) and latest PHQ-9 and GAD-7."""
    rank = (
        func.row_number()
        .over(
            partition_by=(col(CheckIn.patient_id), col(CheckIn.instrument)),
            order_by=(col(CheckIn.started_at).desc(), col(CheckIn.id).desc()),
        )
        .label("rank")
    )
    ranked = (
        select(
            col(CheckIn.patient_id), col(CheckIn.instrument), col(CheckIn.total), col(CheckIn.band),
            func.coalesce(CheckIn.completed_at, CheckIn.started_at).label("at"), rank,
        )
        .where(
            col(CheckIn.clinic_id) == clinic_id,
            col(CheckIn.patient_id).in_(ids),
            col(CheckIn.instrument).in_(("mood", *QUESTIONNAIRES)),
            col(CheckIn.status) == CheckInStatus.COMPLETE,
            col(CheckIn.total).is_not(None),
        )
        .subquery()
    )
    rows = await session.execute(
        select(ranked.c.patient_id, ranked.c.instrument, ranked.c.total, ranked.c.band, ranked.c.at)
        .where(
            or_(
                ranked.c.rank == 1,
                and_(ranked.c.instrument == "mood", ranked.c.rank <= scoring.BASELINE_WINDOW + 1),
            )
        )
        .order_by(ranked.c.patient_id, ranked.c.instrument, ranked.c.rank)
    )
    scores: dict[int, _Scores] = defaultdict(_Scores)
    for patient_id, instrument, total, band, at in rows.all():
        if instrument == "mood":
            scores[patient_id].moods.append(MoodPoint(at=at, value=int(total)))
        else:
            scores[patient_id].latest[instrument] = LatestScore(total=int(total), band=band, at=at)
    return scores


async def _missed(session: AsyncSession, ids: list[int], since: datetime) -> dict[int, int]:
    rows = await session.execute(
        select(col(Prompt.patient_id), func.count())
        .where(
            col(Prompt.patient_id).in_(ids),
            col(Prompt.status) == PromptStatus.EXPIRED,
            col(Prompt.expires_at) > since,
        )
        .group_by(col(Prompt.patient_id))
    )
    return {patient_id: int(count) for patient_id, count in rows.all()}


async def _open_alerts(session: AsyncSession, clinic_id: int, ids: list[int]) -> dict[int, tuple[int, str | None]]:
    rows = await session.execute(
        select(col(Alert.patient_id), func.count(), func.min(SEVERITY_ORDER))
        .where(
            col(Alert.clinic_id) == clinic_id,
            col(Alert.patient_id).in_(ids),
            col(Alert.status) != AlertStatus.RESOLVED,
        )
        .group_by(col(Alert.patient_id))
    )
    return {
        patient_id: (int(count), SEVERITIES[rank] if rank is not None and rank < len(SEVERITIES) else None)
        for patient_id, count, rank in rows.all()
    }


async def patients_overview(
    session: AsyncSession, clock: Clock, staff: StaffPrincipal, query: PatientQuery, *, limit: int, offset: int,
) -> PatientOverviewPage:
    clinic = await session.get(Clinic, staff.clinic_id)
    if clinic is None:
        raise NotFound("clinic not found")
    patients, total = await patient_page(session, staff.clinic_id, query, clock.now(), limit=limit, offset=offset)
    ids = [p.id for p in patients if p.id is not None]
    items: list[PatientOverview] = []
    if ids:
        scores = await _scores(session, staff.clinic_id, ids)
        missed = await _missed(session, ids, clock.now() - MISSED_WINDOW)
        streaks = await missed_in_a_row_of(session, ids)
        alerts = await _open_alerts(session, staff.clinic_id, ids)
        devices = await _devices(session, ids)
        for patient in patients:
            assert patient.id is not None
            score = scores.get(patient.id, _Scores())
            trend, baseline = mood_summary(score.moods)
            open_count, highest = alerts.get(patient.id, (0, None))
            items.append(
                PatientOverview(
                    id=patient.id, reference=patient.reference, display_name=patient.display_name,
                    status=patient.status, sms_consent=patient.sms_consent, channel=patient.channel,
                    latest_mood=score.moods[0] if score.moods else None, mood_trend=trend,
                    mood_baseline=baseline, phq9=score.latest.get("phq9"), gad7=score.latest.get("gad7"),
                    missed_checkins=missed.get(patient.id, 0), missed_in_a_row=streaks.get(patient.id, 0),
                    open_alerts=open_count, highest_open_severity=highest,
                    reached_outside_app=reached_outside_app(patient.channel, patient.sms_consent,
                                                            devices.get(patient.id, 0)),
                )
            )
    audit.record(session, clock, actor=staff.actor, action="patient.overview", subject="patients",
                 clinic_id=staff.clinic_id, detail={"count": len(items)})
    return PatientOverviewPage(items=items, total=total, limit=limit, offset=offset, clinic_timezone=clinic.timezone)
