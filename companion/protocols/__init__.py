"""Protocol files: reading a clinic's safety protocol from TOML on disk.

The protocol's rules and their parsing are the clinical core's (``companion.clinical.protocol``,
docs/protocol.md); this package holds the file the companion ships (``default.toml``, the defaults
of docs/clinical.md) and reads files.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from companion.clinical.protocol import Protocol, ProtocolError, parse_protocol

__all__ = ["DEFAULT_PROTOCOL_FILE", "default_protocol", "load_protocol"]

DEFAULT_PROTOCOL_FILE = Path(__file__).resolve().parent / "default.toml"


def load_protocol(path: Path) -> Protocol:
    """Read and parse a protocol file (ProtocolError if it cannot be read or is refused)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ProtocolError([f"{path}: cannot read the file ({reason})"], str(path)) from exc
    return parse_protocol(text, str(path))


@cache
def default_protocol() -> Protocol:
    """The protocol shipped with the companion (the defaults of docs/clinical.md), loaded once."""
    return load_protocol(DEFAULT_PROTOCOL_FILE)
