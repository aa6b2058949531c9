"""One reserved outbox row, and its hand-over to the gateway: a text is sent, a voice page is placed
as a call (calls.py). The dispatcher reserves the rows and records what each hand-over returns."""

from __future__ import annotations

from dataclasses import dataclass

from companion.messaging.calls import OutgoingCall
from companion.messaging.gateways import OutgoingSms, SendOutcome, SmsGateway
from companion.messaging.policy import Purpose
from companion.models import MessageChannel


@dataclass(frozen=True)
class Claimed:
    id: int
    to_phone: str
    body: str
    purpose: Purpose
    attempts: int  # counting the attempt being made
    patient_id: int | None
    sender: str | None
    channel: str = MessageChannel.SMS

    @property
    def is_call(self) -> bool:
        return self.channel == MessageChannel.VOICE


async def hand_over(gateway: SmsGateway, message: Claimed) -> SendOutcome:
    if message.is_call:
        return await gateway.call(OutgoingCall(message.id, message.to_phone, message.body, message.purpose.value,
                                               message.sender))
    return await gateway.send(OutgoingSms(message.id, message.to_phone, message.body, message.purpose.value,
                                          message.sender))
