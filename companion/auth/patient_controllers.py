from __future__ import annotations

from litestar import get, patch, post
from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncSession

from companion.api import PatientApi
from companion.auth import patient_services
from companion.auth.patient_schemas import (
    CodeRequested,
    PatientCodeRequest,
    PatientCodeVerify,
    PatientProfileRead,
    PatientTokenRead,
)
from companion.auth.principals import PatientPrincipal
from companion.openapi import ApiController, errors
from companion.patients.self_schemas import PatientSettingsUpdate
from companion.patients.self_service import update_own_settings


class PatientAuthController(ApiController):
    path = "/api/v1/auth/patient"
    tags = ["auth"]

    @post("/code", status_code=202, responses=errors(429))
    async def request_code(
        self, data: PatientCodeRequest, db_session: AsyncSession, state: State, client_address: str
    ) -> CodeRequested:
        await patient_services.request_code(db_session, state.clock, state.settings, data.phone, client_address)
        return CodeRequested(detail=patient_services.CODE_SENT)

    @post("/verify", status_code=200, responses=errors(401))
    async def verify_code(self, data: PatientCodeVerify, db_session: AsyncSession, state: State) -> PatientTokenRead:
        return await patient_services.verify_code(db_session, state.clock, state.settings, data.phone, data.code)


class PatientSelfController(PatientApi):
    path = "/api/v1/me"
    tags = ["patient"]

    @get("/")
    async def read_me(self, db_session: AsyncSession, patient: PatientPrincipal) -> PatientProfileRead:
        return PatientProfileRead.model_validate(await patient_services.read_own_profile(db_session, patient))

    @patch("/settings")
    async def update_settings(
        self, data: PatientSettingsUpdate, db_session: AsyncSession, state: State, patient: PatientPrincipal
    ) -> PatientProfileRead:
        """The patient's preferred check-in time, channel and quiet hours; planned prompts follow."""
        updated = await update_own_settings(db_session, state.clock, patient, data)
        return PatientProfileRead.model_validate(updated)
