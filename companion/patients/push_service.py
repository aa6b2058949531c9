"""A patient's own push subscriptions: turning notifications on and off in the app (docs/push.md).

Each change is an audit event naming the subscription (never its endpoint or keys). A browser's
endpoint is one row: subscribing again refreshes its keys, and a device handed to another patient
who signs in and turns notifications on becomes theirs. Turning off ends the subscription
(``expired_at``) and withdraws its pushes not yet sent."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from companion.audit import services as audit
from companion.auth.principals import PatientPrincipal
from companion.clock import Clock
from companion.errors import Conflict, InvalidInput
from companion.models import PushMessage, PushStatus, PushSubscription
from companion.patients.push_schemas import PushStateRead, PushSubscriptionCreate
from companion.settings import Settings
from companion.vapid_keys import public_key_of

NOT_AVAILABLE = "notifications are not available from this clinic's companion; check-ins still show in the app"
HTTPS_ONLY = "a push endpoint must be an https URL"


async def read_state(session: AsyncSession, settings: Settings, principal: PatientPrincipal) -> PushStateRead:
    devices = await session.scalar(
        select(func.count()).select_from(PushSubscription).where(
            col(PushSubscription.patient_id) == principal.patient_id, col(PushSubscription.expired_at).is_(None))
    )
    key = public_key_of(settings.vapid_private_key) if settings.vapid_private_key else None
    return PushStateRead(available=key is not None, public_key=key, devices=devices or 0)


async def subscribe(
    session: AsyncSession, clock: Clock, settings: Settings, principal: PatientPrincipal, data: PushSubscriptionCreate
) -> PushSubscription:
    if not settings.push_enabled:
        raise Conflict(NOT_AVAILABLE)
    if urlsplit(data.endpoint).scheme != "https" and not (
        settings.push_allow_http_endpoints and not settings.is_production
    ):
        raise InvalidInput(HTTPS_ONLY, field="endpoint")
    now = clock.now()
    row = (
        await session.execute(
            select(PushSubscription).where(col(PushSubscription.endpoint) == data.endpoint).with_for_update()
        )
    ).scalar_one_or_none()
    if row is None:
        row = PushSubscription(clinic_id=principal.clinic_id, patient_id=principal.patient_id,
                               endpoint=data.endpoint, p256dh=data.keys.p256dh, auth=data.keys.auth, created_at=now)
        session.add(row)
    else:
        if row.patient_id != principal.patient_id:
            await _withdraw(session, clock, row.id)
        row.clinic_id, row.patient_id = principal.clinic_id, principal.patient_id
        row.p256dh, row.auth = data.keys.p256dh, data.keys.auth
        row.expired_at, row.failures, row.created_at = None, 0, now
    await session.flush()
    audit.record(session, clock, actor=principal.actor, action="patient.push.subscribe",
                 subject=f"patient:{principal.patient_id}", clinic_id=principal.clinic_id,
                 detail={"subscription": row.id})
    return row


async def unsubscribe(session: AsyncSession, clock: Clock, principal: PatientPrincipal, endpoint: str) -> None:
    """End the patient's own subscription at ``endpoint``; nothing for an endpoint that is not theirs."""
    row = (
        await session.execute(
            select(PushSubscription).where(
                col(PushSubscription.endpoint) == endpoint, col(PushSubscription.patient_id) == principal.patient_id,
            ).with_for_update()
        )
    ).scalar_one_or_none()
    if row is None or row.expired_at is not None:
        return
    row.expired_at = clock.now()
    await _withdraw(session, clock, row.id)
    audit.record(session, clock, actor=principal.actor, action="patient.push.unsubscribe",
                 subject=f"patient:{principal.patient_id}", clinic_id=principal.clinic_id,
                 detail={"subscription": row.id})


async def _withdraw(session: AsyncSession, clock: Clock, subscription_id: int | None) -> None:
    await session.execute(
        update(PushMessage)
        .where(col(PushMessage.subscription_id) == subscription_id, col(PushMessage.status) == PushStatus.PENDING)
        .values(status=PushStatus.CANCELLED, status_at=clock.now(), error_detail="notifications turned off")
        .execution_options(synchronize_session=False)
    )
