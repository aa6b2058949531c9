"""check_against_clinic: the people and targets a protocol names, against the clinic's members;
version_diff: the text difference between two protocol versions."""

from __future__ import annotations

import pytest

from companion.clinical.protocol import Member, Protocol, check_against_clinic, parse_protocol, version_diff
from companion.protocols import default_protocol

CLINIC = "Clinic B"
CLINICIAN = Member(1, "clinician@demo.clinic", "clinician", active=True, has_phone=True)
ADMIN = Member(2, "admin@demo.clinic", "admin", active=True, has_phone=True)

A = Member(7, "a@clinic.test", "clinician", active=True, has_phone=True)
B = Member(8, "b@clinic.test", "admin", active=True, has_phone=True)
DESK = Member(9, "desk@clinic.test", "staff", active=True, has_phone=True)


def member(base: Member, *, active: bool = True, has_phone: bool = True) -> Member:
    return Member(base.id, base.email, base.role, active, has_phone)


def protocol(rota: str, chains: str, rules: str = 'severity = "urgent"\nchain = "crisis"') -> Protocol:
    """A small protocol: ``rota`` and ``chains`` tables, one mood_low rule (``rules``: its severity
    and chain)."""
    text = f"""
version = "test-1"

[business_hours]
mon = ["09:00", "17:00"]

{rota}

{chains}

[chains.routine]

[[rules]]
id = "mood_low"
kind = "mood_low"
{rules}
"""
    return parse_protocol(text)


ROTA_A = '[rota.on_call]\nrotation = ["a@clinic.test"]'


def crisis(*steps: str) -> str:
    """A crisis chain with these steps (each: the keys of one [[chains.crisis.steps]] table)."""
    return "[chains.crisis]\n" + "".join(f"\n[[chains.crisis.steps]]\n{step}\nwait_minutes = 5\n" for step in steps)


# --------------------------------------------------------------------------------------------------
# The shipped protocol against the demo clinic's members

SHIPPED_CASES = [
    pytest.param([CLINICIAN, ADMIN], [], id="members-match"),
    pytest.param(
        [member(CLINICIAN), Member(2, "Admin@Demo.Clinic", "admin", True, True)], [], id="email-case-is-ignored"
    ),
    pytest.param(
        [ADMIN],
        [
            "chains.crisis.steps[0]: an urgent chain must page somebody; this step reaches nobody"
            " (oncall:on_call_clinician: someone on rota.on_call_clinician cannot be paged)",
            "chains.medical.steps[0]: an urgent chain must page somebody; this step reaches nobody"
            " (oncall:nurse_on_duty: someone on rota.nurse_on_duty cannot be paged)",
            "chains.same_day.steps[0]: a high chain must page somebody; this step reaches nobody after hours"
            " (oncall:on_call_clinician: someone on rota.on_call_clinician cannot be paged)",
            "rota.medical_director.rotation[0]: 'clinician@demo.clinic' is not a member of Clinic B",
            "rota.nurse_on_duty.rotation[0]: 'clinician@demo.clinic' is not a member of Clinic B",
            "rota.on_call_clinician.rotation[0]: 'clinician@demo.clinic' is not a member of Clinic B",
        ],
        id="clinician-missing",
    ),
    pytest.param(
        [CLINICIAN, member(ADMIN, active=False)],
        ["rota.backup_clinician.rotation[0]: 'admin@demo.clinic' is deactivated"],
        id="admin-deactivated",
    ),
    pytest.param(
        [CLINICIAN, member(ADMIN, active=False, has_phone=False)],
        ["rota.backup_clinician.rotation[0]: 'admin@demo.clinic' is deactivated"],
        id="deactivated-before-phone",
    ),
    pytest.param(
        [CLINICIAN, member(ADMIN, has_phone=False)],
        ["rota.backup_clinician.rotation[0]: 'admin@demo.clinic' has no phone number to be paged on"],
        id="admin-without-phone",
    ),
]


@pytest.mark.parametrize(("members", "expected"), SHIPPED_CASES)
def test_shipped_protocol(members: list[Member], expected: list[str]) -> None:
    assert check_against_clinic(default_protocol(), members, CLINIC) == expected


def test_the_clinic_name_defaults() -> None:
    problems = check_against_clinic(default_protocol(), [CLINICIAN])
    assert problems == ["rota.backup_clinician.rotation[0]: 'admin@demo.clinic' is not a member of the clinic"]


# --------------------------------------------------------------------------------------------------
# Small protocols for the edges

OVERRIDE = """
[rota.on_call]
rotation = ["a@clinic.test", "b@clinic.test"]

[[rota.on_call.overrides]]
staff = "a@clinic.test"
start = 2026-07-01T09:00:00-04:00
end = 2026-07-08T09:00:00-04:00

[[rota.on_call.overrides]]
staff = "stranger@elsewhere.test"
start = 2026-08-01T09:00:00-04:00
end = 2026-08-08T09:00:00-04:00
"""

EDGE_CASES = [
    pytest.param(
        protocol(OVERRIDE, crisis('notify = ["oncall:on_call", "staff:b@clinic.test"]')),
        [A, B],
        ["rota.on_call.overrides[1].staff: 'stranger@elsewhere.test' is not a member of Clinic B"],
        id="override-names-a-stranger",
    ),
    pytest.param(
        protocol(OVERRIDE, crisis('notify = ["oncall:on_call"]')),
        [A, B],
        [
            "chains.crisis.steps[0]: an urgent chain must page somebody; this step reaches nobody"
            " (oncall:on_call: someone on rota.on_call cannot be paged)",
            "rota.on_call.overrides[1].staff: 'stranger@elsewhere.test' is not a member of Clinic B",
        ],
        id="override-stranger-leaves-an-urgent-step-without-anyone",
    ),
    pytest.param(
        protocol(ROTA_A, crisis('notify = ["staff:7", "staff:8"]')),
        [A],
        ["chains.crisis.steps[0].notify[1]: staff id 8 is not a member of Clinic B"],
        id="staff-id-form",
    ),
    pytest.param(
        protocol(ROTA_A, crisis('notify = ["staff:7"]')),
        [member(A, has_phone=False)],
        [
            "chains.crisis.steps[0]: an urgent chain must page somebody; this step reaches nobody"
            " (staff:7: cannot be paged)",
            "chains.crisis.steps[0].notify[0]: staff id 7 has no phone number to be paged on",
            "rota.on_call.rotation[0]: 'a@clinic.test' has no phone number to be paged on",
        ],
        id="staff-id-without-phone",
    ),
    pytest.param(
        protocol(ROTA_A, crisis('notify = ["oncall:on_call", "staff:B@Clinic.Test"]')),
        [A, member(B, active=False)],
        ["chains.crisis.steps[0].notify[1]: 'B@Clinic.Test' is deactivated"],
        id="staff-email-deactivated",
    ),
    pytest.param(
        protocol(ROTA_A, crisis('notify = ["oncall:on_call", "role:staff"]')),
        [A, B, member(DESK, active=False)],
        ["chains.crisis.steps[0].notify[1]: Clinic B has no active staff with a phone number to be paged on"],
        id="role-with-nobody",
    ),
    pytest.param(
        protocol(ROTA_A, crisis('notify = ["role:staff"]')),
        [A, DESK],
        [],
        id="role-with-somebody",
    ),
    pytest.param(
        protocol(ROTA_A, crisis('notify = ["care_team:patient"]')),
        [member(A, active=False), B],
        ["rota.on_call.rotation[0]: 'a@clinic.test' is deactivated"],
        id="care-team-of-admins-only",
    ),
    pytest.param(
        protocol(ROTA_A, crisis('notify = ["oncall:on_call", "care_team:patient"]')),
        [A, member(B, has_phone=False), DESK],
        [],
        id="care-team-of-clinicians",
    ),
    pytest.param(
        protocol(ROTA_A, crisis('notify = ["oncall:on_call", "care_team:patient"]')),
        [member(A, has_phone=False), member(B, has_phone=False), DESK],
        [
            "chains.crisis.steps[0]: an urgent chain must page somebody; this step reaches nobody"
            " (oncall:on_call: someone on rota.on_call cannot be paged,"
            " care_team:patient: cannot be paged)",
            "chains.crisis.steps[0].notify[1]: Clinic B has no active clinician (nor admin) with a phone number"
            " to be paged on",
            "rota.on_call.rotation[0]: 'a@clinic.test' has no phone number to be paged on",
        ],
        id="care-team-of-nobody",
    ),
    pytest.param(
        protocol(ROTA_A, crisis('notify = ["role:staff"]', 'notify = ["oncall:on_call"]')),
        [A],
        [
            "chains.crisis.steps[0]: an urgent chain must page somebody; this step reaches nobody"
            " (role:staff: cannot be paged)",
            "chains.crisis.steps[0].notify[0]: Clinic B has no active staff with a phone number to be paged on",
        ],
        id="urgent-first-step-reaches-nobody-later-steps-fine",
    ),
    pytest.param(
        protocol(ROTA_A, crisis('notify = ["role:staff"]', 'notify = ["oncall:on_call"]'),
                 'severity = "high"\nchain = "crisis"'),
        [A],
        [
            "chains.crisis.steps[0]: a high chain must page somebody; this step reaches nobody"
            " (role:staff: cannot be paged)",
            "chains.crisis.steps[0].notify[0]: Clinic B has no active staff with a phone number to be paged on",
        ],
        id="high-first-step-reaches-nobody",
    ),
    pytest.param(
        protocol(ROTA_A, crisis('notify = ["role:staff"]'), 'severity = "routine"\nchain = "crisis"'),
        [A],
        ["chains.crisis.steps[0].notify[0]: Clinic B has no active staff with a phone number to be paged on"],
        id="routine-chain-is-not-required-to-page",
    ),
    pytest.param(
        protocol(ROTA_A, crisis('notify = ["oncall:on_call"]\nafter_hours_notify = ["role:admin"]')),
        [A],
        [
            "chains.crisis.steps[0]: an urgent chain must page somebody; this step reaches nobody after hours"
            " (role:admin: cannot be paged)",
            "chains.crisis.steps[0].after_hours_notify[0]: Clinic B has no active admin with a phone number"
            " to be paged on",
        ],
        id="after-hours-reaches-nobody",
    ),
    pytest.param(
        protocol(ROTA_A, crisis('notify = ["role:admin"]\nafter_hours_notify = ["oncall:on_call"]')),
        [A],
        [
            "chains.crisis.steps[0]: an urgent chain must page somebody; this step reaches nobody"
            " (role:admin: cannot be paged)",
            "chains.crisis.steps[0].notify[0]: Clinic B has no active admin with a phone number to be paged on",
        ],
        id="in-hours-reaches-nobody-after-hours-fine",
    ),
    pytest.param(
        protocol(ROTA_A, crisis('notify = ["oncall:on_call", "role:admin"]')),
        [A],
        ["chains.crisis.steps[0].notify[1]: Clinic B has no active admin with a phone number to be paged on"],
        id="one-target-of-an-urgent-step-is-enough",
    ),
]


@pytest.mark.parametrize(("checked", "members", "expected"), EDGE_CASES)
def test_edges(checked: Protocol, members: list[Member], expected: list[str]) -> None:
    assert check_against_clinic(checked, members, CLINIC) == expected


def test_problems_follow_the_order_of_their_places() -> None:
    steps = ['notify = ["oncall:on_call"]'] * 10 + ['notify = ["role:staff"]']
    rota = '[rota.on_call]\nrotation = ["a@clinic.test", "x@clinic.test"]'
    problems = check_against_clinic(protocol(rota, crisis(*steps)), [A], CLINIC)
    assert [problem.split(":")[0] for problem in problems] == [
        "chains.crisis.steps[0]",
        "chains.crisis.steps[10].notify[0]",
        "rota.on_call.rotation[1]",
    ]
    assert check_against_clinic(protocol(rota, crisis(*steps)), [A], CLINIC) == problems


def test_natural_order_within_a_list() -> None:
    emails = [f"p{n}@clinic.test" for n in range(12)]
    rota = "[rota.on_call]\nrotation = [" + ", ".join(f'"{email}"' for email in emails) + "]"
    members = [Member(n, email, "clinician", True, True) for n, email in enumerate(emails)]
    members[2] = Member(2, emails[2], "clinician", False, True)
    members[11] = Member(11, emails[11], "clinician", True, False)
    problems = check_against_clinic(protocol(rota, crisis('notify = ["staff:0"]')), members, CLINIC)
    assert problems == [
        "rota.on_call.rotation[2]: 'p2@clinic.test' is deactivated",
        "rota.on_call.rotation[11]: 'p11@clinic.test' has no phone number to be paged on",
    ]


# --------------------------------------------------------------------------------------------------
# version_diff

OLD = 'version = "v1"\n\n[rota.on_call]\nrotation = ["a@clinic.test"]\n'
NEW = 'version = "v2"\n\n[rota.on_call]\nrotation = ["a@clinic.test"]\n'


def test_version_diff_shows_removed_and_added_lines() -> None:
    diff = version_diff(OLD, NEW, "protocol v1", "protocol v2")
    lines = diff.splitlines()
    assert lines[:2] == ["--- protocol v1", "+++ protocol v2"]
    assert '-version = "v1"' in lines
    assert '+version = "v2"' in lines
    assert " [rota.on_call]" in lines  # unchanged lines around the change are context
    assert not any(line.startswith(("-", "+")) and "rota" in line for line in lines)
    assert diff.endswith("\n")


def test_version_diff_is_empty_for_equal_texts() -> None:
    assert version_diff(OLD, OLD, "a", "b") == ""


def test_version_diff_notes_a_missing_final_newline() -> None:
    diff = version_diff(OLD, OLD.rstrip("\n"), "a", "b")
    assert diff != ""
    assert "\\ No newline at end of file" in diff
