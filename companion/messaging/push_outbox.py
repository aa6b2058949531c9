"""Writing pushes: a row in the same transaction as its cause, one per subscription.

A push carries only a routine prompt or reminder (push_policy.PUSH_PURPOSES); what to say and
which SMS goes instead if no push gets through are decided above transport."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from companion.messaging.policy import Purpose
from companion.messaging.push_policy import PUSH_PURPOSES
from companion.models import PushMessage, PushStatus
from companion.models.base import table_of


@dataclass(frozen=True)
class Notification:
    """What a push shows: a title and a line (no more than the SMS would say), the address it
    opens and the tag that makes a later copy replace an earlier one."""

    title: str
    body: str
    url: str
    tag: str


def push_row(
    *, now: datetime, clinic_id: int, patient_id: int, subscription_id: int, purpose: Purpose, group_key: str,
    notification: Notification, fallback_body: str | None, due_at: datetime | None = None,
) -> dict[str, Any]:
    if purpose not in PUSH_PURPOSES:
        raise ValueError(f"{purpose.value} never goes by push")
    return {
        "clinic_id": clinic_id,
        "patient_id": patient_id,
        "subscription_id": subscription_id,
        "purpose": purpose.value,
        "group_key": group_key,
        "dedupe_key": f"{group_key}:{subscription_id}",
        "title": notification.title,
        "body": notification.body,
        "url": notification.url,
        "tag": notification.tag,
        "fallback_body": fallback_body,
        "status": PushStatus.PENDING,
        "due_at": due_at or now,
        "created_at": now,
    }


async def enqueue_push_rows(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Write rows made by :func:`push_row` in one statement; the push tick sends them."""
    if rows:
        await session.execute(insert(table_of(PushMessage)), rows)
