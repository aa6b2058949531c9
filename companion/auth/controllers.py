from __future__ import annotations

from litestar import post
from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncSession

from companion.auth import services
from companion.auth.schemas import StaffLogin, TokenRead
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
