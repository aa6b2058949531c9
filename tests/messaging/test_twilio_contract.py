"""Contract check: the Twilio gateway's requests against Twilio's own API description.

Prism serves the published OpenAPI description of the 2010-04-01 REST API as a validating mock: it
checks the path (the AccountSid), the Basic auth and every form field with its format, and answers
422 to a request that breaks the description. So an ``Accepted`` outcome means the real SDK, driven
by the gateway, sent a well-formed request. Prism is stateless and answers with the description's
example, so this proves the shape of the requests, not delivery (the fake Twilio covers that).

Needs the description at ``../shared/twilio/twilio_api_v2010.json`` from the project's root and the
Prism binary at ``.cache/prism/node_modules/.bin/prism`` (or ``COMPANION_PRISM_BIN``); skips without.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import signal
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from companion.messaging.calls import CALL_STATUS_RANK, OutgoingCall
from companion.messaging.gateways import Accepted, OutgoingSms, TwilioGateway
from companion.messaging.policy import MAX_BODY, STATUS_RANK, Purpose, SendError, clip_body
from companion.settings import Settings

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SPEC = PROJECT_ROOT.parent / "shared" / "twilio" / "twilio_api_v2010.json"
DEFAULT_PRISM_BIN = PROJECT_ROOT / ".cache" / "prism" / "node_modules" / ".bin" / "prism"
PRISM_BIN = Path(os.environ.get("COMPANION_PRISM_BIN") or DEFAULT_PRISM_BIN)
PRISM_INSTALL = "npm install --prefix .cache/prism @stoplight/prism-cli@5.14.2 (bash .ci/run does it)"

HOST = "127.0.0.1"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0

ACCOUNT_SID = "AC" + "3f9c0d2e8b7a41c6a5d4e3f2b1c0d9e8"
AUTH_TOKEN = "contract-auth-token-0123456789ab"
CLINIC_NUMBER = "+15005550006"
SERVICE_SID = "MG" + "6d1e9a0b4c7f42e8b3a5c9d0e1f2a3b4"
PATIENT = "+12025550142"
PUBLIC = "https://companion.example.org"

MARKER_PATH = "/contract-marker/"
MESSAGE_SID = re.compile(r"SM[0-9a-fA-F]{32}")
CALL_SID = re.compile(r"CA[0-9a-fA-F]{32}")
STAFF = "+12025550181"


def _prism_available() -> bool:
    return PRISM_BIN.is_file() and os.access(PRISM_BIN, os.X_OK)


pytestmark = [
    pytest.mark.skipif(
        not SPEC.is_file(),
        reason=f"Twilio's API description is absent ({SPEC}); the contract check needs it beside the project",
    ),
    pytest.mark.skipif(
        not _prism_available(),
        reason=f"the Prism mock server is not installed at {PRISM_BIN}; install it with: {PRISM_INSTALL}",
    ),
]


@dataclass(frozen=True)
class Prism:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def log_size(self) -> int:
        return self.log_path.stat().st_size

    def log_text(self, offset: int = 0) -> str:
        with self.log_path.open("rb") as log:
            log.seek(offset)
            return log.read().decode("utf-8", errors="replace")

    def log_tail(self, lines: int = 40) -> str:
        tail = "\n".join(self.log_text().splitlines()[-lines:])
        return f"--- Prism output ({self.log_path}), last {lines} lines ---\n{tail}"

    async def output_since(self, offset: int) -> str:
        """Prism's output about the requests made since ``offset``, once it is written in full.

        Prism answers a request with only non-blocking violations (a deprecated field, say) as
        usual and reports them in its output alone. A request to a marker path, sent after the
        requests being checked, shows when their output has been written.
        """
        marker = f"{MARKER_PATH}{secrets.token_hex(8)}"
        async with aiohttp.ClientSession() as session, session.get(self.base_url + marker) as response:
            await response.read()
        deadline = time.monotonic() + 5.0
        while marker not in (text := self.log_text(offset)):
            if time.monotonic() > deadline:
                pytest.fail(f"Prism never reported the marker request\n{self.log_tail()}")
            await asyncio.sleep(0.05)
        return text[: text.rindex("\n", 0, text.index(marker)) + 1]


def _complaints(output: str) -> list[str]:
    """Prism's warnings and errors (its output marks them with these signs), but for marker requests."""
    return [
        line
        for line in output.splitlines()
        if ("\u26a0" in line or "\u2716" in line or "Violation:" in line) and MARKER_PATH not in line
    ]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _wait_until_listening(prism: Prism) -> None:
    # Prism announces itself once listening; the announcement also proves the port is this Prism's.
    announcement = f"Prism is listening on {prism.base_url}"
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        code = prism.process.poll()
        if code is not None:
            pytest.fail(f"Prism exited with code {code} before listening\n{prism.log_tail()}")
        if announcement in prism.log_text():
            try:
                with socket.create_connection((HOST, prism.port), timeout=0.5):
                    return
            except OSError:
                pass
        time.sleep(0.1)
    pytest.fail(f"Prism did not listen on port {prism.port} within {START_TIMEOUT:.0f} s\n{prism.log_tail()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=STOP_TIMEOUT)
            break
        except subprocess.TimeoutExpired:
            continue
    if process.poll() is None:
        process.wait()


@pytest.fixture(scope="module")
def prism(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prism]:
    log_path = tmp_path_factory.mktemp("prism") / "prism.log"
    port = _free_port()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(PRISM_BIN), "mock", "-h", HOST, "-p", str(port), str(SPEC)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so stopping it takes every child along
        )
    try:
        server = Prism(process=process, port=port, log_path=log_path)
        _wait_until_listening(server)
        yield server
    finally:
        _stop(process)


def _settings(prism: Prism, *, account_sid: str = ACCOUNT_SID, public_base_url: str = PUBLIC) -> Settings:
    return Settings(
        twilio_account_sid=account_sid,
        twilio_auth_token=AUTH_TOKEN,
        twilio_from_number=CLINIC_NUMBER,
        twilio_messaging_service_sid=None,
        twilio_api_base_url=prism.base_url,
        public_base_url=public_base_url,
    )


@asynccontextmanager
async def _open_gateway(settings: Settings) -> AsyncIterator[TwilioGateway]:
    gateway = TwilioGateway(settings, timeout=10.0)
    try:
        yield gateway
    finally:
        await gateway.close()


@pytest.fixture
async def contract_gateway(prism: Prism) -> AsyncIterator[TwilioGateway]:
    async with _open_gateway(_settings(prism)) as gateway:
        yield gateway


_NOTICE_TEXT = (
    "Riverside Ketamine Clinic: changes to your aftercare from 1 December. "
    "After each session, plan for someone to drive you home; do not drive, cycle or operate machinery "
    "until the next morning. Eat lightly for the rest of the day and drink water. "
    "Dizziness, nausea, blurred vision and feeling detached are common for a few hours and pass. "
    "If you feel chest pain, cannot catch your breath or faint, call 911 at once. "
    "For the next three days we will text you one short question each evening about your mood, sleep "
    "and anxiety; reply with a number from 0 to 10. Your answers go to your care team, who read them "
    "on working days between 8:00 and 18:00. These messages are not watched around the clock: if you "
    "have thoughts of harming yourself, call or text 988 (Suicide & Crisis Lifeline) or call 911. "
    "You can stop the questions at any time by replying STOP, and restart them with START. Reply HELP "
    "for help. Standard message rates may apply. Our front desk has new opening hours: Monday to "
    "Friday 7:30\u201319:00 and Saturday 9:00\u201313:00; the clinic is closed on public holidays. "
    "Parking has moved to the garage on Elm Street (validated for 4 hours at reception). "
    "Please bring a list of your current medicines to your next visit, including any supplements, and "
    "tell us about any change in your blood pressure medicine. If you need to cancel, give us 24 hours' "
    "notice so another patient can take the slot — reply CANCEL APPT or call (202) 555-0100. "
    "Thank you for trusting us with your care. — Dr. Amélie Okafor and the Riverside team "
)
LONG_NOTICE = clip_body(_NOTICE_TEXT * 2)


@dataclass(frozen=True)
class Case:
    name: str
    purpose: Purpose
    body: str
    sender: str | None = None


CASES: list[Case] = [
    Case("otp", Purpose.OTP, "Your Riverside sign-in code is 482913. It expires in 10 minutes. Never share it."),
    Case("prompt", Purpose.PROMPT, "Hi Sam, how is your mood today, from 0 (worst) to 10 (best)? Reply with a number."),
    Case(
        "prompt-unicode", Purpose.PROMPT, "Hola Sam 🙂 ¿Cómo está tu ánimo hoy, de 0 a 10? 今天的心情如何\uff1f مرحبا"
    ),
    Case(
        "reminder",
        Purpose.REMINDER,
        "Reminder: your session at Riverside Clinic is tomorrow, Thu 28 Nov, at 9:30.\n"
        "Please arrange a ride home and eat lightly beforehand. Reply C to confirm.",
    ),
    Case(
        "safety_reply",
        Purpose.SAFETY_REPLY,
        "Thank you for telling us. Your care team has been alerted. If you are in danger now, call 911. "
        "You can call or text 988 any time, day or night.",
    ),
    Case(
        "staff_page",
        Purpose.STAFF_PAGE,
        "URGENT K7Q2: patient P-0142 (Sam R.) reported risk language at 14:05. "
        "Reply ACK K7Q2 to take it, or RESOLVE K7Q2 <note>.",
    ),
    Case("notice-1600", Purpose.NOTICE, LONG_NOTICE),
    Case("reply", Purpose.REPLY, "Thanks, mood 7 saved for today."),
    Case("staff_message", Purpose.STAFF_MESSAGE, "Hi Sam, this is Dr Lee. Could you call the clinic today?"),
    Case(
        "staff_link",
        Purpose.STAFF_LINK,
        "Riverside Clinic: You are invited to the staff dashboard. Set your password within 48 hours: "
        "https://companion.example.org/staff/#/setup/12.hwzXE_50PPV8W32K.zxgTDdYfimNTY3HCibn1P1Yo",
    ),
    Case(
        "welcome",
        Purpose.WELCOME,
        "Riverside Clinic: you are enrolled in aftercare check-ins by text, about one a day after each "
        "session. Msg frequency varies. Msg&data rates may apply. Reply HELP for help, STOP to opt out. "
        "Reply YES to start.",
    ),
    Case(
        "reminder-messaging-service",
        Purpose.REMINDER,
        "Reminder: please answer today's check-in — it takes 10 seconds. Price of the call: €0 {free}.",
        sender=SERVICE_SID,
    ),
]


def test_the_cases_cover_every_purpose_and_the_longest_body() -> None:
    assert {case.purpose for case in CASES} == set(Purpose)
    assert len(LONG_NOTICE) == MAX_BODY
    assert any(case.sender and case.sender.startswith("MG") for case in CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
async def test_every_kind_of_outbound_message_is_a_valid_twilio_request(
    case: Case, prism: Prism, contract_gateway: TwilioGateway
) -> None:
    offset = prism.log_size()
    sms = OutgoingSms(
        message_id=1000 + CASES.index(case), to=PATIENT, body=case.body, purpose=case.purpose, sender=case.sender
    )

    outcome = await contract_gateway.send(sms)

    refused = f"Twilio's description refuses the {case.name} request: {outcome}"
    assert isinstance(outcome, Accepted), f"{refused}\n{prism.log_tail()}"
    assert MESSAGE_SID.fullmatch(outcome.sid), outcome
    assert outcome.status in STATUS_RANK, outcome
    output = await prism.output_since(offset)
    assert output.count("The request passed the validation rules") == 1, output
    complaints = _complaints(output)
    assert complaints == [], f"Prism accepted the {case.name} request with complaints:\n" + "\n".join(complaints)


async def _refused(settings: Settings, sender: str | None = None) -> SendError:
    async with _open_gateway(settings) as gateway:
        outcome = await gateway.send(
            OutgoingSms(
                message_id=1, to=PATIENT, body="How did you sleep, 0 to 10?", purpose=Purpose.PROMPT, sender=sender
            )
        )
    assert isinstance(outcome, SendError), f"Prism accepted a request that breaks Twilio's description: {outcome}"
    return outcome


# 422 is Prism's answer to a request that breaks the description; these prove it checks what the
# gateway sends (the path, and the form's fields and their formats), so the checks above mean something.


async def test_prism_refuses_a_malformed_account_sid(prism: Prism) -> None:
    error = await _refused(_settings(prism, account_sid="not-a-sid"))
    assert error.http_status is not None and 400 <= error.http_status < 500, f"{error}\n{prism.log_tail()}"
    assert error.http_status == 422, f"{error}\n{prism.log_tail()}"
    assert not error.uncertain


async def test_prism_refuses_a_malformed_messaging_service_sid(prism: Prism) -> None:
    error = await _refused(_settings(prism), sender="MG-not-a-service")
    assert error.http_status == 422, f"{error}\n{prism.log_tail()}"


async def test_prism_refuses_a_status_callback_that_is_not_a_uri(prism: Prism) -> None:
    error = await _refused(_settings(prism, public_base_url="companion example org"))
    assert error.http_status == 422, f"{error}\n{prism.log_tail()}"


# A voice page: calls.create with the page's TwiML, the status callback and its events. Twilio takes
# the events as the same field repeated (StatusCallbackEvent=initiated&StatusCallbackEvent=ringing...),
# which is how the SDK sends them; Prism 5.14 reads a repeated form field as its last value and so
# refuses it as "must be array" (stoplightio/prism issue 2473, pull request 2654). That one complaint
# is Prism's; every other field is still checked, and any other complaint fails.
PRISM_REPEATED_FIELD = "Request body property StatusCallbackEvent must be array"
PRISM_VERDICTS = ("Request did not pass the validation rules", "Request terminated with error", "Invalid request")


def _call_complaints(output: str) -> list[str]:
    return [line for line in _complaints(output)
            if PRISM_REPEATED_FIELD not in line and not any(verdict in line for verdict in PRISM_VERDICTS)]


@pytest.mark.parametrize("caller", [None, CLINIC_NUMBER, SERVICE_SID], ids=["settings-number", "clinic-number",
                                                                           "clinic-service-falls-back-to-number"])
async def test_a_voice_page_is_a_valid_twilio_call_request(
    caller: str | None, prism: Prism, contract_gateway: TwilioGateway
) -> None:
    offset = prism.log_size()
    call = OutgoingCall(message_id=2001, to=STAFF, say="Urgent alert from the companion for patient P 1 0 4 2.",
                        purpose=Purpose.STAFF_PAGE, caller=caller)

    outcome = await contract_gateway.call(call)

    output = await prism.output_since(offset)
    assert "/Calls.json" in output, output
    complaints = _call_complaints(output)
    assert complaints == [], "Twilio's description refuses the call:\n" + "\n".join(complaints)
    if isinstance(outcome, Accepted):  # a Prism that reads repeated fields as an array
        assert CALL_SID.fullmatch(outcome.sid), outcome
        assert outcome.status in CALL_STATUS_RANK, outcome
    else:
        assert PRISM_REPEATED_FIELD in output and outcome.http_status == 422, f"{outcome}\n{output}"


async def test_prism_refuses_a_call_whose_status_callback_is_not_a_uri(prism: Prism) -> None:
    offset = prism.log_size()
    async with _open_gateway(_settings(prism, public_base_url="companion example org")) as gateway:
        outcome = await gateway.call(OutgoingCall(1, STAFF, "Urgent alert.", Purpose.STAFF_PAGE))
    assert isinstance(outcome, SendError), f"Prism accepted a call that breaks Twilio's description: {outcome}"
    assert outcome.http_status == 422, f"{outcome}\n{prism.log_tail()}"
    complaints = _call_complaints(await prism.output_since(offset))
    assert any("StatusCallback" in line for line in complaints), complaints
