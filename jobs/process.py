"""The scheduler process (`companion jobs`, `python -m jobs`): secret keys, migrations, then the jobs."""

from __future__ import annotations

import asyncio

from companion import migrate
from companion.secret_keys import with_secret_keys
from companion.settings import Settings
from companion.vapid_keys import with_vapid_key
from jobs.scheduler import run_forever


def run_jobs(settings: Settings, *, migrate_first: bool) -> int:
    """Run the jobs, the dispatcher and the inbound worker until interrupted. A SQLite database (or
    any, with ``migrate_first``) is upgraded to head first."""
    settings = with_vapid_key(with_secret_keys(settings))  # refuse before touching the database
    if settings.is_sqlite or migrate_first:
        migrate.upgrade(settings.database_url)
    try:
        asyncio.run(run_forever(settings))
    except KeyboardInterrupt:
        pass
    return 0
