"""The patient-facing texts of a protocol: the safety and medical replies, the "not an emergency
service" notice and the clinic's number, with the built-in defaults and the length they may take."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_MEDICAL_REPLY", "DEFAULT_NOT_EMERGENCY", "DEFAULT_SAFETY_REPLY", "SMS_TEXT_MAX_CHARS", "Wording"]

DEFAULT_SAFETY_REPLY = (
    "If you are in danger or thinking of harming yourself, call or text 988 (Suicide & Crisis Lifeline) "
    "or call 911. We have alerted your care team."
)
DEFAULT_MEDICAL_REPLY = "If your symptoms are severe, call 911 now. We have alerted your care team."
DEFAULT_NOT_EMERGENCY = "Messages are reviewed during clinic hours; this is not an emergency service."

SMS_TEXT_MAX_CHARS = 320
"""A patient-facing text may take at most two concatenated SMS segments' worth of GSM-7."""


@dataclass(frozen=True)
class Wording:
    """Patient-facing texts, ``{clinic_number}`` already filled in."""

    safety_reply: str = DEFAULT_SAFETY_REPLY
    medical_reply: str = DEFAULT_MEDICAL_REPLY
    not_emergency: str = DEFAULT_NOT_EMERGENCY
    clinic_number: str | None = None

    def reply_for(self, kind: str) -> str | None:
        """The text for a rule's ``safety_reply`` ("safety", "medical"; None for "none")."""
        return {"safety": self.safety_reply, "medical": self.medical_reply}.get(kind)
