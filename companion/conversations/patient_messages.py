"""The patient-message entry point: every SMS from a patient that is not a keyword comes here.

Risk language is scanned first, whatever question is open; then the message answers the newest
open, unexpired prompt, one question at a time. A reply that cannot be read is asked again with
the range; after 3 such replies the patient gets a link to answer in the app instead.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from companion.auth import links
from companion.checkins.screener import reachable_by_sms, resume_sms, start_now
from companion.checkins.services import checkin_for_prompt, newest_open_prompt, record_answers
from companion.clinical import texts
from companion.clinical.instruments import get_instrument, next_question, sms_messages
from companion.clinical.protocol import Protocol
from companion.clinical.replies import Invalid, Parsed, confirmation_text, parse_answer
from companion.clock import Clock
from companion.models import AlertSeverity, InboundMessage, Patient, Prompt
from companion.safety.judge import judge_message
from companion.settings import Settings

MAX_INVALID_REPLIES = 3


async def handle_patient_message(
    session: AsyncSession, clock: Clock, settings: Settings, protocol: Protocol, patient: Patient,
    inbound: InboundMessage,
) -> list[str]:
    """Answer a patient's SMS; returns the replies, in order."""
    assert patient.id is not None
    # Every message is judged by the clinic's protocol (its priority on arrival only ordered it).
    verdict = await judge_message(session, clock, protocol, patient, inbound.body, "sms",
                                 reply_key=f"sms:{inbound.id}")
    replies = list(verdict.replies)
    if verdict.raised:
        inbound.needs_review = True
    # A concern (another person's risk, a resolved past) is for the care team to read; only risk
    # about the patient now asks the screener and sets the message apart from an answer.
    serious = any(r.alert.severity in {AlertSeverity.URGENT, AlertSeverity.HIGH} for r in verdict.raised)
    prompt = await newest_open_prompt(session, clock, patient.id, "sms")
    if prompt is None or prompt.current_question is None:
        inbound.needs_review = True
        if serious:
            # The safety reply has gone out through the outbox; ask the screener if not asked yet.
            screener = await start_now(session, clock, patient, "cssrs", "sms", f"cssrs:message:{inbound.id}",
                                       protocol)
            return replies + (screener[1] if screener else [])
        return replies or [texts.PATIENT_MESSAGE_SAVED]
    if serious and not _could_be_an_answer(prompt, inbound.body):
        return replies
    replies.extend(await _answer_prompt(session, clock, settings, protocol, patient, prompt, inbound))
    return replies


def _could_be_an_answer(prompt: Prompt, body: str) -> bool:
    """After risk language, only a reply that parses as an answer is taken as one; the rest is a
    message for the care team (already in the alert), not a wrong answer to ask again."""
    instrument = get_instrument(prompt.instrument)
    return isinstance(parse_answer(body, instrument.question(prompt.current_question or "")), Parsed)


async def _answer_prompt(
    session: AsyncSession, clock: Clock, settings: Settings, protocol: Protocol, patient: Patient, prompt: Prompt,
    inbound: InboundMessage,
) -> list[str]:
    instrument = get_instrument(prompt.instrument)
    question = instrument.question(prompt.current_question or "")
    parsed = parse_answer(inbound.body, question)
    if isinstance(parsed, Invalid):
        # Something that is not an answer may be a message to the care team.
        inbound.needs_review = True
        prompt.invalid_replies += 1
        if prompt.invalid_replies >= MAX_INVALID_REPLIES:
            return [f"Let's try the app instead: {links.link_url(settings, prompt)}"]
        return [parsed.message]
    assert isinstance(parsed, Parsed)
    prompt.invalid_replies = 0
    checkin = await checkin_for_prompt(session, clock, patient, prompt, "sms")
    recorded = await record_answers(session, clock, protocol, patient, checkin, [(question.key, parsed.value)],
                                    "sms", inbound_message_id=inbound.id)
    replies = [confirmation_text(question, parsed.value), *recorded.judgement.replies]
    following = next_question(instrument, recorded.answers, "sms")
    screener = None
    if recorded.judgement.start_instrument:
        screener = await start_now(session, clock, patient, recorded.judgement.start_instrument, "sms",
                                   f"{recorded.judgement.start_instrument}:{recorded.checkin.id}", protocol)
    if screener is not None:
        # The screener comes first; the questionnaire it interrupted waits with no question asked
        # (a later reply is not an answer to the one just answered) and resumes after it.
        prompt.current_question = None
        replies.extend(screener[1])
        return replies
    if following is None:
        prompt.current_question = None
        replies.append(texts.ALL_DONE)
        return replies + await resume_sms(session, clock, patient)
    if not reachable_by_sms(patient):
        # Nothing reaches an opted-out patient: the next question waits for a START.
        prompt.current_question = None
        return replies
    prompt.current_question = following.key
    replies.extend(sms_messages(instrument, following)[-1:])
    return replies
