"""What a routine inbound SMS means, decided without I/O: the pure half of handling a batch set-based.

Most of what arrives is routine: an answer to the question just asked, a reply that is not one, HELP,
a text from a number nobody has. For such a message :func:`plan` decides exactly what the one-by-one
route (``conversations/router.py``) would: the sender, the replies and the writes to the prompt,
the check-in and its answer. Everything else (risk of any kind under the clinic's protocol, an
answer that calls for the screener or raises a finding, a staff member's number, STOP and START,
a patient not opted in, a questionnaire to resume) is not planned here: ``plan`` returns None and
the message takes the one-by-one route, which judges and alerts. The same rules judge both: a
message is planned only when the clinic's protocol finds nothing in it (docs/sms.md, "Handling").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from companion.clinical import rules, scoring, texts
from companion.clinical.instruments import get_instrument, is_complete, next_question, sms_messages
from companion.clinical.protocol import Protocol
from companion.clinical.replies import (
    Invalid,
    Keyword,
    classify_keyword,
    confirmation_text,
    is_conditional_opt_in,
    parse_answer,
)
from companion.conversations.patient_messages import MAX_INVALID_REPLIES
from companion.models import CheckInStatus, PatientStatus, PromptStatus, SenderKind, SmsConsent
from companion.safety.judge import HISTORY_INSTRUMENTS, answer_findings, message_findings


@dataclass(frozen=True)
class PatientRow:
    """A patient with this number, and the clinic it is enrolled at."""

    id: int
    clinic_id: int
    status: str
    sms_consent: str
    created_at: datetime
    clinic_name: str
    clinic_sms_sender: str | None


@dataclass(frozen=True)
class PromptRow:
    """An open, unexpired SMS prompt of the patient; ``rank`` 1 is the newest (released last)."""

    id: int
    patient_id: int
    instrument: str
    current_question: str | None
    invalid_replies: int
    rank: int
    checkin_id: int | None = None
    checkin_status: str | None = None


@dataclass(frozen=True)
class Known:
    """What the batch read before planning: by number, by patient, by check-in."""

    patients: Mapping[str, Sequence[PatientRow]]  # newest enrolment first
    staff_numbers: frozenset[str]
    prompts: Mapping[int, Sequence[PromptRow]]
    answers: Mapping[int, Mapping[str, Any]]  # by check-in id, a later answer superseding
    history: Mapping[int, rules.History]  # by patient id, for HISTORY_INSTRUMENTS
    protocols: Mapping[int, Protocol]  # by clinic id


@dataclass
class Plan:
    """How one message is handled: its sender fields, its replies and what it writes."""

    sender_kind: str
    replies: list[str]
    patient: PatientRow | None = None
    keyword: str | None = None
    needs_review: bool = False
    prompt: dict[str, Any] | None = None  # the prompt's new fields, with its id
    checkin: dict[str, Any] | None = None  # the check-in's new fields (with its id, or new with no id)
    answer: tuple[str, Any] | None = None  # (question key, value)


def sender(rows: Sequence[PatientRow], to_phone: str) -> PatientRow | None:
    """As routing picks one: the clinic whose number was texted, else the newest enrolment not
    discharged, else the newest."""
    if not rows:
        return None
    texted = next((p for p in rows if p.clinic_sms_sender and p.clinic_sms_sender == to_phone), None)
    if texted is not None:
        return texted
    active = [p for p in rows if p.status != PatientStatus.DISCHARGED]
    return (active or list(rows))[0]


def plan(known: Known, from_phone: str, to_phone: str, body: str, now: datetime) -> Plan | None:
    """The plan for one message, or None when it must take the one-by-one route."""
    if from_phone in known.staff_numbers:
        return None  # a staff member's number: commands, and their own rules
    patient = sender(known.patients.get(from_phone, ()), to_phone)
    if patient is None:
        return Plan(SenderKind.UNKNOWN, [texts.UNKNOWN_SENDER], needs_review=True)
    keyword = classify_keyword(body)
    if keyword is Keyword.OPT_IN and is_conditional_opt_in(body) and patient.sms_consent == SmsConsent.OPTED_IN:
        keyword = None  # YES from a patient opted in is an answer
    if keyword is Keyword.HELP:
        return Plan(SenderKind.PATIENT, [texts.help_reply(patient.clinic_name)], patient, keyword=keyword.value)
    if keyword is not None or patient.sms_consent != SmsConsent.OPTED_IN:
        return None  # consent changes, and the replies of a patient not opted in
    protocol = known.protocols[patient.clinic_id]
    if message_findings(protocol, body):
        return None  # the protocol finds something: judged and alerted one by one
    prompts = known.prompts.get(patient.id, ())
    prompt = next((p for p in prompts if p.rank == 1), None)
    if prompt is None or prompt.current_question is None:
        return Plan(SenderKind.PATIENT, [texts.PATIENT_MESSAGE_SAVED], patient, needs_review=True)
    return _answer(known, protocol, patient, prompt, prompts, body, now)


def _answer(
    known: Known, protocol: Protocol, patient: PatientRow, prompt: PromptRow, prompts: Sequence[PromptRow], body: str,
    now: datetime,
) -> Plan | None:
    instrument = get_instrument(prompt.instrument)
    question = instrument.question(prompt.current_question or "")
    parsed = parse_answer(body, question)
    if isinstance(parsed, Invalid):
        if prompt.invalid_replies + 1 >= MAX_INVALID_REPLIES:
            return None  # the link to the app instead: signed one by one
        return Plan(SenderKind.PATIENT, [parsed.message], patient, needs_review=True,
                    prompt={"id": prompt.id, "invalid_replies": prompt.invalid_replies + 1,
                            "current_question": prompt.current_question, "status": PromptStatus.OPEN,
                            "answered_at": None})
    if prompt.checkin_status == CheckInStatus.COMPLETE:
        return None
    before = known.answers.get(prompt.checkin_id, {}) if prompt.checkin_id is not None else {}
    answers = {**before, question.key: parsed.value}
    event = rules.AnswerEvent(instrument=instrument.code, question_key=question.key, value=parsed.value,
                              answers_so_far=answers)
    history = known.history.get(patient.id, rules.History()) if instrument.code in HISTORY_INSTRUMENTS \
        else rules.History()
    if answer_findings(protocol, event, history) or rules.needs_cssrs(event):
        return None  # a finding, or the screener: judged and alerted one by one
    following = next_question(instrument, answers, "sms")
    complete = is_complete(instrument, answers, "sms")
    if following is None and (not complete or any(p.current_question is None for p in prompts if p.id != prompt.id)):
        return None  # a questionnaire waits to be resumed
    result = scoring.score(instrument.code, answers)
    replies = [confirmation_text(question, parsed.value)]
    if following is None:
        replies.append(texts.ALL_DONE)
    else:
        replies.extend(sms_messages(instrument, following)[-1:])
    status = CheckInStatus.COMPLETE if complete else (prompt.checkin_status or CheckInStatus.PARTIAL)
    checkin: dict[str, Any] = {
        "id": prompt.checkin_id, "total": result.total, "band": result.band, "flags": list(result.flags),
        "updated_at": now, "status": status, "completed_at": now if complete else None,
        "instrument": instrument.code, "instrument_version": instrument.version,
    }
    return Plan(
        SenderKind.PATIENT, replies, patient,
        prompt={"id": prompt.id, "invalid_replies": 0, "current_question": following.key if following else None,
                "status": PromptStatus.ANSWERED if complete else PromptStatus.OPEN,
                "answered_at": now if complete else None},
        checkin=checkin, answer=(question.key, parsed.value),
    )
