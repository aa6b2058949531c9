"""What the companion says by SMS. No diagnosis, score, drug or dose in any of it."""

from __future__ import annotations

CRISIS_LINE = (
    "If you are in danger or thinking of harming yourself, call or text 988 (Suicide & Crisis Lifeline) "
    "or call 911."
)
NOT_EMERGENCY = "Messages are reviewed during clinic hours; this is not an emergency service."


def help_reply(clinic_name: str) -> str:
    return (
        f"{clinic_name} aftercare check-ins. {NOT_EMERGENCY} In danger? Call or text 988, or call 911. "
        "Reply STOP to stop messages."
    )


def opted_in_reply(clinic_name: str) -> str:
    return f"You will get {clinic_name} check-in messages again. Reply STOP to stop, HELP for help."


UNKNOWN_SENDER = (
    "This number only takes messages from enrolled patients and staff. In danger? Call or text 988, or call 911."
)

PATIENT_MESSAGE_SAVED = f"Thanks, your message was saved for your care team. {NOT_EMERGENCY}"
