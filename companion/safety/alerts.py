"""Opening alerts from findings: join the patient's open alert of the same kind or open a new
one with the protocol's chain snapshotted; tell the patient where to get help at once (whatever
the hour); and take the chain's first step in the same transaction.

A finding that joins an open or acknowledged alert is an event on it: more severe risk, or new
urgent risk after an acknowledgement, re-opens the alert and restarts its chain, paging whoever
acknowledged it first; an urgent or high finding from a patient's message or answer tells the
patient where to get help again, once per message (docs/clinical.md, "New risk on an open
alert")."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from companion.audit import services as audit
from companion.clinical import escalation
from companion.clinical.protocol import Protocol
from companion.clinical.rules import Finding, reply_kind
from companion.clock import Clock
from companion.messaging import outbox
from companion.messaging.policy import Purpose
from companion.models import Alert, AlertSeverity, AlertStatus, OutboundMessage, Patient, StaffMember
from companion.safety.escalate import advance, restart

SEVERITY_RANK = {"urgent": 0, "high": 1, "routine": 2}
_rng = random.SystemRandom()


@dataclass(frozen=True)
class Raised:
    alert: Alert
    opened: bool


async def _new_ack_code(session: AsyncSession, clinic_id: int) -> str:
    """A code no other unresolved alert of the clinic uses."""
    taken = set(
        (
            await session.execute(
                select(col(Alert.ack_code))
                .where(col(Alert.clinic_id) == clinic_id, col(Alert.status) != AlertStatus.RESOLVED)
            )
        ).scalars()
    )
    for _ in range(50):
        code = escalation.new_ack_code(_rng)
        if code not in taken:
            return code
    raise RuntimeError("no free acknowledgement code")


async def open_alerts_of(session: AsyncSession, patient_id: int) -> list[Alert]:
    rows = await session.execute(
        select(Alert).where(col(Alert.patient_id) == patient_id, col(Alert.status) != AlertStatus.RESOLVED)
        .order_by(col(Alert.id))
    )
    return list(rows.scalars())


def _finding_dict(finding: Finding) -> dict[str, object]:
    data = asdict(finding)
    return {key: value for key, value in data.items() if isinstance(value, str | int | float | bool) or value is None}


async def raise_findings(
    session: AsyncSession, clock: Clock, protocol: Protocol, patient: Patient, findings: Sequence[Finding], *,
    source: str, reply_key: str | None,
) -> list[Raised]:
    """Turn findings into alerts under ``protocol`` (its chain is snapshotted on each new alert).

    ``reply_key`` names what the patient did that raised the findings (``sms:<inbound id>``,
    ``answer:<answer id>``): the patient hears each reply once per key, whichever alerts it opens
    or joins, so handling the same message again sends nothing twice. None: nothing the patient sent (a missed check-in,
    an undelivered prompt), which sends the reply only when an alert opens."""
    if not findings:
        return []
    assert patient.id is not None
    now = clock.now()
    open_alerts = {a.kind: a for a in await open_alerts_of(session, patient.id)}
    raised: list[Raised] = []
    by_chain: dict[str, list[Finding]] = {}
    for finding in sorted(findings, key=lambda f: SEVERITY_RANK.get(f.severity, 9)):
        by_chain.setdefault(finding.chain, []).append(finding)
    for chain_name, group in by_chain.items():
        records = [{**_finding_dict(f), "at": now.isoformat(), "source": source, "reply_key": reply_key}
                   for f in group]
        existing = open_alerts.get(chain_name)
        if existing is not None:
            await session.flush()
            await session.refresh(existing, with_for_update=True)
            if existing.status == AlertStatus.RESOLVED:
                existing = None  # resolved meanwhile: the new risk opens a new alert
        if existing is not None:
            await _join(session, clock, protocol, patient, existing, group, records, source, reply_key)
            raised.append(Raised(existing, opened=False))
            continue
        top = group[0]
        chain = protocol.chain(chain_name)
        alert = Alert(
            clinic_id=patient.clinic_id, patient_id=patient.id, kind=chain_name,
            severity=top.severity,
            status=AlertStatus.OPEN, ack_code=await _new_ack_code(session, patient.clinic_id),
            protocol_version=protocol.version, protocol_version_id=protocol.stored_id, chain=chain.to_dict(),
            findings=records, opened_at=now,
            next_step_at=now if chain.steps else None,
        )
        session.add(alert)
        await session.flush()
        audit.record(session, clock, actor="system:safety", action="alert.open", subject=f"alert:{alert.id}",
                     clinic_id=alert.clinic_id,
                     detail={"patient": f"patient:{patient.id}", "severity": alert.severity, "kind": chain_name,
                             "rules": [r["rule_id"] for r in records], "protocol_version": protocol.version})
        await _safety_reply(session, clock, protocol, patient, alert, group, reply_key)
        await advance(session, clock, protocol, alert)
        raised.append(Raised(alert, opened=True))
    return raised


def _seen(alert: Alert, record: dict[str, object]) -> bool:
    """This rule already fired on this alert for the same thing the patient did (a retry)."""
    if record["reply_key"] is None:
        return False
    return any(
        old.get("rule_id") == record["rule_id"] and old.get("reply_key") == record["reply_key"]
        for old in alert.findings
    )


def _rank(severity: str) -> int:
    return SEVERITY_RANK.get(severity, 9)


async def _join(
    session: AsyncSession, clock: Clock, protocol: Protocol, patient: Patient, alert: Alert,
    group: Sequence[Finding], records: list[dict[str, object]], source: str, reply_key: str | None,
) -> None:
    """New findings on an open or acknowledged alert (the row is locked): an event, then a
    re-escalation when the risk calls for one, then the patient's reply."""
    fresh = [(f, r) for f, r in zip(group, records, strict=True) if not _seen(alert, r)]
    if not fresh:
        return
    new_findings = [f for f, _ in fresh]
    rules = [r["rule_id"] for _, r in fresh]
    alert.findings = [*alert.findings, *(r for _, r in fresh)]
    top = new_findings[0].severity  # the group is sorted by severity
    audit.record(session, clock, actor="system:safety", action="alert.finding", subject=f"alert:{alert.id}",
                 clinic_id=alert.clinic_id, detail={"rules": rules, "severity": top, "source": source})
    more_severe = _rank(top) < _rank(alert.severity)
    urgent_after_ack = top == AlertSeverity.URGENT and alert.status == AlertStatus.ACKNOWLEDGED
    if more_severe or urgent_after_ack:
        await _reescalate(session, clock, protocol, alert, top, rules)
    serious = [f for f in new_findings if f.severity in {AlertSeverity.URGENT, AlertSeverity.HIGH}]
    if serious and reply_key is not None:
        await _safety_reply(session, clock, protocol, patient, alert, serious, reply_key)


async def _reescalate(
    session: AsyncSession, clock: Clock, protocol: Protocol, alert: Alert, severity: str, rules: list[object],
) -> None:
    """Re-open the alert at ``severity`` and restart its chain; whoever acknowledged it is paged
    first."""
    acknowledged_by = alert.acknowledged_by if alert.status == AlertStatus.ACKNOWLEDGED else None
    acknowledger = await session.get(StaffMember, acknowledged_by) if acknowledged_by is not None else None
    previous, previous_status = alert.severity, alert.status
    if _rank(severity) < _rank(alert.severity):
        alert.severity = severity
    alert.status = AlertStatus.OPEN
    alert.acknowledged_at = alert.acknowledged_by = None
    audit.record(session, clock, actor="system:safety", action="alert.reescalate", subject=f"alert:{alert.id}",
                 clinic_id=alert.clinic_id,
                 detail={"from_severity": previous, "to_severity": alert.severity, "from_status": previous_status,
                         "acknowledged_by": acknowledged_by, "rules": rules})
    await restart(session, clock, protocol, alert, first=acknowledger)


async def _safety_reply(
    session: AsyncSession, clock: Clock, protocol: Protocol, patient: Patient, alert: Alert,
    findings: Sequence[Finding], reply_key: str | None,
) -> None:
    """The patient hears where to get help at once, whatever the hour: once per message they sent
    (``reply_key``), whichever alerts it opens or joins; once per alert for what they did not send."""
    kind = reply_kind(findings)
    body = protocol.wording.reply_for(kind) if kind is not None else None
    if body is None:
        return
    dedupe_key = f"safety-reply:{alert.id}" if reply_key is None else f"safety-reply:{reply_key}:{kind}"
    sent = await session.execute(select(col(OutboundMessage.id)).where(col(OutboundMessage.dedupe_key) == dedupe_key))
    if sent.first() is not None:
        alert.safety_reply_at = alert.safety_reply_at or clock.now()
        return
    await outbox.enqueue(
        session, clock, to_phone=patient.phone, purpose=Purpose.SAFETY_REPLY, body=body,
        clinic_id=patient.clinic_id, patient=patient, dedupe_key=dedupe_key,
    )
    alert.safety_reply_at = clock.now()
