"""Dependencies that turn the Authorization header into a principal.

A handler declares the roles it allows in ``opt={"roles": (...)}``; none declared means any
signed-in staff member.
"""

from __future__ import annotations

from litestar import Request
from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncSession

from companion.auth import services
from companion.auth.principals import StaffPrincipal


async def provide_staff(request: Request, db_session: AsyncSession, state: State) -> StaffPrincipal:
    roles = request.route_handler.opt.get("roles")
    return await services.resolve_staff(
        db_session, state.clock, state.settings, request.headers.get("authorization"),
        tuple(roles) if roles else None,
    )


ADMIN = {"roles": ("admin",)}
CLINICAL = {"roles": ("admin", "clinician")}
