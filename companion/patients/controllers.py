from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller, get, patch, post
from litestar.datastructures import State
from litestar.di import Provide
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from companion.auth.dependencies import CLINICAL, provide_staff
from companion.auth.principals import StaffPrincipal
from companion.patients import overview, services
from companion.patients.schemas import PatientCreate, PatientOverviewPage, PatientRead, PatientUpdate
from companion.schemas import Page


class PatientController(Controller):
    path = "/api/v1/patients"
    tags = ["patients"]
    dependencies = {"staff": Provide(provide_staff)}

    @get("/")
    async def list_patients(
        self,
        db_session: AsyncSession,
        state: State,
        staff: StaffPrincipal,
        search: Annotated[str | None, Parameter(max_length=32)] = None,
        status: Literal["active", "paused", "discharged"] | None = None,
        limit: Annotated[int, Parameter(ge=1, le=200)] = 50,
        offset: Annotated[int, Parameter(ge=0)] = 0,
    ) -> Page[PatientRead]:
        rows, total = await services.list_patients(
            db_session, state.clock, staff, search=search, status=status, limit=limit, offset=offset
        )
        return Page(items=[PatientRead.model_validate(p) for p in rows], total=total, limit=limit, offset=offset)

    @get("/overview")
    async def patients_overview(
        self,
        db_session: AsyncSession,
        state: State,
        staff: StaffPrincipal,
        search: Annotated[str | None, Parameter(max_length=32)] = None,
        status: Literal["active", "paused", "discharged"] | None = None,
        limit: Annotated[int, Parameter(ge=1, le=200)] = 50,
        offset: Annotated[int, Parameter(ge=0)] = 0,
    ) -> PatientOverviewPage:
        """The dashboard's patient list: latest scores, mood trend, missed check-ins and open alerts."""
        return await overview.patients_overview(
            db_session, state.clock, staff, search=search, status=status, limit=limit, offset=offset
        )

    @post("/", opt=CLINICAL)
    async def create_patient(
        self, data: PatientCreate, db_session: AsyncSession, state: State, staff: StaffPrincipal
    ) -> PatientRead:
        return PatientRead.model_validate(await services.create_patient(db_session, state.clock, staff, data))

    @get("/{patient_id:int}")
    async def read_patient(
        self, patient_id: int, db_session: AsyncSession, state: State, staff: StaffPrincipal
    ) -> PatientRead:
        return PatientRead.model_validate(await services.read_patient(db_session, state.clock, staff, patient_id))

    @patch("/{patient_id:int}", opt=CLINICAL)
    async def update_patient(
        self, patient_id: int, data: PatientUpdate, db_session: AsyncSession, state: State, staff: StaffPrincipal
    ) -> PatientRead:
        patient = await services.update_patient(db_session, state.clock, staff, patient_id, data)
        return PatientRead.model_validate(patient)

    @post("/{patient_id:int}/discharge", opt=CLINICAL, status_code=200)
    async def discharge_patient(
        self, patient_id: int, db_session: AsyncSession, state: State, staff: StaffPrincipal
    ) -> PatientRead:
        patient = await services.discharge_patient(db_session, state.clock, staff, patient_id)
        return PatientRead.model_validate(patient)
