from __future__ import annotations

from typing import Annotated

from litestar import get, post
from litestar.datastructures import State
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from companion.auth.api import StaffApi
from companion.auth.dependencies import CLINICAL
from companion.auth.principals import StaffPrincipal
from companion.conversations import inbox, thread
from companion.conversations.periods import FORMAT_HINT
from companion.conversations.schemas import InboxMessage, InboxPage, StaffMessageCreate, ThreadItem, ThreadPage
from companion.openapi import errors
from companion.params import Limit, Offset, OptionalRowId, RowId

Bound = Annotated[str | None, Parameter(max_length=40, description=FORMAT_HINT)]


class MessageController(StaffApi):
    """The clinic's inbox of inbound patient SMS."""

    path = "/api/v1/messages"
    tags = ["messages"]

    @get("/")
    async def list_messages(
        self, db_session: AsyncSession, state: State, staff: StaffPrincipal, needs_review: bool | None = None,
        patient_id: OptionalRowId = None, since: Bound = None, until: Bound = None, limit: Limit = 50,
        offset: Offset = 0,
    ) -> InboxPage:
        """Newest first; a date in ``since``/``until`` is read in the clinic's time zone, ``until`` inclusive."""
        filters = inbox.InboxQuery(needs_review=needs_review, patient_id=patient_id, since=since, until=until)
        return await inbox.list_messages(db_session, state.clock, staff, filters, limit=limit, offset=offset)

    @post("/{message_id:int}/review", opt=CLINICAL, status_code=200, responses=errors(403, 404))
    async def review_message(
        self, message_id: RowId, db_session: AsyncSession, state: State, staff: StaffPrincipal
    ) -> InboxMessage:
        """Marks the message reviewed, by the caller, now; a message already reviewed keeps its first review."""
        return await inbox.review_message(db_session, state.clock, staff, message_id)


class PatientMessageController(StaffApi):
    """A patient's conversation thread, and a clinician's message to the patient."""

    path = "/api/v1/patients/{patient_id:int}/messages"
    tags = ["messages"]

    @get("/", responses=errors(404))
    async def patient_thread(
        self, patient_id: RowId, db_session: AsyncSession, state: State, staff: StaffPrincipal,
        limit: Limit = 100, offset: Offset = 0,
    ) -> ThreadPage:
        """Received and sent in time order; ``offset`` counts back from the newest message."""
        return await thread.patient_thread(db_session, state.clock, staff, patient_id, limit=limit, offset=offset)

    @post("/", opt=CLINICAL, responses=errors(403, 404, 409))
    async def send_message(
        self, patient_id: RowId, data: StaffMessageCreate, db_session: AsyncSession, state: State,
        staff: StaffPrincipal,
    ) -> ThreadItem:
        """Queues the message in the outbox; 409 when the patient opted out of SMS."""
        return await thread.send_to_patient(db_session, state.clock, staff, patient_id, data.body)
