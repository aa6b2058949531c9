"""Staff sign-in with lockout, and resolving a bearer token to a principal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from companion.audit import services as audit
from companion.auth import tokens
from companion.auth.passwords import verify_password
from companion.auth.principals import StaffPrincipal
from companion.auth.revocation import check_version
from companion.auth.schemas import TokenRead
from companion.clock import Clock
from companion.errors import Forbidden, Locked, NotAuthenticated
from companion.models import StaffMember
from companion.settings import Settings

BAD_CREDENTIALS = "email or password is incorrect"


async def login_staff(
    session: AsyncSession, clock: Clock, settings: Settings, email: str, password: str
) -> TokenRead:
    """Check the password; lock the account for a while after repeated failures.

    The lockout is counted on the row (not in process memory) so it holds across replicas.
    """
    now = clock.now()
    staff = (
        await session.execute(
            select(StaffMember).where(func.lower(StaffMember.email) == email.strip().lower())
        )
    ).scalar_one_or_none()
    if staff is None:
        verify_password(None, password)
        raise NotAuthenticated(BAD_CREDENTIALS)
    if staff.locked_until is not None and staff.locked_until > now:
        raise Locked("too many failed sign-ins; the account is locked for a while, try again later")
    if not verify_password(staff.password_hash, password):
        staff.failed_logins += 1
        if staff.failed_logins >= settings.login_max_failures:
            staff.locked_until = now + timedelta(minutes=settings.login_lockout_minutes)
            staff.failed_logins = 0
            audit.record(session, clock, actor=f"staff:{staff.id}", action="staff.locked",
                         subject=f"staff:{staff.id}", clinic_id=staff.clinic_id)
        # The failure count must persist even though the request fails.
        raise NotAuthenticated(BAD_CREDENTIALS, keep_changes=True)
    if not staff.active:
        raise NotAuthenticated(BAD_CREDENTIALS)
    staff.failed_logins = 0
    staff.locked_until = None
    assert staff.id is not None
    claims = tokens.make_claims(
        "staff", staff.id, staff.clinic_id, staff.role, now, timedelta(minutes=settings.staff_token_ttl_minutes),
        version=staff.token_version,
    )
    audit.record(session, clock, actor=f"staff:{staff.id}", action="staff.login",
                 subject=f"staff:{staff.id}", clinic_id=staff.clinic_id)
    return TokenRead(
        access_token=tokens.issue(settings.signing_key, claims),
        expires_at=datetime.fromtimestamp(claims.expires_at, UTC),
        role=staff.role,
    )


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise NotAuthenticated("sign in first: missing Authorization header")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("Authorization header must be 'Bearer <token>'")
    return token.strip()


async def resolve_staff(
    session: AsyncSession, clock: Clock, settings: Settings, authorization: str | None,
    allowed_roles: tuple[str, ...] | None,
) -> StaffPrincipal:
    try:
        claims = tokens.verify(settings.secret_keys, bearer_token(authorization), clock.now())
    except tokens.TokenError as exc:
        raise NotAuthenticated(f"invalid token: {exc}") from exc
    if claims.kind != "staff":
        raise NotAuthenticated("a staff token is required")
    staff = await session.get(StaffMember, claims.subject_id)
    if staff is None or not staff.active or staff.clinic_id != claims.clinic_id:
        raise NotAuthenticated("this account is no longer active")
    check_version(claims.version, staff.token_version)
    if allowed_roles is not None and staff.role not in allowed_roles:
        raise Forbidden(f"this action needs the role {' or '.join(allowed_roles)}")
    assert staff.id is not None
    return StaffPrincipal(staff_id=staff.id, clinic_id=staff.clinic_id, role=staff.role)
