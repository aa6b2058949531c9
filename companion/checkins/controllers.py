from __future__ import annotations

from litestar import Controller, Response, get, post
from litestar.datastructures import State
from litestar.di import Provide
from sqlalchemy.ext.asyncio import AsyncSession

from companion.auth.dependencies import provide_patient, provide_staff
from companion.auth.principals import PatientPrincipal, StaffPrincipal
from companion.checkins import links, submissions, views
from companion.checkins.schemas import (
    CheckInRead,
    CheckInSubmit,
    CrisisResources,
    LinkRedeem,
    LinkSession,
    PatientHistory,
    PromptRead,
    Timeline,
)
from companion.checkins.services import answers_of
from companion.messaging import texts


def crisis_resources() -> CrisisResources:
    return CrisisResources(
        text=texts.CRISIS_LINE,
        not_emergency=texts.NOT_EMERGENCY,
        resources=[
            {"name": "988 Suicide & Crisis Lifeline", "call": "988", "text": "988"},
            {"name": "Emergency services", "call": "911"},
        ],
    )


class PatientCheckinController(Controller):
    """The patient's own check-ins (patient token)."""

    path = "/api/v1/me"
    tags = ["patient app"]
    dependencies = {"patient": Provide(provide_patient)}

    @get("/checkins/pending")
    async def pending(self, db_session: AsyncSession, state: State, patient: PatientPrincipal) -> list[PromptRead]:
        return await views.pending(db_session, state.clock, patient.patient_id)

    @post("/checkins")
    async def submit(
        self, data: CheckInSubmit, db_session: AsyncSession, state: State, patient: PatientPrincipal
    ) -> Response[CheckInRead]:
        recorded, checkin = await submissions.submit(db_session, state.clock, patient, data)
        answers = recorded.answers if recorded is not None else await answers_of(db_session, checkin.id or 0)
        # 200 for a repeat of an earlier submission (nothing new stored), 201 for a new one.
        return Response(views.checkin_read(checkin, answers), status_code=201 if recorded is not None else 200)

    @get("/history")
    async def history(self, db_session: AsyncSession, patient: PatientPrincipal) -> PatientHistory:
        return await views.history(db_session, patient.patient_id)


class CrisisController(Controller):
    tags = ["patient app"]

    @get("/api/v1/crisis")
    async def crisis(self) -> CrisisResources:
        """Crisis resources: public, so the app can show them even when signed out or offline."""
        return crisis_resources()

    @post("/api/v1/auth/patient/link", status_code=200)
    async def redeem_link(self, data: LinkRedeem, db_session: AsyncSession, state: State) -> LinkSession:
        return await links.sign_in_with_link(db_session, state.clock, state.settings, data.token)


class TimelineController(Controller):
    path = "/api/v1/patients/{patient_id:int}/timeline"
    tags = ["patients"]
    dependencies = {"staff": Provide(provide_staff)}

    @get("/")
    async def timeline(
        self, patient_id: int, db_session: AsyncSession, state: State, staff: StaffPrincipal
    ) -> Timeline:
        return await views.timeline(db_session, state.clock, staff, patient_id)
