"""The aftercare plan: sessions + plan + the patient's time zone -> planned check-in prompts.

Modules:

* :mod:`~companion.clinical.plan.aftercare`: the clinic's schedule per modality (how long after a
  session the post-session check comes, how many days of daily mood, how often PHQ-9 and GAD-7,
  maintenance, reminders, questionnaire expiry) and its defaults.
* :mod:`~companion.clinical.plan.inputs`: what planning works from and yields: a treatment
  session, the patient's timing (time zone, preferred time, quiet hours) and a planned prompt.
* :mod:`~companion.clinical.plan.prompts`: :func:`plan_prompts`, whose module docstring states
  every planning rule (slots, local days, the PHQ-9 dedupe), and :func:`reminder_due`.

Pure: no I/O and no clock reads.
"""

from companion.clinical.plan.aftercare import DEFAULT_PLAN, MODALITIES, AftercarePlan, ModalityPlan
from companion.clinical.plan.inputs import DEFAULT_SESSION_DURATION, PatientTiming, PlannedPrompt, SessionInfo
from companion.clinical.plan.prompts import (
    INSTRUMENT_GAD7,
    INSTRUMENT_MOOD,
    INSTRUMENT_PHQ9,
    INSTRUMENT_POST_SESSION,
    PHQ9_MIN_GAP_DAYS,
    POST_SESSION_MIN_OPEN,
    plan_prompts,
    reminder_due,
)

__all__ = [
    "DEFAULT_PLAN",
    "DEFAULT_SESSION_DURATION",
    "INSTRUMENT_GAD7",
    "INSTRUMENT_MOOD",
    "INSTRUMENT_PHQ9",
    "INSTRUMENT_POST_SESSION",
    "MODALITIES",
    "PHQ9_MIN_GAP_DAYS",
    "POST_SESSION_MIN_OPEN",
    "AftercarePlan",
    "ModalityPlan",
    "PatientTiming",
    "PlannedPrompt",
    "SessionInfo",
    "plan_prompts",
    "reminder_due",
]
