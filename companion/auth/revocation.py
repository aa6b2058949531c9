"""Ending every session of a person.

Tokens are stateless, so a token cannot be withdrawn one by one. Instead each staff member and
each patient has a token version, carried in every token issued to them and checked on every
request: a change that must end the sessions opened before it (for staff a new password, a new
role or deactivation; for a patient a new phone number) increments the version in the same
transaction, and every older token is refused from then on. The increment is done by the
database (``version = version + 1``), so two changes at once both count.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from companion.errors import NotAuthenticated
from companion.models import Patient, StaffMember

SESSION_ENDED = "this session has ended; sign in again"


async def _increment(session: AsyncSession, row: StaffMember | Patient) -> None:
    model = type(row)
    assert row.id is not None
    await session.execute(
        update(model)
        .where(col(model.id) == row.id)
        .values(token_version=model.token_version + 1)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(row, attribute_names=["token_version"])  # the loaded row takes the new value


async def end_staff_sessions(session: AsyncSession, member: StaffMember) -> None:
    """End every token issued to ``member`` so far."""
    await _increment(session, member)


async def end_patient_sessions(session: AsyncSession, patient: Patient) -> None:
    """End every token issued to ``patient`` so far."""
    await _increment(session, patient)


def check_version(token_version: int, current_version: int) -> None:
    """Refuse a token issued before its subject's sessions were last ended."""
    if token_version != current_version:
        raise NotAuthenticated(SESSION_ENDED)
