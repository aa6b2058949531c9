from __future__ import annotations

from litestar import Response, get, post
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import SkipValidation
from sqlalchemy.ext.asyncio import AsyncSession

from companion.auth import links
from companion.auth.api import PatientApi, StaffApi
from companion.auth.patient_schemas import LinkSession
from companion.auth.principals import PatientPrincipal, StaffPrincipal
from companion.checkins import submissions, views
from companion.checkins.schemas import (
    CheckInSubmit,
    CheckInSubmitted,
    ClinicCrisis,
    CrisisResources,
    LinkRedeem,
    PatientHistory,
    PromptRead,
    Timeline,
    Upcoming,
)
from companion.clinical import texts
from companion.clinical.protocol import Protocol
from companion.openapi import ApiController, errors
from companion.params import RowId
from companion.safety.schemas import CheckInAnswers


def crisis_resources() -> CrisisResources:
    return CrisisResources(
        text=texts.CRISIS_LINE,
        not_emergency=texts.NOT_EMERGENCY,
        resources=[
            {"name": "988 Suicide & Crisis Lifeline", "call": "988", "text": "988"},
            {"name": "Emergency services", "call": "911"},
        ],
    )


def clinic_crisis(protocol: Protocol) -> ClinicCrisis:
    wording = protocol.wording
    base = crisis_resources()
    return ClinicCrisis(text=base.text, not_emergency=wording.not_emergency, resources=base.resources,
                        safety_reply=wording.safety_reply, medical_reply=wording.medical_reply)


class PatientCheckinController(PatientApi):
    """The patient's own check-ins (patient token)."""

    path = "/api/v1/me"
    tags = ["patient app"]

    @get("/checkins/pending")
    async def pending(self, db_session: AsyncSession, state: State, patient: PatientPrincipal) -> list[PromptRead]:
        return await views.pending(db_session, state.clock, patient.patient_id)

    @post("/checkins", responses={
        **errors(404),
        200: ResponseSpec(CheckInSubmitted, description="A repeat of an earlier submission: nothing new was stored."),
    })
    async def submit(
        self, data: CheckInSubmit, db_session: AsyncSession, state: State, protocol: SkipValidation[Protocol],
        patient: PatientPrincipal,
    ) -> Response[CheckInSubmitted]:
        """Store a check-in; ``notice`` is what the app shows at once (the clinic's safety or
        medical reply, or nothing)."""
        recorded, checkin = await submissions.submit(db_session, state.clock, protocol, patient, data)
        read = await submissions.submitted(db_session, protocol, recorded, checkin)
        # 200 for a repeat of an earlier submission (nothing new stored), 201 for a new one.
        return Response(read, status_code=201 if recorded is not None else 200)

    @get("/crisis")
    async def crisis(self, protocol: SkipValidation[Protocol], patient: PatientPrincipal) -> ClinicCrisis:
        """The crisis resources in the patient's clinic's wording (the crisis and medical cards)."""
        return clinic_crisis(protocol)

    @get("/upcoming")
    async def upcoming(self, db_session: AsyncSession, state: State, patient: PatientPrincipal) -> Upcoming:
        """Sessions still to come and the check-ins planned for the next week."""
        return await views.upcoming(db_session, state.clock, patient.patient_id)

    @get("/history")
    async def history(self, db_session: AsyncSession, patient: PatientPrincipal) -> PatientHistory:
        return await views.history(db_session, patient.patient_id)


class CrisisController(ApiController):
    tags = ["patient app"]

    @get("/api/v1/crisis")
    async def crisis(self) -> CrisisResources:
        """Crisis resources: public, so the app can show them even when signed out or offline."""
        return crisis_resources()

    @post("/api/v1/auth/patient/link", status_code=200, responses=errors(401))
    async def redeem_link(self, data: LinkRedeem, db_session: AsyncSession, state: State) -> LinkSession:
        return await links.sign_in_with_link(db_session, state.clock, state.settings, data.token)


class TimelineController(StaffApi):
    path = "/api/v1/patients/{patient_id:int}/timeline"
    tags = ["patients"]

    @get("/")
    async def timeline(
        self, patient_id: RowId, db_session: AsyncSession, state: State, staff: StaffPrincipal
    ) -> Timeline:
        return await views.timeline(db_session, state.clock, staff, patient_id)


class StaffCheckinController(StaffApi):
    path = "/api/v1/patients/{patient_id:int}/checkins"
    tags = ["patients"]

    @get("/{checkin_id:int}")
    async def checkin(
        self, patient_id: RowId, checkin_id: RowId, db_session: AsyncSession, state: State, staff: StaffPrincipal
    ) -> CheckInAnswers:
        """One check-in: every question of its instrument in order, with its wording and the answer."""
        return await views.staff_checkin(db_session, state.clock, staff, patient_id, checkin_id)
