"""Logging configured as `companion serve` configures it, into a buffer, and put back afterwards."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from companion.observability.logs import UVICORN_LOGGERS, configure_logging


class Captured(io.StringIO):
    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.getvalue().splitlines() if line.strip()]


@pytest.fixture
def json_logs() -> Iterator[Captured]:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level,
             {name: (list(logging.getLogger(name).handlers), logging.getLogger(name).propagate)
              for name in UVICORN_LOGGERS})
    buffer = Captured()
    configure_logging("json", stream=buffer)
    yield buffer
    handlers, level, uvicorn = saved
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, (kept, propagate) in uvicorn.items():
        logging.getLogger(name).handlers[:] = kept
        logging.getLogger(name).propagate = propagate
