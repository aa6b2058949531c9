"""What the protocol routes answer (docs/protocol.md, "Stored versions")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from companion.schemas import ReadModel


class PersonRef(ReadModel):
    id: int
    name: str


class ProtocolRead(ReadModel):
    """The protocol a clinic uses: its active stored version, or (``stored`` false, ``number``
    null) the seed file, for a clinic without one."""

    number: int | None
    label: str
    origin: str
    created_at: datetime | None
    created_by: PersonRef | None
    activated_at: datetime | None
    activated_by: PersonRef | None
    text: str
    summary: str
    stored: bool


class VersionSummary(ReadModel):
    number: int
    label: str
    origin: str
    digest: str
    created_at: datetime
    created_by: PersonRef | None
    active: bool


class VersionRead(VersionSummary):
    text: str
    diff: str | None = None  # with ?diff_from=N: the unified diff from version N to this one


@dataclass
class RefusedBody:
    """A protocol refused: ``problems`` name each place ("place: what is wrong")."""

    status_code: int
    detail: str
    problems: list[str]
    extra: list[dict[str, Any]] | None = None
