"""Whether anything reaches a patient outside the app: the care team's flag (docs/push.md)."""

from __future__ import annotations

import pytest

from companion.patients.overview import reached_outside_app


@pytest.mark.parametrize(
    ("channel", "consent", "devices", "reached"),
    [
        ("sms", "opted_in", 0, True),
        ("app", "opted_in", 0, True),  # reminded by SMS
        ("app", "opted_out", 1, True),  # by push
        ("both", "opted_out", 2, True),
        ("app", "opted_out", 0, False),
        ("both", "opted_out", 0, False),
        ("sms", "opted_out", 3, False),  # an SMS patient's devices are not pushed to
    ],
)
def test_reached_outside_app(channel: str, consent: str, devices: int, reached: bool) -> None:
    assert reached_outside_app(channel, consent, devices) is reached
