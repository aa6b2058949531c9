import pytest

from companion.clinical.instruments import (
    INSTRUMENTS,
    SMS_MAX_CHARS,
    AnswerType,
    Question,
    get_instrument,
    gsm7_length,
)
from companion.clinical.replies import (
    Ack,
    Invalid,
    Keyword,
    Parsed,
    Resolve,
    StaffCommandError,
    classify_keyword,
    confirmation_text,
    is_conditional_opt_in,
    parse_answer,
    parse_staff_command,
    reask_text,
)

MOOD = get_instrument("mood").question("mood")
SLEEP = get_instrument("mood").question("sleep_hours")
NOTE = get_instrument("mood").question("note")
PHQ9_1 = get_instrument("phq9").question("phq9_1")
DIZZINESS = get_instrument("post_session").question("dizziness")
CSSRS_1 = get_instrument("cssrs").question("cssrs_1")

ALL_QUESTIONS = [
    pytest.param(question, id=f"{instrument.code}.{question.key}")
    for instrument in INSTRUMENTS.values()
    for question in instrument.questions
]

# --- keywords ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "keyword"),
    [
        ("STOP", Keyword.OPT_OUT),
        ("stop", Keyword.OPT_OUT),
        ("  Stop  ", Keyword.OPT_OUT),
        ("Stop.", Keyword.OPT_OUT),
        ("STOP!!", Keyword.OPT_OUT),
        ("stop\n", Keyword.OPT_OUT),
        ("\uff33\uff34\uff2f\uff30", Keyword.OPT_OUT),  # full-width
        ("StopAll", Keyword.OPT_OUT),
        ("unsubscribe", Keyword.OPT_OUT),
        ("Cancel", Keyword.OPT_OUT),
        ("end", Keyword.OPT_OUT),
        ("QUIT", Keyword.OPT_OUT),
        ("revoke", Keyword.OPT_OUT),
        ("OptOut", Keyword.OPT_OUT),
        ("START", Keyword.OPT_IN),
        ("start!", Keyword.OPT_IN),
        ("Unstop", Keyword.OPT_IN),
        ("YES", Keyword.OPT_IN),
        ("yes.", Keyword.OPT_IN),
        ("HELP", Keyword.HELP),
        ("help?", Keyword.HELP),
        (" info ", Keyword.HELP),
        ("stop it please", None),
        ("please stop", None),
        ("I want to stop", None),
        ("don't stop", None),
        ("STOP STOP", None),
        ("s top", None),
        ("stopp", None),
        ("yes please", None),
        ("helpful", None),
        ("7", None),
        ("", None),
        ("   ", None),
        ("no", None),
    ],
)
def test_classify_keyword(body: str, keyword: Keyword | None) -> None:
    assert classify_keyword(body) == keyword


@pytest.mark.parametrize(
    ("body", "conditional"),
    [("YES", True), ("yes", True), (" Yes! ", True), ("START", False), ("UNSTOP", False), ("yeah", False)],
)
def test_is_conditional_opt_in(body: str, conditional: bool) -> None:
    assert is_conditional_opt_in(body) is conditional


# --- staff commands ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "command"),
    [
        ("ACK 4821", Ack("4821")),
        ("ack 4821", Ack("4821")),
        ("  Ack    4821  ", Ack("4821")),
        ("ACK\t4821", Ack("4821")),
        ("ACK #4821", Ack("4821")),
        ("ACK 4821.", Ack("4821")),
        ("ack ab12cd", Ack("AB12CD")),
        ("ACK ABCD1234", Ack("ABCD1234")),
        ("ACK", Ack(None)),
        ("ack.", Ack(None)),
        (" Ack ", Ack(None)),
        ("RESOLVE 4821 Called patient, safe at home", Resolve("4821", "Called patient, safe at home")),
        ("resolve   4821    spoke to patient  ", Resolve("4821", "spoke to patient")),
        ("Resolve ab12 ok", Resolve("AB12", "ok")),
        ("RESOLVE 4821 line one\nline two", Resolve("4821", "line one\nline two")),
        ("RESOLVE 4821", StaffCommandError("Please include a note: RESOLVE 4821 <note>")),
        ("resolve 4821   ", StaffCommandError("Please include a note: RESOLVE 4821 <note>")),
        ("RESOLVE", StaffCommandError("Please include the alert code and a note: RESOLVE <code> <note>")),
        ("ACK 482", StaffCommandError("Alert codes are 4 to 8 letters or digits, e.g. ACK 4821.")),
        ("ACK 123456789", StaffCommandError("Alert codes are 4 to 8 letters or digits, e.g. ACK 4821.")),
        ("ACK 48-21", StaffCommandError("Alert codes are 4 to 8 letters or digits, e.g. ACK 4821.")),
        ("RESOLVE 12 done", StaffCommandError("Alert codes are 4 to 8 letters or digits, e.g. ACK 4821.")),
        (
            "ACK 4821 on my way",
            StaffCommandError("To acknowledge, reply ACK <code>, or just ACK for your newest alert."),
        ),
        ("hello", None),
        ("acknowledged", None),
        ("ACK4821", None),
        ("please ack 4821", None),
        ("", None),
        ("   ", None),
    ],
)
def test_parse_staff_command(body: str, command: object) -> None:
    assert parse_staff_command(body) == command


# --- answers: scale ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "value"),
    [
        ("7", 7),
        ("0", 0),
        ("10", 10),
        (" 7.", 7),
        ("7!", 7),
        ("07", 7),
        ("7/10", 7),
        ("7 / 10", 7),
        ("7 out of 10", 7),
        ("7 of 10", 7),
        ("10/10", 10),
        ("10 out of 10", 10),
        ("out of 10, a 7", 7),
        ("seven", 7),
        ("Seven!", 7),
        ("SEVEN", 7),
        ("zero", 0),
        ("ten", 10),
        ("seven out of ten", 7),
        ("it's a 7 today", 7),
        ("It\u2019s a 7 today", 7),
        ("I'd say 7", 7),
        ("7 today", 7),
        ("7 7", 7),  # the same number twice is still one answer
        ("\uff17", 7),  # full-width
        ("\uff11\uff10", 10),
        ("\uff17\uff0f\uff11\uff10", 7),
        ("\u0667", 7),  # Arabic-Indic
        ("\u06f7", 7),  # extended Arabic-Indic
        ("७", 7),  # Devanagari
        ("7 🙂", 7),
        ("🙂7🙂", 7),
        ("😊 8", 8),
        ("7️⃣", 7),
        ("1️⃣0️⃣", 10),
        ("🔟", 10),
        ("6.0", 6),
    ],
)
def test_parse_scale(body: str, value: int) -> None:
    result = parse_answer(body, MOOD)
    assert result == Parsed(value)
    assert type(result.value) is int  # type: ignore[union-attr]


RANGE_0_10 = "Please reply with one number from 0 to 10."


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("\n\t", "empty"),
        ("5-6", "ambiguous"),
        ("5 - 6", "ambiguous"),
        ("5\u20136", "ambiguous"),  # en dash
        ("5 to 6", "ambiguous"),
        ("between 5 and 6", "ambiguous"),
        ("7 or 8", "ambiguous"),
        ("seven or eight", "ambiguous"),
        ("5 6", "ambiguous"),
        ("5, 6", "ambiguous"),
        ("7/9", "ambiguous"),  # a denominator that is not the scale's maximum
        ("7 today, 3 yesterday", "ambiguous"),
        ("6.5", "ambiguous"),
        ("6,5", "ambiguous"),
        ("6 and a half", "ambiguous"),
        ("6½", "ambiguous"),
        ("7:30", "ambiguous"),
        ("11", "out_of_range"),
        ("100", "out_of_range"),
        ("eleven", "out_of_range"),
        ("twenty", "out_of_range"),
        ("-1", "out_of_range"),
        ("\u22121", "out_of_range"),  # minus sign
        ("mood -3", "out_of_range"),
        ("10.5", "out_of_range"),
        ("9" * 150, "out_of_range"),
        ("good", "unrecognised"),
        ("ok", "unrecognised"),
        ("🙂", "unrecognised"),
        ("none", "unrecognised"),
        ("?", "unrecognised"),
    ],
)
def test_parse_scale_invalid(body: str, reason: str) -> None:
    result = parse_answer(body, MOOD)
    assert isinstance(result, Invalid)
    assert result.reason == reason
    assert result.message.endswith(RANGE_0_10)


def test_reask_messages_state_the_range() -> None:
    assert parse_answer("", MOOD) == Invalid("empty", RANGE_0_10)
    assert parse_answer("5-6", MOOD) == Invalid("ambiguous", "Sorry, we need a single answer. " + RANGE_0_10)
    assert parse_answer("11", MOOD) == Invalid("out_of_range", "Sorry, that is outside the range. " + RANGE_0_10)
    assert parse_answer("good", MOOD) == Invalid("unrecognised", "Sorry, we didn't understand. " + RANGE_0_10)


# --- answers: number -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "value"),
    [
        ("7", 7.0),
        ("7.5", 7.5),
        ("0", 0.0),
        ("24", 24.0),
        ("8 hours", 8.0),
        ("about 6h", 6.0),
        ("seven", 7.0),
        ("twenty-four", 24.0),
        ("twenty four", 24.0),
        ("7 and a half", 7.5),
        ("7½", 7.5),
        ("6/24", 6.0),
    ],
)
def test_parse_number(body: str, value: float) -> None:
    result = parse_answer(body, SLEEP)
    assert result == Parsed(value)
    assert type(result.value) is float  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("25", "out_of_range"),
        ("twenty-five", "out_of_range"),
        ("-2", "out_of_range"),
        ("6-7", "ambiguous"),
        ("11pm to 6am", "ambiguous"),
        ("half", "unrecognised"),
        ("lots", "unrecognised"),
    ],
)
def test_parse_number_invalid(body: str, reason: str) -> None:
    result = parse_answer(body, SLEEP)
    assert isinstance(result, Invalid)
    assert result.reason == reason
    assert result.message.endswith("Please reply with one number from 0 to 24.")


# --- answers: choice -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "value"),
    [
        ("0", 0),
        ("1", 1),
        ("2", 2),
        ("3", 3),
        ("\uff12", 2),
        ("two", 2),
        ("Not at all", 0),
        ("not at all.", 0),
        ("never", 0),
        ("Several days", 1),
        ("several", 1),
        ("More than half the days", 2),
        ("more than half", 2),
        ("over half the days", 2),
        ("Nearly every day", 3),
        ("nearly every day!", 3),
        ("every day", 3),
        ("almost every day", 3),
        ("2 more than half the days", 2),
        ("2 (More than half the days)", 2),
        ("2/3", 2),
        ("3 🙁", 3),
    ],
)
def test_parse_frequency_choice(body: str, value: int) -> None:
    assert parse_answer(body, PHQ9_1) == Parsed(value)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("4", "out_of_range"),
        ("-1", "out_of_range"),
        ("7/10", "ambiguous"),
        ("1 nearly every day", "ambiguous"),
        ("several days or every day", "ambiguous"),
        ("1-2", "ambiguous"),
        ("1.5", "ambiguous"),
        ("sometimes", "unrecognised"),
        ("yes", "unrecognised"),
    ],
)
def test_parse_frequency_choice_invalid(body: str, reason: str) -> None:
    result = parse_answer(body, PHQ9_1)
    assert isinstance(result, Invalid)
    assert result.reason == reason
    assert result.message.endswith(
        "Please reply with one number: 0 Not at all, 1 Several days, 2 More than half the days, 3 Nearly every day."
    )


@pytest.mark.parametrize(
    ("body", "value"),
    [
        ("none", 0),
        ("None", 0),
        ("no", 0),
        ("0", 0),
        ("mild", 1),
        ("a little", 1),
        ("a bit", 1),
        ("1", 1),
        ("strong", 2),
        ("STRONG", 2),
        ("severe", 2),
        ("2", 2),
    ],
)
def test_parse_side_effect_choice(body: str, value: int) -> None:
    assert parse_answer(body, DIZZINESS) == Parsed(value)


@pytest.mark.parametrize(
    ("body", "reason"),
    [("3", "out_of_range"), ("mild to strong", "ambiguous"), ("yes", "unrecognised"), ("", "empty")],
)
def test_parse_side_effect_choice_invalid(body: str, reason: str) -> None:
    result = parse_answer(body, DIZZINESS)
    assert isinstance(result, Invalid)
    assert result.reason == reason
    assert result.message.endswith("Please reply with one number: 0 None, 1 Mild, 2 Strong.")


# --- answers: yes/no -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "value"),
    [
        ("yes", True),
        ("YES", True),
        ("Yes.", True),
        ("y", True),
        ("Y", True),
        ("yeah", True),
        ("yep", True),
        ("yup", True),
        ("sure", True),
        ("Yes I have", True),
        ("yes 👍", True),
        ("\uff39\uff25\uff33", True),
        ("no", False),
        ("NO", False),
        ("No.", False),
        ("n", False),
        ("nope", False),
        ("nah", False),
        ("not really", False),
        ("Not really.", False),
        ("no, never", False),
        ("never", False),
        ("no not really", False),
    ],
)
def test_parse_yes_no(body: str, value: bool) -> None:
    result = parse_answer(body, CSSRS_1)
    assert result == Parsed(value)
    assert type(result.value) is bool  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("", "empty"),
        ("ok", "unrecognised"),
        ("okay", "unrecognised"),
        ("1", "unrecognised"),
        ("0", "unrecognised"),
        ("👍", "unrecognised"),
        ("I'm fine", "unrecognised"),
        ("yes and no", "ambiguous"),
        ("yes, no", "ambiguous"),
        ("not sure", "ambiguous"),
        ("I'm not sure", "ambiguous"),
        ("maybe", "ambiguous"),
        ("no idea", "ambiguous"),
        ("I don't know", "ambiguous"),
        ("idk", "ambiguous"),
    ],
)
def test_parse_yes_no_invalid(body: str, reason: str) -> None:
    result = parse_answer(body, CSSRS_1)
    assert isinstance(result, Invalid)
    assert result.reason == reason
    assert result.message.endswith("Please reply YES or NO.")


# --- answers: text -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "value"),
    [
        ("Slept badly", "Slept badly"),
        ("  Feeling a bit low today.  ", "Feeling a bit low today."),
        ("7", "7"),
        ("🙂", "🙂"),
        ("x" * 1600, "x" * 1600),
    ],
)
def test_parse_text(body: str, value: str) -> None:
    assert parse_answer(body, NOTE) == Parsed(value)


def test_parse_text_invalid() -> None:
    assert parse_answer("  ", NOTE) == Invalid("empty", "Please reply with a short message.")
    too_long = parse_answer("x" * 1601, NOTE)
    assert isinstance(too_long, Invalid)
    assert too_long.reason == "out_of_range"


# --- long bodies ---------------------------------------------------------------------------------

LONG_BODIES = [
    pytest.param("x" * 1600, "unrecognised", id="letters"),
    pytest.param("a" * 1599 + "7", "unrecognised", id="letters then a digit"),
    pytest.param("7" * 1600, "out_of_range", id="one huge number"),
    pytest.param("7 " * 800, "unrecognised", id="the same number many times"),
    pytest.param("1 2 " * 400, "ambiguous", id="two numbers many times"),
    pytest.param("5-6-" * 400, "ambiguous", id="dashes"),
    pytest.param("1." * 800, "ambiguous", id="dots"),
    pytest.param("-" * 1599 + "1", "out_of_range", id="a negative number"),
    pytest.param("yes " * 400, "unrecognised", id="yes many times"),
    pytest.param(
        "I had a hard day today and wanted to tell someone about it. " * 26 + "It's a 7.",
        "unrecognised",
        id="a story with one number",
    ),
    pytest.param("🙂" * 1600, "unrecognised", id="emoji"),
    pytest.param("\u0667" * 1600, "out_of_range", id="Arabic-Indic digits"),
]


@pytest.mark.parametrize("question", [MOOD, SLEEP, PHQ9_1, DIZZINESS, CSSRS_1], ids=lambda q: q.key)
@pytest.mark.parametrize(("body", "reason"), LONG_BODIES)
def test_a_1600_character_body_is_never_taken_as_an_answer(question: Question, body: str, reason: str) -> None:
    result = parse_answer(body[:1600], question)
    assert isinstance(result, Invalid)
    if question is MOOD:
        assert result.reason == reason
    else:
        assert result.reason in ("unrecognised", "ambiguous", "out_of_range")


def test_a_short_answer_with_a_story_is_still_an_answer() -> None:
    assert parse_answer("Rough night but a 6 today, thanks for asking", MOOD) == Parsed(6)


# --- every question: parse, confirm, re-ask ------------------------------------------------------


@pytest.mark.parametrize("question", ALL_QUESTIONS)
def test_reask_and_confirmation_texts_fit_one_segment(question: Question) -> None:
    texts = [reask_text(question)]
    for reason_body in ("", "5-6 or yes no", "99", "zzz"):
        result = parse_answer(reason_body, question)
        if isinstance(result, Invalid):
            texts.append(result.message)
    if question.answer_type is AnswerType.CHOICE:
        texts += [confirmation_text(question, choice.value) for choice in question.choices]
    elif question.answer_type is AnswerType.YESNO:
        texts += [confirmation_text(question, True), confirmation_text(question, False)]
    elif question.answer_type is AnswerType.TEXT:
        texts.append(confirmation_text(question, "x" * 1600))
    else:
        assert question.min is not None and question.max is not None
        texts += [confirmation_text(question, question.min), confirmation_text(question, question.max)]
    for text in texts:
        length = gsm7_length(text)
        assert length is not None, text
        assert length < SMS_MAX_CHARS


@pytest.mark.parametrize("question", ALL_QUESTIONS)
def test_every_choice_label_and_alias_parses_to_its_value(question: Question) -> None:
    for choice in question.choices:
        for phrase in (choice.label, *choice.aliases):
            assert parse_answer(phrase, question) == Parsed(choice.value), phrase
        assert parse_answer(str(choice.value), question) == Parsed(choice.value)


# --- confirmations -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "value", "text"),
    [
        (MOOD, 7, "Thanks, mood 7 saved for today."),
        (MOOD, 0, "Thanks, mood 0 saved for today."),
        (get_instrument("mood").question("anxiety"), 3, "Saved: 3."),
        (SLEEP, 7.5, "Saved: 7.5."),
        (SLEEP, 8.0, "Saved: 8."),
        (PHQ9_1, 2, "Saved: 2 (More than half the days)."),
        (PHQ9_1, 0, "Saved: 0 (Not at all)."),
        (DIZZINESS, 2, "Saved: 2 (Strong)."),
        (CSSRS_1, True, "Saved: yes."),
        (CSSRS_1, False, "Saved: no."),
        (NOTE, "I feel fine", "Thanks, your message is saved for your care team."),
    ],
)
def test_confirmation_text(question: Question, value: object, text: str) -> None:
    assert confirmation_text(question, value) == text  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("question", "value", "error"),
    [
        (PHQ9_1, 4, KeyError),
        (CSSRS_1, 1, TypeError),
        (MOOD, True, TypeError),
        (MOOD, "7", TypeError),
    ],
)
def test_confirmation_text_rejects_values_of_the_wrong_kind(
    question: Question, value: object, error: type[Exception]
) -> None:
    with pytest.raises(error):
        confirmation_text(question, value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("body", "question", "text"),
    [
        ("7/10", MOOD, "Thanks, mood 7 saved for today."),
        ("seven", MOOD, "Thanks, mood 7 saved for today."),
        ("more than half", PHQ9_1, "Saved: 2 (More than half the days)."),
        ("nope", CSSRS_1, "Saved: no."),
    ],
)
def test_parse_then_confirm(body: str, question: Question, text: str) -> None:
    result = parse_answer(body, question)
    assert isinstance(result, Parsed)
    assert confirmation_text(question, result.value) == text
