"""Who may acknowledge and who may resolve an alert: the protocol's ``[permissions]`` table.

Each key lists who may do it: a staff role (``admin``, ``clinician``, ``staff``) or ``paged``,
anyone the alert's chain paged. Absent keys keep the defaults (docs/clinical.md): anyone paged and any
clinician or admin may acknowledge; resolving an urgent or a high alert needs a clinician or an
admin; anyone may resolve a routine one. Whoever may resolve an alert may also acknowledge it
(resolving an open alert acknowledges it anyway).

Pure: :func:`may` decides from the role, whether the person was paged for the alert and its
severity; the acknowledgement service loads those and asks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict

STAFF_ROLES: tuple[str, ...] = ("admin", "clinician", "staff")
"""The roles a staff member can have (``role:`` targets and ``[permissions]`` name them)."""

PAGED = "paged"
WHO: tuple[str, ...] = (PAGED, *STAFF_ROLES)

Action = Literal["acknowledge", "resolve"]
Severity = Literal["urgent", "high", "routine"]

DEFAULT_ACKNOWLEDGE = (PAGED, "clinician", "admin")
DEFAULT_RESOLVE_URGENT = ("clinician", "admin")
DEFAULT_RESOLVE_HIGH = ("clinician", "admin")
DEFAULT_RESOLVE_ROUTINE = STAFF_ROLES


def _who(value: list[str]) -> list[str]:
    if not value:
        raise ValueError(f"must name at least one of: {', '.join(WHO)}")
    for item in value:
        if item not in WHO:
            raise ValueError(f"{item!r} is neither {PAGED!r} nor a role (roles: {', '.join(STAFF_ROLES)})")
    if len(set(value)) != len(value):
        raise ValueError("names someone twice")
    return value


WhoList = Annotated[list[str], AfterValidator(_who)]


class PermissionsSpec(BaseModel):
    """``[permissions]`` as written; every key is optional."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    acknowledge: WhoList | None = None
    resolve_urgent: WhoList | None = None
    resolve_high: WhoList | None = None
    resolve_routine: WhoList | None = None


@dataclass(frozen=True)
class Permissions:
    acknowledge: tuple[str, ...] = DEFAULT_ACKNOWLEDGE
    resolve_urgent: tuple[str, ...] = DEFAULT_RESOLVE_URGENT
    resolve_high: tuple[str, ...] = DEFAULT_RESOLVE_HIGH
    resolve_routine: tuple[str, ...] = DEFAULT_RESOLVE_ROUTINE

    @classmethod
    def from_spec(cls, spec: PermissionsSpec) -> Permissions:
        defaults = cls()
        return cls(*(tuple(getattr(spec, key) or getattr(defaults, key)) for key in
                     ("acknowledge", "resolve_urgent", "resolve_high", "resolve_routine")))

    def who(self, action: Action, severity: str) -> tuple[str, ...]:
        """Who may do ``action`` to an alert of ``severity`` (an unknown severity: as urgent).
        Whoever may resolve it may acknowledge it too."""
        resolve = {"high": self.resolve_high, "routine": self.resolve_routine}.get(severity, self.resolve_urgent)
        if action == "acknowledge":
            return tuple(dict.fromkeys((*self.acknowledge, *resolve)))
        return resolve


def may(permissions: Permissions, action: Action, severity: str, role: str, paged: bool) -> bool:
    """Whether a staff member of ``role`` (``paged`` for this alert or not) may do ``action``."""
    who = permissions.who(action, severity)
    return role in who or (paged and PAGED in who)


def _names(who: Iterable[str]) -> list[str]:
    words = {PAGED: "someone paged for it", "admin": "an admin", "clinician": "a clinician",
             "staff": "a staff member"}
    if set(STAFF_ROLES) <= set(who):
        return ["any staff member"]
    return [words[item] for item in who]


def _join(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} or {parts[-1]}"


def refusal(permissions: Permissions, action: Action, severity: str) -> str:
    """Why it was refused, naming who may: "Only a clinician or an admin may resolve an urgent alert."."""
    verb = "acknowledge" if action == "acknowledge" else "resolve"
    article = "an" if severity in {"urgent"} else "a"
    return f"Only {_join(_names(permissions.who(action, severity)))} may {verb} {article} {severity} alert."


def describe(permissions: Permissions) -> list[str]:
    """The rules in words, for ``companion protocol check``."""
    return [
        f"acknowledge: {_join(_names(permissions.acknowledge))} (and whoever may resolve the alert)",
        *(f"resolve {severity}: {_join(_names(permissions.who('resolve', severity)))}"
          for severity in ("urgent", "high", "routine")),
    ]
