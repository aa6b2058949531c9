from __future__ import annotations

from typing import Annotated

from litestar import Response, get
from litestar.datastructures import State
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from companion.auth.api import StaffApi
from companion.auth.dependencies import ADMIN, CLINICAL
from companion.auth.principals import StaffPrincipal
from companion.conversations.periods import FORMAT_HINT
from companion.openapi import errors
from companion.params import Limit, Offset, RowId
from companion.reports import audit_log, outcomes, patient_record
from companion.reports.schemas import AuditPage, OutcomesRead

Bound = Annotated[str | None, Parameter(max_length=40, description=FORMAT_HINT)]
Filter = Annotated[str | None, Parameter(max_length=64)]
CSV = "text/csv; charset=utf-8"


def _csv(text: str, filename: str) -> Response[str]:
    return Response(text, media_type=CSV, headers={"Content-Disposition": f'attachment; filename="{filename}"',
                                                   "Cache-Control": "no-store"})


class OutcomesController(StaffApi):
    """The clinic's outcomes: PHQ-9 change, response and remission, adherence (docs/clinical.md)."""

    path = "/api/v1/outcomes"
    tags = ["outcomes"]

    @get("/", opt=CLINICAL, responses=errors(403))
    async def clinic_outcomes(self, db_session: AsyncSession, state: State, staff: StaffPrincipal) -> OutcomesRead:
        """Overall, by modality (of each patient's first session) and by month."""
        return await outcomes.clinic_outcomes(db_session, state.clock, staff)

    @get("/export", opt=CLINICAL, media_type=CSV, responses=errors(403))
    async def export_outcomes(self, db_session: AsyncSession, state: State, staff: StaffPrincipal) -> Response[str]:
        """One row per patient (by reference); audited."""
        return _csv(await outcomes.outcomes_csv(db_session, state.clock, staff), "outcomes.csv")


class PatientExportController(StaffApi):
    path = "/api/v1/patients/{patient_id:int}/export"
    tags = ["patients"]

    @get("/", opt=CLINICAL, media_type=CSV, responses=errors(403, 404))
    async def export_patient(
        self, patient_id: RowId, db_session: AsyncSession, state: State, staff: StaffPrincipal
    ) -> Response[str]:
        """The patient's whole record as CSV: sessions, check-ins with every answer, alerts, messages; audited."""
        text = await patient_record.patient_record_csv(db_session, state.clock, staff, patient_id)
        return _csv(text, f"patient-{patient_id}.csv")


class AuditLogController(StaffApi):
    path = "/api/v1/audit"
    tags = ["audit"]

    @get("/", opt=ADMIN, responses=errors(403))
    async def audit_events(
        self, db_session: AsyncSession, staff: StaffPrincipal, actor: Filter = None, action: Filter = None,
        subject: Filter = None, since: Bound = None, until: Bound = None, limit: Limit = 50, offset: Offset = 0,
    ) -> AuditPage:
        """Newest first. ``action`` ending in a dot (``alert.``) matches every action it starts."""
        query = audit_log.AuditQuery(actor=actor, action=action, subject=subject, since=since, until=until)
        return await audit_log.list_events(db_session, staff, query, limit=limit, offset=offset)
