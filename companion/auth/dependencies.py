"""Dependencies that turn the Authorization header into a principal.

A handler declares the roles it allows in ``opt={"roles": (...)}``; none declared means any
signed-in staff member. Patient endpoints use ``provide_patient`` instead: a staff token is no
patient token, and the reverse.
"""

from __future__ import annotations

from litestar import Request
from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncSession

from companion.auth import patient_services, services
from companion.auth.addresses import client_address
from companion.auth.principals import PatientPrincipal, StaffPrincipal
from companion.clinical.protocol import Protocol
from companion.models import StaffRole


async def provide_staff(request: Request, db_session: AsyncSession, state: State) -> StaffPrincipal:
    roles = request.route_handler.opt.get("roles")
    return await services.resolve_staff(
        db_session, state.clock, state.settings, request.headers.get("authorization"),
        tuple(roles) if roles else None,
    )


async def provide_staff_protocol(db_session: AsyncSession, state: State, staff: StaffPrincipal) -> Protocol:
    """The protocol of the signed-in staff member's clinic as it is now (``state.protocols``), read
    once per request, so one request never mixes two versions. Handlers take it as
    ``protocol: SkipValidation[Protocol]``: it is the app's own object, not request input, and
    Litestar's parameter conversion cannot take its rules apart."""
    return await state.protocols.for_clinic(db_session, staff.clinic_id)


async def provide_patient_protocol(db_session: AsyncSession, state: State, patient: PatientPrincipal) -> Protocol:
    """The protocol of the signed-in patient's clinic, as :func:`provide_staff_protocol`."""
    return await state.protocols.for_clinic(db_session, patient.clinic_id)


async def provide_patient(request: Request, db_session: AsyncSession, state: State) -> PatientPrincipal:
    return await patient_services.resolve_patient(
        db_session, state.clock, state.settings, request.headers.get("authorization")
    )


def provide_client_address(request: Request, state: State) -> str:
    """The caller's address: the peer, or behind a trusted proxy the client it forwarded for."""
    peer = request.client.host if request.client is not None else None
    forwarded = request.headers.getall("x-forwarded-for", [])
    return client_address(peer, forwarded, state.settings.trusted_proxies)


ADMIN = {"roles": (StaffRole.ADMIN,)}
CLINICAL = {"roles": (StaffRole.ADMIN, StaffRole.CLINICIAN)}
