"""An alert's whole story for the clinician who opens it (docs/clinical.md, "The alert timeline").

Read from what the companion already keeps: the audit trail of the alert (raised, each step of the
chain, acknowledgement, resolution, a re-escalation, the patient's opt-out), each finding with its
evidence (alert.findings) and what raised it, the patient's message in their words or every
question and answer of the check-in (safety/evidence.py), each page with the person's name, its
channel (SMS or voice) and its delivery or call status from the status callbacks (alert_page and the
outbox), and each safety reply to the patient with its status. People are named; the read itself is audited.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from companion.audit import services as audit
from companion.auth.principals import StaffPrincipal
from companion.clock import Clock
from companion.errors import NotFound
from companion.messaging.policy import Purpose
from companion.models import Alert, AlertPage, AuditEvent, OutboundMessage, StaffMember
from companion.safety import evidence
from companion.safety.schemas import AlertEventRead, FindingEvidence

__all__ = ["alert_events"]

# Reads of the alert are in the audit trail too; they are not part of its story.
_READS = frozenset({"alert.read", "alert.list", "alert.events"})
# Shown from alert.findings (with their evidence) instead.
_FINDINGS = frozenset({"alert.join", "alert.finding"})
_VIA_WORDS = {"voice": "by voice call", "both": "by SMS and voice call"}
_ACK_CHANNELS = {"voice": " by voice call (pressed 1)"}
_END_REASONS = {"exhausted": "every step of the chain was tried", "acknowledged": "acknowledged",
                "resolved": "resolved"}


async def alert_events(
    session: AsyncSession, clock: Clock, staff: StaffPrincipal, alert_id: int
) -> list[AlertEventRead]:
    alert = await session.get(Alert, alert_id)
    if alert is None or alert.clinic_id != staff.clinic_id:
        raise NotFound("alert not found")
    trail = list((await session.execute(
        select(AuditEvent).where(col(AuditEvent.subject) == f"alert:{alert_id}").order_by(col(AuditEvent.at),
                                                                                          col(AuditEvent.id))
    )).scalars())
    call = aliased(OutboundMessage)
    pages = (await session.execute(
        select(AlertPage, OutboundMessage, call)
        .outerjoin(OutboundMessage, col(OutboundMessage.id) == col(AlertPage.message_id))
        .outerjoin(call, col(call.id) == col(AlertPage.call_message_id))
        .where(col(AlertPage.alert_id) == alert_id).order_by(col(AlertPage.paged_at), col(AlertPage.id))
    )).all()
    # A safety reply is keyed by what the patient sent (safety/alerts.py), or by the alert.
    keys = {f"safety-reply:{alert_id}"} | {
        f"safety-reply:{finding['reply_key']}:{kind}" for finding in alert.findings if finding.get("reply_key")
        for kind in ("safety", "medical")}
    replies = list((await session.execute(
        select(OutboundMessage).where(col(OutboundMessage.purpose) == Purpose.SAFETY_REPLY,
                                      col(OutboundMessage.dedupe_key).in_(sorted(keys)))
        .order_by(col(OutboundMessage.id))
    )).scalars())
    names = await _names(session, alert.clinic_id, _staff_ids(trail, pages, alert))
    shown = await evidence.for_alert(session, alert)
    events = [
        *_from_trail(trail, names, alert),
        *_from_findings(alert.findings, shown),
        *(event for page, message, placed in pages for event in _pages(page, message, placed, names)),
        *(_reply(message) for message in replies),
    ]
    audit.record(session, clock, actor=staff.actor, action="alert.events", subject=f"alert:{alert_id}",
                 clinic_id=staff.clinic_id, detail={"count": len(events), "patient": f"patient:{alert.patient_id}",
                                                    "evidence": evidence.kinds(shown)})
    return sorted(events, key=lambda e: (e.at, _ORDER.get(e.kind, 9)))


# Within one instant: what raised it, then the finding, the safety reply, the step and its pages.
_ORDER = {"raised": 0, "finding": 1, "reescalated": 2, "safety_reply": 3, "step": 4, "page": 5}


def _staff_ids(trail: Iterable[AuditEvent], pages: Iterable[Any], alert: Alert) -> set[int]:
    ids = {page.staff_id for page, *_ in pages}
    for event in trail:
        actor = _actor_id(event.actor)
        if actor is not None:
            ids.add(actor)
        ids.update(i for i in event.detail.get("paged_staff", ()) if isinstance(i, int))
        if isinstance(event.detail.get("acknowledged_by"), int):
            ids.add(event.detail["acknowledged_by"])
    ids.update(i for i in (alert.acknowledged_by, alert.resolved_by) if i is not None)
    return ids


def _actor_id(actor: str) -> int | None:
    kind, _, number = actor.partition(":")
    return int(number) if kind == "staff" and number.isdigit() else None


async def _names(session: AsyncSession, clinic_id: int, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.execute(
        select(col(StaffMember.id), col(StaffMember.name))
        .where(col(StaffMember.id).in_(ids), col(StaffMember.clinic_id) == clinic_id)
    )
    return {staff_id: name for staff_id, name in rows.all() if staff_id is not None}


def _who(actor: str, names: dict[int, str]) -> str:
    staff_id = _actor_id(actor)
    if staff_id is None:
        return "the companion"
    return names.get(staff_id, "a former staff member")


def _event(at: datetime, kind: str, text: str, by: str | None = None, status: str | None = None,
           **detail: Any) -> AlertEventRead:
    at = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return AlertEventRead(at=at, kind=kind, text=text, by=by, status=status, detail=detail)


def _from_trail(trail: Iterable[AuditEvent], names: dict[int, str], alert: Alert) -> list[AlertEventRead]:
    out = []
    for event in trail:
        action, detail, by = event.action, event.detail, _who(event.actor, names)
        if action in _READS or action in _FINDINGS:
            continue
        if action == "alert.open":
            text = f"Raised: {detail.get('severity', alert.severity)}, {detail.get('kind', alert.kind)} chain, " \
                   f"protocol {detail.get('protocol_version', alert.protocol_version)}"
            out.append(_event(event.at, "raised", text, by))
        elif action == "alert.step":
            paged = [names.get(i, "a former staff member") for i in detail.get("paged_staff", ())]
            text = f"Pass {detail.get('pass')}, step {int(detail.get('step', 0)) + 1}: " + (
                f"paged {', '.join(paged)}" if paged else "paged nobody")
            if detail.get("via") in _VIA_WORDS:
                text += f" {_VIA_WORDS[detail['via']]}"
            if detail.get("fallback"):
                text += " (nobody the step names could be paged: the clinic's clinicians and admins instead)"
            out.append(_event(event.at, "step", text, by, unreached=detail.get("unreached", [])))
        elif action == "alert.ack":
            how = _ACK_CHANNELS.get(str(detail.get("channel")), "")
            out.append(_event(event.at, "acknowledged", f"Acknowledged by {by}{how}", by,
                              channel=detail.get("channel")))
        elif action == "alert.page_by_sms_instead":
            who = names.get(detail["staff_id"], "a former staff member") if isinstance(
                detail.get("staff_id"), int) else "the person called"
            out.append(_event(event.at, "page_by_sms_instead",
                              f"The voice page to {who} failed: paged by SMS instead", by))
        elif action == "alert.resolve":
            note = alert.resolution_note if alert.resolved_by == _actor_id(event.actor) else None
            out.append(_event(event.at, "resolved", f"Resolved by {by}" + (f": {note}" if note else ""), by))
        elif action == "alert.escalation_end":
            reason = str(detail.get("reason", ""))
            out.append(_event(event.at, "escalation_ended", f"Escalation ended: {_END_REASONS.get(reason, reason)}"))
        elif action == "alert.reescalate":
            first = names.get(detail["acknowledged_by"]) if isinstance(detail.get("acknowledged_by"), int) else None
            severity = detail.get("to_severity", alert.severity)
            text = f"Re-escalated to {severity} on new risk; the chain starts again" + (
                f", paging {first} first" if first else "")
            out.append(_event(event.at, "reescalated", text, by))
        elif action == "alert.patient_opted_out":
            out.append(_event(event.at, "patient_opted_out", "The patient opted out of SMS (STOP)", by))
        else:
            out.append(_event(event.at, action.removeprefix("alert."), action.removeprefix("alert.").replace("_", " ")
                              .capitalize(), by))
    return out


def _from_findings(findings: Iterable[dict[str, Any]], shown: Iterable[FindingEvidence]) -> list[AlertEventRead]:
    out = []
    for finding, raised_by in zip(findings, shown, strict=True):
        at = finding.get("at")
        if not isinstance(at, str):
            continue
        summary = str(finding.get("evidence") or finding.get("rule_id") or "")
        text = f"Finding ({finding.get('severity')}, {finding.get('rule_id')}): {summary}"
        event = _event(datetime.fromisoformat(at), "finding", text, source=finding.get("source"),
                       rule_id=finding.get("rule_id"), severity=finding.get("severity"), evidence=summary)
        out.append(event.model_copy(update={
            "words": raised_by.message.text if raised_by.message is not None else None,
            "answers": raised_by.checkin.items if raised_by.checkin is not None else None,
            "evidence": raised_by,
        }))
    return out


def _pages(
    page: AlertPage, message: OutboundMessage | None, call: OutboundMessage | None, names: dict[int, str]
) -> list[AlertEventRead]:
    """A page's text and its voice call, each an event with its own status (a page stored before
    voice pages, or whose outbox row is gone, is one SMS event without a status)."""
    out = []
    if message is not None or call is None:
        out.append(_page(page, message, names, "sms"))
    if call is not None:
        out.append(_page(page, call, names, "voice"))
    return out


def _page(page: AlertPage, message: OutboundMessage | None, names: dict[int, str], channel: str) -> AlertEventRead:
    name = names.get(page.staff_id, "a former staff member")
    status = message.status if message is not None else None
    what = "Voice page" if channel == "voice" else "Page"
    text = f"{what} to {name} (pass {page.pass_no}, step {page.step_index + 1})" + (f": {status}" if status else "")
    return _event(page.paged_at, "page", text, name, status, staff_id=page.staff_id, channel=channel,
                  sent_at=message.sent_at.isoformat() if message and message.sent_at else None)


def _reply(message: OutboundMessage) -> AlertEventRead:
    kind = "medical reply" if (message.dedupe_key or "").endswith(":medical") else "safety reply"
    return _event(message.created_at, "safety_reply", f"The {kind} to the patient: {message.status}",
                  status=message.status, sent_at=message.sent_at.isoformat() if message.sent_at else None)
