from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from companion.db_types import UTCDateTime
from companion.models.base import created_at_field


class MessageStatus(StrEnum):
    """Where an outbox row stands (``OutboundMessage.status``): ours while it waits or is handed over,
    then the provider's as its status callbacks arrive (messaging/policy.py ranks them)."""

    PENDING = "pending"  # waiting to be sent (reserved by a dispatcher or not)
    SENDING = "sending"  # handed to the provider right now
    ACCEPTED = "accepted"
    QUEUED = "queued"
    SCHEDULED = "scheduled"
    SENT = "sent"
    RECEIVING = "receiving"
    RECEIVED = "received"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    READ = "read"
    CANCELED = "canceled"  # the provider's spelling: it cancelled a send it held
    GAVE_UP = "gave_up"  # no more attempts
    CANCELLED = "cancelled"  # withdrawn before it was sent
    UNKNOWN = "unknown"  # the provider may or may not have taken it; not sent again
    SUPPRESSED = "suppressed"  # never sent: the patient opted out of SMS
    # A voice call's own statuses (Twilio's CallStatus), besides queued, failed and canceled above.
    INITIATED = "initiated"
    RINGING = "ringing"
    IN_PROGRESS = "in-progress"  # answered
    COMPLETED = "completed"  # answered and ended
    BUSY = "busy"
    NO_ANSWER = "no-answer"


class MessageVia(StrEnum):
    """How a message left (``OutboundMessage.via``)."""

    API = "api"  # sent through the provider's API by the dispatcher
    TWIML = "twiml"  # answered in the webhook's own response


class MessageChannel(StrEnum):
    """What an outbox row is (``OutboundMessage.channel``): a text, or a voice call (a staff page
    whose keypad acknowledges; docs/sms.md, "Voice pages")."""

    SMS = "sms"
    VOICE = "voice"


class AttemptOutcome(StrEnum):
    """What came of one hand-over (``MessageAttempt.outcome``): accepted, or the send policy's
    decision (messaging/policy.py ``Decision.action``)."""

    ACCEPTED = "accepted"
    RETRY = "retry"
    GIVE_UP = "give_up"
    SETTLE_SENT = "settle_sent"


class InboundStatus(StrEnum):
    """``InboundMessage.status``: stored first, handled after."""

    RECEIVED = "received"  # waiting for a worker
    HANDLED = "handled"  # routed, its replies queued
    FAILED = "failed"  # gave up on it; left for staff to review


class SenderKind(StrEnum):
    """Who sent an inbound SMS (``InboundMessage.sender_kind``)."""

    PATIENT = "patient"
    STAFF = "staff"
    UNKNOWN = "unknown"


class OutboundMessage(SQLModel, table=True):
    """The outbox: every outgoing SMS or voice call is a row first, then a send. For a call,
    ``body`` is what the call says and ``provider_sid`` is the call's sid."""

    __tablename__ = "outbound_message"
    __table_args__ = (
        UniqueConstraint("provider_sid", name="uq_outbound_message_provider_sid"),
        UniqueConstraint("dedupe_key", name="uq_outbound_message_dedupe_key"),
        Index("ix_outbound_message_due", "status", "priority", "due_at"),
        # The purge's range (clinics/retention.py) and the foreign keys a delete checks.
        Index("ix_outbound_message_clinic_created", "clinic_id", "created_at"),
        Index("ix_outbound_message_retry_of", "retry_of"),
    )

    id: int | None = Field(default=None, primary_key=True)
    clinic_id: int | None = Field(default=None, foreign_key="clinic.id", index=True)
    patient_id: int | None = Field(default=None, foreign_key="patient.id", index=True)
    staff_id: int | None = Field(default=None, foreign_key="staff_member.id", index=True)
    to_phone: str = Field(max_length=20)
    purpose: str = Field(max_length=16)  # a messaging.policy.Purpose
    body: str = Field(sa_column=Column(Text(), nullable=False))
    priority: int = Field(default=5)
    status: str = Field(default=MessageStatus.PENDING, max_length=16)
    due_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    attempts: int = Field(default=0)
    next_attempt_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    claimed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    # The dispatcher holding the row: reserved while ``pending``, in flight while ``sending``.
    claimed_by: str | None = Field(default=None, max_length=40, index=True)
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    status_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    provider_sid: str | None = Field(default=None, max_length=64)
    error_code: int | None = Field(default=None)
    error_detail: str | None = Field(default=None, max_length=200)
    needs_attention: bool = Field(default=False)
    dedupe_key: str | None = Field(default=None, max_length=128)
    retry_of: int | None = Field(default=None, foreign_key="outbound_message.id")
    via: str = Field(default=MessageVia.API, max_length=8)
    channel: str = Field(default=MessageChannel.SMS, max_length=8, sa_column_kwargs={"server_default": "sms"})
    created_at: datetime = created_at_field()


class MessageAttempt(SQLModel, table=True):
    """One try at handing a message to the provider, and what came of it."""

    __tablename__ = "message_attempt"

    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="outbound_message.id", index=True)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    outcome: str = Field(max_length=16)  # an AttemptOutcome
    http_status: int | None = Field(default=None)
    error_code: int | None = Field(default=None)
    detail: str | None = Field(default=None, max_length=200)


class InboundMessage(SQLModel, table=True):
    """Every inbound SMS, stored once per MessageSid."""

    __tablename__ = "inbound_message"
    __table_args__ = (
        UniqueConstraint("message_sid", name="uq_inbound_message_sid"),
        Index("ix_inbound_message_pending", "status", "priority", "id"),
        Index("ix_inbound_message_from_status", "from_phone", "status"),
        # The clinic's inbox: what needs review, newest first (conversations/inbox.py).
        Index("ix_inbound_message_clinic_review", "clinic_id", "needs_review", "received_at"),
        # The purge's range (clinics/retention.py).
        Index("ix_inbound_message_clinic_received", "clinic_id", "received_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    message_sid: str = Field(max_length=64)
    clinic_id: int | None = Field(default=None, foreign_key="clinic.id", index=True)
    patient_id: int | None = Field(default=None, foreign_key="patient.id", index=True)
    staff_id: int | None = Field(default=None, foreign_key="staff_member.id")
    from_phone: str = Field(max_length=32)
    to_phone: str = Field(max_length=32)
    body: str = Field(sa_column=Column(Text(), nullable=False))
    sender_kind: str = Field(default=SenderKind.UNKNOWN, max_length=16)
    keyword: str | None = Field(default=None, max_length=16)
    reply_body: str | None = Field(default=None, sa_column=Column(Text(), nullable=True))
    received_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    needs_review: bool = Field(default=False)
    # Stored first, handled after: "received" until a worker has routed it and queued the replies.
    status: str = Field(default=InboundStatus.RECEIVED, max_length=16)
    priority: int = Field(default=5)  # 0 when the text reads as risk: handled before anything else
    attempts: int = Field(default=0)
    processed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    # A staff member read it in the inbox (POST /api/v1/messages/{id}/review).
    reviewed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    reviewed_by: int | None = Field(default=None, foreign_key="staff_member.id")
