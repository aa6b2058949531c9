"""Voice pages as outbox rows: what a call is, how its statuses rank, where its webhooks are, and the
keypad interface a higher floor answers (docs/sms.md, "Voice pages").

A call is an outbox row with ``channel = "voice"``, sent by the same dispatcher as a text, so it
survives a crash and is retried by the same rules (a staff page is sent at least once). Its
``body`` is what the call says; its ``provider_sid`` is the call's sid. The call's status callbacks
(Twilio's CallStatus) move the row forward as a message's do, never back. What a key pressed
during the call means is not transport's to know: :class:`KeypadAnswers`, implemented above it,
decides and gives the sentence the call says back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from companion.models import MessageChannel, MessageStatus, OutboundMessage

log = logging.getLogger("companion.sms.voice")

VOICE_GATHER_PATH = "/webhooks/twilio/voice/gather"
VOICE_STATUS_PATH = "/webhooks/twilio/voice/status"
# The call events Twilio posts to the status callback (it posts only "completed" unless asked).
STATUS_EVENTS = ("initiated", "ringing", "answered", "completed")
UNKNOWN_CALL = "This call is not known to the companion. Goodbye."


@dataclass(frozen=True)
class OutgoingCall:
    message_id: int
    to: str
    say: str  # what the call says (the row's body)
    purpose: str
    caller: str | None = None  # the clinic's own number, when it has one


# A call's statuses in the order it moves through them; every final status ranks the same, so the
# first final status a callback brings stays.
CALL_STATUS_RANK: dict[str, int] = {
    MessageStatus.PENDING: 0,
    MessageStatus.SENDING: 1,
    MessageStatus.QUEUED: 2,
    MessageStatus.INITIATED: 3,
    MessageStatus.RINGING: 4,
    MessageStatus.IN_PROGRESS: 5,
    MessageStatus.COMPLETED: 6,
    MessageStatus.BUSY: 6,
    MessageStatus.NO_ANSWER: 6,
    MessageStatus.FAILED: 6,
    MessageStatus.CANCELED: 6,
}

FINAL_CALL_STATUSES = frozenset({
    MessageStatus.COMPLETED, MessageStatus.BUSY, MessageStatus.NO_ANSWER, MessageStatus.FAILED,
    MessageStatus.CANCELED,
})

# Ours, not the provider's: a callback may still bring the call's real end.
_SETTLED_HERE = frozenset({MessageStatus.GAVE_UP, MessageStatus.CANCELLED, MessageStatus.UNKNOWN})


def should_apply_call_status(current: str, incoming: str) -> bool:
    """True when a call's status callback moves its row forward."""
    if incoming not in CALL_STATUS_RANK:
        return False
    if current in _SETTLED_HERE:
        return incoming in FINAL_CALL_STATUSES
    return CALL_STATUS_RANK[incoming] > CALL_STATUS_RANK.get(current, 0)


def is_call(message: OutboundMessage) -> bool:
    return message.channel == MessageChannel.VOICE


async def find_call(session: AsyncSession, sid: str, message_id: int | None) -> OutboundMessage | None:
    """The outbox row of the call ``sid``, locked. The row's id rides in the webhook's URL (which the
    signature covers), so a webhook that overtakes the recording of the call's sid still finds it."""
    query = select(OutboundMessage).where(col(OutboundMessage.provider_sid) == sid,
                                          col(OutboundMessage.channel) == MessageChannel.VOICE)
    message = (await session.execute(query.with_for_update())).scalar_one_or_none()
    if message is None and message_id is not None:
        candidate = await session.get(OutboundMessage, message_id, with_for_update=True)
        if candidate is not None and is_call(candidate) and candidate.provider_sid in (None, sid):
            message = candidate
            message.provider_sid = sid
    return message


class KeypadAnswers(Protocol):
    async def pressed(self, session: AsyncSession, call: OutboundMessage, digits: str) -> str:
        """``digits`` were pressed during ``call`` (empty: nothing was); act in the request's
        transaction and return the sentence the call says back."""
        ...


async def keypad_pressed(
    session: AsyncSession, answers: KeypadAnswers, *, sid: str, message_id: int | None, digits: str
) -> str:
    """What the call ``sid`` says back to the key pressed: ``answers`` decide for a known call."""
    call = await find_call(session, sid, message_id)
    if call is None:
        log.warning("keypad input for an unknown call ignored")
        return UNKNOWN_CALL
    return await answers.pressed(session, call, digits)
