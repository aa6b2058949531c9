"""Patient sign-in with a one-time SMS code, and resolving a patient token to a principal.

Neither step tells a caller whether a number is enrolled: asking for a code answers the same
whatever the number, the rate limits count every request alike, and every failed check of a
code answers with the same 401. Code requests are rows (``PatientLoginCode``), so the limits
and the codes themselves hold across API replicas.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Row, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from companion.audit import services as audit
from companion.auth import throttle, tokens
from companion.auth.backoff import retry_after_seconds
from companion.auth.patient_codes import code_matches, code_message, hash_code, lock_key, new_code
from companion.auth.patient_schemas import PatientSummary, PatientTokenRead
from companion.auth.principals import PatientPrincipal
from companion.auth.revocation import check_version
from companion.auth.services import bearer_token
from companion.clock import Clock
from companion.db import own_transaction
from companion.errors import NotAuthenticated, TooManyRequests
from companion.messaging.outbox import enqueue
from companion.messaging.policy import Purpose
from companion.models import Patient, PatientLoginCode, PatientStatus
from companion.models.base import table_of
from companion.settings import Settings
from companion.validation import mask_phone

log = logging.getLogger("companion.auth")

CODE_SENT = "If this number is enrolled, a code is on its way."
BAD_CODE = "the code is wrong or has expired"
TOO_MANY_CODES = "too many sign-in codes were requested; wait a while and try again"
TOO_MANY_GUESSES = "too many sign-in attempts for this number; wait a little and try again"
UNKNOWN_ADDRESS = "unknown"

L = table_of(PatientLoginCode)


async def _serialise(session: AsyncSession, *keys: int) -> None:
    """On PostgreSQL, hold transaction-scoped advisory locks so that concurrent requests for one
    number or from one address count each other's rows (taken in a fixed order: no deadlock).
    SQLite has a single writer and needs nothing."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for key in sorted(set(keys)):
        await session.execute(select(func.pg_advisory_xact_lock(key)))


async def _count_since(session: AsyncSession, condition: ColumnElement[bool], since: datetime) -> int:
    query = (
        select(func.count()).select_from(PatientLoginCode).where(condition, col(PatientLoginCode.created_at) > since)
    )
    return int((await session.execute(query)).scalar_one())


async def _enrolled_patient(session: AsyncSession, phone: str) -> Patient | None:
    """The patient a sign-in code for this number is meant for: not discharged.

    A number may be enrolled at more than one clinic; the most recent enrolment signs in.
    """
    query = (
        select(Patient)
        .where(col(Patient.phone) == phone, col(Patient.status) != PatientStatus.DISCHARGED)
        .order_by(col(Patient.created_at).desc(), col(Patient.id).desc())
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def _address_retry_after(session: AsyncSession, address: str, since: datetime, window: timedelta,
                               now: datetime) -> int:
    """Seconds until the oldest request from the address in the window slides out of it."""
    oldest = (
        await session.execute(
            select(func.min(PatientLoginCode.created_at)).where(
                col(PatientLoginCode.client_address) == address, col(PatientLoginCode.created_at) > since
            )
        )
    ).scalar_one_or_none()
    return retry_after_seconds(now, (oldest or now) + window)


async def request_code(
    session: AsyncSession, clock: Clock, settings: Settings, phone: str, client_address: str | None
) -> None:
    """Record the request and, when the number belongs to an enrolled patient, send a code.

    Every request that passes the limits is a row, enrolled or not: the rows are what the limit
    per address counts. Each request also counts towards the number's backoff (cleared when the
    patient signs in). A refused request stores nothing, so the window slides even under a flood.
    """
    now = clock.now()
    address = (client_address or UNKNOWN_ADDRESS)[:64]
    # The number's count first, in its own short transaction: once this request holds a
    # connection and a lock below, it never waits for another connection.
    try:
        await throttle.claim(session, throttle.PATIENT_PHONE, phone, throttle.patient_phone_backoff(settings),
                             now, TOO_MANY_CODES)
    except TooManyRequests:
        log.warning("sign-in code request for number %s refused by its backoff", mask_phone(phone))
        raise
    await _serialise(session, lock_key("phone", phone), lock_key("address", address))
    window = timedelta(minutes=settings.patient_code_window_minutes)
    since = now - window
    per_address = await _count_since(session, col(PatientLoginCode.client_address) == address, since)
    if per_address >= settings.patient_code_limit_per_address:
        log.warning("sign-in code request refused by the limit per address (%d in the window)", per_address)
        raise TooManyRequests(
            TOO_MANY_CODES, retry_after=await _address_retry_after(session, address, since, window, now)
        )

    # A new code supersedes every unused one for this number.
    await session.execute(
        update(PatientLoginCode)
        .where(
            col(PatientLoginCode.phone) == phone,
            col(PatientLoginCode.used_at).is_(None),
            col(PatientLoginCode.expires_at) > now,
        )
        .values(expires_at=now)
        .execution_options(synchronize_session=False)
    )
    patient = await _enrolled_patient(session, phone)
    code = new_code()
    ttl = settings.patient_code_ttl_minutes
    session.add(
        PatientLoginCode(
            phone=phone,
            patient_id=patient.id if patient is not None else None,
            code_hash=hash_code(settings.signing_key, phone, code) if patient is not None else None,
            client_address=address,
            created_at=now,
            expires_at=now + timedelta(minutes=ttl),
        )
    )
    if patient is None:
        await session.flush()
        log.info("sign-in code requested for a number that is not enrolled (%s)", mask_phone(phone))
        return
    # An opted-out patient's message is stored as suppressed and never sent; the answer is the same.
    await enqueue(
        session,
        clock,
        to_phone=phone,
        purpose=Purpose.OTP,
        body=code_message(code, ttl),
        clinic_id=patient.clinic_id,
        patient=patient,
    )
    log.info("sign-in code issued for patient %s", patient.id)


async def _count_guess(session: AsyncSession, phone: str, max_attempts: int, now: datetime) -> Row[Any] | None:
    """Count one guess at the newest live code for the number, in one conditional statement
    committed at once, before the guess is checked: of any number of concurrent guesses at most
    ``max_attempts`` are ever counted, and only a counted guess is checked. ``None``: no live
    code, or its guesses are used up."""
    newest = (
        select(L.c.id)
        .where(L.c.phone == phone, L.c.code_hash.is_not(None), L.c.used_at.is_(None), L.c.expires_at > now)
        .order_by(L.c.created_at.desc(), L.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    statement = (
        update(L)
        .where(L.c.id == newest, L.c.attempts < max_attempts, L.c.used_at.is_(None), L.c.expires_at > now)
        .values(attempts=L.c.attempts + 1)
        .returning(L.c.id, L.c.attempts, L.c.code_hash, L.c.patient_id)
    )
    async with own_transaction(session) as conn:
        return (await conn.execute(statement)).first()


async def _use_code(session: AsyncSession, login_id: int, now: datetime) -> bool:
    """Mark the code used, unless a concurrent right guess did first."""
    statement = update(L).where(L.c.id == login_id, L.c.used_at.is_(None)).values(used_at=now).returning(L.c.id)
    return (await session.execute(statement)).first() is not None


async def verify_code(
    session: AsyncSession, clock: Clock, settings: Settings, phone: str, code: str
) -> PatientTokenRead:
    """Check the newest live code for the number.

    Each guess counts towards the number's backoff and towards the code's own limit, both before
    it is checked; a right code clears the backoff and signs in once only.
    """
    now = clock.now()
    await throttle.claim(session, throttle.PATIENT_PHONE, phone, throttle.patient_phone_backoff(settings), now,
                         TOO_MANY_GUESSES)
    counted = await _count_guess(session, phone, settings.patient_code_max_attempts, now)
    if counted is None:
        code_matches(settings.secret_keys, phone, code, None)  # the same work as a real check
        raise NotAuthenticated(BAD_CODE)
    if not code_matches(settings.secret_keys, phone, code, counted.code_hash):
        if counted.attempts >= settings.patient_code_max_attempts and counted.patient_id is not None:
            patient = await session.get(Patient, counted.patient_id)
            audit.record(
                session,
                clock,
                actor="anonymous",
                action="patient.login_code_exhausted",
                subject=f"patient:{counted.patient_id}",
                clinic_id=patient.clinic_id if patient is not None else None,
                detail={"attempts": counted.attempts},
            )
            raise NotAuthenticated(BAD_CODE, keep_changes=True)
        raise NotAuthenticated(BAD_CODE)

    if not await _use_code(session, counted.id, now):
        raise NotAuthenticated(BAD_CODE)
    patient = await session.get(Patient, counted.patient_id) if counted.patient_id is not None else None
    # The record may have changed since the code was sent: discharged, or a new number.
    if patient is None or patient.status == PatientStatus.DISCHARGED or patient.phone != phone:
        raise NotAuthenticated(BAD_CODE, keep_changes=True)
    await throttle.reset(session, throttle.PATIENT_PHONE, phone)
    assert patient.id is not None
    access_token, expires_at = issue_patient_token(clock, settings, patient)
    principal = PatientPrincipal(patient_id=patient.id, clinic_id=patient.clinic_id)
    audit.record(
        session,
        clock,
        actor=principal.actor,
        action="patient.login",
        subject=f"patient:{patient.id}",
        clinic_id=patient.clinic_id,
    )
    return PatientTokenRead(
        access_token=access_token, expires_at=expires_at, patient=PatientSummary.model_validate(patient)
    )


def issue_patient_token(clock: Clock, settings: Settings, patient: Patient) -> tuple[str, datetime]:
    """A patient token (signed with the signing key, carrying the patient's token version) and
    when it expires."""
    assert patient.id is not None
    claims = tokens.make_claims(
        "patient", patient.id, patient.clinic_id, None, clock.now(),
        timedelta(minutes=settings.patient_token_ttl_minutes), version=patient.token_version,
    )
    return tokens.issue(settings.signing_key, claims), datetime.fromtimestamp(claims.expires_at, UTC)


async def _load_patient(session: AsyncSession, patient_id: int, clinic_id: int) -> Patient:
    patient = await session.get(Patient, patient_id)
    if patient is None or patient.clinic_id != clinic_id or patient.status == PatientStatus.DISCHARGED:
        raise NotAuthenticated("this sign-in is no longer valid; sign in again")
    return patient


async def resolve_patient(
    session: AsyncSession, clock: Clock, settings: Settings, authorization: str | None
) -> PatientPrincipal:
    try:
        claims = tokens.verify(settings.secret_keys, bearer_token(authorization), clock.now())
    except tokens.TokenError as exc:
        raise NotAuthenticated(f"invalid token: {exc}") from exc
    if claims.kind != "patient":
        raise NotAuthenticated("a patient token is required")
    patient = await _load_patient(session, claims.subject_id, claims.clinic_id)
    check_version(claims.version, patient.token_version)
    assert patient.id is not None
    return PatientPrincipal(patient_id=patient.id, clinic_id=patient.clinic_id)


async def read_own_profile(session: AsyncSession, principal: PatientPrincipal) -> Patient:
    """The signed-in patient's own record; a patient token reaches no other row."""
    return await _load_patient(session, principal.patient_id, principal.clinic_id)
