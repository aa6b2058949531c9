"""Set-your-password links for staff: an invitation or a password reset (docs/sign-in.md,
"Invitations, resets and unlocking").

A link carries ``<staff id>.<nonce>.<signature>``, signed with the signing key (any configured
key verifies) over the id and a nonce stored on the member with the link's kind and expiry. A
member has at most one open link: a new one replaces the last, deactivation withdraws it, and
setting the password spends it. Spending is one conditional statement (``UPDATE ... WHERE nonce
= <the link's> AND expires_at > now AND active``), so of two uses at once exactly one sets the
password. Setting it ends every session the member had, clears the sign-in lockout and the
account's backoff.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from companion.audit import services as audit
from companion.auth import throttle
from companion.auth.passwords import PasswordPool
from companion.clock import Clock
from companion.errors import NotAuthenticated
from companion.models import SetupKind, StaffMember
from companion.models.base import table_of
from companion.settings import Settings

INVALID = "this link is no longer valid; ask an admin of your clinic for a new one"
# Stored instead of a hash until the member sets a password: argon2 refuses it as no hash, so no
# password ever matches it.
NO_PASSWORD = "!unset"

S = table_of(StaffMember)


@dataclass(frozen=True)
class IssuedLink:
    url: str
    kind: SetupKind
    expires_at: datetime


def _signature(key: str, staff_id: int, nonce: str) -> str:
    digest = hmac.new(key.encode(), f"staff-setup:{staff_id}.{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode().rstrip("=")


def _signed_by_any(settings: Settings, staff_id: int, nonce: str, signature: str) -> bool:
    matches = [hmac.compare_digest(signature, _signature(key, staff_id, nonce)) for key in settings.secret_keys]
    return any(matches)


def setup_url(settings: Settings, staff_id: int, nonce: str) -> str:
    token = f"{staff_id}.{nonce}.{_signature(settings.signing_key, staff_id, nonce)}"
    return f"{settings.public_base_url.rstrip('/')}/staff/#/setup/{token}"


def issue(clock: Clock, settings: Settings, member: StaffMember, kind: SetupKind) -> IssuedLink:
    """Open a new link for ``member`` (in the caller's unit of work); any earlier one stops working."""
    assert member.id is not None
    member.setup_nonce = secrets.token_urlsafe(12)
    member.setup_kind = kind
    member.setup_expires_at = clock.now() + timedelta(hours=settings.staff_link_ttl_hours)
    return IssuedLink(setup_url(settings, member.id, member.setup_nonce), kind, member.setup_expires_at)


def withdraw(member: StaffMember) -> None:
    member.setup_nonce = member.setup_kind = member.setup_expires_at = None


def _parse(settings: Settings, token: str) -> tuple[int, str]:
    parts = token.strip().split(".")
    if len(parts) != 3 or not (parts[0].isascii() and parts[0].isdigit()) or len(parts[0]) > 12:
        raise NotAuthenticated(INVALID)
    staff_id, nonce, signature = int(parts[0]), parts[1], parts[2]
    if not _signed_by_any(settings, staff_id, nonce, signature):
        raise NotAuthenticated(INVALID)
    return staff_id, nonce


def _open(staff_id: int, nonce: str, now: datetime) -> ColumnElement[bool]:
    return and_(S.c.id == staff_id, S.c.setup_nonce == nonce, S.c.setup_expires_at > now, S.c.active.is_(True))


async def set_password(
    session: AsyncSession, clock: Clock, settings: Settings, passwords: PasswordPool, token: str, password: str,
) -> StaffMember:
    """Spend a link: the member's password becomes ``password``. 401 for a link that is forged,
    used, replaced, withdrawn, expired, or of a deactivated member (all alike)."""
    staff_id, nonce = _parse(settings, token)
    now = clock.now()
    # Hashing costs a core a tenth of a second: only for a link that is open at this moment.
    kind = (await session.execute(select(S.c.setup_kind).where(_open(staff_id, nonce, now)))).scalar_one_or_none()
    if kind is None:
        raise NotAuthenticated(INVALID)
    password_hash = await passwords.hash(password)
    spent = (
        await session.execute(
            update(S)
            .where(_open(staff_id, nonce, now))
            .values(password_hash=password_hash, setup_nonce=None, setup_kind=None, setup_expires_at=None,
                    failed_logins=0, locked_until=None, token_version=S.c.token_version + 1)
            .returning(S.c.id)
        )
    ).first()
    if spent is None:
        raise NotAuthenticated(INVALID)  # used a moment ago by another request
    await throttle.reset(session, throttle.STAFF_ACCOUNT, str(staff_id))
    member = await session.get(StaffMember, staff_id, populate_existing=True)
    assert member is not None
    audit.record(session, clock, actor=f"staff:{staff_id}", action="staff.password_set",
                 subject=f"staff:{staff_id}", clinic_id=member.clinic_id, detail={"kind": kind, "sessions_ended": True})
    return member
