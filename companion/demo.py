"""Demo data, so a newcomer sees a clinic with patients at once."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import time, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from companion.auth.passwords import PasswordPool
from companion.auth.principals import StaffPrincipal
from companion.clinical.plan import AftercarePlan
from companion.clinics.protocol_versions import ProtocolRefused, add_version
from companion.clinics.schemas import ClinicCreate
from companion.clinics.services import create_clinic
from companion.clock import Clock
from companion.consent import services as consent
from companion.models import Clinic
from companion.patients.schemas import PatientCreate
from companion.patients.services import create_patient
from companion.staff.schemas import Role, StaffCreate
from companion.staff.services import create_staff
from companion.treatments.schemas import Modality, TreatmentSessionCreate
from companion.treatments.services import record_session

log = logging.getLogger("companion.demo")


@dataclass(frozen=True)
class DemoCredentials:
    email: str
    password: str
    role: str


DEMO_STAFF: tuple[tuple[str, str, Role, str], ...] = (
    ("Dana Admin", "admin@demo.clinic", "admin", "+12025550150"),
    ("Dr. Casey Morgan", "clinician@demo.clinic", "clinician", "+12025550151"),
)

DEMO_PATIENTS: tuple[tuple[str, str, str, str, Modality, time], ...] = (
    ("P-1001", "Alex Rivera", "+12025550101", "America/New_York", "iv", time(9, 0)),
    ("P-1002", "Sam Chen", "+12025550102", "America/Chicago", "intranasal", time(10, 0)),
    ("P-1003", "Jordan Patel", "+12025550103", "America/Los_Angeles", "oral", time(18, 30)),
)


def seed_text(path: Path) -> str | None:
    """The seed protocol file's text as it is on disk, or None when it cannot be read."""
    try:
        return path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        log.warning("the demo clinic gets no stored protocol: %s cannot be read (%s)", path, exc)
        return None


async def has_data(session: AsyncSession) -> bool:
    return (await session.execute(select(func.count()).select_from(Clinic))).scalar_one() > 0


async def create_demo(
    session: AsyncSession, clock: Clock, plan: AftercarePlan, passwords: PasswordPool,
    *, protocol_text: str | None = None, with_sessions: bool = True,
) -> list[DemoCredentials]:
    """Create the demo clinic, its staff and three patients with sessions, their prompts planned by
    ``plan`` (the protocol's aftercare plan). Call on an empty database.

    ``protocol_text`` (the seed file's text) becomes the clinic's stored version 1, active, when it
    passes the check against the demo clinic; otherwise the demo goes on without it (the clinic
    then uses the seed file) and the log says why. ``with_sessions=False``: no sessions yet (the
    two weeks of history in demo_history.py record them as they happen)."""
    clinic = await create_clinic(
        session, clock, ClinicCreate(name="Demo Ketamine Clinic", timezone="America/New_York")
    )
    assert clinic.id is not None
    credentials = []
    members = {}
    for name, email, role, phone in DEMO_STAFF:
        password = secrets.token_urlsafe(12)
        members[role] = await create_staff(
            session, clock, passwords, clinic.id,
            StaffCreate(name=name, email=email, phone=phone, role=role, password=password), actor="system:demo",
        )
        credentials.append(DemoCredentials(email, password, role))
    if protocol_text is not None:
        try:
            await add_version(session, clock, clinic.id, protocol_text, origin="demo", actor="system:demo",
                              staff_id=None)
        except ProtocolRefused as exc:
            log.warning("the demo clinic gets no stored protocol; the seed file is refused for it: %s",
                        "; ".join(exc.problems))
    clinician = members["clinician"]
    assert clinician.id is not None
    principal = StaffPrincipal(staff_id=clinician.id, clinic_id=clinic.id, role="clinician")
    now = clock.now()
    for index, (ref, name, phone, tz, modality, at) in enumerate(DEMO_PATIENTS):
        patient = await create_patient(
            session, clock, plan, principal,
            PatientCreate(reference=ref, display_name=name, phone=phone, timezone=tz,
                          preferred_checkin_time=at, channel="both"),
        )
        assert patient.id is not None
        # The demo's patients have answered the welcome: their check-ins flow (docs/sms.md, "Consent").
        await consent.opt_in(session, clock, plan, patient, "demo")
        if not with_sessions:
            continue
        for days_ago in (10 + index, 3 + index):
            started = now - timedelta(days=days_ago, hours=2)
            await record_session(
                session, clock, plan, principal, patient.id,
                TreatmentSessionCreate(
                    modality=modality, started_at=started, ended_at=started + timedelta(minutes=100),
                    dose_mg={"iv": 35.0, "intranasal": 84.0, "oral": 150.0}[modality],
                    location="Demo Clinic, Room 2",
                ),
            )
    return credentials
