"""The post-session check: home safely, lingering side effects, and the medical red flags."""

from __future__ import annotations

from companion.clinical.instruments.questions import Instrument
from companion.clinical.instruments.scales import _side_effect, _yes_no

__all__ = ["POST_SESSION"]

POST_SESSION = Instrument(
    code="post_session",
    version="1",
    title="After your session",
    sms_intro="Evening check-in after today's session: a few quick questions.",
    app_intro="A few quick questions now that you are home after today's session.",
    questions=(
        _yes_no("home_safely", "Are you home safely after today's session?"),
        _side_effect("dizziness", "Are you still feeling dizzy?"),
        _side_effect("nausea", "Are you still feeling nauseous?"),
        _side_effect("dissociation", "Are you still feeling detached or unreal?"),
        _side_effect("headache", "Do you still have a headache?"),
        _yes_no(
            "red_flags",
            "Do you have any severe headache, chest pain, shortness of breath, confusion or vision change?"
            " If it is severe, call 911 now.",
            "Do you have any severe headache, chest pain, shortness of breath, confusion or vision change?",
        ),
    ),
)
