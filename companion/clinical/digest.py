"""The daily digest of routine alerts (pure): what it says, and on which local day it is due.

Routine findings page no one (docs/clinical.md): they wait in the dashboard queue, and once each business
day, when the clinic opens, the care team gets one SMS that says how many are waiting and why. The
text carries counts only, never a patient's name or reference.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from companion.clinical.rota import BusinessHours

# How the default protocol's routine rules read in the digest; a clinic's own rule reads as its id.
RULE_LABELS = {
    "cssrs_low": "C-SSRS low risk",
    "missed_checkins": "missed check-ins in a row",
    "phq9_rise": "PHQ-9 up from baseline",
    "gad7_high": "GAD-7 of 15 or more",
    "side_effects_strong": "strong side effects",
}


def digest_day(now: datetime, clinic_tz: str, hours: BusinessHours) -> date | None:
    """The clinic's local date when a digest may go out now (the clinic is open), else None."""
    if not hours.is_business_hours(now, clinic_tz):
        return None
    return now.astimezone(hours.zone_for(clinic_tz)).date()


def label(rule_id: str) -> str:
    return RULE_LABELS.get(rule_id, rule_id.replace("_", " "))


def count_reasons(alerts_rule_ids: Iterable[Sequence[str]]) -> Counter[str]:
    """Patients per reason: an alert counts once for each distinct rule among its findings."""
    reasons: Counter[str] = Counter()
    for rule_ids in alerts_rule_ids:
        reasons.update(set(rule_ids))
    return reasons


def digest_text(clinic_name: str, patients: int, reasons: Counter[str], dashboard_url: str) -> str:
    """One SMS: how many patients have routine items waiting, the reasons by count, and where to look."""
    noun = "patient has" if patients == 1 else "patients have"
    ordered = sorted(reasons.items(), key=lambda item: (-item[1], label(item[0])))
    why = ", ".join(f"{label(rule)} {n}" for rule, n in ordered)
    return f"{clinic_name} daily digest: {patients} {noun} routine items to review ({why}). {dashboard_url}"
