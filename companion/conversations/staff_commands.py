"""The staff-command entry point: what a staff member texts to the companion."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from companion.clinical.protocol import Protocol
from companion.clinical.replies import Ack, Resolve, StaffCommandError, parse_staff_command
from companion.clock import Clock
from companion.models import StaffMember
from companion.safety import acknowledgements

USAGE = "Staff commands: ACK <code> to acknowledge an alert, RESOLVE <code> <note> to resolve it."


def is_staff_command(body: str) -> bool:
    return parse_staff_command(body) is not None


async def handle_staff_command(
    session: AsyncSession, clock: Clock, protocol: Protocol, staff: StaffMember, body: str
) -> str:
    """Answer a staff member's SMS (who may act on an alert is ``protocol``'s). Alert codes are
    looked up among the clinic's open alerts."""
    command = parse_staff_command(body)
    if command is None:
        return USAGE
    if isinstance(command, StaffCommandError):
        return command.message
    if isinstance(command, Ack):
        return await acknowledgements.acknowledge_by_sms(session, clock, protocol, staff, command.code)
    assert isinstance(command, Resolve)
    return await acknowledgements.resolve_by_sms(session, clock, protocol, staff, command.code, command.note)
