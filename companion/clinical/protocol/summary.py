"""The readable account of a protocol that ``companion protocol check`` prints: rules, chains, business
hours, on-call rota, permissions, aftercare and wording."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING

from companion.clinical.escalation import Target
from companion.clinical.permissions import describe
from companion.clinical.plan import ModalityPlan
from companion.clinical.rota import WEEKDAYS

if TYPE_CHECKING:
    from companion.clinical.protocol.model import Protocol


def _minutes(value: timedelta) -> str:
    minutes = int(value.total_seconds() // 60)
    if minutes and minutes % 60 == 0:
        return f"{minutes // 60} h"
    return f"{minutes} min"


_VIA_TEXT = {"sms": "", "voice": " by voice call", "both": " by SMS and voice call"}


def _targets_text(targets: Iterable[Target]) -> str:
    return ", ".join(str(target) for target in targets)


def _plan_text(plan: ModalityPlan) -> str:
    parts = [
        f"post-session check {_minutes(plan.post_session_delay)} after the session",
        f"daily mood days 1-{plan.daily_mood_days}" if plan.daily_mood_days else "no daily mood",
        f"PHQ-9 every {plan.phq9_every_days} days" + (" and before each session" if plan.phq9_before_session else ""),
        f"GAD-7 every {plan.gad7_every_days} days",
        f"maintenance mood every {plan.maintenance_every_days} days after day {plan.maintenance_after_days}"
        f" without a session, until day {plan.maintenance_until_days}",
        f"reminder after {_minutes(plan.reminder_after)}",
        f"questionnaires expire after {_minutes(plan.questionnaire_expiry)}",
    ]
    return "; ".join(parts)


def _summary_lines(protocol: Protocol) -> list[str]:
    lines = [f"Protocol version {protocol.version} ({protocol.source})", ""]
    lines.append(f"Rules ({len(protocol.rules)}):")
    width = max((len(rule.id) for rule in protocol.rules), default=0)
    for rule in protocol.rules:
        params = rule.describe_params()
        detail = f"{rule.kind}" + (f" {params}" if params else "")
        reply = "" if rule.safety_reply == "none" else f", {rule.safety_reply} reply"
        lines.append(f"  {rule.severity:<7} {rule.id:<{width}}  {detail} -> chain {rule.chain}{reply}")
    lines += ["", "Chains:"]
    for chain in protocol.chains.values():
        if not chain.steps:
            lines.append(f"  {chain.name}: nobody is paged (dashboard queue and daily digest)")
            continue
        passes = f"{chain.repeat} pass" + ("es" if chain.repeat != 1 else "")
        again = f", later passes from step {chain.repeat_from}" if chain.repeat > 1 and chain.repeat_from else ""
        lines.append(f"  {chain.name} ({passes}{again}):")
        for index, step in enumerate(chain.steps):
            after = f" (after hours: {_targets_text(step.after_hours_notify)})" if step.after_hours_notify else ""
            via = _VIA_TEXT[step.via]
            lines.append(f"    [{index}] notify {_targets_text(step.notify)}{after}{via}; wait {_minutes(step.wait)}")
    hours = protocol.business_hours
    zone_text = hours.timezone or "the clinic's time zone"
    lines += ["", f"Business hours ({zone_text}):"]
    for index, day in enumerate(WEEKDAYS):
        opening = hours.days.get(index)
        lines.append(f"  {day} {opening if opening is not None else 'closed'}")
    lines += ["", f"On-call rota (handoffs in {zone_text}):"]
    if not protocol.rota:
        lines.append("  (none)")
    for position, rota in protocol.rota.items():
        overrides = len(rota.overrides)
        extra = f"; {overrides} override" + ("s" if overrides != 1 else "") if overrides else ""
        lines.append(f"  {position}: {', '.join(rota.rotation)} (weekly, handoff {rota.handoff}){extra}")
        for override in rota.overrides:
            lines.append(f"    {override.staff} from {override.start.isoformat()} to {override.end.isoformat()}")
    lines += ["", "Permissions:", *(f"  {line}" for line in describe(protocol.permissions))]
    lines += ["", "Aftercare:"]
    plan = protocol.aftercare
    lines.append(f"  default: {_plan_text(plan.default)}")
    for modality, modality_plan in plan.per_modality.items():
        if modality_plan == plan.default:
            lines.append(f"  {modality}: as default")
        else:
            lines.append(f"  {modality}: {_plan_text(modality_plan)}")
    lines += [
        "",
        "Wording:",
        f"  safety reply: {protocol.wording.safety_reply}",
        f"  medical reply: {protocol.wording.medical_reply}",
        f"  not an emergency service: {protocol.wording.not_emergency}",
    ]
    if protocol.wording.clinic_number:
        lines.append(f"  clinic number: {protocol.wording.clinic_number}")
    return lines
