"""The on-call schedule of a clinic: who is on call now and next, the positions, and their cover
(docs/protocol.md, "On-call schedules"). Any staff member of the clinic reads; admins change."""

from __future__ import annotations

from typing import Annotated

from litestar import delete, get, post, put
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter, SkipValidation
from sqlalchemy.ext.asyncio import AsyncSession

from companion.auth.api import StaffApi
from companion.auth.dependencies import ADMIN
from companion.auth.principals import StaffPrincipal
from companion.clinical.protocol import Protocol
from companion.clinics import oncall, services
from companion.clinics.schemas import (
    OncallBoardRead,
    OncallOverrideCreate,
    OncallOverrideRead,
    OncallPositionRead,
    OncallPositionWrite,
)
from companion.openapi import ErrorBody
from companion.params import RowId

PositionName = Annotated[str, Parameter(
    max_length=oncall.MAX_NAME, pattern=f"^{oncall.POSITION_NAME.pattern}$",
    description="the position, as in oncall:<name>: lower-case letters, digits and _, starting with a letter",
)]

UNPROCESSABLE = {422: ResponseSpec(
    data_container=ErrorBody, generate_examples=False,
    description="The change cannot be kept (a person who cannot be paged, a bad handoff, cover already over); "
                "extra names the field at fault.",
)}


class OncallController(StaffApi):
    path = "/api/v1/clinics/{clinic_id:int}/oncall"
    tags = ["on-call"]

    @get("/")
    async def read_board(
        self, clinic_id: RowId, db_session: AsyncSession, state: State, protocol: SkipValidation[Protocol],
        staff: StaffPrincipal,
    ) -> list[OncallBoardRead]:
        clinic = await services.get_clinic(db_session, staff, clinic_id)
        return [OncallBoardRead.model_validate(b) for b in await oncall.board(db_session, state.clock, clinic,
                                                                              protocol)]

    @get("/positions")
    async def list_positions(
        self, clinic_id: RowId, db_session: AsyncSession, state: State, staff: StaffPrincipal, past: bool = False
    ) -> list[OncallPositionRead]:
        clinic = await services.get_clinic(db_session, staff, clinic_id)
        rows = await oncall.positions(db_session, state.clock, clinic.id or 0, past=past)
        return [OncallPositionRead.model_validate(p) for p in rows]

    @put("/positions/{name:str}", opt=ADMIN, responses=UNPROCESSABLE)
    async def set_position(
        self, clinic_id: RowId, name: PositionName, data: OncallPositionWrite, db_session: AsyncSession,
        state: State, staff: StaffPrincipal,
    ) -> OncallPositionRead:
        clinic = await services.get_clinic(db_session, staff, clinic_id)
        await oncall.set_position(db_session, state.clock, clinic.id or 0, name, list(data.rotation), data.handoff,
                                  actor=staff.actor, staff_id=staff.staff_id)
        return OncallPositionRead.model_validate(await oncall.position(db_session, state.clock, clinic.id or 0, name))

    @post("/positions/{name:str}/overrides", opt=ADMIN, responses=UNPROCESSABLE)
    async def add_override(
        self, clinic_id: RowId, name: PositionName, data: OncallOverrideCreate, db_session: AsyncSession,
        state: State, staff: StaffPrincipal,
    ) -> OncallOverrideRead:
        clinic = await services.get_clinic(db_session, staff, clinic_id)
        added = await oncall.add_override(
            db_session, state.clock, clinic.id or 0, name, data.staff_id, data.starts_at, data.ends_at, data.note,
            actor=staff.actor, staff_id_of_actor=staff.staff_id,
        )
        view = await oncall.override(db_session, state.clock, clinic.id or 0, name, added.id or 0)
        return OncallOverrideRead.model_validate(view)

    @delete("/overrides/{override_id:int}", opt=ADMIN, status_code=204)
    async def remove_override(
        self, clinic_id: RowId, override_id: RowId, db_session: AsyncSession, state: State, staff: StaffPrincipal
    ) -> None:
        clinic = await services.get_clinic(db_session, staff, clinic_id)
        await oncall.remove_override(db_session, state.clock, clinic.id or 0, override_id, actor=staff.actor)
