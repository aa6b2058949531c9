"""Walking alerts up their chains: one step at a time, as due rows.

Each executed step pages the step's people (once each: a unique row per alert, step and person),
records the position on the alert and when the next step is due, and writes an audit event. A
failed send does not stop the chain: the outbox records it and the next step comes anyway. The
step function is pure (escalation.next_action); this module does the I/O around it.

A step pages by SMS, by a voice call, or both (the step's ``via``): one page row per person and
step, holding its text (``message_id``) and its call (``call_message_id``). A call that cannot be
placed or fails pages that person by SMS instead, when the step sent no text (``page_by_sms_instead``);
a call that rings unanswered is only recorded, and the next step comes on its timer.

New risk on an acknowledged alert (or risk more severe than the alert's) restarts the chain from
its first step (``restart``, docs/clinical.md "New risk on an open alert"). The restarted chain's
pages count their passes on from the last pass paged before, so each page row and its outbox key
stay unique and a restarted step pages its people again.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from companion.audit import services as audit
from companion.clinical import escalation
from companion.clinical.protocol import Protocol
from companion.clock import Clock
from companion.messaging import outbox
from companion.messaging.policy import Purpose
from companion.models import (
    Alert,
    AlertPage,
    AlertStatus,
    Clinic,
    EscalationEndReason,
    MessageChannel,
    OutboundMessage,
    Patient,
    StaffMember,
)
from companion.protocols import ProtocolSource
from companion.safety.pages import call_text, fallback_recipients, page_text, resolve_targets

log = logging.getLogger("companion.safety")

# Where the alert's chain snapshot keeps how many passes were paged before its last restart.
PAGE_PASS_OFFSET = "page_pass_offset"


def state_of(alert: Alert) -> escalation.EscalationState:
    position = None
    if alert.pass_no is not None and alert.step_index is not None:
        position = escalation.Position(alert.pass_no, alert.step_index)
    return escalation.EscalationState(
        position=position,
        next_due_at=alert.next_step_at,
        acknowledged=alert.status == AlertStatus.ACKNOWLEDGED,
        resolved=alert.status == AlertStatus.RESOLVED,
    )


def _after_hours(protocol: Protocol, clinic: Clinic, at: datetime) -> bool:
    return not protocol.is_business_hours(at, clinic.timezone)


def _page_pass(alert: Alert, position: escalation.Position) -> int:
    return int(alert.chain.get(PAGE_PASS_OFFSET, 0)) + position.pass_no


async def advance(
    session: AsyncSession, clock: Clock, protocol: Protocol, alert: Alert, *, first: StaffMember | None = None,
) -> escalation.Action:
    """Do what is due for ``alert`` now (the caller holds the row lock). The steps are the alert's
    snapshot of its chain; ``protocol`` says whether it is after hours and who is on call. When a
    step is taken, ``first`` (active, with a phone) is paged before the step's own people."""
    now = clock.now()
    clinic = await session.get(Clinic, alert.clinic_id)
    assert clinic is not None and alert.id is not None
    chain = escalation.Chain.from_dict(alert.chain)
    action = escalation.next_action(chain, state_of(alert), now, after_hours=_after_hours(protocol, clinic, now))
    if isinstance(action, escalation.Stop):
        if alert.escalation_ended_at is None:
            alert.escalation_ended_at, alert.escalation_end_reason = now, action.reason
            alert.next_step_at = None
            audit.record(session, clock, actor="system:escalation", action="alert.escalation_end",
                         subject=f"alert:{alert.id}", clinic_id=alert.clinic_id, detail={"reason": action.reason})
        return action
    if isinstance(action, escalation.Wait):
        return action
    patient = await session.get(Patient, alert.patient_id)
    assert patient is not None
    recipients, unreached = await resolve_targets(session, protocol, clinic, action.targets, now)
    fallback = False
    if not recipients:
        recipients, fallback = await fallback_recipients(session, alert.clinic_id), True
    if first is not None and first.active and first.phone and first.clinic_id == alert.clinic_id:
        recipients = [first, *(m for m in recipients if m.id != first.id)]
    paged = await _page(session, clock, alert, patient, action.position, recipients, action.targets, action.via)
    alert.pass_no, alert.step_index = action.position.pass_no, action.position.step_index
    alert.next_step_at = action.next_due_at
    if action.next_due_at is None:
        alert.escalation_ended_at, alert.escalation_end_reason = now, EscalationEndReason.EXHAUSTED
    audit.record(
        session, clock, actor="system:escalation", action="alert.step", subject=f"alert:{alert.id}",
        clinic_id=alert.clinic_id,
        detail={
            "pass": action.position.pass_no, "step": action.position.step_index,
            "targets": [str(t) for t in action.targets], "paged_staff": paged, "unreached": unreached,
            "fallback": fallback, "via": action.via,
        },
    )
    if unreached:
        # A target that reached nobody (a deactivated member, one without a phone, an empty shift):
        # the step fell back or paged fewer people than it names; the board warns of it too.
        log.warning("alert %s step %s/%s: %d of its targets reached nobody%s", alert.id, action.position.pass_no,
                    action.position.step_index, len(unreached), " (fallback paged)" if fallback else "")
    if not paged:
        log.error("alert %s step %s/%s paged nobody", alert.id, action.position.pass_no, action.position.step_index)
    return action


async def _page(
    session: AsyncSession, clock: Clock, alert: Alert, patient: Patient, position: escalation.Position,
    recipients: list[StaffMember], targets: tuple[escalation.Target, ...], via: escalation.Via = "sms",
) -> list[int]:
    """Page each recipient once for this step, by SMS, voice or both; returns the staff ids paged now."""
    now = clock.now()
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    label = ",".join(str(t) for t in targets)[:64]
    page_pass = _page_pass(alert, position)
    paged: list[int] = []
    for member in recipients:
        assert member.id is not None and member.phone is not None  # resolved from stored, active staff with a phone
        claimed = (
            await session.execute(
                insert(AlertPage)
                .values(alert_id=alert.id, staff_id=member.id, pass_no=page_pass,
                        step_index=position.step_index, target=label, paged_at=now)
                .on_conflict_do_nothing(index_elements=["alert_id", "pass_no", "step_index", "staff_id"])
                .returning(col(AlertPage.id))
            )
        ).scalar_one_or_none()
        if claimed is None:
            continue  # this person was paged for this step already
        page = await session.get(AlertPage, claimed)
        assert page is not None
        key = f"{alert.id}:{page_pass}:{position.step_index}:{member.id}"
        if via in ("sms", "both"):
            page.message_id = (await _text(session, clock, alert, patient, member, f"page:{key}")).id
        if via in ("voice", "both"):
            call = await outbox.enqueue(
                session, clock, to_phone=member.phone, purpose=Purpose.STAFF_PAGE, body=call_text(alert, patient),
                clinic_id=alert.clinic_id, staff_id=member.id, dedupe_key=f"call:{key}", channel=MessageChannel.VOICE,
            )
            page.call_message_id = call.id
        paged.append(member.id)
    return paged


async def _text(
    session: AsyncSession, clock: Clock, alert: Alert, patient: Patient, member: StaffMember, key: str
) -> OutboundMessage:
    assert member.phone is not None
    return await outbox.enqueue(
        session, clock, to_phone=member.phone, purpose=Purpose.STAFF_PAGE, body=page_text(alert, patient),
        clinic_id=alert.clinic_id, staff_id=member.id, dedupe_key=key,
    )


async def page_by_sms_instead(session: AsyncSession, clock: Clock, call_message_id: int) -> bool:
    """The voice page of outbox row ``call_message_id`` could not be placed or failed: page that
    person by SMS instead, unless the step texted them already or the alert no longer needs it.
    True when a text was queued."""
    page = (await session.execute(
        select(AlertPage).where(col(AlertPage.call_message_id) == call_message_id).with_for_update()
    )).scalar_one_or_none()
    if page is None or page.message_id is not None:
        return False
    alert = await session.get(Alert, page.alert_id)
    member = await session.get(StaffMember, page.staff_id)
    patient = await session.get(Patient, alert.patient_id) if alert is not None else None
    if alert is None or patient is None or member is None:
        return False
    if alert.status != AlertStatus.OPEN:
        return False  # acknowledged or resolved meanwhile: nobody needs paging
    if not member.active or not member.phone:
        log.error("alert %s: a voice page failed and no text can replace it", alert.id)
        return False
    page.message_id = (await _text(session, clock, alert, patient, member,
                                   f"page:{alert.id}:{page.pass_no}:{page.step_index}:{member.id}")).id
    audit.record(session, clock, actor="system:escalation", action="alert.page_by_sms_instead",
                 subject=f"alert:{alert.id}", clinic_id=alert.clinic_id,
                 detail={"staff_id": member.id, "call_message_id": call_message_id})
    log.warning("alert %s: a voice page failed; paged by SMS instead", alert.id)
    return True


async def restart(
    session: AsyncSession, clock: Clock, protocol: Protocol, alert: Alert, *, first: StaffMember | None = None,
) -> escalation.Action:
    """Start ``alert``'s chain again from its first step, now (the caller holds the row lock and
    has set the alert open); ``first`` is paged first."""
    assert alert.id is not None
    paged_passes = (
        await session.execute(select(func.max(col(AlertPage.pass_no))).where(col(AlertPage.alert_id) == alert.id))
    ).scalar_one_or_none()
    alert.chain = {**alert.chain, PAGE_PASS_OFFSET: int(paged_passes or 0)}
    alert.pass_no = alert.step_index = None
    alert.next_step_at = clock.now()
    alert.escalation_ended_at = alert.escalation_end_reason = None
    return await advance(session, clock, protocol, alert, first=first)


async def advance_due(session: AsyncSession, clock: Clock, protocols: ProtocolSource, limit: int = 200) -> int:
    """Advance every alert whose next step is due (claimed with SKIP LOCKED), each under its
    clinic's protocol."""
    alerts = list(
        (
            await session.execute(
                select(Alert)
                .where(col(Alert.status) == AlertStatus.OPEN, col(Alert.next_step_at) <= clock.now())
                .order_by(col(Alert.next_step_at), col(Alert.id))
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).scalars()
    )
    for alert in alerts:
        await advance(session, clock, await protocols.for_clinic(session, alert.clinic_id), alert)
    return len(alerts)
