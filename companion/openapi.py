"""What the API description says beyond the handlers' signatures, so that a client generated from
/schema/openapi.json is right: the error bodies and the statuses that answer them, the bearer token
schemes, local times of day (not durations), and request bodies that refuse unknown fields."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import time
from typing import TYPE_CHECKING, Any, ClassVar

from litestar import Controller
from litestar.handlers import BaseRouteHandler, HTTPRouteHandler
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import (
    Components,
    OpenAPIMediaType,
    OpenAPIType,
    Operation,
    Parameter,
    Reference,
    RequestBody,
    Schema,
    SecurityRequirement,
    SecurityScheme,
)
from litestar.plugins import OpenAPISchemaPlugin
from litestar.plugins.pydantic import PydanticSchemaPlugin
from litestar.typing import FieldDefinition

if TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator


@dataclass
class ErrorBody:
    """Every error the API answers: ``extra`` names the fields at fault, ``{"key", "message"}`` each."""

    status_code: int
    detail: str
    extra: list[dict[str, Any]] | None = None


ERROR_DESCRIPTIONS: Mapping[int, str] = {
    400: "The request is invalid; extra names each field at fault.",
    401: "Not signed in, or the token is not valid here (missing, expired, or of the other kind).",
    403: "The signed-in role may not do this.",
    404: "No such record, or not one the caller may see.",
    409: "The change conflicts with stored data or with the record's state.",
    423: "The account is locked after failed sign-ins; try again later.",
    429: "Too many requests; try again later.",
}


def errors(*codes: int) -> dict[int, ResponseSpec]:
    """Documented error responses, each with the shared error body."""
    return {
        code: ResponseSpec(data_container=ErrorBody, description=ERROR_DESCRIPTIONS[code], generate_examples=False)
        for code in codes
    }


STAFF_TOKEN = "staffToken"
PATIENT_TOKEN = "patientToken"
STAFF_SECURITY: list[SecurityRequirement] = [{STAFF_TOKEN: []}]
PATIENT_SECURITY: list[SecurityRequirement] = [{PATIENT_TOKEN: []}]
SECURITY_SCHEMES: dict[str, SecurityScheme | Reference] = {
    STAFF_TOKEN: SecurityScheme(
        type="http", scheme="bearer",
        description="A staff token from POST /api/v1/auth/staff/login, as `Authorization: Bearer <token>`.",
    ),
    PATIENT_TOKEN: SecurityScheme(
        type="http", scheme="bearer",
        description="A patient token from POST /api/v1/auth/patient/verify or /api/v1/auth/patient/link.",
    ),
}


class ApiController(Controller):
    """A controller whose routes document the errors they can answer, derived from the route itself
    so that the description follows the code: ``error_responses`` of the controller (the 401 of a
    guarded one), 403 where a role is required (``opt={"roles": ...}`` here or on the route), 404
    where the path names a record, and 409 for a change (the app answers a write that conflicts with
    stored data so). A route adds its own in ``responses``."""

    error_responses: ClassVar[Mapping[int, ResponseSpec]] = {}

    def get_route_handlers(self) -> list[BaseRouteHandler]:
        handlers = super().get_route_handlers()
        for handler in handlers:
            if isinstance(handler, HTTPRouteHandler):
                handler.responses = {**self._derived_responses(handler), **(handler.responses or {})}
        return handlers

    def _derived_responses(self, handler: HTTPRouteHandler) -> dict[int, ResponseSpec]:
        codes: list[int] = []
        if {**(self.opt or {}), **(handler.opt or {})}.get("roles"):
            codes.append(403)
        if "{" in (self.path or "") or any("{" in path for path in handler.paths):
            codes.append(404)
        if handler.http_methods - {"GET", "HEAD"}:
            codes.append(409)
        return {**self.error_responses, **errors(*codes)}


# A local time of day as the API reads and writes it: 09:30, 09:30:00 or 09:30:00.250000.
LOCAL_TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$"


class LocalTimeSchemaPlugin(OpenAPISchemaPlugin):
    """A ``datetime.time`` is a local time of day (the patient's time zone applies), not the
    duration Litestar declares by default."""

    @staticmethod
    def is_plugin_supported_type(value: Any) -> bool:
        return value is time

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: SchemaCreator) -> Schema:
        return Schema(
            type=OpenAPIType.STRING, pattern=LOCAL_TIME_PATTERN, examples=["09:30"],
            description="A local time of day, HH:MM or HH:MM:SS, without an offset.",
        )


class StrictPydanticSchemaPlugin(PydanticSchemaPlugin):
    """Pydantic models as Litestar documents them, plus ``additionalProperties: false`` for the
    models that refuse unknown fields (every request body)."""

    @classmethod
    def for_pydantic_model(cls, field_definition: FieldDefinition, schema_creator: SchemaCreator) -> Schema:
        schema = super().for_pydantic_model(field_definition, schema_creator)
        if field_definition.annotation.model_config.get("extra") == "forbid":
            schema.additional_properties = False
        return schema


def form_operation(
    media_type: str, fields: Mapping[str, str], required: Sequence[str], header: tuple[str, str]
) -> type[Operation]:
    """The operation of a route that reads its form itself (a webhook checks a signature over the
    raw parameters): its string ``fields`` (name -> description) in a ``media_type`` body, and the
    signature ``header`` (name, description) it answers 403 without."""
    body = Schema(
        type=OpenAPIType.OBJECT,
        properties={name: Schema(type=OpenAPIType.STRING, description=text) for name, text in fields.items()},
        required=list(required),
    )

    @dataclass
    class FormOperation(Operation):
        def __post_init__(self) -> None:
            self.request_body = RequestBody(content={media_type: OpenAPIMediaType(schema=body)}, required=True)
            self.parameters = [
                *(self.parameters or []),
                Parameter(name=header[0], param_in="header", required=True, description=header[1],
                          schema=Schema(type=OpenAPIType.STRING)),
            ]

    return FormOperation


def text_response(description: str, media_type: str = "text/plain") -> ResponseSpec:
    return ResponseSpec(data_container=str, description=description, media_type=media_type, generate_examples=False)


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Companion API", version="1.0.0", path="/schema",
        components=Components(security_schemes=SECURITY_SCHEMES),
        # JSON only: the HTML viewers load scripts from CDNs (refused by the content security policy).
        render_plugins=[JsonRenderPlugin()],
    )


def openapi_plugins() -> list[OpenAPISchemaPlugin]:
    return [LocalTimeSchemaPlugin(), StrictPydanticSchemaPlugin()]
