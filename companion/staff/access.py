"""An admin's part in a member's access (docs/sign-in.md, "Invitations, resets and unlocking"):
invite a member who sets their own password, reset a password, unlock a locked account; and each
member's sign-in state as the team page shows it. Every change is an audit event."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from companion.audit import services as audit
from companion.auth import staff_links, throttle
from companion.auth.principals import StaffPrincipal
from companion.auth.revocation import end_staff_sessions
from companion.clock import Clock
from companion.errors import Conflict
from companion.messaging import outbox
from companion.messaging.policy import Purpose
from companion.models import Clinic, SetupKind, StaffMember
from companion.settings import Settings
from companion.staff.schemas import StaffInvite, StaffLinkRead, StaffRead
from companion.staff.services import ensure_email_free, get_staff

INACTIVE = "this member is deactivated; reactivate them before resetting their password"
SELF_RESET = "an admin's own password is reset by another admin (a reset signs you out at once)"


def link_text(clinic: Clinic, link: staff_links.IssuedLink, hours: int) -> str:
    """The SMS with a set-your-password link: the clinic's name and the link, nothing else."""
    what = "You are invited to the staff dashboard" if link.kind == SetupKind.INVITE \
        else "Your staff dashboard password was reset"
    return f"{clinic.name}: {what}. Set your password within {hours} hours: {link.url}"


async def describe(session: AsyncSession, clock: Clock, members: Sequence[StaffMember]) -> list[StaffRead]:
    """Each member with their sign-in state now: held back until when, and any open link."""
    now = clock.now()
    waits = await throttle.waiting_until(session, throttle.STAFF_ACCOUNT, [str(m.id) for m in members], now)
    views = []
    for member in members:
        held = [t for t in (member.locked_until, waits.get(str(member.id))) if t is not None and t > now]
        link_open = member.setup_expires_at is not None and member.setup_expires_at > now
        views.append(StaffRead.model_validate(member).model_copy(update={
            "locked_until": max(held) if held else None,
            "pending_link": SetupKind(member.setup_kind) if link_open and member.setup_kind else None,
            "link_expires_at": member.setup_expires_at if link_open else None,
        }))
    return views


async def describe_one(session: AsyncSession, clock: Clock, member: StaffMember) -> StaffRead:
    return (await describe(session, clock, [member]))[0]


async def _send_link(
    session: AsyncSession, clock: Clock, settings: Settings, member: StaffMember, kind: SetupKind,
) -> StaffLinkRead:
    """Open a link for ``member`` and queue it to their phone, if they have one."""
    link = staff_links.issue(clock, settings, member, kind)
    clinic = await session.get(Clinic, member.clinic_id)
    assert clinic is not None and member.id is not None
    if member.phone:
        await outbox.enqueue(session, clock, to_phone=member.phone, purpose=Purpose.STAFF_LINK,
                             body=link_text(clinic, link, settings.staff_link_ttl_hours),
                             clinic_id=member.clinic_id, staff_id=member.id)
    await session.flush()
    return StaffLinkRead(staff=await describe_one(session, clock, member), kind=kind, link=link.url,
                         expires_at=link.expires_at, sent_by_sms=bool(member.phone))


async def invite(
    session: AsyncSession, clock: Clock, settings: Settings, staff: StaffPrincipal, data: StaffInvite,
) -> StaffLinkRead:
    """A new member with no password yet and a link to set one, sent by SMS to their phone."""
    await ensure_email_free(session, data.email)
    member = StaffMember(
        clinic_id=staff.clinic_id, name=data.name, email=data.email.lower(), phone=data.phone, role=data.role,
        password_hash=staff_links.NO_PASSWORD, active=True, created_at=clock.now(),
    )
    session.add(member)
    await session.flush()
    issued = await _send_link(session, clock, settings, member, SetupKind.INVITE)
    audit.record(session, clock, actor=staff.actor, action="staff.invite", subject=f"staff:{member.id}",
                 clinic_id=staff.clinic_id, detail={"role": data.role, "sent_by_sms": issued.sent_by_sms})
    return issued


async def reset_password(
    session: AsyncSession, clock: Clock, settings: Settings, staff: StaffPrincipal, staff_id: int,
) -> StaffLinkRead:
    """The member's password stops working and every session of theirs ends; a link to set a new
    one replaces any link they had."""
    member = await get_staff(session, staff, staff_id)
    if staff_id == staff.staff_id:
        raise Conflict(SELF_RESET, field="staff_id")
    if not member.active:
        raise Conflict(INACTIVE, field="active")
    member.password_hash = staff_links.NO_PASSWORD
    await session.flush()
    await end_staff_sessions(session, member)
    issued = await _send_link(session, clock, settings, member, SetupKind.RESET)
    audit.record(session, clock, actor=staff.actor, action="staff.reset", subject=f"staff:{staff_id}",
                 clinic_id=staff.clinic_id, detail={"sent_by_sms": issued.sent_by_sms, "sessions_ended": True})
    return issued


async def unlock(session: AsyncSession, clock: Clock, staff: StaffPrincipal, staff_id: int) -> StaffRead:
    """Clear the member's lockout, failure count and account backoff: the next sign-in with the
    right password goes through at once. The backoff of the address they sign in from stays (one
    address may serve the whole clinic, and a guesser behind it)."""
    member = await get_staff(session, staff, staff_id)
    was_locked = (await describe_one(session, clock, member)).locked_until is not None
    member.failed_logins = 0
    member.locked_until = None
    await throttle.reset(session, throttle.STAFF_ACCOUNT, str(staff_id))
    await session.flush()
    audit.record(session, clock, actor=staff.actor, action="staff.unlock", subject=f"staff:{staff_id}",
                 clinic_id=staff.clinic_id, detail={"was_locked": was_locked})
    return await describe_one(session, clock, member)

