"""What the staff inbox and a patient's conversation thread answer (docs/sms.md, "The staff inbox
and the conversation thread")."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from companion.messaging.policy import MAX_BODY
from companion.schemas import RequestModel


class MessagePatient(BaseModel):
    id: int
    reference: str
    display_name: str


class InboxMessage(BaseModel):
    """One inbound patient SMS in the clinic's inbox (GET /api/v1/messages)."""

    id: int
    patient: MessagePatient
    body: str
    received_at: datetime
    keyword: str | None  # STOP, START, HELP ... when the whole message was a keyword
    needs_review: bool
    reviewed_at: datetime | None
    reviewed_by: str | None  # the reviewer's name
    reply: str | None  # what the companion answered, as queued
    reply_status: str | None  # the delivery status of that answer (of its last part)


class InboxPage(BaseModel):
    items: list[InboxMessage]
    total: int
    limit: int
    offset: int


class ThreadItem(BaseModel):
    """One message to or from the patient (GET /api/v1/patients/{id}/messages)."""

    direction: Literal["received", "sent"]
    id: int  # the inbound message's id, or the outbox row's
    at: datetime  # received, or written to the outbox
    body: str
    # received only
    keyword: str | None = None
    needs_review: bool | None = None
    reviewed_at: datetime | None = None
    # sent only
    purpose: str | None = None  # prompt, reminder, safety_reply, reply, staff_message
    status: str | None = None  # the delivery status, from the dispatcher and the status callbacks
    status_at: datetime | None = None
    sent_at: datetime | None = None
    error_code: int | None = None
    error: str | None = None
    sent_by: str | None = None  # the staff member who wrote it, by name


class ThreadPage(BaseModel):
    """A page of the thread in time order; ``offset`` counts back from the newest message."""

    items: list[ThreadItem]
    total: int
    limit: int
    offset: int


class StaffMessageCreate(RequestModel):
    body: str = Field(min_length=1, max_length=MAX_BODY)
