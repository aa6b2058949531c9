"""Checking a loaded protocol against the clinic it is for, and the text difference between two
versions of a protocol file.

A protocol can parse cleanly and still page nobody: its rota names someone who left, a
``staff:`` target names a member of another clinic, a ``role:`` target names a role nobody in
the clinic holds. A page only ever reaches an active member of the alert's clinic with a phone
number (``companion/safety/pages.py``), so :func:`check_against_clinic` asks the same of every
person and every target the protocol names, given the clinic's members:

1. every email in a rota's ``rotation`` and ``overrides`` (matched without regard to case), and
   every ``staff:<email>`` or ``staff:<id>`` target, names a member of this clinic who is active
   and has a phone number;
2. a ``role:<role>`` target has at least one active member with that role and a phone number;
   ``care_team:patient`` has at least one active clinician with a phone number, or, when the
   clinic has no such clinician, an active admin with one (the care team of ``pages.care_team``;
   a step that reaches nobody is paged to them too);
3. the first step of a chain that an urgent or a high rule uses reaches somebody, in business
   hours (``notify``) and after hours (``after_hours_notify`` when the step has it). A high alert
   is a same-day alert: one that pages nobody is as silent as an urgent one. An ``oncall:``
   target counts as reaching somebody only when everyone its rota names can be paged, since
   whoever is on duty in some week could be the one who cannot.

Each problem is "place: what is wrong", the place a dotted path as in the parse errors
(``rota.on_call_clinician.rotation[1]``, ``chains.crisis.steps[0].notify[2]``), in the order of
their places. The escalation still falls back to every active clinician and admin with a phone
when a step reaches nobody (``pages.fallback_recipients``); the check does not count on that
last resort.

Pure: the caller loads the members and the files' texts.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from companion.clinical.escalation import Chain, Target
from companion.clinical.protocol.model import Protocol
from companion.clinical.rota import PositionRota

__all__ = ["Member", "check_against_clinic", "version_diff"]

_ADMIN = "admin"
_CLINICIAN = "clinician"
_SEVERITY_ORDER: tuple[str, ...] = ("urgent", "high")
_DIGITS = re.compile(r"(\d+)")


@dataclass(frozen=True)
class Member:
    """One member of the clinic, as far as paging is concerned."""

    id: int
    email: str
    role: str
    active: bool
    has_phone: bool

    @property
    def pageable(self) -> bool:
        return self.active and self.has_phone


def check_against_clinic(protocol: Protocol, members: Sequence[Member], clinic_name: str = "the clinic") -> list[str]:
    """The problems of ``protocol`` for a clinic with these ``members`` ([] when there are none)."""
    return _Check(protocol, members, clinic_name).run()


def version_diff(old_text: str, new_text: str, old_label: str, new_label: str) -> str:
    """A unified diff from ``old_text`` to ``new_text`` under these labels; "" when they are equal."""
    if old_text == new_text:
        return ""
    lines = difflib.unified_diff(
        old_text.splitlines(keepends=True), new_text.splitlines(keepends=True), fromfile=old_label, tofile=new_label
    )
    return "".join(line if line.endswith("\n") else f"{line}\n\\ No newline at end of file\n" for line in lines)


def _place_key(problem: tuple[str, str]) -> tuple[tuple[int | str, ...], str]:
    place, message = problem
    # Natural order (steps[2] before steps[10]): split() puts text at even and digits at odd
    # positions, so two keys never compare a number with a text.
    return tuple(int(part) if part.isdigit() else part for part in _DIGITS.split(place)), message


class _Check:
    def __init__(self, protocol: Protocol, members: Sequence[Member], clinic_name: str) -> None:
        self.protocol = protocol
        self.members = members
        self.clinic_name = clinic_name
        self.by_email: dict[str, list[Member]] = {}
        self.by_id: dict[str, list[Member]] = {}
        for member in members:
            self.by_email.setdefault(member.email.lower(), []).append(member)
            self.by_id.setdefault(str(member.id), []).append(member)
        self.problems: list[tuple[str, str]] = []

    def fail(self, place: str, message: str) -> None:
        self.problems.append((place, message))

    def run(self) -> list[str]:
        for position, rota in self.protocol.rota.items():
            self.rota(f"rota.{position}", rota)
        for name, chain in self.protocol.chains.items():
            for index, step in enumerate(chain.steps):
                path = f"chains.{name}.steps[{index}]"
                self.targets(f"{path}.notify", step.notify)
                if step.after_hours_notify is not None:
                    self.targets(f"{path}.after_hours_notify", step.after_hours_notify)
        for name, chain in self.protocol.chains.items():
            self.first_step(name, chain)
        return [f"{place}: {message}" for place, message in sorted(self.problems, key=_place_key)]

    # -- rule 1: the people named ----------------------------------------------------------------

    def person_problem(self, value: str, *, by_id: bool) -> str | None:
        """Why the person ``value`` (an email, or with ``by_id`` also a staff id) cannot be paged,
        or None when they can."""
        found = self.by_email.get(value.lower(), [])
        if not found and by_id:
            found = self.by_id.get(value, [])
        named = f"staff id {value}" if by_id and value.isdigit() else repr(value)
        if not found:
            return f"{named} is not a member of {self.clinic_name}"
        if any(member.pageable for member in found):
            return None
        if not any(member.active for member in found):
            return f"{named} is deactivated"
        return f"{named} has no phone number to be paged on"

    def rota(self, path: str, rota: PositionRota) -> None:
        for index, email in enumerate(rota.rotation):
            problem = self.person_problem(email, by_id=False)
            if problem is not None:
                self.fail(f"{path}.rotation[{index}]", problem)
        for index, override in enumerate(rota.overrides):
            problem = self.person_problem(override.staff, by_id=False)
            if problem is not None:
                self.fail(f"{path}.overrides[{index}].staff", problem)

    # -- rule 2: the targets ------------------------------------------------------------------------

    def target_problem(self, target: Target) -> str | None:
        """Why ``target`` reaches nobody in this clinic (rules 1 and 2), or None when it does."""
        if target.kind == "staff":
            return self.person_problem(target.value, by_id=True)
        if target.kind == "role":
            if any(m.pageable and m.role == target.value for m in self.members):
                return None
            return f"{self.clinic_name} has no active {target.value} with a phone number to be paged on"
        if target.kind == "care_team":
            # The clinicians, or the admins when there is no clinician: somebody either way.
            if any(m.pageable and m.role in (_CLINICIAN, _ADMIN) for m in self.members):
                return None
            return f"{self.clinic_name} has no active clinician (nor admin) with a phone number to be paged on"
        return None  # oncall: the rota's own entries are checked under rota.<position>

    def targets(self, path: str, targets: Sequence[Target]) -> None:
        for index, target in enumerate(targets):
            problem = self.target_problem(target)
            if problem is not None:
                self.fail(f"{path}[{index}]", problem)

    # -- rule 3: an urgent or high chain's first step --------------------------------------------

    def reaches(self, target: Target, rota: Mapping[str, PositionRota]) -> str | None:
        """None when ``target`` reaches somebody whoever is on duty; otherwise why it does not."""
        if target.kind != "oncall":
            problem = self.target_problem(target)
            return None if problem is None else "cannot be paged"
        position = rota.get(target.value)
        if position is None:
            return "no such rota position"
        named = (*position.rotation, *(override.staff for override in position.overrides))
        if all(self.person_problem(email, by_id=False) is None for email in named):
            return None
        return f"someone on rota.{target.value} cannot be paged"

    def first_step(self, name: str, chain: Chain) -> None:
        severities = {rule.severity for rule in self.protocol.rules if rule.chain == name}
        severity = next((s for s in _SEVERITY_ORDER if s in severities), None)
        if severity is None or not chain.steps:
            return
        step = chain.steps[0]
        lists: list[tuple[str, tuple[Target, ...]]] = [("", step.notify)]
        if step.after_hours_notify is not None:
            lists.append((" after hours", step.after_hours_notify))
        for when, targets in lists:
            reasons = [self.reaches(target, self.protocol.rota) for target in targets]
            if all(reason is not None for reason in reasons):
                detail = ", ".join(f"{target}: {reason}" for target, reason in zip(targets, reasons, strict=True))
                article = "an" if severity == "urgent" else "a"
                self.fail(
                    f"chains.{name}.steps[0]",
                    f"{article} {severity} chain must page somebody; this step reaches nobody{when} ({detail})",
                )
