"""Patient sign-in with a one-time SMS code, and resolving a patient token to a principal.

Neither step tells a caller whether a number is enrolled: asking for a code answers the same
whatever the number, the rate limits count every request alike, and every failed check of a
code answers with the same 401. Code requests are rows (``PatientLoginCode``), so the limits
and the codes themselves hold across API replicas.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from companion.audit import services as audit
from companion.auth import tokens
from companion.auth.patient_codes import code_matches, code_message, hash_code, lock_key, new_code
from companion.auth.patient_schemas import PatientSummary, PatientTokenRead
from companion.auth.principals import PatientPrincipal
from companion.auth.revocation import check_version
from companion.auth.services import bearer_token
from companion.clock import Clock
from companion.errors import NotAuthenticated, TooManyRequests
from companion.messaging.outbox import enqueue
from companion.messaging.policy import Purpose
from companion.models import Patient, PatientLoginCode
from companion.settings import Settings
from companion.validation import mask_phone

log = logging.getLogger("companion.auth")

CODE_SENT = "If this number is enrolled, a code is on its way."
BAD_CODE = "the code is wrong or has expired"
TOO_MANY_CODES = "too many sign-in codes were requested; wait a while and try again"
UNKNOWN_ADDRESS = "unknown"


async def _serialise(session: AsyncSession, *keys: int) -> None:
    """On PostgreSQL, hold transaction-scoped advisory locks so that concurrent requests for one
    number or from one address count each other's rows (taken in a fixed order: no deadlock).
    SQLite has a single writer and needs nothing."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for key in sorted(set(keys)):
        await session.execute(select(func.pg_advisory_xact_lock(key)))


async def _count_since(session: AsyncSession, condition: ColumnElement[bool] | bool, since: datetime) -> int:
    query = select(func.count()).select_from(PatientLoginCode).where(condition, PatientLoginCode.created_at > since)
    return int((await session.execute(query)).scalar_one())


async def _enrolled_patient(session: AsyncSession, phone: str) -> Patient | None:
    """The patient a sign-in code for this number is meant for: not discharged.

    A number may be enrolled at more than one clinic; the most recent enrolment signs in.
    """
    query = (
        select(Patient)
        .where(Patient.phone == phone, Patient.status != "discharged")
        .order_by(Patient.created_at.desc(), Patient.id.desc())  # type: ignore[attr-defined, union-attr]
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def request_code(
    session: AsyncSession, clock: Clock, settings: Settings, phone: str, client_address: str | None
) -> None:
    """Record the request and, when the number belongs to an enrolled patient, send a code.

    Every request that passes the limits is a row, enrolled or not: the rows are what the limits
    count. A refused request stores nothing, so the window slides even under a flood.
    """
    now = clock.now()
    address = (client_address or UNKNOWN_ADDRESS)[:64]
    await _serialise(session, lock_key("phone", phone), lock_key("address", address))
    since = now - timedelta(minutes=settings.patient_code_window_minutes)
    per_phone = await _count_since(session, PatientLoginCode.phone == phone, since)
    per_address = await _count_since(session, PatientLoginCode.client_address == address, since)
    if per_phone >= settings.patient_code_limit_per_phone or per_address >= settings.patient_code_limit_per_address:
        log.warning(
            "sign-in code request refused by the rate limit (number %s: %d, address: %d in the window)",
            mask_phone(phone),
            per_phone,
            per_address,
        )
        raise TooManyRequests(TOO_MANY_CODES)

    # A new code supersedes every unused one for this number.
    await session.execute(
        update(PatientLoginCode)
        .where(
            PatientLoginCode.phone == phone,
            PatientLoginCode.used_at.is_(None),  # type: ignore[union-attr]
            PatientLoginCode.expires_at > now,
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


async def verify_code(
    session: AsyncSession, clock: Clock, settings: Settings, phone: str, code: str
) -> PatientTokenRead:
    """Check the newest live code for the number; a wrong guess counts towards its limit.

    The row is locked while it is checked, so two guesses at once both count and the right
    code signs in once only.
    """
    now = clock.now()
    query = (
        select(PatientLoginCode)
        .where(
            PatientLoginCode.phone == phone,
            PatientLoginCode.code_hash.is_not(None),  # type: ignore[union-attr]
            PatientLoginCode.used_at.is_(None),  # type: ignore[union-attr]
            PatientLoginCode.expires_at > now,
        )
        .order_by(PatientLoginCode.created_at.desc(), PatientLoginCode.id.desc())  # type: ignore[attr-defined, union-attr]
        .limit(1)
        .with_for_update()
    )
    login = (await session.execute(query)).scalar_one_or_none()
    if login is None:
        code_matches(settings.secret_keys, phone, code, None)  # the same work as a real check
        raise NotAuthenticated(BAD_CODE)
    if login.attempts >= settings.patient_code_max_attempts:
        raise NotAuthenticated(BAD_CODE)
    if not code_matches(settings.secret_keys, phone, code, login.code_hash):
        login.attempts += 1
        if login.attempts >= settings.patient_code_max_attempts and login.patient_id is not None:
            patient = await session.get(Patient, login.patient_id)
            audit.record(
                session,
                clock,
                actor="anonymous",
                action="patient.login_code_exhausted",
                subject=f"patient:{login.patient_id}",
                clinic_id=patient.clinic_id if patient is not None else None,
                detail={"attempts": login.attempts},
            )
        # The attempt count must persist even though the request fails.
        raise NotAuthenticated(BAD_CODE, keep_changes=True)

    login.used_at = now
    patient = await session.get(Patient, login.patient_id) if login.patient_id is not None else None
    # The record may have changed since the code was sent: discharged, or a new number.
    if patient is None or patient.status == "discharged" or patient.phone != phone:
        raise NotAuthenticated(BAD_CODE, keep_changes=True)
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
    if patient is None or patient.clinic_id != clinic_id or patient.status == "discharged":
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
