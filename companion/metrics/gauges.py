"""Gauges read from the database at each scrape: a :class:`Snapshot` and the metric families it
makes. Pure: the queries are in ``services``; a snapshot can be built by hand in tests.

Series an operator alerts on are always present (zero when nothing matches), so "no backlog"
reads 0, never a missing series: the inbound backlog for both priorities, the outbox queue
(pending, sending) for every purpose, open and acknowledged alerts and due steps for every severity.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from companion.models import AlertSeverity, AlertStatus, MessageStatus

INBOUND_PRIORITIES = ("urgent", "routine")
QUEUE_STATUSES: tuple[str, ...] = (MessageStatus.PENDING, MessageStatus.SENDING)
COUNTED_OUTBOX_STATUSES: tuple[str, ...] = (
    MessageStatus.PENDING, MessageStatus.SENDING, MessageStatus.UNKNOWN, MessageStatus.GAVE_UP, MessageStatus.FAILED,
    MessageStatus.UNDELIVERED, MessageStatus.CANCELED, MessageStatus.SUPPRESSED,
)
"""Outbox statuses counted at each scrape. The happy path's statuses (accepted, queued, sent,
delivered, read) are left out: every message ends in one, so their counts only grow; the send rate
is ``companion_sms_send_seconds_count``."""
SEVERITIES: tuple[str, ...] = (AlertSeverity.URGENT, AlertSeverity.HIGH, AlertSeverity.ROUTINE)
ACTIVE_ALERT_STATUSES: tuple[str, ...] = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)


@dataclass(frozen=True)
class JobBeat:
    job_id: str
    age_seconds: float | None  # since the last run finished; None: never finished
    stale: bool
    last_failed: bool
    interval_seconds: int


@dataclass(frozen=True)
class Snapshot:
    """What the database says now. Keys are label values; absent keys count zero."""

    inbound_backlog: Mapping[str, int] = field(default_factory=dict)  # priority class -> waiting
    inbound_oldest_age_seconds: float = 0.0
    outbox: Mapping[tuple[str, str], int] = field(default_factory=dict)  # (status, purpose) -> rows
    outbox_oldest_due_age_seconds: Mapping[str, float] = field(default_factory=dict)  # purpose -> age
    alerts: Mapping[tuple[str, str], int] = field(default_factory=dict)  # (severity, status) -> alerts
    steps_due: Mapping[str, int] = field(default_factory=dict)  # severity -> due steps
    steps_overdue: Mapping[str, int] = field(default_factory=dict)  # severity -> overdue steps
    jobs: Sequence[JobBeat] = ()


def _gauge(name: str, documentation: str, labels: Sequence[str], values: Iterable[tuple[Sequence[str], float]]
           ) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=list(labels))
    for label_values, value in values:
        family.add_metric(list(label_values), value)
    return family


def families(snapshot: Snapshot, purposes: Sequence[str], overdue_after_seconds: float) -> list[Metric]:
    """The gauges for ``snapshot``; ``purposes`` are the outbox purposes always reported."""
    outbox = {key: 0 for key in ((status, purpose) for status in QUEUE_STATUSES for purpose in purposes)}
    outbox.update(snapshot.outbox)
    alerts = {(severity, status): 0 for severity in SEVERITIES for status in ACTIVE_ALERT_STATUSES}
    alerts.update(snapshot.alerts)
    found: list[Metric] = [
        _gauge("companion_database_up", "1 when this scrape could read the database.", [], [((), 1)]),
        _gauge("companion_inbound_backlog",
               "Inbound messages stored and not yet handled, by priority (urgent: the text read as risk).",
               ["priority"], (((p,), snapshot.inbound_backlog.get(p, 0)) for p in INBOUND_PRIORITIES)),
        _gauge("companion_inbound_oldest_unhandled_age_seconds",
               "Age of the oldest inbound message not yet handled (0 when none waits).",
               [], [((), snapshot.inbound_oldest_age_seconds)]),
        _gauge("companion_outbox_messages",
               f"Outbox rows by status and purpose (statuses: {', '.join(COUNTED_OUTBOX_STATUSES)}).",
               ["status", "purpose"], ((key, count) for key, count in sorted(outbox.items()))),
        _gauge("companion_outbox_oldest_due_age_seconds",
               "How long the oldest pending message of each purpose has been due (0 when none is).",
               ["purpose"],
               (((p,), snapshot.outbox_oldest_due_age_seconds.get(p, 0.0)) for p in
                sorted({*purposes, *snapshot.outbox_oldest_due_age_seconds}))),
        _gauge("companion_alerts_active", "Alerts not yet resolved, by severity and status (open, acknowledged).",
               ["severity", "status"], ((key, count) for key, count in sorted(alerts.items()))),
        _gauge("companion_escalation_steps_due",
               "Open alerts whose next escalation step is due now, by severity.",
               ["severity"], (((s,), snapshot.steps_due.get(s, 0)) for s in SEVERITIES)),
        _gauge("companion_escalation_steps_overdue",
               f"Open alerts whose next escalation step is more than {overdue_after_seconds:g} s overdue "
               "(the escalation job should have taken it), by severity.",
               ["severity"], (((s,), snapshot.steps_overdue.get(s, 0)) for s in SEVERITIES)),
    ]
    jobs = sorted(snapshot.jobs, key=lambda job: job.job_id)
    found += [
        _gauge("companion_job_heartbeat_age_seconds",
               "Seconds since each scheduled job last finished a run (absent: it never finished one).",
               ["job"], (((j.job_id,), j.age_seconds) for j in jobs if j.age_seconds is not None)),
        _gauge("companion_job_interval_seconds", "How often each scheduled job is meant to run.",
               ["job"], (((j.job_id,), j.interval_seconds) for j in jobs)),
        _gauge("companion_job_stale",
               "1 when a job has not finished a run for 5 intervals (at least 2 minutes): /ready is 503.",
               ["job"], (((j.job_id,), int(j.stale)) for j in jobs)),
        _gauge("companion_job_last_run_failed", "1 when a job's last run ended in an error.",
               ["job"], (((j.job_id,), int(j.last_failed)) for j in jobs)),
    ]
    return found


def database_down() -> list[Metric]:
    """What a scrape reports of the database when it cannot read it."""
    return [_gauge("companion_database_up", "1 when this scrape could read the database.", [], [((), 0)])]


class _Fixed(Collector):
    def __init__(self, metrics: Sequence[Metric]) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        yield from self.metrics


def registry_of(metrics: Sequence[Metric]) -> CollectorRegistry:
    """A registry that yields these metric families (rendered with ``generate_latest``)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Fixed(metrics))
    return registry
