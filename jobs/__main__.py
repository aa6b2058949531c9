"""`python -m jobs`: the scheduler process."""

from __future__ import annotations

import sys

from companion.cli import main

if __name__ == "__main__":
    sys.exit(main(["jobs", *sys.argv[1:]]))
