import dataclasses

import pytest

from companion.clinical.instruments import (
    INSTRUMENTS,
    SMS_MAX_CHARS,
    TEXT_MAX_CHARS,
    AnswerError,
    AnswerType,
    AskIf,
    Choice,
    Instrument,
    Question,
    UnknownInstrument,
    UnknownQuestion,
    get_instrument,
    gsm7_length,
    is_complete,
    next_question,
    sms_messages,
    validate_answer,
)

ALL_QUESTIONS = [
    pytest.param(instrument, question, id=f"{instrument.code}.{question.key}")
    for instrument in INSTRUMENTS.values()
    for question in instrument.questions
]

FREQUENCY_LEGEND = "Reply 0 Not at all, 1 Several days, 2 More than half the days, 3 Nearly every day"


def _mood(key: str = "mood") -> Question:
    return get_instrument("mood").question(key)


# --- the SMS texts -------------------------------------------------------------------------------


@pytest.mark.parametrize(("instrument", "question"), ALL_QUESTIONS)
def test_every_sms_text_is_one_gsm7_segment(instrument: Instrument, question: Question) -> None:
    length = gsm7_length(question.sms_text)
    assert length is not None, f"{question.key} has a character outside GSM-7"
    assert length < SMS_MAX_CHARS
    assert len(question.sms_text) < 160


@pytest.mark.parametrize("instrument", list(INSTRUMENTS.values()), ids=list(INSTRUMENTS))
def test_every_sms_intro_is_one_gsm7_segment(instrument: Instrument) -> None:
    if instrument.sms_intro is None:
        return
    length = gsm7_length(instrument.sms_intro)
    assert length is not None
    assert length < SMS_MAX_CHARS


@pytest.mark.parametrize(("instrument", "question"), ALL_QUESTIONS)
def test_every_sms_message_body_is_one_gsm7_segment(instrument: Instrument, question: Question) -> None:
    for body in sms_messages(instrument, question):
        length = gsm7_length(body)
        assert length is not None
        assert length < SMS_MAX_CHARS


@pytest.mark.parametrize(("instrument", "question"), ALL_QUESTIONS)
def test_sms_texts_name_no_instrument(instrument: Instrument, question: Question) -> None:
    # SMS carries no diagnosis or score: never the questionnaire's name.
    for body in sms_messages(instrument, question):
        for name in ("PHQ", "GAD", "SSRS", "depression", "score"):
            assert name.casefold() not in body.casefold()


@pytest.mark.parametrize(
    ("code", "keys"),
    [
        ("phq9", [f"phq9_{n}" for n in range(1, 10)]),
        ("gad7", [f"gad7_{n}" for n in range(1, 8)]),
    ],
)
def test_frequency_items_tell_the_answer_range(code: str, keys: list[str]) -> None:
    instrument = get_instrument(code)
    assert list(instrument.keys) == keys
    for question in instrument.questions:
        assert question.answer_type is AnswerType.CHOICE
        assert question.sms_text.endswith("? " + FREQUENCY_LEGEND)
        assert [(c.value, c.label) for c in question.choices] == [
            (0, "Not at all"),
            (1, "Several days"),
            (2, "More than half the days"),
            (3, "Nearly every day"),
        ]


@pytest.mark.parametrize(("instrument", "question"), ALL_QUESTIONS)
def test_yes_no_and_side_effect_sms_texts_tell_how_to_reply(instrument: Instrument, question: Question) -> None:
    if question.answer_type is AnswerType.YESNO:
        assert question.sms_text.endswith("Reply YES or NO")
    if question.answer_type is AnswerType.CHOICE and instrument.code == "post_session":
        assert question.sms_text.endswith("Reply 0 None, 1 Mild or 2 Strong")


def test_intro_is_sent_with_the_first_sms_question_only() -> None:
    phq9 = get_instrument("phq9")
    first, second = phq9.questions[0], phq9.questions[1]
    assert sms_messages(phq9, first) == (phq9.sms_intro, first.sms_text)
    assert sms_messages(phq9, second) == (second.sms_text,)
    mood = get_instrument("mood")
    assert sms_messages(mood, mood.question("mood")) == (mood.question("mood").sms_text,)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello", 5),
        ("", 0),
        ("£5 @ café", 9),
        ("más", None),  # "a" with acute is not in GSM-7
        ("é è à ü Ä", 9),
        ("[x]", 5),  # extension characters cost two
        ("€", 2),
        ("7 🙂", None),
        ("it\u2019s", None),  # curly apostrophe
        ("it's", 4),
    ],
)
def test_gsm7_length(text: str, expected: int | None) -> None:
    assert gsm7_length(text) == expected


# --- wording and structure -----------------------------------------------------------------------

CLINICAL_WORDING = {
    "mood": "How is your mood today, from 0 (worst) to 10 (best)?",
    "phq9_1": "Little interest or pleasure in doing things",
    "phq9_2": "Feeling down, depressed, or hopeless",
    "phq9_3": "Trouble falling or staying asleep, or sleeping too much",
    "phq9_4": "Feeling tired or having little energy",
    "phq9_5": "Poor appetite or overeating",
    "phq9_6": "Feeling bad about yourself, or that you are a failure or have let yourself or your family down",
    "phq9_7": "Trouble concentrating on things, such as reading or watching television",
    "phq9_8": "Moving or speaking so slowly that other people could have noticed, or the opposite, being so "
    "fidgety or restless that you have been moving around a lot more than usual",
    "phq9_9": "Thoughts that you would be better off dead or of hurting yourself in some way",
    "gad7_1": "Feeling nervous, anxious, or on edge",
    "gad7_2": "Not being able to stop or control worrying",
    "gad7_3": "Worrying too much about different things",
    "gad7_4": "Trouble relaxing",
    "gad7_5": "Being so restless that it is hard to sit still",
    "gad7_6": "Becoming easily annoyed or irritable",
    "gad7_7": "Feeling afraid, as if something awful might happen",
    "cssrs_1": "Have you wished you were dead or wished you could go to sleep and not wake up?",
    "cssrs_2": "Have you actually had any thoughts of killing yourself?",
    "cssrs_3": "Have you been thinking about how you might do this?",
    "cssrs_4": "Have you had these thoughts and had some intention of acting on them?",
    "cssrs_5": "Have you started to work out or worked out the details of how to kill yourself, and do you "
    "intend to carry out this plan?",
    "cssrs_6": "Have you ever done anything, started to do anything, or prepared to do anything to end your life?",
    "cssrs_6_recent": "Was this within the past 3 months?",
    "red_flags": "Do you have any severe headache, chest pain, shortness of breath, confusion or vision change?",
    "note": "Anything your care team should know?",
}


@pytest.mark.parametrize(("key", "wording"), list(CLINICAL_WORDING.items()))
def test_app_text_is_the_clinical_wording(key: str, wording: str) -> None:
    matches = [q for i in INSTRUMENTS.values() for q in i.questions if q.key == key]
    assert len(matches) == 1
    assert matches[0].app_text == wording


def test_all_instruments_are_registered() -> None:
    assert set(INSTRUMENTS) == {"mood", "post_session", "phq9", "gad7", "cssrs"}
    for code, instrument in INSTRUMENTS.items():
        assert instrument.code == code
        assert instrument.version
        assert instrument.title
        assert get_instrument(code) is instrument


@pytest.mark.parametrize(
    ("key", "answer_type", "low", "high", "optional", "sms"),
    [
        ("mood", AnswerType.SCALE, 0, 10, False, True),
        ("anxiety", AnswerType.SCALE, 0, 10, True, False),
        ("sleep_hours", AnswerType.NUMBER, 0, 24, True, False),
        ("note", AnswerType.TEXT, None, None, True, False),
    ],
)
def test_mood_questions(
    key: str, answer_type: AnswerType, low: float | None, high: float | None, optional: bool, sms: bool
) -> None:
    question = _mood(key)
    assert (question.answer_type, question.min, question.max) == (answer_type, low, high)
    assert (question.optional, question.sms) == (optional, sms)


def test_post_session_questions() -> None:
    post = get_instrument("post_session")
    assert post.keys == ("home_safely", "dizziness", "nausea", "dissociation", "headache", "red_flags")
    for key in ("dizziness", "nausea", "dissociation", "headache"):
        choices = post.question(key).choices
        assert [(c.value, c.label) for c in choices] == [(0, "None"), (1, "Mild"), (2, "Strong")]
    assert post.question("home_safely").answer_type is AnswerType.YESNO
    assert post.question("red_flags").answer_type is AnswerType.YESNO


def test_cssrs_questions_are_yes_no() -> None:
    cssrs = get_instrument("cssrs")
    assert cssrs.keys == (*(f"cssrs_{n}" for n in range(1, 7)), "cssrs_6_recent")
    assert all(q.answer_type is AnswerType.YESNO and not q.optional and q.sms for q in cssrs.questions)


def test_unknown_instrument() -> None:
    with pytest.raises(UnknownInstrument) as caught:
        get_instrument("bdi")
    assert isinstance(caught.value, KeyError)
    assert "bdi" in str(caught.value)
    assert "phq9" in str(caught.value)


def test_unknown_question() -> None:
    with pytest.raises(UnknownQuestion) as caught:
        get_instrument("phq9").question("phq9_10")
    assert isinstance(caught.value, KeyError)
    assert str(caught.value) == "instrument 'phq9' has no question 'phq9_10'"


def test_instruments_are_immutable() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        _mood().max = 11  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        get_instrument("mood").version = "2"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sms_text": "x" * 160}, "under 160"),
        ({"sms_text": "How are you? 🙂"}, "GSM-7"),
        ({"sms_text": "  "}, "empty"),
        ({"min": None}, "min < max"),
        ({"min": 10, "max": 0}, "min < max"),
        ({"min": 0, "max": 9.5}, "whole-number"),
        ({"choices": (Choice(0, "No"),)}, "only choice questions"),
        ({"answer_type": AnswerType.CHOICE, "min": None, "max": None}, "distinct values"),
        ({"answer_type": AnswerType.YESNO}, "only scale and number"),
    ],
)
def test_question_rejects_bad_definitions(kwargs: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {
        "key": "q",
        "sms_text": "How?",
        "app_text": "How?",
        "answer_type": AnswerType.SCALE,
        "min": 0,
        "max": 10,
    }
    fields.update(kwargs)
    with pytest.raises(ValueError, match=message):
        Question(**fields)  # type: ignore[arg-type]


def test_instrument_rejects_duplicates_and_forward_skip_rules() -> None:
    yes_no = Question(key="a", sms_text="A?", app_text="A?", answer_type=AnswerType.YESNO)
    with pytest.raises(ValueError, match="duplicate"):
        Instrument(code="x", version="1", title="X", questions=(yes_no, yes_no))
    later = dataclasses.replace(yes_no, key="b", ask_if=AskIf("c", True))
    with pytest.raises(ValueError, match="earlier question"):
        Instrument(code="x", version="1", title="X", questions=(yes_no, later))
    with pytest.raises(ValueError, match="at least one"):
        Instrument(code="x", version="1", title="X", questions=())


# --- skip logic ----------------------------------------------------------------------------------


def _key(question: Question | None) -> str | None:
    return question.key if question else None


@pytest.mark.parametrize(
    ("answers", "channel", "expected"),
    [
        ({}, "app", "mood"),
        ({}, "sms", "mood"),
        ({"mood": 7}, "sms", None),
        ({"mood": 7}, "app", "anxiety"),
        ({"mood": 7, "anxiety": None}, "app", "sleep_hours"),  # optional, skipped
        ({"mood": 7, "anxiety": 3, "sleep_hours": 7.5}, "app", "note"),
        ({"mood": 7, "anxiety": 3, "sleep_hours": 7.5, "note": None}, "app", None),
        ({"mood": None}, "app", "mood"),  # a required question cannot be skipped
        ({"anxiety": 3}, "sms", "mood"),
    ],
)
def test_next_question_mood(answers: dict[str, object], channel: str, expected: str | None) -> None:
    assert _key(next_question(get_instrument("mood"), answers, channel)) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({}, "cssrs_1"),
        ({"cssrs_1": False}, "cssrs_2"),
        ({"cssrs_1": False, "cssrs_2": True}, "cssrs_3"),
        ({"cssrs_1": False, "cssrs_2": True, "cssrs_3": False}, "cssrs_4"),
        ({"cssrs_1": False, "cssrs_2": True, "cssrs_3": False, "cssrs_4": False}, "cssrs_5"),
        ({"cssrs_1": True, "cssrs_2": True, "cssrs_3": True, "cssrs_4": True, "cssrs_5": False}, "cssrs_6"),
        # a no to 2 skips 3, 4 and 5
        ({"cssrs_1": True, "cssrs_2": False}, "cssrs_6"),
        ({"cssrs_1": False, "cssrs_2": False}, "cssrs_6"),
        # 6_recent only after a yes to 6
        ({"cssrs_1": False, "cssrs_2": False, "cssrs_6": False}, None),
        ({"cssrs_1": False, "cssrs_2": False, "cssrs_6": True}, "cssrs_6_recent"),
        ({"cssrs_1": False, "cssrs_2": False, "cssrs_6": True, "cssrs_6_recent": False}, None),
        (
            {
                "cssrs_1": True,
                "cssrs_2": True,
                "cssrs_3": False,
                "cssrs_4": False,
                "cssrs_5": False,
                "cssrs_6": False,
            },
            None,
        ),
    ],
)
@pytest.mark.parametrize("channel", ["app", "sms"])
def test_next_question_cssrs(answers: dict[str, object], expected: str | None, channel: str) -> None:
    cssrs = get_instrument("cssrs")
    assert _key(next_question(cssrs, answers, channel)) == expected  # type: ignore[arg-type]
    assert is_complete(cssrs, answers, channel) is (expected is None)  # type: ignore[arg-type]


def test_skip_rules_compare_types_strictly() -> None:
    # an integer 1 stored by mistake is not a yes
    cssrs = get_instrument("cssrs")
    assert _key(next_question(cssrs, {"cssrs_1": False, "cssrs_2": 1})) == "cssrs_6"


def test_next_question_walks_every_phq9_item_in_order() -> None:
    phq9 = get_instrument("phq9")
    answers: dict[str, object] = {}
    asked = []
    while (question := next_question(phq9, answers, "sms")) is not None:
        asked.append(question.key)
        answers[question.key] = 1
    assert asked == [f"phq9_{n}" for n in range(1, 10)]
    assert is_complete(phq9, answers, "sms")


@pytest.mark.parametrize(
    ("answers", "channel", "expected"),
    [
        ({}, "app", False),
        ({}, "sms", False),
        ({"mood": 5}, "sms", True),
        ({"mood": 5}, "app", True),  # the optional app-only questions are not required
        ({"mood": None}, "app", False),
        ({"anxiety": 4, "sleep_hours": 8.0, "note": "ok"}, "app", False),
    ],
)
def test_is_complete_mood(answers: dict[str, object], channel: str, expected: bool) -> None:
    assert is_complete(get_instrument("mood"), answers, channel) is expected  # type: ignore[arg-type]


def test_post_session_complete_needs_every_question() -> None:
    post = get_instrument("post_session")
    answers: dict[str, object] = {"home_safely": True, "dizziness": 0, "nausea": 1, "dissociation": 2}
    assert not is_complete(post, answers, "sms")
    assert _key(next_question(post, answers, "sms")) == "headache"
    answers |= {"headache": 0, "red_flags": False}
    assert is_complete(post, answers, "sms")


# --- validation of app answers -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instrument", "key", "value", "expected"),
    [
        ("mood", "mood", 0, 0),
        ("mood", "mood", 10, 10),
        ("mood", "sleep_hours", 0, 0.0),
        ("mood", "sleep_hours", 7.5, 7.5),
        ("mood", "sleep_hours", 24, 24.0),
        ("mood", "note", "  Slept badly.  ", "Slept badly."),
        ("mood", "note", "x" * TEXT_MAX_CHARS, "x" * TEXT_MAX_CHARS),
        ("phq9", "phq9_1", 0, 0),
        ("phq9", "phq9_9", 3, 3),
        ("post_session", "dizziness", 2, 2),
        ("cssrs", "cssrs_1", True, True),
        ("cssrs", "cssrs_1", False, False),
    ],
)
def test_validate_answer_accepts(instrument: str, key: str, value: object, expected: object) -> None:
    result = validate_answer(get_instrument(instrument).question(key), value)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("instrument", "key", "value", "message"),
    [
        ("mood", "mood", 11, "mood: 11 is out of range; allowed 0 to 10"),
        ("mood", "mood", -1, "mood: -1 is out of range; allowed 0 to 10"),
        ("mood", "mood", 6.5, "mood: expected a whole number from 0 to 10"),
        ("mood", "mood", 7.0, "mood: expected a whole number from 0 to 10"),
        ("mood", "mood", "7", "mood: expected a whole number from 0 to 10"),
        ("mood", "mood", True, "mood: expected a whole number from 0 to 10"),
        ("mood", "mood", None, "mood: expected a whole number from 0 to 10"),
        ("mood", "sleep_hours", 25, "sleep_hours: 25 is out of range; allowed 0 to 24"),
        ("mood", "sleep_hours", -0.5, "sleep_hours: -0.5 is out of range; allowed 0 to 24"),
        ("mood", "sleep_hours", float("nan"), "sleep_hours: nan is out of range; allowed 0 to 24"),
        ("mood", "sleep_hours", "8", "sleep_hours: expected a number from 0 to 24"),
        ("mood", "sleep_hours", False, "sleep_hours: expected a number from 0 to 24"),
        ("mood", "note", "   ", "note: the text is empty"),
        ("mood", "note", "x" * 1001, "note: the text is 1001 characters; at most 1000 allowed"),
        ("mood", "note", 5, "note: expected text of at most 1000 characters"),
        ("phq9", "phq9_2", 4, "phq9_2: 4 is not a choice; allowed 0 (Not at all), 1 (Several days)"),
        ("phq9", "phq9_2", "Several days", "phq9_2: expected one of 0 (Not at all)"),
        ("phq9", "phq9_2", 1.0, "phq9_2: expected one of"),
        ("phq9", "phq9_2", True, "phq9_2: expected one of"),
        ("post_session", "nausea", 3, "nausea: 3 is not a choice; allowed 0 (None), 1 (Mild), 2 (Strong)"),
        ("cssrs", "cssrs_2", 1, "cssrs_2: expected true or false"),
        ("cssrs", "cssrs_2", 0, "cssrs_2: expected true or false"),
        ("cssrs", "cssrs_2", "yes", "cssrs_2: expected true or false"),
    ],
)
def test_validate_answer_rejects(instrument: str, key: str, value: object, message: str) -> None:
    with pytest.raises(AnswerError) as caught:
        validate_answer(get_instrument(instrument).question(key), value)
    assert caught.value.question_key == key
    assert str(caught.value).startswith(message)
    assert isinstance(caught.value, ValueError)
