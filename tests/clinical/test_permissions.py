"""Who may acknowledge and resolve an alert: the pure rule, its wording and the protocol section."""

from __future__ import annotations

from pathlib import Path

import pytest

from companion.clinical.permissions import Permissions, may, refusal
from companion.clinical.protocol import ProtocolError, parse_protocol
from companion.protocols import default_protocol

MINIMAL = (Path(__file__).parents[1] / "safety" / "protocols" / "minimal.toml").read_text()
DEFAULT = Permissions()
# A clinic where only a clinician acknowledges, staff resolve high alerts and only admins routine ones.
STRICT = Permissions(acknowledge=("clinician",), resolve_urgent=("admin",), resolve_high=("staff", "paged"),
                     resolve_routine=("admin",))

CASES = [
    # (permissions, action, severity, role, paged, allowed)
    (DEFAULT, "acknowledge", "urgent", "staff", False, False),  # a receptionist who was not paged
    (DEFAULT, "acknowledge", "urgent", "staff", True, True),  # ... and one who was
    (DEFAULT, "acknowledge", "urgent", "clinician", False, True),
    (DEFAULT, "acknowledge", "high", "admin", False, True),
    (DEFAULT, "acknowledge", "routine", "staff", False, True),  # whoever may resolve may acknowledge
    (DEFAULT, "resolve", "urgent", "staff", True, False),  # paged, but not a clinician
    (DEFAULT, "resolve", "urgent", "clinician", False, True),
    (DEFAULT, "resolve", "urgent", "admin", False, True),
    (DEFAULT, "resolve", "high", "staff", True, False),
    (DEFAULT, "resolve", "high", "clinician", True, True),
    (DEFAULT, "resolve", "routine", "staff", False, True),
    (DEFAULT, "resolve", "routine", "clinician", False, True),
    (DEFAULT, "resolve", "some_new_severity", "staff", True, False),  # unknown: as strict as urgent
    (DEFAULT, "acknowledge", "urgent", "nurse", True, True),  # an unknown role still counts as paged
    (DEFAULT, "acknowledge", "urgent", "nurse", False, False),
    (STRICT, "acknowledge", "urgent", "clinician", False, True),
    (STRICT, "acknowledge", "urgent", "staff", True, False),  # "paged" is not in its list
    (STRICT, "acknowledge", "urgent", "admin", False, True),  # an admin may resolve it, so acknowledge it
    (STRICT, "acknowledge", "high", "staff", False, True),
    (STRICT, "resolve", "urgent", "clinician", False, False),
    (STRICT, "resolve", "urgent", "admin", False, True),
    (STRICT, "resolve", "high", "staff", False, True),
    (STRICT, "resolve", "high", "clinician", True, True),
    (STRICT, "resolve", "high", "clinician", False, False),
    (STRICT, "resolve", "routine", "clinician", True, False),
]


@pytest.mark.parametrize(("permissions", "action", "severity", "role", "paged", "allowed"), CASES)
def test_who_may(permissions: Permissions, action: str, severity: str, role: str, paged: bool,
                 allowed: bool) -> None:
    assert may(permissions, action, severity, role, paged) is allowed  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("permissions", "action", "severity", "text"),
    [
        (DEFAULT, "acknowledge", "urgent",
         "Only someone paged for it, a clinician or an admin may acknowledge an urgent alert."),
        (DEFAULT, "resolve", "urgent", "Only a clinician or an admin may resolve an urgent alert."),
        (DEFAULT, "resolve", "high", "Only a clinician or an admin may resolve a high alert."),
        (STRICT, "resolve", "high", "Only a staff member or someone paged for it may resolve a high alert."),
        (STRICT, "acknowledge", "routine", "Only a clinician or an admin may acknowledge a routine alert."),
        (STRICT, "acknowledge", "urgent", "Only a clinician or an admin may acknowledge an urgent alert."),
    ],
)
def test_a_refusal_names_who_may(permissions: Permissions, action: str, severity: str, text: str) -> None:
    assert refusal(permissions, action, severity) == text  # type: ignore[arg-type]


def test_a_protocol_without_the_section_has_the_defaults() -> None:
    assert parse_protocol(MINIMAL).permissions == DEFAULT
    assert default_protocol().permissions == DEFAULT  # the shipped file writes the defaults out


def test_a_key_left_out_keeps_its_default() -> None:
    protocol = parse_protocol(MINIMAL + '\n[permissions]\nresolve_urgent = ["admin"]\n')
    assert protocol.permissions == Permissions(resolve_urgent=("admin",))


def test_the_section_is_in_the_summary() -> None:
    summary = parse_protocol(MINIMAL + '\n[permissions]\nacknowledge = ["clinician"]\n').summary()
    assert ("Permissions:\n  acknowledge: a clinician (and whoever may resolve the alert)\n"
            "  resolve urgent: a clinician or an admin\n") in summary
    assert "  resolve routine: any staff member\n" in summary


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ('acknowledge = ["paged", "nurse"]',
         "permissions.acknowledge: 'nurse' is neither 'paged' nor a role (roles: admin, clinician, staff)"),
        ("resolve_urgent = []", "permissions.resolve_urgent: must name at least one of: paged, admin, clinician"),
        ('resolve_high = ["admin", "admin"]', "permissions.resolve_high: names someone twice"),
        ('resolve_routine = "admin"', "permissions.resolve_routine: input should be a valid list"),
        ('resolve = ["admin"]', "permissions.resolve: unknown key"),
        ("acknowledge = [1]", "permissions.acknowledge[0]: input should be a valid string"),
    ],
)
def test_a_bad_section_is_refused_naming_the_place(section: str, expected: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_protocol(f"{MINIMAL}\n[permissions]\n{section}\n", "bad.toml")
    assert any(problem.startswith(expected) for problem in caught.value.problems), caught.value.problems
