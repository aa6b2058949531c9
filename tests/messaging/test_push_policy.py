"""What a push becomes after each try (push_policy.decide_push), and its payload: table tests."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from companion.messaging.policy import Purpose
from companion.messaging.push_outbox import Notification, push_row
from companion.messaging.push_policy import PushResult, decide_push, payload

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "attempts", "action", "wait"),
    [
        (201, 1, "sent", None),
        (200, 1, "sent", None),
        (202, 3, "sent", None),
        (410, 1, "expire", None),
        (404, 2, "expire", None),
        (500, 1, "retry", 5),
        (503, 2, "retry", 10),
        (429, 3, "retry", 20),
        (None, 1, "retry", 5),  # a timeout or a connection error
        (500, 4, "give_up", None),  # the attempts ran out
        (None, 4, "give_up", None),
        (400, 1, "give_up", None),
        (401, 1, "give_up", None),
        (403, 1, "give_up", None),
        (413, 1, "give_up", None),
        (302, 1, "give_up", None),
    ],
)
def test_what_each_answer_of_the_push_service_leads_to(
    status: int | None, attempts: int, action: str, wait: int | None
) -> None:
    decision = decide_push(PushResult(status), attempts, NOW, max_attempts=4, retry_base=5.0)
    assert decision.action == action
    assert decision.retry_at == (None if wait is None else NOW + timedelta(seconds=wait))


def test_the_payload_is_what_the_service_worker_shows() -> None:
    data = payload(title="Time for your check-in", body="Tap to answer.", url="https://c.example/?c=1.a.b", tag="t")
    assert json.loads(data) == {"title": "Time for your check-in", "body": "Tap to answer.",
                                "url": "https://c.example/?c=1.a.b", "tag": "t"}
    with pytest.raises(ValueError):
        payload(title="t", body="b", url="https://c.example/" + "x" * 3000, tag="t")


@pytest.mark.parametrize("purpose", [p for p in Purpose if p not in (Purpose.PROMPT, Purpose.REMINDER)])
def test_only_routine_prompts_and_reminders_go_by_push(purpose: Purpose) -> None:
    with pytest.raises(ValueError, match="never goes by push"):
        push_row(now=NOW, clinic_id=1, patient_id=1, subscription_id=1, purpose=purpose, group_key="x:1",
                 notification=Notification("t", "b", "https://c.example/", "t"), fallback_body=None)
