"""The patient-message entry point: every SMS from a patient that is not a keyword comes here."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from companion.clock import Clock
from companion.messaging import texts
from companion.models import InboundMessage, Patient


async def handle_patient_message(
    session: AsyncSession, clock: Clock, patient: Patient, inbound: InboundMessage
) -> str:
    """Answer a patient's SMS and return the reply.

    The message is kept for the care team to read (``needs_review``).
    """
    inbound.needs_review = True
    return texts.PATIENT_MESSAGE_SAVED
