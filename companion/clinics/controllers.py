from __future__ import annotations

from litestar import get, patch
from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncSession

from companion.auth.api import StaffApi
from companion.auth.dependencies import ADMIN
from companion.auth.principals import StaffPrincipal
from companion.clinics import services
from companion.clinics.schemas import ClinicRead, ClinicUpdate
from companion.params import RowId


class ClinicController(StaffApi):
    path = "/api/v1/clinics"
    tags = ["clinics"]
    opt = ADMIN

    @get("/")
    async def list_clinics(self, db_session: AsyncSession, staff: StaffPrincipal) -> list[ClinicRead]:
        return [ClinicRead.model_validate(await services.get_clinic(db_session, staff, staff.clinic_id))]

    @get("/{clinic_id:int}")
    async def read_clinic(self, clinic_id: RowId, db_session: AsyncSession, staff: StaffPrincipal) -> ClinicRead:
        return ClinicRead.model_validate(await services.get_clinic(db_session, staff, clinic_id))

    @patch("/{clinic_id:int}")
    async def update_clinic(
        self, clinic_id: RowId, data: ClinicUpdate, db_session: AsyncSession, state: State, staff: StaffPrincipal
    ) -> ClinicRead:
        clinic = await services.update_clinic(db_session, state.clock, staff, clinic_id, data)
        return ClinicRead.model_validate(clinic)
