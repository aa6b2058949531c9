"""The C-SSRS screener: yes/no questions about the past month; a no to item 2 skips items 3 to 5, and
"within the past 3 months" follows only a yes to item 6."""

from __future__ import annotations

from companion.clinical.instruments.questions import AskIf, Instrument
from companion.clinical.instruments.scales import _yes_no

__all__ = ["CSSRS"]

_THOUGHTS_OF_SUICIDE = AskIf("cssrs_2", True)

CSSRS = Instrument(
    code="cssrs",
    version="1",
    title="C-SSRS screener",
    patient_title="A few questions about your safety",
    sms_intro="A few yes/no questions about the past month. If you are in danger, call or text 988 or call 911.",
    app_intro="These questions are about the past month.",
    questions=(
        _yes_no(
            "cssrs_1",
            "Have you wished you were dead or wished you could go to sleep and not wake up?",
        ),
        _yes_no(
            "cssrs_2",
            "Have you actually had any thoughts of killing yourself?",
        ),
        _yes_no(
            "cssrs_3",
            "Have you been thinking about how you might do this?",
            ask_if=_THOUGHTS_OF_SUICIDE,
        ),
        _yes_no(
            "cssrs_4",
            "Have you had these thoughts and had some intention of acting on them?",
            ask_if=_THOUGHTS_OF_SUICIDE,
        ),
        _yes_no(
            "cssrs_5",
            "Have you started to work out or worked out the details of how to kill yourself, and do you "
            "intend to carry out this plan?",
            ask_if=_THOUGHTS_OF_SUICIDE,
        ),
        _yes_no(
            "cssrs_6",
            "Have you ever done anything, started to do anything, or prepared to do anything to end your life?",
        ),
        _yes_no(
            "cssrs_6_recent",
            "Was this within the past 3 months?",
            ask_if=AskIf("cssrs_6", True),
        ),
    ),
)
