"""The safety plan routes: the patient's own (``/api/v1/me/safety-plan``) and the care team's
(``/api/v1/patients/{id}/safety-plan``); docs/clinical.md, "The safety plan"."""

from __future__ import annotations

from litestar import get, put
from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncSession

from companion.auth.api import PatientApi, StaffApi
from companion.auth.dependencies import CLINICAL
from companion.auth.principals import PatientPrincipal, StaffPrincipal
from companion.params import Limit, Offset, RowId
from companion.patients import safety_plan
from companion.patients.safety_plan_schemas import (
    SafetyPlanRead,
    SafetyPlanSaved,
    SafetyPlanVersionsPage,
    SafetyPlanWrite,
)


class PatientSafetyPlanController(PatientApi):
    path = "/api/v1/me/safety-plan"
    tags = ["patient app"]

    @get("/")
    async def read_own_plan(self, db_session: AsyncSession, patient: PatientPrincipal) -> SafetyPlanRead:
        """The patient's current safety plan (every section empty before the first save), with 988
        and 911 always listed."""
        return await safety_plan.read_own(db_session, patient)

    @put("/")
    async def save_own_plan(
        self, data: SafetyPlanWrite, db_session: AsyncSession, state: State, patient: PatientPrincipal
    ) -> SafetyPlanSaved:
        """Save the whole plan as a new version, written by the patient."""
        return await safety_plan.save_own(db_session, state.clock, patient, data)


class StaffSafetyPlanController(StaffApi):
    path = "/api/v1/patients/{patient_id:int}/safety-plan"
    tags = ["patients"]

    @get("/")
    async def read_plan(
        self, patient_id: RowId, db_session: AsyncSession, state: State, staff: StaffPrincipal
    ) -> SafetyPlanRead:
        """The patient's current safety plan, with who last changed it and when (an audited read)."""
        return await safety_plan.read_for_staff(db_session, state.clock, staff, patient_id)

    @put("/", opt=CLINICAL)
    async def save_plan(
        self, patient_id: RowId, data: SafetyPlanWrite, db_session: AsyncSession, state: State,
        staff: StaffPrincipal,
    ) -> SafetyPlanSaved:
        """Save the whole plan as a new version, written by a clinician or an admin with the patient."""
        return await safety_plan.save_for_staff(db_session, state.clock, staff, patient_id, data)

    @get("/versions")
    async def plan_versions(
        self, patient_id: RowId, db_session: AsyncSession, state: State, staff: StaffPrincipal,
        limit: Limit = 50, offset: Offset = 0,
    ) -> SafetyPlanVersionsPage:
        """Every saved version of the plan, newest first, each with who saved it and when (audited)."""
        return await safety_plan.versions_for_staff(db_session, state.clock, staff, patient_id, limit=limit,
                                                    offset=offset)
