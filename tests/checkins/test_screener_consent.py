"""The screener and consent by SMS: nothing is asked of a patient who opted out (the question is
kept as not deliverable and the care team hears of it), START resumes the open screener at its
first unanswered question, an answer counts only against a question that was sent, and the
questionnaire the screener interrupted does not stay on the question that started it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from companion.clinical.instruments import get_instrument
from companion.clock import FrozenClock
from companion.models import Alert, Answer, OutboundMessage, Prompt
from tests.checkins.helpers import make_prompt
from tests.conftest import World
from tests.messaging.conftest import Sms

PHONE = "+12025550142"
CSSRS = get_instrument("cssrs")


async def _prompts(session: AsyncSession, instrument: str) -> list[Prompt]:
    query = select(Prompt).where(Prompt.instrument == instrument).execution_options(populate_existing=True)
    return list((await session.execute(query)).scalars())


async def _answers(session: AsyncSession) -> list[tuple[str, object]]:
    rows = await session.execute(select(Answer.question_key, Answer.value).order_by(Answer.id))  # type: ignore[call-overload]
    return [(key, value) for key, value in rows.all()]


async def test_stop_a_crisis_message_then_start_asks_the_screener_only_after_start(
    world: World, session: AsyncSession, sms: Sms
) -> None:
    clinic = await world.clinic()
    await world.patient(clinic, phone=PHONE)
    await sms.say(PHONE, "STOP")
    assert await sms.say(PHONE, "i want to kill myself") == []

    [screener] = await _prompts(session, "cssrs")
    assert (screener.status, screener.current_question) == ("open", None)
    kept = (
        await session.execute(
            select(OutboundMessage.body, OutboundMessage.status).where(OutboundMessage.purpose == "prompt")
        )
    ).all()
    assert [status for _, status in kept] == ["suppressed", "suppressed"]
    assert kept[-1][0] == CSSRS.questions[0].sms_text
    alerts = list((await session.execute(select(Alert))).scalars())
    rules = [f["rule_id"] for alert in alerts for f in alert.findings]
    assert "undelivered_during_alert" in rules and "language_intent" in rules

    # A "no" while opted out answers nothing: no question was sent.
    await sms.say(PHONE, "no")
    assert await _answers(session) == []

    replies = await sms.say(PHONE, "START")
    assert replies[-2:] == [CSSRS.sms_intro, CSSRS.questions[0].sms_text]
    [screener] = await _prompts(session, "cssrs")
    assert screener.current_question == "cssrs_1"
    await sms.say(PHONE, "no")
    assert await _answers(session) == [("cssrs_1", False)]


async def test_start_resumes_the_screener_at_its_first_unanswered_question(
    world: World, session: AsyncSession, sms: Sms
) -> None:
    clinic = await world.clinic()
    await world.patient(clinic, phone=PHONE)
    await sms.say(PHONE, "i want to kill myself")
    await sms.say(PHONE, "no")
    await sms.say(PHONE, "STOP")
    await sms.say(PHONE, "no")  # answers item 2, sent before the STOP
    await sms.say(PHONE, "no")  # item 6 was never sent after the STOP: not an answer
    assert await _answers(session) == [("cssrs_1", False), ("cssrs_2", False)]
    replies = await sms.say(PHONE, "START")
    assert replies[-1] == CSSRS.question("cssrs_6").sms_text
    await sms.say(PHONE, "no")
    assert (await _answers(session))[-1] == ("cssrs_6", False)


async def test_the_phq9_does_not_stay_on_item_9_after_it_starts_the_screener(
    world: World, session: AsyncSession, sms: Sms, clock: FrozenClock
) -> None:
    clinic = await world.clinic()
    patient = await world.patient(clinic, phone=PHONE)
    phq9 = await make_prompt(session, clock, patient.id or 0, "phq9")
    for _ in range(8):
        await sms.say(PHONE, "0")
    replies = await sms.say(PHONE, "2")  # item 9
    assert CSSRS.sms_intro in replies
    [stored] = await _prompts(session, "phq9")
    assert stored.id == phq9.id and stored.current_question != "phq9_9"
    for _ in range(3):
        await sms.say(PHONE, "no")
    [screener] = await _prompts(session, "cssrs")
    assert screener.status == "answered"
    await sms.say(PHONE, "3")  # a later reply is not a new item-9 answer
    assert [v for k, v in await _answers(session) if k == "phq9_9"] == [2]


async def test_an_interrupted_questionnaire_resumes_after_the_screener(
    world: World, session: AsyncSession, sms: Sms, clock: FrozenClock
) -> None:
    clinic = await world.clinic()
    patient = await world.patient(clinic, phone=PHONE)
    phq9 = await make_prompt(session, clock, patient.id or 0, "phq9")
    phq9.current_question = "phq9_9"  # item 9 asked before the others (as a questionnaire resumed)
    await session.commit()
    await sms.say(PHONE, "1")
    [stored] = await _prompts(session, "phq9")
    assert stored.current_question is None
    for _ in range(2):
        await sms.say(PHONE, "no")
    replies = await sms.say(PHONE, "no")
    assert replies[-1] == get_instrument("phq9").questions[0].sms_text
    await sms.say(PHONE, "2")
    answers = await _answers(session)
    assert ("phq9_1", 2) in answers and [v for k, v in answers if k == "phq9_9"] == [1]
