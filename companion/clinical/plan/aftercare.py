"""The clinic's aftercare schedule: one :class:`ModalityPlan` per treatment modality, a default for
modalities without their own, and the built-in defaults (:data:`DEFAULT_PLAN`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from types import MappingProxyType

__all__ = ["DEFAULT_PLAN", "MODALITIES", "AftercarePlan", "ModalityPlan"]

MODALITIES: tuple[str, ...] = ("iv", "intranasal", "oral", "sublingual", "intramuscular")


@dataclass(frozen=True)
class ModalityPlan:
    """The aftercare schedule for one modality (clinic defaults)."""

    post_session_delay: timedelta = timedelta(hours=3)
    daily_mood_days: int = 7
    phq9_every_days: int = 7
    gad7_every_days: int = 14
    phq9_before_session: bool = True
    maintenance_after_days: int = 7
    maintenance_every_days: int = 3
    maintenance_until_days: int = 30
    reminder_after: timedelta = timedelta(hours=3)
    questionnaire_expiry: timedelta = timedelta(hours=48)

    def __post_init__(self) -> None:
        if self.post_session_delay < timedelta(0):
            raise ValueError("post_session_delay must not be negative")
        if self.daily_mood_days < 0 or self.maintenance_after_days < 0 or self.maintenance_until_days < 0:
            raise ValueError("day counts must not be negative")
        for name in ("phq9_every_days", "gad7_every_days", "maintenance_every_days"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.reminder_after <= timedelta(0) or self.questionnaire_expiry <= timedelta(0):
            raise ValueError("reminder_after and questionnaire_expiry must be positive")


@dataclass(frozen=True)
class AftercarePlan:
    """A default :class:`ModalityPlan` and per-modality overrides (keys as stored on sessions)."""

    default: ModalityPlan = field(default_factory=ModalityPlan)
    per_modality: Mapping[str, ModalityPlan] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "per_modality", MappingProxyType(dict(self.per_modality)))

    def for_modality(self, modality: str) -> ModalityPlan:
        """The plan for ``modality``, or the default for a modality without its own plan."""
        return self.per_modality.get(modality, self.default)


DEFAULT_PLAN = AftercarePlan(
    default=ModalityPlan(),
    per_modality={
        "iv": ModalityPlan(),
        # Spravato: the session ends after the 2-hour observation; the 3-hour delay counts from
        # that end, when the patient is home.
        "intranasal": ModalityPlan(),
        "oral": ModalityPlan(),
        "sublingual": ModalityPlan(),
        "intramuscular": ModalityPlan(),
    },
)
