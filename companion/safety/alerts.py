"""Opening alerts from findings: join the patient's open alert of the same kind or open a new
one with the protocol's chain snapshotted; tell the patient where to get help at once (once per
alert, whatever the hour); and take the chain's first step in the same transaction."""

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
from companion.models import Alert, AlertStatus, Patient
from companion.safety.escalate import advance

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
    source: str,
) -> list[Raised]:
    """Turn findings into alerts under ``protocol`` (its chain is snapshotted on each new alert)."""
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
        records = [{**_finding_dict(f), "at": now.isoformat(), "source": source} for f in group]
        existing = open_alerts.get(chain_name)
        if existing is not None:
            existing.findings = [*existing.findings, *records]
            audit.record(session, clock, actor="system:safety", action="alert.join", subject=f"alert:{existing.id}",
                         clinic_id=existing.clinic_id, detail={"rules": [r["rule_id"] for r in records]})
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
        await _safety_reply(session, clock, protocol, patient, alert, group)
        await advance(session, clock, protocol, alert)
        raised.append(Raised(alert, opened=True))
    return raised


async def _safety_reply(
    session: AsyncSession, clock: Clock, protocol: Protocol, patient: Patient, alert: Alert,
    findings: Sequence[Finding],
) -> None:
    """The patient hears where to get help at once, whatever the hour, once per alert."""
    kind = reply_kind(findings)
    body = protocol.wording.reply_for(kind) if kind is not None else None
    if body is None:
        return
    await outbox.enqueue(
        session, clock, to_phone=patient.phone, purpose=Purpose.SAFETY_REPLY, body=body,
        clinic_id=patient.clinic_id, patient=patient, dedupe_key=f"safety-reply:{alert.id}",
    )
    alert.safety_reply_at = clock.now()
