"""The gauges a database snapshot makes (pure): values, zero-filled series, the text they render."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from companion.metrics import gauges
from companion.metrics.gauges import JobBeat, Snapshot

PURPOSES = ("prompt", "staff_page")
LabelKey = tuple[str, frozenset[tuple[str, str]]]


def _samples(snapshot: Snapshot) -> Mapping[LabelKey, float]:
    text = generate_latest(gauges.registry_of(gauges.families(snapshot, PURPOSES, 120))).decode()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _key(name: str, **labels: str) -> LabelKey:
    return name, frozenset(labels.items())


EMPTY = Snapshot()
BUSY = Snapshot(
    inbound_backlog={"urgent": 2, "routine": 7},
    inbound_oldest_age_seconds=95.5,
    outbox={("pending", "prompt"): 4, ("gave_up", "staff_page"): 1, ("sending", "otp"): 3},
    outbox_oldest_due_age_seconds={"prompt": 30.0, "otp": 2.0},
    alerts={("urgent", "open"): 1, ("high", "acknowledged"): 2},
    steps_due={"urgent": 1},
    steps_overdue={"urgent": 1},
    jobs=[JobBeat("dispatch-outbox", 3.0, False, False, 1), JobBeat("watchdog", None, True, True, 60)],
)

CASES = [
    # (snapshot, metric, labels, value); None: the series is absent
    (EMPTY, "companion_database_up", {}, 1),
    (EMPTY, "companion_inbound_backlog", {"priority": "urgent"}, 0),
    (EMPTY, "companion_inbound_backlog", {"priority": "routine"}, 0),
    (EMPTY, "companion_inbound_oldest_unhandled_age_seconds", {}, 0),
    (EMPTY, "companion_outbox_messages", {"status": "pending", "purpose": "staff_page"}, 0),
    (EMPTY, "companion_outbox_messages", {"status": "sending", "purpose": "prompt"}, 0),
    (EMPTY, "companion_outbox_messages", {"status": "gave_up", "purpose": "prompt"}, None),
    (EMPTY, "companion_outbox_oldest_due_age_seconds", {"purpose": "prompt"}, 0),
    (EMPTY, "companion_alerts_active", {"severity": "urgent", "status": "open"}, 0),
    (EMPTY, "companion_alerts_active", {"severity": "routine", "status": "acknowledged"}, 0),
    (EMPTY, "companion_escalation_steps_due", {"severity": "high"}, 0),
    (EMPTY, "companion_escalation_steps_overdue", {"severity": "urgent"}, 0),
    (EMPTY, "companion_job_stale", {"job": "watchdog"}, None),
    (BUSY, "companion_inbound_backlog", {"priority": "urgent"}, 2),
    (BUSY, "companion_inbound_backlog", {"priority": "routine"}, 7),
    (BUSY, "companion_inbound_oldest_unhandled_age_seconds", {}, 95.5),
    (BUSY, "companion_outbox_messages", {"status": "pending", "purpose": "prompt"}, 4),
    (BUSY, "companion_outbox_messages", {"status": "pending", "purpose": "staff_page"}, 0),
    (BUSY, "companion_outbox_messages", {"status": "gave_up", "purpose": "staff_page"}, 1),
    # A purpose outside the always-reported ones still shows when it has rows.
    (BUSY, "companion_outbox_messages", {"status": "sending", "purpose": "otp"}, 3),
    (BUSY, "companion_outbox_oldest_due_age_seconds", {"purpose": "prompt"}, 30),
    (BUSY, "companion_outbox_oldest_due_age_seconds", {"purpose": "otp"}, 2),
    (BUSY, "companion_outbox_oldest_due_age_seconds", {"purpose": "staff_page"}, 0),
    (BUSY, "companion_alerts_active", {"severity": "urgent", "status": "open"}, 1),
    (BUSY, "companion_alerts_active", {"severity": "high", "status": "acknowledged"}, 2),
    (BUSY, "companion_alerts_active", {"severity": "high", "status": "open"}, 0),
    (BUSY, "companion_escalation_steps_due", {"severity": "urgent"}, 1),
    (BUSY, "companion_escalation_steps_overdue", {"severity": "urgent"}, 1),
    (BUSY, "companion_escalation_steps_overdue", {"severity": "high"}, 0),
    (BUSY, "companion_job_heartbeat_age_seconds", {"job": "dispatch-outbox"}, 3),
    (BUSY, "companion_job_heartbeat_age_seconds", {"job": "watchdog"}, None),  # never finished a run
    (BUSY, "companion_job_interval_seconds", {"job": "watchdog"}, 60),
    (BUSY, "companion_job_stale", {"job": "watchdog"}, 1),
    (BUSY, "companion_job_stale", {"job": "dispatch-outbox"}, 0),
    (BUSY, "companion_job_last_run_failed", {"job": "watchdog"}, 1),
    (BUSY, "companion_job_last_run_failed", {"job": "dispatch-outbox"}, 0),
]


@pytest.mark.parametrize(("snapshot", "name", "labels", "value"), CASES)
def test_a_snapshot_makes_these_series(snapshot: Snapshot, name: str, labels: dict[str, str],
                                       value: float | None) -> None:
    assert _samples(snapshot).get(_key(name, **labels)) == value


def test_an_unreadable_database_reads_as_down_and_nothing_else() -> None:
    text = generate_latest(gauges.registry_of(gauges.database_down())).decode()
    [family] = list(text_string_to_metric_families(text))
    assert (family.name, family.type, [s.value for s in family.samples]) == ("companion_database_up", "gauge", [0])


def test_every_gauge_has_help_and_the_companion_prefix() -> None:
    families = gauges.families(BUSY, PURPOSES, 120)
    assert {family.type for family in families} == {"gauge"}
    assert all(family.name.startswith("companion_") and family.documentation for family in families)
