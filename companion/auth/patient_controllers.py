from __future__ import annotations

from litestar import post
from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncSession

from companion.auth import patient_services
from companion.auth.patient_schemas import (
    CodeRequested,
    PatientCodeRequest,
    PatientCodeVerify,
    PatientTokenRead,
)
from companion.openapi import ApiController, errors


class PatientAuthController(ApiController):
    path = "/api/v1/auth/patient"
    tags = ["auth"]

    @post("/code", status_code=202, responses=errors(429))
    async def request_code(
        self, data: PatientCodeRequest, db_session: AsyncSession, state: State, client_address: str
    ) -> CodeRequested:
        await patient_services.request_code(db_session, state.clock, state.settings, data.phone, client_address)
        return CodeRequested(detail=patient_services.CODE_SENT)

    @post("/verify", status_code=200, responses=errors(401, 429))
    async def verify_code(self, data: PatientCodeVerify, db_session: AsyncSession, state: State) -> PatientTokenRead:
        return await patient_services.verify_code(db_session, state.clock, state.settings, data.phone, data.code)
