"""The signed-in patient's own profile and settings (``/api/v1/me``)."""

from __future__ import annotations

from litestar import get, patch
from litestar.datastructures import State
from litestar.params import SkipValidation
from sqlalchemy.ext.asyncio import AsyncSession

from companion.auth import patient_services
from companion.auth.api import PatientApi
from companion.auth.patient_schemas import PatientProfileRead
from companion.auth.principals import PatientPrincipal
from companion.clinical.protocol import Protocol
from companion.patients.self_schemas import PatientSettingsUpdate
from companion.patients.self_service import update_own_settings


class PatientSelfController(PatientApi):
    path = "/api/v1/me"
    tags = ["patient"]

    @get("/")
    async def read_me(self, db_session: AsyncSession, patient: PatientPrincipal) -> PatientProfileRead:
        return PatientProfileRead.model_validate(await patient_services.read_own_profile(db_session, patient))

    @patch("/settings")
    async def update_settings(
        self, data: PatientSettingsUpdate, db_session: AsyncSession, state: State,
        protocol: SkipValidation[Protocol], patient: PatientPrincipal,
    ) -> PatientProfileRead:
        """The patient's preferred check-in time, channel and quiet hours; planned prompts follow."""
        updated = await update_own_settings(db_session, state.clock, protocol.aftercare, patient, data)
        return PatientProfileRead.model_validate(updated)
