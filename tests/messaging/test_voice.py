"""Voice pages in transport, without a database: the TwiML a page call runs and the answers to its
keypad, how a call's statuses rank, how a reference is read out, and the console's call."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ElementTree

import pytest

from companion.messaging import voice
from companion.messaging.calls import OutgoingCall, should_apply_call_status
from companion.messaging.gateways import ConsoleGateway
from companion.safety.pages import spoken_reference

GATHER = "https://companion.example.org/webhooks/twilio/voice/gather?message_id=7&x=1"


def _verbs(twiml: str) -> list[tuple[str, dict[str, str], list[tuple[str, str]]]]:
    """Each top-level verb: its tag, its attributes, and its children's (tag, text)."""
    root = ElementTree.fromstring(twiml)
    assert root.tag == "Response"
    return [(verb.tag, dict(verb.attrib), [(child.tag, child.text or "") for child in verb]) for verb in root]


def test_a_page_call_asks_for_1_twice_in_a_gather_then_says_nothing_was_pressed() -> None:
    said = "Urgent alert from the companion for patient P 1 0 4 2."
    ask = ("Say", f"{said} {voice.PRESS_ONE}")
    gather = {"action": GATHER, "method": "POST", "numDigits": "1", "timeout": str(voice.GATHER_SECONDS)}
    assert _verbs(voice.page_call(said, GATHER)) == [
        ("Gather", gather, [ask]),
        ("Gather", gather, [ask]),
        ("Say", {}, []),
        ("Hangup", {}, []),
    ]
    assert ElementTree.fromstring(voice.page_call(said, GATHER))[2].text == voice.NOTHING_PRESSED


@pytest.mark.parametrize(
    "said",
    ["Plain words.", "A & B <c> \"d\" 'e'", "Ünïcödé", ""],
)
def test_what_a_call_says_is_escaped_and_read_back_intact(said: str) -> None:
    twiml = voice.page_call(said, GATHER)
    assert ElementTree.fromstring(twiml)[0][0].text == f"{said} {voice.PRESS_ONE}"
    assert "&x=1" not in twiml and "&amp;x=1" in twiml  # the URL's & escaped in the attribute
    assert _verbs(voice.spoken(said)) == [("Say", {}, []), ("Hangup", {}, [])]
    assert (ElementTree.fromstring(voice.spoken(said))[0].text or "") == said


@pytest.mark.parametrize(
    ("reference", "spoken"),
    [("P-1042", "P 1 0 4 2"), ("P1042", "P 1 0 4 2"), ("AB-7", "A B 7"), ("X", "X"), ("P-10.4", "P 1 0 4")],
)
def test_a_reference_is_read_out_one_character_at_a_time(reference: str, spoken: str) -> None:
    assert spoken_reference(reference) == spoken


@pytest.mark.parametrize(
    ("current", "incoming", "applies"),
    [
        ("pending", "queued", True),
        ("queued", "initiated", True),
        ("initiated", "ringing", True),
        ("ringing", "in-progress", True),
        ("in-progress", "completed", True),
        ("ringing", "no-answer", True),
        ("queued", "busy", True),
        ("queued", "failed", True),
        ("ringing", "canceled", True),
        ("no-answer", "ringing", False),  # late news never moves a call back
        ("completed", "in-progress", False),
        ("completed", "failed", False),  # the first end stays
        ("no-answer", "no-answer", False),  # the same news twice acts once
        ("queued", "delivered", False),  # a message's status is not a call's
        ("queued", "sent", False),
        ("gave_up", "completed", True),  # ours: the provider's real end may still come
        ("unknown", "no-answer", True),
        ("gave_up", "ringing", False),
    ],
)
def test_a_calls_status_moves_forward_never_back(current: str, incoming: str, applies: bool) -> None:
    assert should_apply_call_status(current, incoming) is applies


async def test_the_console_prints_the_call_it_would_make(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="companion.sms")
    outcome = await ConsoleGateway().call(OutgoingCall(12, "+12025550181", "Urgent alert for P 1 0 4 2.", "staff_page"))
    assert outcome.status == "queued" and outcome.sid.startswith("CN")  # type: ignore[union-attr]
    [info] = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert info.startswith("console call staff_page to ") and info.endswith("(27 chars said)")
    assert "+12025550181" not in info  # the number is masked
    debug = " ".join(r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG)
    assert "<Gather" in debug and "message_id=12" in debug and voice.PRESS_ONE in debug
