"""What a delivery the transport reports means for the patient: the domains' answers to
:class:`~companion.messaging.events.DeliveryEvents`.

An opt-out the provider reports goes through the one consent service, as a STOP does; a prompt or
reminder that could not be delivered is a finding for the safety rules; a voice page that could not
be placed, or failed, pages that person by SMS instead; a push that did not get through falls back
to SMS where the patient allows it."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from companion.clock import Clock
from companion.consent import services as consent
from companion.messaging.policy import Purpose
from companion.models import Patient
from companion.protocols import ProtocolSource
from companion.safety.escalate import page_by_sms_instead
from companion.safety.judge import judge_undelivered
from companion.scheduling.push_fallback import fall_back


class DeliveryReactions:
    """The :class:`~companion.messaging.events.DeliveryEvents` the dispatcher and the status
    callbacks report to, and the :class:`~companion.messaging.events.PushEvents` of the push
    dispatcher."""

    def __init__(self, clock: Clock, protocols: ProtocolSource) -> None:
        self.clock = clock
        self.protocols = protocols

    async def opted_out(self, session: AsyncSession, patient_ids: Sequence[int], source: str) -> None:
        for patient_id in patient_ids:
            patient = await session.get(Patient, patient_id)
            if patient is not None:
                plan = (await self.protocols.for_clinic(session, patient.clinic_id)).aftercare
                await consent.opt_out(session, self.clock, plan, patient, source)

    async def undelivered(self, session: AsyncSession, patient_id: int, purpose: Purpose) -> None:
        patient = await session.get(Patient, patient_id)
        if patient is not None:
            await judge_undelivered(session, self.clock, await self.protocols.for_clinic(session, patient.clinic_id),
                                    patient)

    async def call_failed(self, session: AsyncSession, message_id: int) -> None:
        await page_by_sms_instead(session, self.clock, message_id)

    async def push_undelivered(self, session: AsyncSession, push_ids: Sequence[int]) -> None:
        """No push got through: the SMS instead, where the patient allows it (docs/push.md)."""
        await fall_back(session, self.clock, push_ids)
