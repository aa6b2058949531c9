"""Signed, single-use links that open the app at one check-in.

A link carries ``<prompt id>.<nonce>.<signature>``: short enough for an SMS, signed with the
signing key (any configured key verifies), tied to a nonce stored on the prompt, and spent on
first use. A new phone number for the patient withdraws the links not yet used.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from companion.auth.patient_schemas import LinkSession
from companion.auth.patient_services import issue_patient_token
from companion.clock import Clock
from companion.errors import NotAuthenticated
from companion.models import Patient, PatientStatus, Prompt, PromptStatus
from companion.settings import Settings

INVALID = "this link is no longer valid; sign in with a code instead"


def _signature(key: str, prompt_id: int, nonce: str) -> str:
    digest = hmac.new(key.encode(), f"link:{prompt_id}.{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:12]).decode().rstrip("=")


def _signed_by_any(settings: Settings, prompt_id: int, nonce: str, signature: str) -> bool:
    matches = [hmac.compare_digest(signature, _signature(key, prompt_id, nonce)) for key in settings.secret_keys]
    return any(matches)


def link_token(settings: Settings, prompt: Prompt) -> str:
    assert prompt.id is not None
    if prompt.link_nonce is None:
        prompt.link_nonce = secrets.token_urlsafe(9)
    return f"{prompt.id}.{prompt.link_nonce}.{_signature(settings.signing_key, prompt.id, prompt.link_nonce)}"


def link_url(settings: Settings, prompt: Prompt) -> str:
    """A link to answer ``prompt`` in the app. It works once, and not after the prompt closes."""
    return f"{settings.public_base_url.rstrip('/')}/?c={link_token(settings, prompt)}"


async def redeem(session: AsyncSession, clock: Clock, settings: Settings, token: str) -> tuple[Patient, Prompt]:
    """Use a link once: it yields the patient and the prompt it opens."""
    parts = token.strip().split(".")
    if len(parts) != 3 or not (parts[0].isascii() and parts[0].isdigit()):
        raise NotAuthenticated(INVALID)
    prompt_id, nonce, signature = int(parts[0]), parts[1], parts[2]
    if not _signed_by_any(settings, prompt_id, nonce, signature):
        raise NotAuthenticated(INVALID)
    prompt = await session.get(Prompt, prompt_id, with_for_update=True)
    if (
        prompt is None
        or prompt.link_nonce is None
        or not hmac.compare_digest(prompt.link_nonce, nonce)
        or prompt.link_used_at is not None
        or prompt.status not in {PromptStatus.OPEN, PromptStatus.PLANNED}
        or prompt.expires_at <= clock.now()
    ):
        raise NotAuthenticated(INVALID)
    patient = await session.get(Patient, prompt.patient_id)
    if patient is None or patient.status == PatientStatus.DISCHARGED:
        raise NotAuthenticated(INVALID)
    prompt.link_used_at = clock.now()
    return patient, prompt


async def sign_in_with_link(session: AsyncSession, clock: Clock, settings: Settings, token: str) -> LinkSession:
    """Spend a link: a patient token (at the patient's current token version) and the prompt to open."""
    patient, prompt = await redeem(session, clock, settings, token)
    assert prompt.id is not None
    access_token, expires_at = issue_patient_token(clock, settings, patient)
    return LinkSession(access_token=access_token, expires_at=expires_at, prompt_id=prompt.id)


async def withdraw_links(session: AsyncSession, patient_id: int) -> None:
    """Make every link not yet used of a patient's prompts worthless (they went to the number the
    patient had until now); a link made later gets a new nonce."""
    await session.execute(
        update(Prompt)
        .where(
            col(Prompt.patient_id) == patient_id,
            col(Prompt.link_nonce).is_not(None),
            col(Prompt.link_used_at).is_(None),
        )
        .values(link_nonce=None)
        .execution_options(synchronize_session="fetch")
    )
