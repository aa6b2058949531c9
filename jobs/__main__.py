"""`python -m jobs`: the scheduler process, as `companion jobs` starts it."""

from __future__ import annotations

import argparse
import logging
import sys

from companion.observability.logs import configure_logging
from companion.settings import get_settings
from jobs.process import run_jobs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jobs", description="the scheduler process")
    parser.add_argument("--migrate", action="store_true", help="upgrade the database first")
    args = parser.parse_args(argv)
    try:
        settings = get_settings()
        configure_logging(settings.log_format, level=logging.getLevelNamesMapping()[settings.log_level])
        return run_jobs(settings, migrate_first=args.migrate)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
