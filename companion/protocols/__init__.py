"""Protocol files: reading a clinic's safety protocol from TOML on disk.

The protocol's rules and their parsing are the clinical core's (``companion.clinical.protocol``,
docs/protocol.md); this package holds the file the companion ships (``default.toml``, the defaults
of docs/clinical.md) and reads files. An app or a scheduler process holds its protocol in a
:class:`ProtocolSource` and hands ``current()`` to the services it calls.
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

from companion.clinical.plan import DEFAULT_PLAN, AftercarePlan
from companion.clinical.protocol import Protocol, ProtocolError, parse_protocol

__all__ = ["DEFAULT_PROTOCOL_FILE", "ProtocolSource", "default_protocol", "load_protocol"]

DEFAULT_PROTOCOL_FILE = Path(__file__).resolve().parent / "default.toml"
log = logging.getLogger("companion.protocol")


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


class ProtocolSource:
    """Where one app's (or one scheduler's) protocol comes from: a protocol pinned for its whole
    life, or a file, re-read when its modification time changes (a clinic edits its protocol
    without a restart). A file that cannot be read or is refused raises each time it is asked for
    (:class:`ProtocolError`, or the ``OSError`` of a file that has gone)."""

    def __init__(self, *, protocol: Protocol | None = None, path: Path | None = None) -> None:
        if (protocol is None) == (path is None):
            raise ValueError("a protocol source is either a pinned protocol or a file")
        self._pinned = protocol
        self._path = path
        self._loaded: tuple[float, Protocol] | None = None

    @classmethod
    def pinned(cls, protocol: Protocol) -> ProtocolSource:
        return cls(protocol=protocol)

    @classmethod
    def from_file(cls, path: Path | str) -> ProtocolSource:
        return cls(path=Path(path))

    def current(self) -> Protocol:
        """The pinned protocol, or the file's as it is now."""
        if self._pinned is not None:
            return self._pinned
        assert self._path is not None
        mtime = self._path.stat().st_mtime
        loaded = self._loaded
        if loaded is not None and loaded[0] == mtime:
            return loaded[1]
        protocol = load_protocol(self._path)
        self._loaded = (mtime, protocol)
        return protocol

    def aftercare_or_default(self) -> AftercarePlan:
        """The protocol's aftercare plan, or the built-in one when the protocol cannot be read (the
        error is logged): a STOP or START is recorded whatever state the protocol file is in, and
        only the re-planning that follows it falls back."""
        try:
            return self.current().aftercare
        except (ProtocolError, OSError):
            log.exception("the protocol cannot be read; re-planning by the built-in aftercare plan")
            return DEFAULT_PLAN
