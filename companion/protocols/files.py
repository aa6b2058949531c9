"""Protocol files: reading a safety protocol from TOML on disk (the shipped default, the seed
file ``COMPANION_PROTOCOL_FILE`` names, a file given to ``companion protocol check``)."""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

from companion.clinical.protocol import Protocol, ProtocolError, parse_protocol

__all__ = ["DEFAULT_PROTOCOL_FILE", "ProtocolFile", "default_protocol", "load_protocol"]

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


class ProtocolFile:
    """A protocol file, re-read when its modification time changes.

    Never silent, never without a protocol: a file that cannot be read or is refused never
    replaces the last good version, which stays in use (the shipped default protocol when the
    file was never good); the error is logged once per version of the file and :meth:`status`
    reports it (``/ready`` shows it).
    """

    def __init__(self, path: Path | str) -> None:
        self._path = Path(path)
        self._loaded: tuple[float, Protocol] | None = None
        self._refused: tuple[float | None, str] | None = None  # the file's mtime and why it was refused

    @property
    def path(self) -> Path:
        return self._path

    def current(self) -> Protocol:
        """The file's protocol as it is now, or (the file refused) the last good one."""
        mtime: float | None = None
        try:
            stamp = self._path.stat().st_mtime
        except OSError as exc:
            reason = f"{self._path}: cannot read the file ({exc.strerror or exc})"
        else:
            mtime = stamp
            if self._loaded is not None and self._loaded[0] == mtime:
                return self._loaded[1]
            if self._refused is not None and self._refused[0] == mtime:
                return self._last_good()
            try:
                protocol = load_protocol(self._path)
            except ProtocolError as exc:
                reason = "; ".join(exc.problems)
            else:
                self._loaded, self._refused = (stamp, protocol), None
                return protocol
        if self._refused is None or self._refused != (mtime, reason):
            good = self._last_good()
            log.error("the protocol file %s is refused (%s); keeping protocol version %s in use",
                      self._path, reason, good.version)
        self._refused = (mtime, reason)
        return self._last_good()

    def _last_good(self) -> Protocol:
        return self._loaded[1] if self._loaded is not None else default_protocol()

    def status(self) -> tuple[bool, str]:
        """Whether the protocol in use is the one configured, and a line that says so (``/ready``)."""
        protocol = self.current()
        if self._refused is None:
            return True, f"version {protocol.version} in use"
        kept = "the last good version" if self._loaded is not None else "the built-in default"
        return False, f"file refused ({self._refused[1]}); {kept}, {protocol.version}, stays in use"
