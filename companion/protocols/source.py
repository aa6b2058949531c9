"""Where the services get a clinic's safety protocol: the clinic's active stored version, cached
per clinic (docs/protocol.md).

A process asks :meth:`ProtocolSource.for_clinic` for each clinic it works for. The active version
of every clinic is checked at most every ``refresh_seconds`` (one small query), so a version
activated in another process takes effect within seconds; activating in this process takes effect
at once (:meth:`ProtocolSource.invalidate`).

Never silent, never without a protocol:

* a clinic without a stored version uses the seed file (``COMPANION_PROTOCOL_FILE``, itself kept
  at its last good version, :class:`~companion.protocols.files.ProtocolFile`);
* a stored version that cannot be loaded never replaces the last good one: this process's last
  good version of that clinic stays in use, else the newest earlier version that loads, else the
  built-in default protocol (whose on-call positions then reach the clinic's clinicians, since
  nobody it names belongs to the clinic). The error is logged once per version and
  :meth:`status` reports it; ``/ready`` shows it and answers 503.

A test (or a tool) may pin one protocol for every clinic: :meth:`ProtocolSource.pinned`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from companion.clinical.protocol import Protocol, ProtocolError, parse_protocol
from companion.models import ActiveProtocol, ProtocolVersion
from companion.protocols.files import ProtocolFile, default_protocol

__all__ = ["ProtocolSource", "load_stored"]

log = logging.getLogger("companion.protocol")
REFRESH_SECONDS = 1.0


def load_stored(version: ProtocolVersion) -> Protocol:
    """Parse a stored version (ProtocolError if it no longer loads)."""
    protocol = parse_protocol(version.text, f"clinic {version.clinic_id} protocol version {version.number}")
    return replace(protocol, stored_id=version.id)


class ProtocolSource:
    """The protocol of each clinic, for one process: pinned, or stored with a seed file."""

    def __init__(self, *, pinned: Protocol | None = None, seed: ProtocolFile | None = None,
                 refresh_seconds: float = REFRESH_SECONDS) -> None:
        if (pinned is None) == (seed is None):
            raise ValueError("a protocol source is either a pinned protocol or stored versions with a seed file")
        self._pinned = pinned
        self._seed = seed
        self._refresh_seconds = refresh_seconds
        self._checked_at: float | None = None
        self._active: dict[int, int] = {}  # clinic id -> active version id
        self._loaded: dict[int, Protocol] = {}  # clinic id -> the last good version loaded
        self._refused: dict[int, str] = {}  # version id -> why it does not load
        self._problems: dict[int, str] = {}  # clinic id -> what is wrong with its active version

    @classmethod
    def pinned(cls, protocol: Protocol) -> ProtocolSource:
        return cls(pinned=protocol)

    @classmethod
    def from_file(cls, path: Path | str, *, refresh_seconds: float = REFRESH_SECONDS) -> ProtocolSource:
        """Each clinic's stored versions; ``path`` is the seed file, for clinics that have none."""
        return cls(seed=ProtocolFile(path), refresh_seconds=refresh_seconds)

    def seed(self) -> Protocol:
        """The protocol a clinic without a stored version uses (the pinned one when pinned)."""
        if self._pinned is not None:
            return self._pinned
        assert self._seed is not None
        return self._seed.current()

    def invalidate(self) -> None:
        """Check the active versions again on the next request (a version was activated here)."""
        self._checked_at = None

    async def for_clinic(self, session: AsyncSession, clinic_id: int) -> Protocol:
        """The protocol ``clinic_id`` uses now. Never raises for a version that does not load."""
        if self._pinned is not None:
            return self._pinned
        await self._refresh(session)
        version_id = self._active.get(clinic_id)
        if version_id is None:
            self._problems.pop(clinic_id, None)
            return self.seed()
        loaded = self._loaded.get(clinic_id)
        if loaded is not None and loaded.stored_id == version_id:
            return loaded
        if version_id not in self._refused:
            version = (await session.execute(
                select(ProtocolVersion).where(col(ProtocolVersion.id) == version_id)
                .execution_options(populate_existing=True)  # as stored, whatever the session holds
            )).scalar_one_or_none()
            try:
                if version is None:
                    raise ProtocolError([f"version id {version_id} is missing"])
                protocol = load_stored(version)
            except ProtocolError as exc:
                self._refused[version_id] = "; ".join(exc.problems)
            else:
                self._loaded[clinic_id] = protocol
                self._problems.pop(clinic_id, None)
                return protocol
        return await self._last_good(session, clinic_id, version_id)

    async def stored(self, session: AsyncSession) -> dict[int, Protocol]:
        """The protocol of every clinic with a stored version (the others use :meth:`seed`)."""
        if self._pinned is not None:
            return {}
        await self._refresh(session)
        return {clinic_id: await self.for_clinic(session, clinic_id) for clinic_id in sorted(self._active)}

    async def _refresh(self, session: AsyncSession) -> None:
        now = time.monotonic()
        if self._checked_at is not None and now - self._checked_at < self._refresh_seconds:
            return
        rows = await session.execute(select(col(ActiveProtocol.clinic_id), col(ActiveProtocol.version_id)))
        self._active = {clinic_id: version_id for clinic_id, version_id in rows.all()}
        self._checked_at = now

    async def _last_good(self, session: AsyncSession, clinic_id: int, version_id: int) -> Protocol:
        good = self._loaded.get(clinic_id)
        if good is None:
            earlier = await session.execute(
                select(ProtocolVersion).where(col(ProtocolVersion.clinic_id) == clinic_id,
                                              col(ProtocolVersion.id) != version_id)
                .order_by(col(ProtocolVersion.number).desc()).execution_options(populate_existing=True)
            )
            for version in earlier.scalars():
                if version.id in self._refused:
                    continue
                try:
                    good = load_stored(version)
                except ProtocolError as exc:
                    self._refused[version.id or 0] = "; ".join(exc.problems)
                    continue
                break
        kept = good or default_protocol()
        what = f"version {kept.version}" if good is not None else f"the built-in default {kept.version}"
        reason = self._refused[version_id]
        problem = f"clinic {clinic_id}: the active version does not load ({reason}); {what} stays in use"
        if self._problems.get(clinic_id) != problem:
            log.error("the protocol of clinic %s does not load (%s); %s stays in use",
                      clinic_id, self._refused[version_id], what)
            self._problems[clinic_id] = problem
        if good is not None:
            self._loaded[clinic_id] = good
        return kept

    async def check(self, session: AsyncSession) -> tuple[bool, str]:
        """Load every clinic's active version (as a request would) and report: ``/ready``."""
        if self._pinned is None:
            self.invalidate()
            await self._refresh(session)
            for clinic_id in sorted(self._active):
                await self.for_clinic(session, clinic_id)
        return self.status()

    def status(self) -> tuple[bool, str]:
        """Whether every clinic uses the version it should, and a line that says so."""
        if self._pinned is not None:
            return True, f"version {self._pinned.version} in use"
        assert self._seed is not None
        seed_ok, seed_line = self._seed.status()
        if not self._active:
            return seed_ok, seed_line
        parts = [f"{len(self._active)} clinic(s) on their stored version"]
        parts += [self._problems[clinic_id] for clinic_id in sorted(self._problems)]
        parts.append(f"seed file for the others: {seed_line}")
        return seed_ok and not self._problems, "; ".join(parts)
