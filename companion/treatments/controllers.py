from __future__ import annotations

from litestar import get, patch, post
from litestar.datastructures import State
from litestar.params import SkipValidation
from sqlalchemy.ext.asyncio import AsyncSession

from companion.auth.api import StaffApi
from companion.auth.dependencies import CLINICAL
from companion.auth.principals import StaffPrincipal
from companion.clinical.protocol import Protocol
from companion.params import RowId
from companion.treatments import services
from companion.treatments.schemas import TreatmentSessionCreate, TreatmentSessionRead, TreatmentSessionUpdate


class TreatmentSessionController(StaffApi):
    path = "/api/v1/patients/{patient_id:int}/sessions"
    tags = ["treatment sessions"]

    @get("/")
    async def list_sessions(
        self, patient_id: RowId, db_session: AsyncSession, state: State, staff: StaffPrincipal
    ) -> list[TreatmentSessionRead]:
        rows = await services.list_sessions(db_session, state.clock, staff, patient_id)
        return [TreatmentSessionRead.model_validate(r) for r in rows]

    @post("/", opt=CLINICAL)
    async def record_session(
        self, patient_id: RowId, data: TreatmentSessionCreate, db_session: AsyncSession, state: State,
        protocol: SkipValidation[Protocol], staff: StaffPrincipal,
    ) -> TreatmentSessionRead:
        row = await services.record_session(db_session, state.clock, protocol.aftercare, staff, patient_id, data)
        return TreatmentSessionRead.model_validate(row)

    @patch("/{session_id:int}", opt=CLINICAL)
    async def correct_session(
        self, patient_id: RowId, session_id: RowId, data: TreatmentSessionUpdate, db_session: AsyncSession,
        state: State, protocol: SkipValidation[Protocol], staff: StaffPrincipal,
    ) -> TreatmentSessionRead:
        row = await services.correct_session(
            db_session, state.clock, protocol.aftercare, staff, patient_id, session_id, data
        )
        return TreatmentSessionRead.model_validate(row)

    @post("/{session_id:int}/cancel", opt=CLINICAL, status_code=200)
    async def cancel_session(
        self, patient_id: RowId, session_id: RowId, db_session: AsyncSession, state: State,
        protocol: SkipValidation[Protocol], staff: StaffPrincipal,
    ) -> TreatmentSessionRead:
        row = await services.cancel_session(db_session, state.clock, protocol.aftercare, staff, patient_id, session_id)
        return TreatmentSessionRead.model_validate(row)
