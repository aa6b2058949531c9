"""What a key pressed during a voice page means: the domains' answer to
:class:`~companion.messaging.calls.KeypadAnswers` (docs/sms.md, "Voice pages").

1 acknowledges the paged alert as the person called, through the one acknowledgement service an
SMS ``ACK`` uses; any other key, or none, acknowledges nothing and the call says so."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from companion.clock import Clock
from companion.models import OutboundMessage, StaffMember
from companion.protocols import ProtocolSource
from companion.safety import acknowledgements

ACKNOWLEDGE_KEY = "1"
NOT_A_PAGE = "This call is not an alert page. Goodbye."


def not_acknowledged(digits: str) -> str:
    pressed = f"You pressed {' '.join(digits)}." if digits else "No key was pressed."
    return (f"{pressed} The alert is not acknowledged. To acknowledge it, press 1 on the next call, "
            "reply ACK to the text, or open the dashboard. Goodbye.")


class PageKeypad:
    """The :class:`~companion.messaging.calls.KeypadAnswers` the keypad webhook reports to."""

    def __init__(self, clock: Clock, protocols: ProtocolSource) -> None:
        self.clock = clock
        self.protocols = protocols

    async def pressed(self, session: AsyncSession, call: OutboundMessage, digits: str) -> str:
        assert call.id is not None
        page = await acknowledgements.page_of_call(session, call.id)
        staff = await session.get(StaffMember, page.staff_id) if page is not None else None
        if page is None or staff is None:
            return NOT_A_PAGE
        if digits != ACKNOWLEDGE_KEY:
            return not_acknowledged(digits)
        protocol = await self.protocols.for_clinic(session, staff.clinic_id)
        return await acknowledgements.acknowledge_by_call(session, self.clock, protocol, staff, page.alert_id)
