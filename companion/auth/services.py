"""Staff sign-in with backoff and lockout, and resolving a bearer token to a principal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from companion.audit import services as audit
from companion.auth import throttle, tokens
from companion.auth.passwords import PasswordPool
from companion.auth.principals import StaffPrincipal
from companion.auth.revocation import check_version
from companion.auth.schemas import TokenRead
from companion.clock import Clock
from companion.db import own_transaction
from companion.errors import Forbidden, Locked, NotAuthenticated
from companion.models import StaffMember
from companion.models.base import table_of
from companion.settings import Settings

BAD_CREDENTIALS = "email or password is incorrect"
LOCKED = "too many failed sign-ins; the account is locked for a while, try again later"
TOO_SOON = "too many failed sign-ins; wait a little before trying again"

S = table_of(StaffMember)


async def _count_attempt(session: AsyncSession, staff_id: int, settings: Settings, now: datetime) -> bool:
    """Count one password check towards the lockout, in one statement committed at once, before
    the check: concurrent wrong passwords each see the count the one before left, so exactly
    ``login_max_failures`` are checked before the lock. Returns whether this attempt set the lock
    (it holds unless this very password is right); ``Locked`` when the account already is."""
    counted = S.c.failed_logins + 1
    locks = counted >= settings.login_max_failures
    until = now + timedelta(minutes=settings.login_lockout_minutes)
    statement = (
        update(S)
        .where(S.c.id == staff_id, or_(S.c.locked_until.is_(None), S.c.locked_until <= now))
        .values(failed_logins=case((locks, 0), else_=counted), locked_until=case((locks, until), else_=None))
        .returning(S.c.locked_until)
    )
    async with own_transaction(session) as conn:
        row = (await conn.execute(statement)).first()
    if row is None:
        raise Locked(LOCKED)
    return row.locked_until is not None


async def login_staff(
    session: AsyncSession, clock: Clock, settings: Settings, passwords: PasswordPool,
    email: str, password: str, client_address: str,
) -> TokenRead:
    """Check the password, slowed by backoff per client address and per account, and lock the
    account for a while after ``login_max_failures`` failures in a row.

    Every count is a row in the database (not process memory), so it holds across replicas, and
    is counted before the password is checked, so no attempt escapes it. A successful sign-in
    clears the account's count and gives back the address's attempt.
    """
    now = clock.now()
    async with passwords.slot() as slot:
        await throttle.claim(session, throttle.STAFF_ADDRESS, client_address,
                             throttle.staff_address_backoff(settings), now, TOO_SOON)
        # Read apart from the unit of work, like the counts: until the password is checked this
        # request holds no connection of its own, so a burst of sign-ins cannot drain the pool.
        async with own_transaction(session) as conn:
            staff = (await conn.execute(select(S).where(func.lower(S.c.email) == email.strip().lower()))).first()
        if staff is None:
            await slot.verify(None, password)
            raise NotAuthenticated(BAD_CREDENTIALS)
        if staff.locked_until is not None and staff.locked_until > now:
            raise Locked(LOCKED)
        await throttle.claim(session, throttle.STAFF_ACCOUNT, str(staff.id),
                             throttle.staff_account_backoff(settings), now, TOO_SOON)
        locked_now = await _count_attempt(session, staff.id, settings, now)
        right = await slot.verify(staff.password_hash, password)
    if not right:
        if locked_now:
            audit.record(session, clock, actor=f"staff:{staff.id}", action="staff.locked",
                         subject=f"staff:{staff.id}", clinic_id=staff.clinic_id)
        raise NotAuthenticated(BAD_CREDENTIALS, keep_changes=locked_now)
    if not staff.active:
        raise NotAuthenticated(BAD_CREDENTIALS)
    await session.execute(update(S).where(S.c.id == staff.id).values(failed_logins=0, locked_until=None))
    await throttle.reset(session, throttle.STAFF_ACCOUNT, str(staff.id))
    await throttle.refund(session, throttle.STAFF_ADDRESS, client_address)
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
