"""The PHQ-9 depression questionnaire: nine items on the 0-3 frequency scale; item 9 asks about
thoughts of death or self-harm."""

from __future__ import annotations

from companion.clinical.instruments.questions import Instrument
from companion.clinical.instruments.scales import _TWO_WEEKS_APP, _frequency_item

__all__ = ["PHQ9"]

PHQ9 = Instrument(
    code="phq9",
    version="1",
    title="PHQ-9",
    patient_title="Mood questionnaire (PHQ-9)",
    sms_intro="Over the last 2 weeks, how often have you been bothered by each of these? "
    "9 short questions, one at a time.",
    app_intro=_TWO_WEEKS_APP,
    questions=(
        _frequency_item(
            "phq9_1",
            "Little interest or pleasure in doing things?",
            "Little interest or pleasure in doing things",
        ),
        _frequency_item(
            "phq9_2",
            "Feeling down, depressed, or hopeless?",
            "Feeling down, depressed, or hopeless",
        ),
        _frequency_item(
            "phq9_3",
            "Trouble falling or staying asleep, or sleeping too much?",
            "Trouble falling or staying asleep, or sleeping too much",
        ),
        _frequency_item(
            "phq9_4",
            "Feeling tired or having little energy?",
            "Feeling tired or having little energy",
        ),
        _frequency_item(
            "phq9_5",
            "Poor appetite or overeating?",
            "Poor appetite or overeating",
        ),
        _frequency_item(
            "phq9_6",
            "Feeling bad about yourself, or that you're a failure or let your family down?",
            "Feeling bad about yourself, or that you are a failure or have let yourself or your family down",
        ),
        _frequency_item(
            "phq9_7",
            "Trouble concentrating on things, such as reading or watching TV?",
            "Trouble concentrating on things, such as reading or watching television",
        ),
        _frequency_item(
            "phq9_8",
            "Moving/speaking so slowly others noticed, or so fidgety you moved a lot more?",
            "Moving or speaking so slowly that other people could have noticed, or the opposite, being so "
            "fidgety or restless that you have been moving around a lot more than usual",
        ),
        _frequency_item(
            "phq9_9",
            "Thoughts that you'd be better off dead or of hurting yourself in some way?",
            "Thoughts that you would be better off dead or of hurting yourself in some way",
        ),
    ),
)
