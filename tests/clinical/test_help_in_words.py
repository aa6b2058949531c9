"""Help asked for in words ("please help", "i need someone to talk to") reads as uncertain: the
safety reply and a person's look (high, same_day). A request for help with a task does not, and
the HELP keyword alone stays the keyword (the conversations floor answers it before any reading)."""

from __future__ import annotations

import pytest

from companion.clinical.language import RiskLevel, assess
from companion.clinical.rules import MessageEvent, evaluate, reply_kind
from companion.protocols import default_protocol

PLEAS = [
    "help me",
    "Help me!",
    "i need help",
    "please help",
    "Please help",
    "pls help",
    "plz help me",
    "help pls",
    "help me please",
    "helpme",
    "can someone help me",
    "could somebody please help me",
    "someone help me please",
    "can anyone help me?",
    "i need someone to talk to",
    "I just need somebody to talk to",
    "i need to talk to someone",
    "i really need help",
]

TASKS = [
    "can someone help me with a ride",
    "help me reschedule",
    "i need help with the app",
    "i need help getting a ride",
    "can you help me with my appointment",
    "i need help finding parking",
    "i need someone to talk to about my bill",
    "could someone help me with the sign in code",
    "help",
]


@pytest.mark.parametrize("text", PLEAS)
def test_help_asked_for_in_words_is_uncertain(text: str) -> None:
    result = assess(text)
    assert (result.level, result.severity) == (RiskLevel.uncertain, "high"), result
    assert result.evidence


@pytest.mark.parametrize("text", TASKS)
def test_help_with_a_task_is_not_an_alarm(text: str) -> None:
    assert assess(text).level == RiskLevel.none, assess(text)


@pytest.mark.parametrize("text", ["please help", "i need someone to talk to", "can someone help me"])
def test_a_plea_gets_the_safety_reply_and_a_same_day_look(text: str) -> None:
    findings = evaluate(default_protocol().rules, MessageEvent(text=text))
    assert [(f.severity, f.chain) for f in findings] == [("high", "same_day")]
    assert reply_kind(findings) == "safety"


def test_the_evidence_names_the_plea() -> None:
    assert any("help_plea" in line and "please help" in line for line in assess("please help").evidence)
