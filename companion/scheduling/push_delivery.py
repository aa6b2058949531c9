"""Prompts and reminders as web pushes, for patients who chose the app (docs/push.md).

A patient whose channel is ``app`` or ``both`` and who turned notifications on in the app has one
or more active subscriptions; each released prompt and each reminder is then one push per
subscription (messaging/push_outbox.py), written in the release's or the reminder's transaction.
The push says no more than the SMS would (no score, no instrument, no name) and opens the check-in
through its signed link (auth/links.py). For a prompt that went to the app alone, the push carries
the SMS that goes instead if no push of it gets through (scheduling/push_fallback.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from companion.auth import links
from companion.messaging.policy import Purpose
from companion.messaging.push_outbox import Notification, enqueue_push_rows, push_row
from companion.models import Patient, PatientChannel, PatientStatus, Prompt, PushSubscription
from companion.scheduling.release import Reachable
from companion.settings import Settings

PROMPT_TITLE = "Time for your check-in"
PROMPT_BODY = "How are you doing today? Tap to answer."
REMINDER_TITLE = "Reminder: your check-in"
REMINDER_BODY = "Your check-in is still waiting. Tap to answer."
PUSH_CHANNELS = frozenset({PatientChannel.APP, PatientChannel.BOTH})


def group_key(purpose: Purpose, prompt_id: int) -> str:
    """The key of one prompt's or one reminder's pushes (``prompt:<id>``, ``reminder:<id>``)."""
    return f"{purpose.value}:{prompt_id}"


def prompt_of(key: str) -> int | None:
    """The prompt a group key names, or None."""
    kind, _, number = key.partition(":")
    return int(number) if kind in (Purpose.PROMPT, Purpose.REMINDER) and number.isdigit() else None


def notification(purpose: Purpose, prompt_id: int, link: str) -> Notification:
    """What the push shows. The tag is the check-in's, so a reminder replaces its prompt's notification."""
    if purpose == Purpose.PROMPT:
        return Notification(PROMPT_TITLE, PROMPT_BODY, link, f"checkin-{prompt_id}")
    if purpose == Purpose.REMINDER:
        return Notification(REMINDER_TITLE, REMINDER_BODY, link, f"checkin-{prompt_id}")
    raise ValueError(f"{purpose.value} never goes by push")


def app_sms_text(purpose: Purpose, link: str) -> str:
    """The SMS that points an app patient to the check-in: the fallback of a push that did not get
    through, and the reminder of a patient with no subscription."""
    if purpose == Purpose.PROMPT:
        return f"Your check-in is ready. Answer in the app: {link}"
    return f"Reminder: your check-in is waiting. Answer in the app: {link}"


def wants_push(patient: Reachable, settings: Settings | None) -> bool:
    return (
        settings is not None and settings.push_enabled
        and patient.channel in PUSH_CHANNELS and patient.status == PatientStatus.ACTIVE
    )


async def active_subscriptions(session: AsyncSession, patient_ids: Sequence[int]) -> dict[int, list[PushSubscription]]:
    if not patient_ids:
        return {}
    rows = await session.execute(
        select(PushSubscription)
        .where(col(PushSubscription.patient_id).in_(set(patient_ids)), col(PushSubscription.expired_at).is_(None))
        .order_by(col(PushSubscription.id))
    )
    found: dict[int, list[PushSubscription]] = {}
    for subscription in rows.scalars():
        found.setdefault(subscription.patient_id, []).append(subscription)
    return found


def push_rows(
    *, now: datetime, settings: Settings, patient: Patient, prompt: Prompt, purpose: Purpose,
    subscriptions: Sequence[PushSubscription], with_fallback: bool,
) -> list[dict[str, Any]]:
    """One row per subscription; ``with_fallback`` when no SMS went for this prompt."""
    assert prompt.id is not None and patient.id is not None
    link = links.link_url(settings, prompt)
    shown = notification(purpose, prompt.id, link)
    fallback = app_sms_text(purpose, link) if with_fallback else None
    return [
        push_row(now=now, clinic_id=patient.clinic_id, patient_id=patient.id, subscription_id=s.id,
                 purpose=purpose, group_key=group_key(purpose, prompt.id), notification=shown, fallback_body=fallback)
        for s in subscriptions if s.id is not None
    ]


async def write_pushes(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    await enqueue_push_rows(session, rows)
