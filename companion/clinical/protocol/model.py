"""The loaded protocol: rules, escalation chains, on-call rota, business hours, aftercare plan,
permissions and wording; and the error that refuses a protocol file, naming each place."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

from companion.clinical.escalation import Chain
from companion.clinical.permissions import Permissions
from companion.clinical.plan import AftercarePlan
from companion.clinical.protocol.summary import _summary_lines
from companion.clinical.protocol.wording import Wording
from companion.clinical.rota import BusinessHours, PositionRota, on_duty
from companion.clinical.rules import Rule

__all__ = ["Protocol", "ProtocolError"]


class ProtocolError(ValueError):
    """The protocol file was refused. ``problems`` name each place ("path: what is wrong")."""

    def __init__(self, problems: Sequence[str], source: str = "<string>") -> None:
        self.problems = tuple(problems)
        self.source = source
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class Protocol:
    """A loaded protocol. ``chains`` keep the file's order; ``aftercare`` has a plan for every
    modality (those the file does not name take its default). ``stored_id`` is the id of the
    clinic's stored version it was loaded from (None for a file)."""

    version: str
    wording: Wording
    rules: tuple[Rule, ...]
    chains: Mapping[str, Chain]
    rota: Mapping[str, PositionRota]
    business_hours: BusinessHours
    aftercare: AftercarePlan
    source: str = "<string>"
    permissions: Permissions = field(default_factory=Permissions)
    stored_id: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "chains", MappingProxyType(dict(self.chains)))
        object.__setattr__(self, "rota", MappingProxyType(dict(self.rota)))

    def chain(self, name: str) -> Chain:
        """The chain called ``name`` (KeyError naming the defined chains)."""
        try:
            return self.chains[name]
        except KeyError:
            raise KeyError(f"no chain named {name!r} (defined: {', '.join(self.chains)})") from None

    def rule(self, rule_id: str) -> Rule:
        """The rule with this id (KeyError if there is none)."""
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(f"no rule {rule_id!r}")

    def is_business_hours(self, at: datetime, clinic_tz: str) -> bool:
        """Whether the clinic is open at ``at``. ``clinic_tz`` (IANA) is used when the protocol
        names no time zone of its own."""
        return self.business_hours.is_business_hours(at, clinic_tz)

    def on_duty(self, position: str, at: datetime, clinic_tz: str) -> str | None:
        """The email of whoever holds the on-call ``position`` at ``at``, or None when the protocol
        has no such position (an alert's chain snapshot may name one a later protocol dropped)."""
        rota = self.rota.get(position)
        if rota is None:
            return None
        return on_duty(rota, at, self.business_hours.zone_for(clinic_tz))

    def summary(self) -> str:
        """A readable account of the protocol, for ``companion protocol check``."""
        return "\n".join(_summary_lines(self))
