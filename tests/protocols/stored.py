"""Storing a protocol version as the database holds it, for tests of what reads it (the versions
service is tested on its own)."""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from companion.clock import utcnow
from companion.models import ActiveProtocol, Clinic, ProtocolVersion
from tests.clinics.protocol_texts import labelled

__all__ = ["labelled", "store"]

async def store(session: AsyncSession, clinic: Clinic, text: str, *, activate: bool = True) -> ProtocolVersion:
    """Store ``text`` as the clinic's next version (no checks: a test may store what would be refused)."""
    numbers = (await session.execute(
        select(ProtocolVersion.number).where(ProtocolVersion.clinic_id == clinic.id))).scalars().all()
    version = ProtocolVersion(clinic_id=clinic.id or 0, number=max(numbers, default=0) + 1, label="stored",
                              text=text, digest=hashlib.sha256(text.encode()).hexdigest(), origin="cli")
    session.add(version)
    await session.flush()
    if activate:
        active = await session.get(ActiveProtocol, clinic.id)
        if active is None:
            session.add(ActiveProtocol(clinic_id=clinic.id or 0, version_id=version.id or 0, activated_at=utcnow()))
        else:
            active.version_id = version.id or 0
    await session.commit()
    return version
