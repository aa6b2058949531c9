from __future__ import annotations

from litestar import get, patch, post
from litestar.datastructures import State
from litestar.params import SkipValidation
from sqlalchemy.ext.asyncio import AsyncSession

from companion.auth.api import StaffApi
from companion.auth.dependencies import CLINICAL
from companion.auth.principals import StaffPrincipal
from companion.clinical.protocol import Protocol
from companion.models import PatientStatus, SmsConsent
from companion.openapi import errors
from companion.params import Limit, Offset, RowId, Search
from companion.patients import overview, services
from companion.patients.listing import AlertFilter, PatientQuery, Sort
from companion.patients.schemas import PatientCreate, PatientOverviewPage, PatientRead, PatientUpdate
from companion.schemas import Page

Status = PatientStatus | None
Consent = SmsConsent | None


class PatientController(StaffApi):
    path = "/api/v1/patients"
    tags = ["patients"]

    @get("/")
    async def list_patients(
        self,
        db_session: AsyncSession,
        state: State,
        staff: StaffPrincipal,
        search: Search = None,
        status: Status = None,
        consent: Consent = None,
        alert: AlertFilter | None = None,
        missed: bool | None = None,
        sort: Sort = "reference",
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[PatientRead]:
        """``search``: a reference prefix or part of the name; the filters and sorts of docs/architecture.md."""
        query = PatientQuery(search=search, status=status, consent=consent, alert=alert, missed=missed, sort=sort)
        rows, total = await services.list_patients(db_session, state.clock, staff, query, limit=limit, offset=offset)
        return Page(items=[PatientRead.model_validate(p) for p in rows], total=total, limit=limit, offset=offset)

    @get("/overview", responses=errors(404))
    async def patients_overview(
        self,
        db_session: AsyncSession,
        state: State,
        staff: StaffPrincipal,
        search: Search = None,
        status: Status = None,
        consent: Consent = None,
        alert: AlertFilter | None = None,
        missed: bool | None = None,
        sort: Sort = "reference",
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> PatientOverviewPage:
        """The dashboard's patient list: latest scores, mood trend, missed check-ins and open alerts;
        filtered and sorted as the plain list is."""
        query = PatientQuery(search=search, status=status, consent=consent, alert=alert, missed=missed, sort=sort)
        return await overview.patients_overview(db_session, state.clock, staff, query, limit=limit, offset=offset)

    @post("/", opt=CLINICAL)
    async def create_patient(
        self, data: PatientCreate, db_session: AsyncSession, state: State, protocol: SkipValidation[Protocol],
        staff: StaffPrincipal,
    ) -> PatientRead:
        patient = await services.create_patient(db_session, state.clock, protocol.aftercare, staff, data)
        return PatientRead.model_validate(patient)

    @get("/{patient_id:int}")
    async def read_patient(
        self, patient_id: RowId, db_session: AsyncSession, state: State, staff: StaffPrincipal
    ) -> PatientRead:
        return PatientRead.model_validate(await services.read_patient(db_session, state.clock, staff, patient_id))

    @patch("/{patient_id:int}", opt=CLINICAL)
    async def update_patient(
        self, patient_id: RowId, data: PatientUpdate, db_session: AsyncSession, state: State,
        protocol: SkipValidation[Protocol], staff: StaffPrincipal,
    ) -> PatientRead:
        patient = await services.update_patient(db_session, state.clock, protocol.aftercare, staff, patient_id, data)
        return PatientRead.model_validate(patient)

    @post("/{patient_id:int}/discharge", opt=CLINICAL, status_code=200)
    async def discharge_patient(
        self, patient_id: RowId, db_session: AsyncSession, state: State, protocol: SkipValidation[Protocol],
        staff: StaffPrincipal,
    ) -> PatientRead:
        patient = await services.discharge_patient(db_session, state.clock, protocol.aftercare, staff, patient_id)
        return PatientRead.model_validate(patient)

    @post("/{patient_id:int}/pause", opt=CLINICAL, status_code=200, responses=errors(404, 409))
    async def pause_patient(
        self, patient_id: RowId, db_session: AsyncSession, state: State, protocol: SkipValidation[Protocol],
        staff: StaffPrincipal,
    ) -> PatientRead:
        """Pause the patient's check-ins: nothing routine is sent until resumed."""
        patient = await services.set_paused(db_session, state.clock, protocol.aftercare, staff, patient_id, True)
        return PatientRead.model_validate(patient)

    @post("/{patient_id:int}/resume", opt=CLINICAL, status_code=200, responses=errors(404, 409))
    async def resume_patient(
        self, patient_id: RowId, db_session: AsyncSession, state: State, protocol: SkipValidation[Protocol],
        staff: StaffPrincipal,
    ) -> PatientRead:
        """Resume a paused patient's check-ins: they are planned again."""
        patient = await services.set_paused(db_session, state.clock, protocol.aftercare, staff, patient_id, False)
        return PatientRead.model_validate(patient)

    @post("/{patient_id:int}/consent/resend", opt=CLINICAL, status_code=200, responses=errors(404, 409))
    async def resend_welcome(
        self, patient_id: RowId, db_session: AsyncSession, state: State, protocol: SkipValidation[Protocol],
        staff: StaffPrincipal,
    ) -> PatientRead:
        """Send the welcome again to a patient who has not replied YES: once; a second time is a 409."""
        patient = await services.resend_welcome(db_session, state.clock, protocol.aftercare, staff, patient_id)
        return PatientRead.model_validate(patient)
