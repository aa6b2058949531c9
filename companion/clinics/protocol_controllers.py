"""A clinic's safety protocol over the API: the version in use, its stored versions, a new one,
and activating one (a roll-back or forward). Admins of that clinic only (docs/protocol.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import Request, Response, get, post, put
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from companion.auth.api import StaffApi
from companion.auth.dependencies import ADMIN
from companion.auth.principals import StaffPrincipal
from companion.clinical.protocol.spec import ProtocolSpec
from companion.clinics import protocol_views as views
from companion.clinics.protocol_schemas import ProtocolRead, RefusedBody, VersionRead, VersionSummary
from companion.openapi import errors
from companion.params import RowId
from companion.validation import MAX_ROW_ID

REFUSED = {
    422: ResponseSpec(data_container=RefusedBody, generate_examples=False,
                      description="The protocol was refused: problems name each place (\"place: what\")."),
}
Activate = Annotated[bool, Parameter(description="activate the new version at once (default true)")]
DiffFrom = Annotated[int | None, Parameter(ge=1, le=MAX_ROW_ID, description="add the diff from this version number")]
Number = Annotated[int, Parameter(ge=1, le=MAX_ROW_ID, description="a version number of the clinic")]


@dataclass
class ProtocolBodyOperation(Operation):
    """The body of PUT .../protocol: the protocol TOML, or the same document as a JSON object."""

    def __post_init__(self) -> None:
        text = Schema(type=OpenAPIType.STRING, description="the protocol file (TOML)")
        document = Schema(
            type=OpenAPIType.OBJECT, description="the protocol document, shaped as the TOML file",
            properties={name: Schema(description=f"the file's {name}") for name in ProtocolSpec.model_fields},
            required=[name for name, field in ProtocolSpec.model_fields.items() if field.is_required()],
            additional_properties=False,
        )
        self.request_body = RequestBody(required=True, content={
            **{media: OpenAPIMediaType(schema=text) for media in views.TOML_TYPES},
            views.JSON_TYPE: OpenAPIMediaType(schema=document),
        })


class ProtocolController(StaffApi):
    path = "/api/v1/clinics/{clinic_id:int}/protocol"
    tags = ["clinics"]
    opt = ADMIN

    @get("/")
    async def read_protocol(self, clinic_id: RowId, db_session: AsyncSession, state: State,
                            staff: StaffPrincipal) -> ProtocolRead:
        return await views.read_protocol(db_session, state.protocols, state.settings.protocol_file, staff, clinic_id)

    @put("/", status_code=201, operation_class=ProtocolBodyOperation,
         responses={**errors(400), **REFUSED, 200: ResponseSpec(
             data_container=VersionRead, generate_examples=False,
             description="The text is the active version's own: nothing was stored, the active version answers.")})
    async def put_protocol(self, clinic_id: RowId, request: Request, db_session: AsyncSession, state: State,
                           staff: StaffPrincipal, activate: Activate = True) -> Response[VersionRead]:
        text = views.body_text(request.content_type[0], await request.body())
        read, created = await views.put_protocol(db_session, state.clock, state.protocols, staff, clinic_id, text,
                                                 activate)
        return Response(read, status_code=201 if created else 200)

    @get("/versions")
    async def list_versions(self, clinic_id: RowId, db_session: AsyncSession,
                            staff: StaffPrincipal) -> list[VersionSummary]:
        return await views.list_versions(db_session, staff, clinic_id)

    @get("/versions/{number:int}")
    async def read_version(self, clinic_id: RowId, number: Number, db_session: AsyncSession, staff: StaffPrincipal,
                           diff_from: DiffFrom = None) -> VersionRead:
        return await views.read_version(db_session, staff, clinic_id, number, diff_from)

    @post("/versions/{number:int}/activate", status_code=200, responses=REFUSED)
    async def activate_version(self, clinic_id: RowId, number: Number, db_session: AsyncSession, state: State,
                               staff: StaffPrincipal) -> ProtocolRead:
        return await views.activate(db_session, state.clock, state.protocols, state.settings.protocol_file, staff,
                                    clinic_id, number)
