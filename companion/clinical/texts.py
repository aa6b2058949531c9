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

ALL_DONE = "All done, thank you."  # after the last question of a check-in


def _frequency(daily_days: int, every_days: int, until_day: int) -> str:
    """How often check-ins come after a treatment, from the clinic's aftercare plan."""
    parts = []
    if daily_days > 0:
        parts.append("daily for 1 day" if daily_days == 1 else f"daily for {daily_days} days")
    if until_day > daily_days:
        every = "every day" if every_days == 1 else f"every {every_days} days"
        parts.append(f"{'then ' if parts else ''}{every} to day {until_day}")
    return ", ".join(parts) if parts else "from time to time"


def welcome(clinic_name: str, *, daily_days: int, every_days: int, until_day: int) -> str:
    """The enrolment text (docs/sms.md, "Consent"): who is texting, what comes and how often, that
    rates may apply, HELP and STOP, and that nothing routine comes until the patient replies YES."""
    return (
        f"{clinic_name}: aftercare check-ins by text. After each treatment we ask how you are, "
        f"{_frequency(daily_days, every_days, until_day)}, with reminders. Msg frequency varies. "
        "Msg&data rates may apply. Reply HELP for help, STOP to opt out. Reply YES to start."
    )


def consented_reply(clinic_name: str) -> str:
    """The answer to a new patient's YES (or START) to the welcome."""
    return (
        f"Thanks, you will get {clinic_name} check-in messages. Msg&data rates may apply. "
        "Reply HELP for help, STOP to opt out."
    )


def consent_hint(clinic_name: str) -> str:
    """Added to the answer to an ordinary message from a patient who has not replied YES yet."""
    return f"To get {clinic_name} check-ins by text, reply YES."
