"""The protocol routes' work: reading a request body as protocol text, and answering with the
versions as the API shows them (an admin sees their own clinic only)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import tomli_w
from sqlalchemy.ext.asyncio import AsyncSession

from companion.auth.principals import StaffPrincipal
from companion.clinical.protocol import ProtocolError, parse_protocol, version_diff
from companion.clinics import protocol_versions as versions
from companion.clinics.protocol_schemas import PersonRef, ProtocolRead, VersionRead, VersionSummary
from companion.clinics.services import get_clinic
from companion.clock import Clock
from companion.errors import InvalidInput
from companion.models import ActiveProtocol, ProtocolVersion, StaffMember
from companion.protocols import DEFAULT_PROTOCOL_FILE, ProtocolSource, load_stored

__all__ = ["TOML_TYPES", "activate", "body_text", "list_versions", "put_protocol", "read_protocol", "read_version"]

TOML_TYPES = ("application/toml", "text/plain")
JSON_TYPE = "application/json"


def _unwritable(value: Any, place: str) -> str | None:
    """The place of the first value TOML cannot hold (a JSON null, an infinite number), or None."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return place or "body"
    if isinstance(value, dict):
        for key, item in value.items():
            found = _unwritable(item, f"{place}.{key}" if place else str(key))
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _unwritable(item, f"{place}[{index}]")
            if found is not None:
                return found
    return None


def body_text(media_type: str, raw: bytes) -> str:
    """The protocol text of a request body: TOML as sent, or a JSON object written as TOML.

    InvalidInput for a body that is neither; what the text itself says is checked later."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("the body is not UTF-8 text", field="body") from None
    if media_type in TOML_TYPES:
        return text
    if media_type != JSON_TYPE:
        raise InvalidInput(f"send the protocol as {', '.join(TOML_TYPES)} or {JSON_TYPE}", field="body")
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        raise InvalidInput("the body is not valid JSON", field="body") from None
    if not isinstance(document, dict):
        raise InvalidInput("the JSON body must be an object: the protocol document", field="body")
    place = _unwritable(document, "")
    if place is not None:
        raise InvalidInput(f"{place}: null and infinite numbers have no TOML form", field="body")
    try:
        return tomli_w.dumps(document)
    except (TypeError, ValueError, RecursionError) as exc:
        raise InvalidInput(f"the JSON body cannot be written as TOML ({exc})", field="body") from None


async def _person(session: AsyncSession, staff_id: int | None) -> PersonRef | None:
    if staff_id is None:
        return None
    member = await session.get(StaffMember, staff_id)
    return None if member is None else PersonRef(id=staff_id, name=member.name)


async def _summary(session: AsyncSession, row: ProtocolVersion, active_id: int | None) -> dict[str, Any]:
    return {"number": row.number, "label": row.label, "origin": row.origin, "digest": row.digest,
            "created_at": row.created_at, "created_by": await _person(session, row.created_by),
            "active": row.id == active_id}


async def _active_id(session: AsyncSession, clinic_id: int) -> int | None:
    active = await session.get(ActiveProtocol, clinic_id)
    return None if active is None else active.version_id


def _seed_text(path: Path) -> str:
    """The seed file's text, or the shipped default's when the file cannot be read or is refused
    (the seed in use is then the last good one or the shipped default, docs/protocol.md)."""
    try:
        text = path.read_bytes().decode("utf-8")
        parse_protocol(text, str(path))
    except (OSError, UnicodeDecodeError, ProtocolError):
        return DEFAULT_PROTOCOL_FILE.read_text(encoding="utf-8")
    return text


async def read_protocol(session: AsyncSession, protocols: ProtocolSource, seed_file: Path, staff: StaffPrincipal,
                        clinic_id: int) -> ProtocolRead:
    """The clinic's active version, or the seed file for a clinic without one."""
    await get_clinic(session, staff, clinic_id)
    row = await versions.active_version(session, clinic_id)
    if row is None:
        seed = protocols.seed()
        return ProtocolRead(number=None, label=seed.version, origin="seed file", created_at=None, created_by=None,
                            activated_at=None, activated_by=None, text=_seed_text(seed_file),
                            summary=seed.summary(), stored=False)
    active = await session.get(ActiveProtocol, clinic_id)
    assert active is not None
    try:
        summary = load_stored(row).summary()
    except ProtocolError as exc:  # stored before a stricter parser: shown, never hidden
        summary = "this version no longer loads:\n" + "\n".join(exc.problems)
    return ProtocolRead(number=row.number, label=row.label, origin=row.origin, created_at=row.created_at,
                        created_by=await _person(session, row.created_by), activated_at=active.activated_at,
                        activated_by=await _person(session, active.activated_by), text=row.text, summary=summary,
                        stored=True)


async def list_versions(session: AsyncSession, staff: StaffPrincipal, clinic_id: int) -> list[VersionSummary]:
    await get_clinic(session, staff, clinic_id)
    active_id = await _active_id(session, clinic_id)
    return [VersionSummary(**await _summary(session, row, active_id))
            for row in await versions.versions(session, clinic_id)]


async def read_version(session: AsyncSession, staff: StaffPrincipal, clinic_id: int, number: int,
                       diff_from: int | None) -> VersionRead:
    await get_clinic(session, staff, clinic_id)
    row = await versions.version(session, clinic_id, number)
    diff = None
    if diff_from is not None:
        old = await versions.version(session, clinic_id, diff_from)
        diff = version_diff(old.text, row.text, f"version {old.number} ({old.label})",
                            f"version {row.number} ({row.label})")
    return VersionRead(**await _summary(session, row, await _active_id(session, clinic_id)), text=row.text,
                       diff=diff)


async def put_protocol(session: AsyncSession, clock: Clock, protocols: ProtocolSource, staff: StaffPrincipal,
                       clinic_id: int, text: str, activate: bool) -> tuple[VersionRead, bool]:
    """A new version from the API; the version and whether it was stored (False: the active text)."""
    await get_clinic(session, staff, clinic_id)
    added = await versions.import_version(session, clock, clinic_id, text, origin="api", actor=staff.actor,
                                          staff_id=staff.staff_id, activate=activate, protocols=protocols)
    row = added.version
    return VersionRead(**await _summary(session, row, await _active_id(session, clinic_id)), text=row.text), \
        added.created


async def activate(session: AsyncSession, clock: Clock, protocols: ProtocolSource, seed_file: Path,
                   staff: StaffPrincipal, clinic_id: int, number: int) -> ProtocolRead:
    await get_clinic(session, staff, clinic_id)
    await versions.activate_version(session, clock, clinic_id, number, actor=staff.actor, staff_id=staff.staff_id,
                                    protocols=protocols)
    return await read_protocol(session, protocols, seed_file, staff, clinic_id)
