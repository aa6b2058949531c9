"""Crash recovery of the scheduler process: `companion jobs` killed with SIGKILL while it sends.

Usage:
    python benchmarks/crash_recovery.py [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/companion_bench]
        [--messages 15000] [--kills 3] [--failure-rate 0.0] [--inbound 500] [--log jobs.log]

Due outbox rows of every purpose are stored; `companion jobs` sends them through the Twilio SDK to a fake
Twilio in this process and is killed (SIGKILL) when 1/(kills+1), 2/(kills+1), ... of them are accepted,
then started again at once. Printed (tests/crash/harness.py counts them): the rows in flight at each
kill, prompts/reminders/notices/replies never sent (lost), safety replies/pages/codes sent twice
(duplicated), in all and per kill beside that kill's rows in flight, any row breaking its purpose's rule,
and how long after each restart the urgent rows left in flight were taken back from the dead process and
sent. One in ten of the --inbound messages is a crisis message from an enrolled patient ("i took all my
pills"), stored just before a kill so that the kill lands while they are handled (once the first is
handled and rows are in flight again); printed per kill: how many the kill left unhandled and how long
after the restart each of them was handled with its safety reply queued. The database's outbox, inbound
messages and clinics are emptied first, so its name must contain "bench".

Exit status: 0 when lost and duplicated are each at most the rows in flight (in all and at each kill), no
rule is broken, every row is settled and the urgent rows are taken back within 15 s of each restart (and
sent within 15 s when no send fails on purpose: with --failure-rate a resent row that fails again waits
out its backoff), and every crisis message a kill left unhandled is handled with its safety reply queued
within 15 s of the restart, each reply queued once and sent; 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.crash import harness

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/companion_bench"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--messages", type=int, default=15_000)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--failure-rate", type=float, default=0.0)
    parser.add_argument("--inbound", type=int, default=500,
                        help="stored inbound messages handled in the run (one in ten a patient's crisis message)")
    parser.add_argument("--log", type=Path, default=Path("crash_recovery_jobs.log"))
    args = parser.parse_args()
    if "bench" not in args.database_url.rsplit("/", 1)[-1]:
        parser.error("the database's name must contain 'bench' (its outbox is emptied)")
    harness.ensure_database(args.database_url)
    kill_at = [(n + 1) / (args.kills + 1) for n in range(args.kills)]
    report = asyncio.run(harness.run(args.database_url, messages=args.messages, kill_at=kill_at,
                                     failure_rate=args.failure_rate, inbound=args.inbound,
                                     log_file=args.log, limit_s=900))
    for line in report.lines():
        print(line)
    ok = (report.unsettled == 0 and report.broken_rule == 0 and report.inbound_unhandled == 0
          and report.inbound_replies_wrong == 0 and report.lost <= report.in_flight
          and report.duplicated <= report.in_flight and report.unattributed == 0
          and all(k.lost <= k.in_flight and k.duplicated <= k.in_flight for k in report.kills)
          and report.crisis_wrong == 0
          and all(k.crisis_handled_s is not None and k.crisis_handled_s < 15 for k in report.kills)
          and all(k.urgent_taken_back_s is not None and k.urgent_taken_back_s < 15 for k in report.kills)
          and (args.failure_rate > 0
               or all(k.urgent_settled_s is not None and k.urgent_settled_s < 15 for k in report.kills)))
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
