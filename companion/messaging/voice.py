"""The TwiML of a voice page and of the answers to its keypad (docs/sms.md, "Voice pages").

A page call says what the SMS page says (the alert's severity and the patient's reference, nothing
more) and asks for 1 to acknowledge, inside a ``<Gather numDigits="1">`` whose action is the signed
keypad webhook; when nothing is pressed it asks once more, then says so and hangs up. Pure: built
with the Twilio SDK's ``VoiceResponse``, no I/O.
"""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

PRESS_ONE = "Press 1 to acknowledge."
NOTHING_PRESSED = "No key was pressed. The alert is not acknowledged. Goodbye."
GATHER_SECONDS = 8  # how long each ask waits for a key
ASKS = 2  # asked once, and once more when nothing is pressed


def page_call(say: str, gather_url: str) -> str:
    """The TwiML a page call runs: ``say`` and the question, asked twice, each in a Gather posting
    the key pressed to ``gather_url``."""
    response = VoiceResponse()
    for _ in range(ASKS):
        gather = response.gather(num_digits=1, action=gather_url, method="POST", timeout=GATHER_SECONDS)
        gather.say(f"{say} {PRESS_ONE}")
    response.say(NOTHING_PRESSED)
    response.hangup()
    return str(response)


def spoken(say: str) -> str:
    """TwiML that says ``say`` and hangs up: the answer to a key pressed."""
    response = VoiceResponse()
    response.say(say)
    response.hangup()
    return str(response)
