"""The GAD-7 anxiety questionnaire: seven items on the 0-3 frequency scale."""

from __future__ import annotations

from companion.clinical.instruments.questions import Instrument
from companion.clinical.instruments.scales import _TWO_WEEKS_APP, _frequency_item

__all__ = ["GAD7"]

GAD7 = Instrument(
    code="gad7",
    version="1",
    title="GAD-7",
    patient_title="Anxiety questionnaire (GAD-7)",
    sms_intro="Over the last 2 weeks, how often have you been bothered by each of these? "
    "7 short questions, one at a time.",
    app_intro=_TWO_WEEKS_APP,
    questions=(
        _frequency_item(
            "gad7_1",
            "Feeling nervous, anxious, or on edge?",
            "Feeling nervous, anxious, or on edge",
        ),
        _frequency_item(
            "gad7_2",
            "Not being able to stop or control worrying?",
            "Not being able to stop or control worrying",
        ),
        _frequency_item(
            "gad7_3",
            "Worrying too much about different things?",
            "Worrying too much about different things",
        ),
        _frequency_item(
            "gad7_4",
            "Trouble relaxing?",
            "Trouble relaxing",
        ),
        _frequency_item(
            "gad7_5",
            "Being so restless that it is hard to sit still?",
            "Being so restless that it is hard to sit still",
        ),
        _frequency_item(
            "gad7_6",
            "Becoming easily annoyed or irritable?",
            "Becoming easily annoyed or irritable",
        ),
        _frequency_item(
            "gad7_7",
            "Feeling afraid, as if something awful might happen?",
            "Feeling afraid, as if something awful might happen",
        ),
    ),
)
