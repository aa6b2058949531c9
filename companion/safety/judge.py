"""The one judging hook every answer and every patient message passes through as it arrives.

The rules engine (pure) turns the event and the patient's history into findings; findings open
or join alerts, which tell the patient where to get help and page the care team. What the
conversation should do next comes back as a Judgement (start the C-SSRS screener at once on the
same channel after PHQ-9 item 9, say)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, literal, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from companion.clinical import rules
from companion.clinical.protocol import Protocol
from companion.clock import Clock
from companion.models import AlertSeverity, CheckIn, CheckInStatus, Patient, TreatmentSession
from companion.models.base import table_of
from companion.safety.alerts import Raised, open_alerts_of, raise_findings

C = table_of(CheckIn)


@dataclass
class Judgement:
    """What the safety path asks of the caller: messages for the patient now, an instrument to
    start at once on the same channel, the alerts raised and the findings that raised them (what
    the patient is told follows from these: ``rules.reply_kind``)."""

    replies: list[str] = field(default_factory=list)
    start_instrument: str | None = None
    raised: list[Raised] = field(default_factory=list)
    findings: list[rules.Finding] = field(default_factory=list)


# The instruments whose rules read the patient's history (:func:`histories`).
HISTORY_INSTRUMENTS = frozenset({"mood", "phq9"})


def answer_findings(protocol: Protocol, event: rules.AnswerEvent, history: rules.History) -> list[rules.Finding]:
    """What the protocol finds in one answer: the answer itself and, for a text answer, its words
    (pure: the one-by-one judge and the set-based batch both ask it)."""
    findings = rules.evaluate(protocol.rules, event, history)
    if isinstance(event.value, str) and event.value.strip():
        findings += rules.evaluate(protocol.rules, rules.MessageEvent(text=event.value), history)
    return findings


def message_findings(protocol: Protocol, text: str) -> list[rules.Finding]:
    """What the protocol finds in free text from the patient (pure)."""
    return rules.evaluate(protocol.rules, rules.MessageEvent(text=text), rules.History())


async def histories(
    session: AsyncSession, patient_ids: list[int], *, excluding: int | None = None
) -> dict[int, rules.History]:
    """For each patient, what the rules need from before: the last seven mood totals and the PHQ-9
    baseline (the last PHQ-9 completed before the first session that was not cancelled), without
    the check-in ``excluding`` (the one being judged). One statement for any number of patients."""
    if not patient_ids:
        return {}
    complete = [C.c.patient_id.in_(patient_ids), C.c.status == CheckInStatus.COMPLETE.value]
    if excluding is not None:
        complete.append(C.c.id != excluding)
    newest_first = (C.c.completed_at.desc(), C.c.id.desc())
    moods = (
        select(C.c.patient_id, literal("mood").label("kind"), C.c.total,
               func.row_number().over(partition_by=C.c.patient_id, order_by=newest_first).label("n"))
        .where(*complete, C.c.instrument == "mood", C.c.total.is_not(None)).subquery()
    )
    ts = table_of(TreatmentSession)
    first_session = (
        select(func.min(ts.c.started_at)).where(ts.c.patient_id == C.c.patient_id, ts.c.cancelled_at.is_(None))
        .scalar_subquery()
    )
    baseline = (
        select(C.c.patient_id, literal("phq9").label("kind"), C.c.total,
               func.row_number().over(partition_by=C.c.patient_id, order_by=newest_first).label("n"))
        .where(*complete, C.c.instrument == "phq9", or_(first_session.is_(None), C.c.completed_at < first_session))
        .subquery()
    )
    rows = (await session.execute(union_all(
        select(moods).where(moods.c.n <= 7), select(baseline).where(baseline.c.n == 1)
    ))).all()
    moods_of: dict[int, list[tuple[int, int]]] = {}
    phq9_of: dict[int, int | None] = {}
    for patient_id, kind, total, n in rows:
        if kind == "mood":
            moods_of.setdefault(patient_id, []).append((n, int(total)))
        else:
            phq9_of[patient_id] = total
    return {
        pid: rules.History(previous_moods=[total for _, total in sorted(moods_of.get(pid, []), reverse=True)],
                           phq9_baseline_total=phq9_of.get(pid))
        for pid in patient_ids
    }


async def _history(session: AsyncSession, patient: Patient, checkin: CheckIn | None) -> rules.History:
    """The patient's history (:func:`histories`), without ``checkin``."""
    assert patient.id is not None
    return (await histories(session, [patient.id], excluding=checkin.id if checkin else None))[patient.id]


async def _raise(
    session: AsyncSession, clock: Clock, protocol: Protocol, patient: Patient, findings: list[rules.Finding],
    source: str, reply_key: str | None,
) -> Judgement:
    judgement = Judgement(findings=list(findings))
    judgement.raised = await raise_findings(session, clock, protocol, patient, findings, source=source,
                                            reply_key=reply_key)
    return judgement


async def judge_answer(
    session: AsyncSession, clock: Clock, protocol: Protocol, patient: Patient, checkin: CheckIn, question_key: str,
    value: object, channel: str, answers_so_far: dict[str, object] | None = None, *, reply_key: str,
) -> Judgement:
    """One answer as it arrives; ``reply_key`` names what the patient sent (the SMS or the answer),
    so a retried handling of it tells the patient nothing twice."""
    answers = dict(answers_so_far or {})
    answers[question_key] = value
    event = rules.AnswerEvent(instrument=checkin.instrument, question_key=question_key, value=value,
                              answers_so_far=answers)
    history = await _history(session, patient, checkin) if checkin.instrument in HISTORY_INSTRUMENTS \
        else rules.History()
    findings = answer_findings(protocol, event, history)
    judgement = await _raise(session, clock, protocol, patient, findings, f"{channel}:checkin:{checkin.id}",
                              reply_key)
    if rules.needs_cssrs(event) and checkin.instrument != "cssrs":
        judgement.start_instrument = "cssrs"
    return judgement


async def judge_message(
    session: AsyncSession, clock: Clock, protocol: Protocol, patient: Patient, text: str, channel: str, *,
    reply_key: str,
) -> Judgement:
    """Free text from the patient, scanned for risk whatever question is open; ``reply_key`` names
    the message (``sms:<inbound id>``)."""
    findings = message_findings(protocol, text)
    judgement = await _raise(session, clock, protocol, patient, findings, f"{channel}:message", reply_key)
    return judgement


async def judge_missed(
    session: AsyncSession, clock: Clock, protocol: Protocol, patient: Patient, in_a_row: int
) -> Judgement:
    findings = rules.evaluate(protocol.rules, rules.MissedEvent(in_a_row=in_a_row),
                              rules.History(previous_moods=[], phq9_baseline_total=None))
    return await _raise(session, clock, protocol, patient, findings, "scheduler:missed", None)


async def judge_undelivered(session: AsyncSession, clock: Clock, protocol: Protocol, patient: Patient) -> Judgement:
    """A prompt could not be delivered: concerning only while the patient has an open high or
    urgent alert."""
    assert patient.id is not None
    serious = any(
        a.severity in {AlertSeverity.URGENT, AlertSeverity.HIGH} for a in await open_alerts_of(session, patient.id)
    )
    findings = rules.evaluate(protocol.rules, rules.UndeliveredEvent(has_open_alert_high_or_urgent=serious),
                              rules.History(previous_moods=[], phq9_baseline_total=None))
    return await _raise(session, clock, protocol, patient, findings, "provider:undelivered", None)
