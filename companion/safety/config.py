"""The clinic's safety protocol, loaded once per file and reused."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from companion.settings import Settings, get_settings

if TYPE_CHECKING:
    from companion.clinical.protocol import Protocol

_override: Protocol | None = None


@lru_cache(maxsize=8)
def _load(path: str, mtime: float) -> Protocol:
    from companion.protocols import load_protocol

    return load_protocol(Path(path))


def current_protocol(settings: Settings | None = None) -> Protocol:
    """The protocol named by ``COMPANION_PROTOCOL_FILE`` (re-read when the file changes)."""
    if _override is not None:
        return _override
    path = Path((settings or get_settings()).protocol_file)
    return _load(str(path), path.stat().st_mtime)


def use_protocol(protocol: Protocol | None) -> None:
    """Pin the protocol in this process (tests, tools); None returns to the configured file."""
    global _override
    _override = protocol
