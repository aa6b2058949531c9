from __future__ import annotations

from typing import Literal

from litestar import get, post
from litestar.datastructures import State
from litestar.params import SkipValidation
from sqlalchemy.ext.asyncio import AsyncSession

from companion.auth.api import StaffApi
from companion.auth.principals import StaffPrincipal
from companion.clinical.protocol import Protocol
from companion.openapi import errors
from companion.params import OptionalRowId, RowId
from companion.safety import acknowledgements, services, timeline
from companion.safety.schemas import AlertEventRead, AlertRead, AlertResolve


class AlertController(StaffApi):
    path = "/api/v1/alerts"
    tags = ["alerts"]

    @get("/")
    async def list_alerts(
        self, db_session: AsyncSession, state: State, protocol: SkipValidation[Protocol], staff: StaffPrincipal,
        status: Literal["active", "open", "acknowledged", "resolved"] | None = "active",
        patient_id: OptionalRowId = None,
    ) -> list[AlertRead]:
        return await services.list_alerts(db_session, state.clock, protocol, staff, status, patient_id)

    @get("/{alert_id:int}")
    async def read_alert(
        self, alert_id: RowId, db_session: AsyncSession, state: State, protocol: SkipValidation[Protocol],
        staff: StaffPrincipal,
    ) -> AlertRead:
        return await services.get_alert(db_session, state.clock, protocol, staff, alert_id)

    @get("/{alert_id:int}/events")
    async def alert_events(
        self, alert_id: RowId, db_session: AsyncSession, state: State, staff: StaffPrincipal,
    ) -> list[AlertEventRead]:
        """The alert's timeline: raised, findings with their evidence, each page with the person and
        its delivery status, safety replies, acknowledgement, resolution, re-escalations."""
        return await timeline.alert_events(db_session, state.clock, staff, alert_id)

    # The clinic's protocol says who may acknowledge and resolve: a 403 for the others.
    @post("/{alert_id:int}/ack", status_code=200, responses=errors(403))
    async def acknowledge(
        self, alert_id: RowId, db_session: AsyncSession, state: State, protocol: SkipValidation[Protocol],
        staff: StaffPrincipal,
    ) -> AlertRead:
        await acknowledgements.acknowledge(db_session, state.clock, protocol, staff, alert_id)
        return await services.get_alert(db_session, state.clock, protocol, staff, alert_id)

    @post("/{alert_id:int}/resolve", status_code=200, responses=errors(403))
    async def resolve(
        self, alert_id: RowId, data: AlertResolve, db_session: AsyncSession, state: State,
        protocol: SkipValidation[Protocol], staff: StaffPrincipal,
    ) -> AlertRead:
        await acknowledgements.resolve(db_session, state.clock, protocol, staff, alert_id, data.note)
        return await services.get_alert(db_session, state.clock, protocol, staff, alert_id)
