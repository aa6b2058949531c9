"""Sending the daily digest of routine alerts: once per business day and care-team member."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from companion.audit import services as audit
from companion.clinical.digest import count_reasons, digest_day, digest_text
from companion.clock import Clock
from companion.messaging import outbox
from companion.messaging.policy import Purpose
from companion.models import Alert, AlertSeverity, AlertStatus, Clinic, OutboundMessage
from companion.protocols import ProtocolSource
from companion.safety.pages import care_team
from companion.settings import Settings

log = logging.getLogger("companion.safety")


async def send_due_digests(session: AsyncSession, clock: Clock, protocols: ProtocolSource, settings: Settings) -> int:
    """Queue today's digest for every clinic open (by its protocol's business hours) with routine
    alerts waiting (status open), to each care-team member who has not had it yet today. Returns
    how many messages were queued."""
    now = clock.now()
    dashboard = settings.public_base_url.rstrip("/") + "/staff/"
    queued = 0
    for clinic in (await session.execute(select(Clinic).order_by(col(Clinic.id)))).scalars():
        assert clinic.id is not None
        protocol = await protocols.for_clinic(session, clinic.id)
        day = digest_day(now, clinic.timezone, protocol.business_hours)
        if day is None:
            continue
        alerts = list((await session.execute(
            select(col(Alert.findings)).where(col(Alert.clinic_id) == clinic.id,
                                              col(Alert.severity) == AlertSeverity.ROUTINE,
                                              col(Alert.status) == AlertStatus.OPEN)
        )).scalars())
        if not alerts:
            continue
        team = await care_team(session, clinic.id)
        keys = {member.id: f"digest:{clinic.id}:{day.isoformat()}:{member.id}" for member in team}
        sent = set((await session.execute(
            select(col(OutboundMessage.dedupe_key)).where(col(OutboundMessage.dedupe_key).in_(keys.values()))
        )).scalars())
        recipients = [member for member in team if keys[member.id] not in sent]
        if not recipients:
            continue
        reasons = count_reasons([str(f.get("rule_id", "")) for f in findings] for findings in alerts)
        body = digest_text(clinic.name, len(alerts), reasons, dashboard)
        for member in recipients:
            assert member.phone is not None
            await outbox.enqueue(session, clock, to_phone=member.phone, purpose=Purpose.NOTICE, body=body,
                                 clinic_id=clinic.id, staff_id=member.id, dedupe_key=keys[member.id])
        audit.record(session, clock, actor="system:safety", action="digest.queue", subject=f"clinic:{clinic.id}",
                     clinic_id=clinic.id, detail={"day": day.isoformat(), "patients": len(alerts),
                                                  "recipients": len(recipients), "reasons": dict(reasons)})
        queued += len(recipients)
    return queued
