from __future__ import annotations

from litestar import post
from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncSession

from companion.auth import services, staff_links
from companion.auth.schemas import StaffLogin, StaffSetup, StaffSetupDone, TokenRead
from companion.openapi import ApiController, errors


class AuthController(ApiController):
    path = "/api/v1/auth"
    tags = ["auth"]

    @post("/staff/login", status_code=200, responses=errors(401, 423, 429))
    async def staff_login(
        self, data: StaffLogin, db_session: AsyncSession, state: State, client_address: str
    ) -> TokenRead:
        return await services.login_staff(
            db_session, state.clock, state.settings, state.passwords, data.email, data.password, client_address
        )

    # A set-your-password link (an invitation or a reset), spent once; hashing waits for the pool (429).
    @post("/staff/setup", status_code=200, responses=errors(401, 429))
    async def staff_setup(self, data: StaffSetup, db_session: AsyncSession, state: State) -> StaffSetupDone:
        member = await staff_links.set_password(
            db_session, state.clock, state.settings, state.passwords, data.token, data.password
        )
        return StaffSetupDone(email=member.email)
