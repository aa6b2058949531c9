from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from companion.db_types import UTCDateTime
from companion.models.base import created_at_field

# The longest push endpoint accepted (the services' URLs are a few hundred characters).
ENDPOINT_MAX = 1024


class PushStatus(StrEnum):
    """Where a push stands (``PushMessage.status``; docs/push.md)."""

    PENDING = "pending"  # waiting to be sent, or to be tried again
    SENDING = "sending"  # handed to the push service right now
    SENT = "sent"  # the push service took it (201)
    EXPIRED = "expired"  # the subscription is gone (404 or 410): fell back to SMS where allowed
    GAVE_UP = "gave_up"  # failed for good: fell back to SMS where allowed
    UNKNOWN = "unknown"  # interrupted mid-send; may have gone out, not sent again
    CANCELLED = "cancelled"  # withdrawn before it was sent (its subscription ended)


class PushSubscription(SQLModel, table=True):
    """A browser's push subscription, given by the patient signed in on it (``PUT /api/v1/me/push``)."""

    __tablename__ = "push_subscription"
    __table_args__ = (
        UniqueConstraint("endpoint", name="uq_push_subscription_endpoint"),
        Index("ix_push_subscription_patient_active", "patient_id", "expired_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    clinic_id: int = Field(foreign_key="clinic.id", index=True)
    patient_id: int = Field(foreign_key="patient.id")
    endpoint: str = Field(sa_column=Column(String(ENDPOINT_MAX), nullable=False))
    p256dh: str = Field(max_length=100)
    auth: str = Field(max_length=32)
    created_at: datetime = created_at_field()
    last_success_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    failures: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # Set when the push service answered 404/410, or the patient turned notifications off.
    expired_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class PushMessage(SQLModel, table=True):
    """The push outbox: every push is a row first, then a send (messaging/push_dispatcher.py)."""

    __tablename__ = "push_message"
    __table_args__ = (
        UniqueConstraint("dedupe_key", name="uq_push_message_dedupe_key"),
        Index("ix_push_message_due", "status", "due_at"),
        Index("ix_push_message_group", "group_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    clinic_id: int = Field(foreign_key="clinic.id", index=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    subscription_id: int = Field(foreign_key="push_subscription.id", index=True)
    purpose: str = Field(max_length=16)  # a messaging.policy.Purpose: prompt or reminder
    # The pushes of one cause, one per subscription (``prompt:<id>``): the SMS fallback waits for all.
    group_key: str = Field(max_length=64)
    dedupe_key: str = Field(max_length=96)
    title: str = Field(max_length=80)
    body: str = Field(max_length=200)
    url: str = Field(sa_column=Column(Text(), nullable=False))
    tag: str = Field(max_length=32)
    # The SMS that goes instead when no push of the group got through; None: none goes.
    fallback_body: str | None = Field(default=None, sa_column=Column(Text(), nullable=True))
    status: str = Field(default=PushStatus.PENDING, max_length=16)
    due_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    attempts: int = Field(default=0)
    next_attempt_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    claimed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    status_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    http_status: int | None = Field(default=None)
    error_detail: str | None = Field(default=None, max_length=200)
    # The SMS sent instead (outbound_message.id), once the group fell back.
    fallback_message_id: int | None = Field(default=None, foreign_key="outbound_message.id", index=True)
    created_at: datetime = created_at_field()
