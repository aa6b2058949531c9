from __future__ import annotations

from litestar import get, patch, post
from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncSession

from companion.auth.api import StaffApi
from companion.auth.dependencies import ADMIN
from companion.auth.principals import StaffPrincipal
from companion.openapi import errors
from companion.params import RowId
from companion.staff import services
from companion.staff.schemas import StaffCreate, StaffRead, StaffUpdate


class StaffController(StaffApi):
    path = "/api/v1/staff"
    tags = ["staff"]
    opt = ADMIN

    @get("/")
    async def list_staff(self, db_session: AsyncSession, staff: StaffPrincipal) -> list[StaffRead]:
        return [StaffRead.model_validate(m) for m in await services.list_staff(db_session, staff)]

    # Setting a password waits for the password pool, which refuses beyond its cap (429).
    @post("/", responses=errors(429))
    async def create_staff(
        self, data: StaffCreate, db_session: AsyncSession, state: State, staff: StaffPrincipal
    ) -> StaffRead:
        member = await services.create_staff(
            db_session, state.clock, state.passwords, staff.clinic_id, data, staff.actor
        )
        return StaffRead.model_validate(member)

    @get("/{staff_id:int}")
    async def read_staff(self, staff_id: RowId, db_session: AsyncSession, staff: StaffPrincipal) -> StaffRead:
        return StaffRead.model_validate(await services.get_staff(db_session, staff, staff_id))

    @patch("/{staff_id:int}", responses=errors(429))
    async def update_staff(
        self, staff_id: RowId, data: StaffUpdate, db_session: AsyncSession, state: State, staff: StaffPrincipal
    ) -> StaffRead:
        member = await services.update_staff(db_session, state.clock, state.passwords, staff, staff_id, data)
        return StaffRead.model_validate(member)
