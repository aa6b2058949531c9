"""The scheduler process (`companion jobs`, `python -m jobs`) and worker processes (`companion worker`):
secret keys, migrations, then the jobs or the workers."""

from __future__ import annotations

import asyncio
import sys

from companion import migrate
from companion.secret_keys import with_secret_keys
from companion.settings import Settings
from companion.vapid_keys import with_vapid_key
from jobs.scheduler import ROLES, run_forever

WORKER_NEEDS_POSTGRES = (
    "companion worker runs beside the scheduler process on PostgreSQL; on SQLite (one writer) "
    "`companion serve` or `companion jobs` already runs the dispatcher and the inbound worker"
)


def run_jobs(settings: Settings, *, migrate_first: bool, ticks: bool = True, roles: frozenset[str] = ROLES) -> int:
    """Run the jobs (``ticks``: the scheduler process), the dispatcher and the inbound worker until
    interrupted. A SQLite database (or any, with ``migrate_first``) is upgraded to head first.
    Without ``ticks`` (a worker process) SQLite is refused: exit status 2."""
    if not ticks and settings.is_sqlite:
        print(WORKER_NEEDS_POSTGRES, file=sys.stderr)
        return 2
    settings = with_vapid_key(with_secret_keys(settings))  # refuse before touching the database
    if settings.is_sqlite or migrate_first:
        migrate.upgrade(settings.database_url)
    try:
        asyncio.run(run_forever(settings, ticks=ticks, roles=roles))
    except KeyboardInterrupt:
        pass
    return 0
