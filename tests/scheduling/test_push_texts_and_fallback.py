"""What a push says, and when a push that did not get through falls back to SMS: table tests."""

from __future__ import annotations

import pytest

from companion.messaging.policy import Purpose
from companion.scheduling.push_delivery import app_sms_text, group_key, notification, prompt_of
from companion.scheduling.push_fallback import fallback_decision

LINK = "https://companion.example.org/?c=12.nonce.sig"


@pytest.mark.parametrize(
    ("purpose", "title", "body"),
    [
        (Purpose.PROMPT, "Time for your check-in", "How are you doing today? Tap to answer."),
        (Purpose.REMINDER, "Reminder: your check-in", "Your check-in is still waiting. Tap to answer."),
    ],
)
def test_a_push_says_no_more_than_the_sms_and_opens_the_check_in(purpose: Purpose, title: str, body: str) -> None:
    shown = notification(purpose, 12, LINK)
    assert (shown.title, shown.body, shown.url, shown.tag) == (title, body, LINK, "checkin-12")


def test_only_prompts_and_reminders_have_a_notification() -> None:
    with pytest.raises(ValueError):
        notification(Purpose.SAFETY_REPLY, 12, LINK)


@pytest.mark.parametrize(
    ("purpose", "text"),
    [
        (Purpose.PROMPT, f"Your check-in is ready. Answer in the app: {LINK}"),
        (Purpose.REMINDER, f"Reminder: your check-in is waiting. Answer in the app: {LINK}"),
    ],
)
def test_the_sms_for_an_app_patient_points_to_the_app(purpose: Purpose, text: str) -> None:
    assert app_sms_text(purpose, LINK) == text


@pytest.mark.parametrize(
    ("key", "prompt"),
    [(group_key(Purpose.PROMPT, 7), 7), (group_key(Purpose.REMINDER, 42), 42), ("digest:1", None), ("prompt:x", None)],
)
def test_a_group_key_names_its_prompt(key: str, prompt: int | None) -> None:
    assert prompt_of(key) == prompt


BASE = {"has_fallback": True, "already_fell_back": False, "prompt_open": True, "patient_active": True,
        "sms_consent": "opted_in"}


@pytest.mark.parametrize(
    ("statuses", "changes", "decision"),
    [
        (["expired"], {}, "sms"),
        (["gave_up"], {}, "sms"),
        (["expired", "gave_up"], {}, "sms"),  # two devices, neither reached
        (["expired", "cancelled"], {}, "sms"),
        (["expired", "sent"], {}, "none"),  # one device got it
        (["expired", "unknown"], {}, "none"),  # may have got it
        (["expired", "pending"], {}, "wait"),  # another device's push is still being tried
        (["gave_up", "sending"], {}, "wait"),
        (["expired"], {"has_fallback": False}, "none"),  # the SMS already went (channel both)
        (["expired"], {"already_fell_back": True}, "none"),
        (["expired"], {"prompt_open": False}, "none"),  # answered or expired meanwhile
        (["expired"], {"patient_active": False}, "none"),
        (["expired"], {"sms_consent": "opted_out"}, "none"),
        (["expired", "pending"], {"sms_consent": "opted_out"}, "wait"),
    ],
)
def test_when_a_push_falls_back_to_sms(statuses: list[str], changes: dict[str, object], decision: str) -> None:
    assert fallback_decision(statuses, **(BASE | changes)) == decision  # type: ignore[arg-type]
