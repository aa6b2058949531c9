"""Who is calling: a signed-in staff member or patient."""

from __future__ import annotations

from dataclasses import dataclass

from companion.models import StaffRole

ROLES: tuple[str, ...] = tuple(StaffRole)


@dataclass(frozen=True)
class StaffPrincipal:
    staff_id: int
    clinic_id: int
    role: str

    @property
    def actor(self) -> str:
        return f"staff:{self.staff_id}"


@dataclass(frozen=True)
class PatientPrincipal:
    patient_id: int
    clinic_id: int

    @property
    def actor(self) -> str:
        return f"patient:{self.patient_id}"
