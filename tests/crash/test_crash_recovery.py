"""`companion jobs` killed with SIGKILL mid-send and restarted: nothing lost or doubled beyond the
rows in flight at each kill, urgent rows taken back within 15 s of the restart (and, when no send
fails on purpose, sent within 15 s), and patients' crisis messages the kill left unhandled handled,
their safety replies queued, within 15 s of the restart (PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import PG_URL
from tests.crash import harness

pytestmark = pytest.mark.skipif(not PG_URL, reason="the crash test runs on PostgreSQL")


def _check(report: harness.CrashReport, *, sends_fail: bool = False) -> None:
    assert report.unsettled == 0, report.lines()
    assert report.inbound_unhandled == 0 and report.inbound_replies_wrong == 0, report.lines()
    assert report.broken_rule == 0, report.lines()
    assert report.lost <= report.in_flight, report.lines()
    assert report.duplicated <= report.in_flight, report.lines()
    assert all(k.lost <= k.in_flight and k.duplicated <= k.in_flight for k in report.kills), report.lines()
    assert report.unattributed == 0, report.lines()
    assert report.crisis_wrong == 0, report.lines()
    assert all(k.crisis_handled_s is not None and k.crisis_handled_s < 15 for k in report.kills), report.lines()
    assert all(k.urgent_taken_back_s is not None and k.urgent_taken_back_s < 15 for k in report.kills), report.lines()
    if not sends_fail:  # with failures injected, a resent row that fails again waits out its backoff
        assert all(k.urgent_settled_s is not None and k.urgent_settled_s < 15 for k in report.kills), report.lines()


async def test_kills_mid_send_lose_and_double_at_most_what_was_in_flight(tmp_path: Path) -> None:
    assert PG_URL is not None
    report = await harness.run(PG_URL, messages=3000, kill_at=[0.2, 0.45, 0.7], inbound=300,
                                log_file=tmp_path / "jobs.log")
    _check(report)
    assert report.gave_up == 0 and report.accepted >= report.messages - report.lost


async def test_with_a_fifth_of_sends_failing_each_message_goes_once_or_is_given_up(tmp_path: Path) -> None:
    assert PG_URL is not None
    report = await harness.run(PG_URL, messages=2000, kill_at=[0.3, 0.6], failure_rate=0.2,
                               log_file=tmp_path / "jobs.log")
    _check(report, sends_fail=True)
