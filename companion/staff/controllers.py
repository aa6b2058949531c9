from __future__ import annotations

from litestar import get, patch, post
from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncSession

from companion.auth.api import StaffApi
from companion.auth.dependencies import ADMIN
from companion.auth.principals import StaffPrincipal
from companion.openapi import errors
from companion.params import RowId
from companion.staff import access, services
from companion.staff.schemas import StaffCreate, StaffInvite, StaffLinkRead, StaffRead, StaffUpdate


class StaffController(StaffApi):
    path = "/api/v1/staff"
    tags = ["staff"]
    opt = ADMIN

    @get("/")
    async def list_staff(self, db_session: AsyncSession, state: State, staff: StaffPrincipal) -> list[StaffRead]:
        return await access.describe(db_session, state.clock, await services.list_staff(db_session, staff))

    # Setting a password waits for the password pool, which refuses beyond its cap (429).
    @post("/", responses=errors(429))
    async def create_staff(
        self, data: StaffCreate, db_session: AsyncSession, state: State, staff: StaffPrincipal
    ) -> StaffRead:
        member = await services.create_staff(
            db_session, state.clock, state.passwords, staff.clinic_id, data, staff.actor
        )
        return await access.describe_one(db_session, state.clock, member)

    @post("/invitations")
    async def invite_staff(
        self, data: StaffInvite, db_session: AsyncSession, state: State, staff: StaffPrincipal
    ) -> StaffLinkRead:
        return await access.invite(db_session, state.clock, state.settings, staff, data)

    @get("/{staff_id:int}")
    async def read_staff(
        self, staff_id: RowId, db_session: AsyncSession, state: State, staff: StaffPrincipal
    ) -> StaffRead:
        return await access.describe_one(db_session, state.clock, await services.get_staff(db_session, staff, staff_id))

    @patch("/{staff_id:int}", responses=errors(429))
    async def update_staff(
        self, staff_id: RowId, data: StaffUpdate, db_session: AsyncSession, state: State, staff: StaffPrincipal
    ) -> StaffRead:
        member = await services.update_staff(db_session, state.clock, state.passwords, staff, staff_id, data)
        return await access.describe_one(db_session, state.clock, member)

    @post("/{staff_id:int}/reset", status_code=200)
    async def reset_password(
        self, staff_id: RowId, db_session: AsyncSession, state: State, staff: StaffPrincipal
    ) -> StaffLinkRead:
        return await access.reset_password(db_session, state.clock, state.settings, staff, staff_id)

    @post("/{staff_id:int}/unlock", status_code=200)
    async def unlock_staff(
        self, staff_id: RowId, db_session: AsyncSession, state: State, staff: StaffPrincipal
    ) -> StaffRead:
        return await access.unlock(db_session, state.clock, staff, staff_id)
