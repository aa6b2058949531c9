"""What raised each finding of an alert, for the clinician who reads it (docs/clinical.md, "What
raised an alert").

A finding keeps ``source`` and ``reply_key`` (safety/alerts.py, ``raise_findings``): an SMS is
``reply_key`` ``sms:<inbound id>`` with ``source`` ``sms:message``; an answer is ``source``
``<channel>:checkin:<check-in id>`` with ``reply_key`` ``sms:<inbound id>`` (answered by SMS) or
``answer:<first answer id>`` (sent from the app). Each resolves to the patient's message (its
text and when it arrived) or to the check-in read back: every question of the instrument in
order with its wording and the answer in words, and the score. A finding with nothing to show (a
missed check-in, an undelivered prompt, a record older than these keys) says why.

The rows are read once per kind for the whole alert (messages, answers named by a key, check-ins
and their answers), never once per finding, and only the alert's own patient's rows are shown.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from companion.clinical.instruments import INSTRUMENTS, read_back
from companion.models import Alert, Answer, CheckIn, InboundMessage
from companion.safety.schemas import CheckInAnswers, FindingEvidence, ItemRead, MessageWords

__all__ = ["checkin_answers", "for_alert", "kinds"]

EvidenceKind = Literal["message", "checkin", "none"]
_NOT_SENT = {
    "scheduler:missed": "Raised by missed check-ins: nothing the patient sent.",
    "provider:undelivered": "Raised by a prompt that could not be delivered: nothing the patient sent.",
}
_UNKEYED = "Recorded before findings named what raised them: nothing to show."
_GONE = "What raised it is no longer stored."


@dataclass(frozen=True)
class _Keys:
    message_id: int | None
    checkin_id: int | None
    answer_id: int | None


def _id(text: str, prefix: str) -> int | None:
    rest = text.removeprefix(prefix)
    return int(rest) if rest != text and rest.isdigit() else None


def _keys(finding: Mapping[str, Any]) -> _Keys:
    source, reply_key = str(finding.get("source") or ""), str(finding.get("reply_key") or "")
    _, _, after = source.partition(":checkin:")
    return _Keys(message_id=_id(reply_key, "sms:"), checkin_id=int(after) if after.isdigit() else None,
                 answer_id=_id(reply_key, "answer:"))


def checkin_answers(checkin: CheckIn, answers: Mapping[str, Any]) -> CheckInAnswers:
    """The check-in read back: every question of its instrument in order with the answer."""
    assert checkin.id is not None
    instrument = INSTRUMENTS.get(checkin.instrument)
    items = [ItemRead(number=i.number, key=i.key, question=i.question, state=i.state, value=i.value, label=i.label)
             for i in read_back(instrument, answers)] if instrument is not None else [
        ItemRead(number=n, key=k, question=k, state="answered" if v is not None else "skipped", value=v,
                 label=None if v is None else str(v)) for n, (k, v) in enumerate(answers.items(), start=1)]
    return CheckInAnswers(
        id=checkin.id, patient_id=checkin.patient_id, instrument=checkin.instrument,
        title=instrument.title if instrument is not None else checkin.instrument,
        instrument_version=checkin.instrument_version, source=checkin.source, status=checkin.status,
        started_at=checkin.started_at, completed_at=checkin.completed_at, total=checkin.total, band=checkin.band,
        flags=list(checkin.flags), items=items,
    )


async def _messages(session: AsyncSession, patient_id: int, ids: set[int]) -> dict[int, MessageWords]:
    if not ids:
        return {}
    rows = await session.execute(
        select(col(InboundMessage.id), col(InboundMessage.body), col(InboundMessage.received_at))
        .where(col(InboundMessage.id).in_(ids), col(InboundMessage.patient_id) == patient_id)
    )
    return {i: MessageWords(id=i, text=body, received_at=at) for i, body, at in rows.all() if i is not None}


async def _checkin_of_answers(session: AsyncSession, patient_id: int, ids: set[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = await session.execute(
        select(col(Answer.id), col(Answer.checkin_id))
        .where(col(Answer.id).in_(ids), col(Answer.patient_id) == patient_id)
    )
    return {answer_id: checkin_id for answer_id, checkin_id in rows.all() if answer_id is not None}


async def _checkins(session: AsyncSession, patient_id: int, ids: set[int]) -> dict[int, CheckInAnswers]:
    if not ids:
        return {}
    checkins = list((await session.execute(
        select(CheckIn).where(col(CheckIn.id).in_(ids), col(CheckIn.patient_id) == patient_id)
    )).scalars())
    answers: dict[int, dict[str, Any]] = defaultdict(dict)
    rows = await session.execute(
        select(col(Answer.checkin_id), col(Answer.question_key), col(Answer.value))
        .where(col(Answer.checkin_id).in_([c.id for c in checkins])).order_by(col(Answer.id))
    )
    for checkin_id, key, value in rows.all():
        answers[checkin_id][key] = value  # a later answer to a question supersedes an earlier one
    return {c.id: checkin_answers(c, answers[c.id]) for c in checkins if c.id is not None}


def _nothing(finding: Mapping[str, Any], keys: _Keys) -> str:
    source = str(finding.get("source") or "")
    if source in _NOT_SENT:
        return _NOT_SENT[source]
    if keys == _Keys(None, None, None):
        return _UNKEYED
    return _GONE


async def for_alert(session: AsyncSession, alert: Alert) -> list[FindingEvidence]:
    """The evidence of each of the alert's findings, in their order."""
    keys = [_keys(finding) for finding in alert.findings]
    messages = await _messages(session, alert.patient_id, {k.message_id for k in keys if k.message_id is not None})
    by_answer = await _checkin_of_answers(
        session, alert.patient_id, {k.answer_id for k in keys if k.answer_id is not None and k.checkin_id is None})
    checkin_ids = [k.checkin_id if k.checkin_id is not None else by_answer.get(k.answer_id or 0) for k in keys]
    checkins = await _checkins(session, alert.patient_id, {i for i in checkin_ids if i is not None})
    out = []
    for finding, key, checkin_id in zip(alert.findings, keys, checkin_ids, strict=True):
        message = messages.get(key.message_id) if key.message_id is not None else None
        checkin = checkins.get(checkin_id) if checkin_id is not None else None
        kind: EvidenceKind = "checkin" if checkin is not None else "message" if message is not None else "none"
        out.append(FindingEvidence(
            rule_id=finding.get("rule_id"), reply_key=finding.get("reply_key"), kind=kind, message=message,
            checkin=checkin, note=_nothing(finding, key) if kind == "none" else None,
        ))
    return out


def kinds(evidence: Iterable[FindingEvidence]) -> dict[str, int]:
    """How many findings of each kind of evidence a read showed (for the audit trail: no PHI)."""
    counts: dict[str, int] = defaultdict(int)
    for item in evidence:
        counts[item.kind] += 1
    return dict(counts)
