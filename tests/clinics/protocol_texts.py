"""Protocol texts for the stored-version tests: the shipped file, whose rota names
clinician@demo.clinic and admin@demo.clinic, and variants of it."""

from __future__ import annotations

from dataclasses import dataclass

from companion.models import Clinic, StaffMember
from companion.protocols import DEFAULT_PROTOCOL_FILE
from tests.conftest import World

SHIPPED = DEFAULT_PROTOCOL_FILE.read_text(encoding="utf-8")
SHIPPED_LABEL = "default-2026.1"
ON_CALL_PHONE = "+12025550181"
BACKUP_PHONE = "+12025550182"
ROTATION = 'rotation = ["clinician@demo.clinic"]\nhandoff = "mon 09:00"\n\n[rota.backup_clinician]'


def labelled(label: str, text: str = SHIPPED) -> str:
    assert f'version = "{SHIPPED_LABEL}"' in text
    return text.replace(f'version = "{SHIPPED_LABEL}"', f'version = "{label}"', 1)


def on_call(email: str, text: str = SHIPPED) -> str:
    """The text with ``email`` as the on-call clinician (the first page of the crisis chain)."""
    assert ROTATION in text
    return text.replace(ROTATION, ROTATION.replace("clinician@demo.clinic", email), 1)


@dataclass
class DemoTeam:
    clinic: Clinic
    clinician: StaffMember
    admin: StaffMember


async def demo_team(world: World, name: str = "North Clinic") -> DemoTeam:
    clinic = await world.clinic(name)
    clinician = await world.staff(clinic, "clinician", email="clinician@demo.clinic", phone=ON_CALL_PHONE)
    admin = await world.staff(clinic, "admin", email="admin@demo.clinic", phone=BACKUP_PHONE)
    return DemoTeam(clinic, clinician, admin)
