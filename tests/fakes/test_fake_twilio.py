"""The fake Twilio, driven by the real Twilio SDK and checked from a separate receiving server."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
import httpx
import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from tests.fakes.fake_twilio import (
    FakeTwilio,
    RewritingTwilioHttpClient,
    SentMessage,
    new_sid,
    rebase_url,
    segment_count,
)

SID_RE = re.compile(r"^SM[0-9a-f]{32}$")
PATIENT = "+15551230001"
CLINIC = "+15557650000"
PUBLIC_BASE = "https://companion.example.org"


# --------------------------------------------------------------------------------- receiving side


@dataclass(frozen=True)
class Received:
    path: str
    params: dict[str, str]
    signature: str | None
    valid: bool


class Receiver:
    """A tiny webhook endpoint on its own port that checks X-Twilio-Signature like the companion.

    ``public_base`` is the URL Twilio is told to call (requests arrive here through a "proxy");
    signatures are checked against it, not against the Host header.
    """

    def __init__(self, auth_token: str, public_base: str | None = None) -> None:
        self.validator = RequestValidator(auth_token)
        self.public_base = public_base
        self.received: list[Received] = []
        self._changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length).decode()
                params = dict(parse_qsl(raw, keep_blank_values=True))
                signature = self.headers.get("X-Twilio-Signature")
                base = receiver.public_base or receiver.base_url
                valid = signature is not None and receiver.validator.validate(
                    base + self.path, params, signature
                )
                with receiver._changed:
                    receiver.received.append(Received(self.path, params, signature, valid))
                    receiver._changed.notify_all()
                self.send_response(204 if valid else 403)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def wait_count(self, count: int, timeout: float = 5.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.received) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{len(self.received)} of {count} webhooks arrived")
                self._changed.wait(remaining)
            return list(self.received)


def make_asgi_receiver(auth_token: str, public_base: str, seen: list[dict[str, str]]) -> Callable[..., Any]:
    """A bare ASGI app validating webhooks, standing in for the companion under httpx.ASGITransport."""
    validator = RequestValidator(auth_token)

    async def app(scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        assert scope["type"] == "http"
        body = b""
        while True:
            event = await receive()
            body += event.get("body", b"")
            if not event.get("more_body"):
                break
        params = dict(parse_qsl(body.decode(), keep_blank_values=True))
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        url = public_base + scope["path"]
        ok = validator.validate(url, params, headers.get("x-twilio-signature", ""))
        if ok:
            seen.append(params)
        await send({"type": "http.response.start", "status": 200 if ok else 403, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    return app


# ----------------------------------------------------------------------------------------- fixtures


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with FakeTwilio() as running:
        yield running


@pytest.fixture
def receiver(fake: FakeTwilio) -> Iterator[Receiver]:
    with Receiver(fake.auth_token) as running:
        yield running


@pytest.fixture
def proxied_receiver(fake: FakeTwilio) -> Iterator[Receiver]:
    """A receiver reached through callback_target while Twilio signs the public URL."""
    with Receiver(fake.auth_token, public_base=PUBLIC_BASE) as running:
        fake.callback_target = running.base_url
        yield running


# ------------------------------------------------------------------------------------------ helpers


def test_published_signature_vector() -> None:
    fake = FakeTwilio(auth_token="12345")
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+14158675309",
        "Digits": "1234",
        "From": "+14158675309",
        "To": "+18005551212",
    }
    assert fake.sign("https://mycompany.com/myapp.php?foo=1&bar=2", params) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def test_segment_count_and_rebase() -> None:
    assert segment_count("How was your mood today? Reply 0-10.") == 1
    assert segment_count("a" * 160) == 1
    assert segment_count("a" * 161) == 2
    assert segment_count("[" * 80) == 1
    assert segment_count("[" * 81) == 2
    assert segment_count("é" * 160) == 1  # é is in the GSM-7 table
    assert segment_count("ł" * 70) == 1
    assert segment_count("ł" * 71) == 2
    assert rebase_url("https://api.twilio.com/2010-04-01/x.json?a=1", "http://127.0.0.1:9") == (
        "http://127.0.0.1:9/2010-04-01/x.json?a=1"
    )
    assert SID_RE.match(new_sid())


def test_base_url_needs_a_running_server() -> None:
    fake = FakeTwilio()
    with pytest.raises(RuntimeError):
        _ = fake.base_url
    fake.start()
    try:
        assert re.match(r"^http://127\.0\.0\.1:\d+$", fake.base_url)
        assert re.match(r"^AC[0-9a-f]{32}$", fake.account_sid)
    finally:
        fake.stop()


# ----------------------------------------------------------------------------------------- sending


def test_sync_send_returns_fresh_sid_each_time(fake: FakeTwilio) -> None:
    client = fake.client()
    first = client.messages.create(to=PATIENT, from_=CLINIC, body="How is your mood today (0-10)?")
    second = client.messages.create(to=PATIENT, from_=CLINIC, body="Reminder: session tomorrow.")
    assert SID_RE.match(first.sid or "")
    assert SID_RE.match(second.sid or "")
    assert first.sid != second.sid
    assert first.status == "queued"
    assert first.direction == "outbound-api"
    assert first.to == PATIENT
    assert first.from_ == CLINIC
    assert first.account_sid == fake.account_sid
    assert first.num_segments == "1"
    assert first.error_code is None
    assert first.price is None
    assert isinstance(first.date_created, datetime)
    assert first.uri == f"/2010-04-01/Accounts/{fake.account_sid}/Messages/{first.sid}.json"

    recorded = fake.messages
    assert [m.sid for m in recorded] == [first.sid, second.sid]
    assert recorded[0].body == "How is your mood today (0-10)?"
    assert recorded[0].from_ == CLINIC
    assert recorded[0].status_callback is None
    assert [m.sid for m in fake.messages_to(PATIENT)] == [first.sid, second.sid]
    assert fake.messages_to("+15550000000") == []
    assert fake.wait_for(lambda m: m.body.startswith("Reminder")).sid == second.sid

    fetched = client.messages(first.sid).fetch()
    assert fetched.sid == first.sid
    assert fetched.status == "queued"

    fake.clear()
    assert fake.messages == []


async def test_async_send_returns_fresh_sid(fake: FakeTwilio) -> None:
    client = fake.async_client()
    try:
        one = await client.messages.create_async(to=PATIENT, from_=CLINIC, body="Check-in: mood 0-10?")
        two = await client.messages.create_async(to=PATIENT, from_=CLINIC, body="Check-in: sleep 0-10?")
    finally:
        await client.http_client.close()
    assert SID_RE.match(one.sid or "")
    assert one.sid != two.sid
    found = await fake.await_for(lambda m: m.sid == two.sid)
    assert found.body == "Check-in: sleep 0-10?"
    assert len(await fake.await_for_messages(2)) == 2


def test_messaging_service_send(fake: FakeTwilio, receiver: Receiver) -> None:
    service = new_sid("MG")
    url = f"{receiver.base_url}/twilio/status"
    message = fake.client().messages.create(
        to=PATIENT, messaging_service_sid=service, body="Hello", status_callback=url
    )
    assert message.status == "accepted"
    assert message.from_ is None
    assert message.messaging_service_sid == service
    assert fake.messages[0].messaging_service_sid == service
    assert fake.messages[0].from_ is None
    assert fake.send_status(message.sid or "", "sent") == 204
    (got,) = receiver.wait_count(1)
    assert got.params["MessagingServiceSid"] == service
    assert got.params["From"] == fake.service_number


def test_api_key_credentials_and_unknown_sid() -> None:
    key, secret = new_sid("SK"), "key-secret"
    with FakeTwilio(api_keys={key: secret}) as fake:
        http = RewritingTwilioHttpClient(fake.base_url)
        client = Client(key, secret, fake.account_sid, http_client=http)
        message = client.messages.create(to=PATIENT, from_=CLINIC, body="x")
        assert fake.message(message.sid or "").body == "x"
        with pytest.raises(TwilioRestException) as caught:
            client.messages(new_sid()).fetch()
        assert caught.value.status == 404
        other_account = Client(key, secret, new_sid("AC"), http_client=http)
        with pytest.raises(TwilioRestException) as caught:
            other_account.messages.create(to=PATIENT, from_=CLINIC, body="x")
        assert caught.value.status == 404


def test_wrong_auth_is_401(fake: FakeTwilio) -> None:
    with pytest.raises(TwilioRestException) as caught:
        fake.client(auth_token="not-the-token").messages.create(to=PATIENT, from_=CLINIC, body="x")
    assert caught.value.status == 401
    assert caught.value.code == 20003
    assert fake.messages == []


async def test_wrong_auth_is_401_async(fake: FakeTwilio) -> None:
    client = fake.async_client(auth_token="not-the-token")
    try:
        with pytest.raises(TwilioRestException) as caught:
            await client.messages.create_async(to=PATIENT, from_=CLINIC, body="x")
    finally:
        await client.http_client.close()
    assert caught.value.status == 401


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"From": CLINIC, "Body": "x"}, 21604),
        ({"To": PATIENT, "Body": "x"}, 21603),
        ({"To": PATIENT, "From": CLINIC}, 21602),
        ({"To": PATIENT, "From": CLINIC, "Body": "x" * 1601}, 21617),
        ({"To": "555-1234", "From": CLINIC, "Body": "x"}, 21211),
    ],
)
def test_missing_or_invalid_fields_are_400(fake: FakeTwilio, form: dict[str, str], code: int) -> None:
    response = httpx.post(fake.messages_url, data=form, auth=(fake.account_sid, fake.auth_token))
    assert response.status_code == 400
    payload = response.json()
    assert payload["code"] == code
    assert payload["status"] == 400
    assert payload["more_info"].endswith(str(code))
    assert fake.messages == []


def test_missing_auth_header_is_401(fake: FakeTwilio) -> None:
    response = httpx.post(fake.messages_url, data={"To": PATIENT, "From": CLINIC, "Body": "x"})
    assert response.status_code == 401
    assert response.json()["code"] == 20003


# ------------------------------------------------------------------------------- failure injection


@pytest.mark.parametrize(("status", "code"), [(429, 20429), (500, 20500), (503, 20503)])
def test_fail_next(fake: FakeTwilio, status: int, code: int) -> None:
    client = fake.client()
    fake.fail_next(2, status=status)
    for _ in range(2):
        with pytest.raises(TwilioRestException) as caught:
            client.messages.create(to=PATIENT, from_=CLINIC, body="x")
        assert caught.value.status == status
        assert caught.value.code == code
    assert SID_RE.match(client.messages.create(to=PATIENT, from_=CLINIC, body="x").sid or "")
    assert len(fake.messages) == 1


@pytest.mark.parametrize("code", [21610, 21211, 21614])
def test_fail_number_send_errors(fake: FakeTwilio, code: int) -> None:
    client = fake.client()
    fake.fail_number(PATIENT, code)
    with pytest.raises(TwilioRestException) as caught:
        client.messages.create(to=PATIENT, from_=CLINIC, body="x")
    assert caught.value.status == 400
    assert caught.value.code == code
    other = client.messages.create(to="+15551230002", from_=CLINIC, body="x")
    assert [m.sid for m in fake.messages] == [other.sid]
    fake.reset_failures()
    client.messages.create(to=PATIENT, from_=CLINIC, body="x")
    assert len(fake.messages) == 2


def test_hang_makes_a_short_timeout_fire(fake: FakeTwilio) -> None:
    fake.hang_next(1, seconds=2.0)
    with pytest.raises(requests.exceptions.Timeout):
        fake.client(timeout=0.2).messages.create(to=PATIENT, from_=CLINIC, body="x")
    # Twilio took the message even though its answer came too late.
    assert len(fake.messages) == 1
    assert fake.client().messages.create(to=PATIENT, from_=CLINIC, body="y").status == "queued"


async def test_hang_makes_a_short_timeout_fire_async(fake: FakeTwilio) -> None:
    fake.hang_next(1, seconds=2.0)
    client = fake.async_client(timeout=0.2)
    try:
        with pytest.raises((TimeoutError, aiohttp.ServerTimeoutError)):
            await client.messages.create_async(to=PATIENT, from_=CLINIC, body="x")
    finally:
        await client.http_client.close()


# -------------------------------------------------------------------------------- status callbacks


def test_auto_callbacks_in_order(fake: FakeTwilio, receiver: Receiver) -> None:
    fake.auto_callbacks = True
    url = f"{receiver.base_url}/twilio/status?outbox=42"
    message = fake.client().messages.create(to=PATIENT, from_=CLINIC, body="x", status_callback=url)
    got = receiver.wait_count(2)
    assert [r.params["MessageStatus"] for r in got] == ["sent", "delivered"]
    assert all(r.valid for r in got)
    assert all(r.path == "/twilio/status?outbox=42" for r in got)
    first = got[0].params
    assert first["MessageSid"] == first["SmsSid"] == message.sid
    assert first["SmsStatus"] == "sent"
    assert first["AccountSid"] == fake.account_sid
    assert first["From"] == CLINIC
    assert first["To"] == PATIENT
    assert first["ApiVersion"] == "2010-04-01"
    assert "ErrorCode" not in first
    fake.wait_for_callback(lambda c: c.status == "delivered" and c.response_status == 204)
    assert fake.message(message.sid or "").status == "delivered"
    assert fake.client().messages(message.sid).fetch().status == "delivered"


def test_delivery_error_is_accepted_then_undelivered(fake: FakeTwilio, proxied_receiver: Receiver) -> None:
    fake.auto_callbacks = True
    fake.fail_number(PATIENT, 30003)
    url = f"{PUBLIC_BASE}/twilio/status"
    message = fake.client().messages.create(to=PATIENT, from_=CLINIC, body="x", status_callback=url)
    assert message.status == "queued"
    got = proxied_receiver.wait_count(2)
    assert [r.params["MessageStatus"] for r in got] == ["sent", "undelivered"]
    assert got[1].params["ErrorCode"] == "30003"
    assert all(r.valid for r in got)
    fetched = fake.client().messages(message.sid).fetch()
    assert fetched.status == "undelivered"
    assert fetched.error_code == 30003


def test_delivery_error_can_end_failed(fake: FakeTwilio, receiver: Receiver) -> None:
    fake.fail_number(PATIENT, 30006, delivery_status="failed")
    url = f"{receiver.base_url}/twilio/status"
    message = fake.client().messages.create(to=PATIENT, from_=CLINIC, body="x", status_callback=url)
    assert fake.send_lifecycle(message.sid or "") == [204]
    (only,) = receiver.wait_count(1)
    assert only.params["MessageStatus"] == "failed"
    assert only.params["ErrorCode"] == "30006"


def test_explicit_status_out_of_order_and_twice(fake: FakeTwilio, proxied_receiver: Receiver) -> None:
    url = f"{PUBLIC_BASE}/twilio/status?outbox=7"
    message = fake.client().messages.create(to=PATIENT, from_=CLINIC, body="x", status_callback=url)
    sid = message.sid or ""
    assert fake.send_statuses_out_of_order(sid) == [204, 204]
    assert fake.send_status_twice(sid, "delivered") == [204, 204]
    got = proxied_receiver.wait_count(4)
    assert [r.params["MessageStatus"] for r in got] == ["delivered", "sent", "delivered", "delivered"]
    assert all(r.valid for r in got)
    assert all(r.path == "/twilio/status?outbox=7" for r in got)
    records = fake.callbacks_for(sid)
    assert [c.url for c in records] == [url] * 4
    assert all(c.posted_to.startswith(proxied_receiver.base_url) for c in records)


def test_send_status_with_error_code_and_bad_signature_url(
    fake: FakeTwilio, proxied_receiver: Receiver
) -> None:
    message = fake.client().messages.create(
        to=PATIENT, from_=CLINIC, body="x", status_callback=f"{PUBLIC_BASE}/twilio/status"
    )
    assert fake.send_status(message.sid or "", "undelivered", error_code=30005) == 204
    # Signed for another public host than the one the receiver serves: rejected.
    other = "https://other.example.org/twilio/status"
    assert fake.send_status(message.sid or "", "sent", url=other) == 403
    got = proxied_receiver.wait_count(2)
    assert got[0].params["ErrorCode"] == "30005"
    assert [r.valid for r in got] == [True, False]


async def test_async_status_helpers(fake: FakeTwilio, receiver: Receiver) -> None:
    client = fake.async_client()
    try:
        message = await client.messages.create_async(
            to=PATIENT, from_=CLINIC, body="x", status_callback=f"{receiver.base_url}/s"
        )
    finally:
        await client.http_client.close()
    sid = message.sid or ""
    assert await fake.asend_lifecycle(sid) == [204, 204]
    assert await fake.asend_statuses_out_of_order(sid) == [204, 204]
    assert await fake.asend_status_twice(sid, "read") == [204, 204]
    statuses = [r.params["MessageStatus"] for r in receiver.received]
    assert statuses == ["sent", "delivered", "delivered", "sent", "read", "read"]
    callback = await fake.await_for_callback(lambda c: c.status == "read")
    assert callback.sid == sid


# ----------------------------------------------------------------------------------------- inbound


def test_inbound_is_signed_and_can_repeat(fake: FakeTwilio, receiver: Receiver) -> None:
    url = f"{receiver.base_url}/twilio/inbound"
    response = fake.send_inbound(url, from_=PATIENT, to=CLINIC, body="7")
    assert response.status_code == 204
    first, second = fake.send_inbound_twice(url, from_=PATIENT, to=CLINIC, body=" 7/10 ")
    assert (first.status_code, second.status_code) == (204, 204)
    got = receiver.wait_count(3)
    assert all(r.valid for r in got)
    params = got[0].params
    assert SID_RE.match(params["MessageSid"])
    assert params["MessageSid"] == params["SmsSid"] == params["SmsMessageSid"]
    assert params["AccountSid"] == fake.account_sid
    assert params["From"] == PATIENT
    assert params["To"] == CLINIC
    assert params["Body"] == "7"
    assert params["NumMedia"] == "0"
    assert params["NumSegments"] == "1"
    assert params["ApiVersion"] == "2010-04-01"
    assert params["FromCountry"] == "US"
    assert got[1].params["MessageSid"] == got[2].params["MessageSid"] != params["MessageSid"]
    assert got[1].params["Body"] == " 7/10 "


def test_inbound_through_proxy_and_wrong_signature(fake: FakeTwilio, receiver: Receiver) -> None:
    receiver.public_base = PUBLIC_BASE
    public = f"{PUBLIC_BASE}/twilio/inbound"
    sid = new_sid()
    ok = fake.send_inbound(
        public,
        from_=PATIENT,
        to=CLINIC,
        body="STOP",
        message_sid=sid,
        target=receiver.base_url,
        extra_params={"OptOutType": "STOP"},
        messaging_service_sid=new_sid("MG"),
    )
    assert ok.status_code == 204
    bad = fake.send_inbound(
        public, PATIENT, CLINIC, "HELP", target=receiver.base_url, signature_url=f"{receiver.base_url}/x"
    )
    assert bad.status_code == 403
    got = receiver.wait_count(2)
    assert got[0].params["MessageSid"] == sid
    assert got[0].params["OptOutType"] == "STOP"
    assert got[0].params["MessagingServiceSid"].startswith("MG")
    assert [r.valid for r in got] == [True, False]


async def test_inbound_async_and_concurrent(fake: FakeTwilio, receiver: Receiver) -> None:
    url = f"{receiver.base_url}/twilio/inbound"
    response = await fake.asend_inbound(url, PATIENT, CLINIC, "seven")
    assert response.status_code == 204
    responses = await fake.send_inbound_concurrently(url, PATIENT, CLINIC, "8", copies=3)
    assert [r.status_code for r in responses] == [204, 204, 204]
    got = receiver.wait_count(4)
    assert all(r.valid for r in got)
    assert len({r.params["MessageSid"] for r in got[1:]}) == 1


async def test_inbound_to_an_asgi_app(fake: FakeTwilio) -> None:
    seen: list[dict[str, str]] = []
    app = make_asgi_receiver(fake.auth_token, PUBLIC_BASE, seen)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as client:
        url = f"{PUBLIC_BASE}/twilio/inbound"
        responses = await fake.send_inbound_concurrently(url, PATIENT, CLINIC, "ACK", client=client)
        assert [r.status_code for r in responses] == [200, 200]
        bad = await fake.asend_inbound(url, PATIENT, CLINIC, "ACK", signature="forged", client=client)
        assert bad.status_code == 403
    assert len(seen) == 2
    assert seen[0]["MessageSid"] == seen[1]["MessageSid"]


# ------------------------------------------------------------------------------- loop mode, volume


async def test_runs_in_the_current_loop() -> None:
    async with FakeTwilio(auto_callbacks=True, callback_delay=0.0) as fake:
        client = fake.async_client()
        try:
            message = await client.messages.create_async(to=PATIENT, from_=CLINIC, body="x")
        finally:
            await client.http_client.close()
        recorded: SentMessage = await fake.await_for(lambda m: m.status == "delivered")
        assert recorded.sid == message.sid


async def test_500_sequential_async_sends(fake: FakeTwilio) -> None:
    client = fake.async_client()
    try:
        sids = [
            (await client.messages.create_async(to=PATIENT, from_=CLINIC, body=f"n{i}")).sid
            for i in range(500)
        ]
    finally:
        await client.http_client.close()
    assert len(set(sids)) == 500
    assert len(fake.messages) == 500
    assert fake.request_count == 500


async def test_concurrent_async_sends(fake: FakeTwilio) -> None:
    client = fake.async_client()
    try:
        results = await asyncio.gather(
            *(client.messages.create_async(to=PATIENT, from_=CLINIC, body=f"c{i}") for i in range(200))
        )
    finally:
        await client.http_client.close()
    assert len({r.sid for r in results}) == 200


# ----------------------------------------------------------------------------------------- calls

STAFF = "+15551230002"
TWIML = (
    '<?xml version="1.0" encoding="UTF-8"?><Response><Gather action="{action}" method="POST" numDigits="1">'
    "<Say>Urgent alert. Press 1.</Say></Gather><Say>Goodbye.</Say></Response>"
)


async def test_a_call_is_placed_its_statuses_and_keys_posted_signed(fake: FakeTwilio, receiver: Receiver) -> None:
    client = fake.async_client()
    try:
        placed = await client.calls.create_async(
            to=STAFF, from_=CLINIC, twiml=TWIML.format(action=f"{receiver.base_url}/gather?message_id=3"),
            status_callback=f"{receiver.base_url}/status?message_id=3", status_callback_event=["ringing", "completed"],
        )
        fetched = await client.calls(placed.sid or "").fetch_async()
    finally:
        await client.http_client.close()
    assert re.fullmatch(r"CA[0-9a-f]{32}", placed.sid or "") and placed.status == "queued"
    assert (fetched.sid, fetched.to, fetched._from) == (placed.sid, STAFF, CLINIC)
    [call] = fake.calls_to(STAFF)
    assert call.status_callback_events == ("ringing", "completed")
    assert call.said() == ["Urgent alert. Press 1.", "Goodbye."]
    assert call.gathers() == [{"action": f"{receiver.base_url}/gather?message_id=3", "method": "POST",
                               "numDigits": "1"}]
    assert (await fake.asend_call_status(call.sid, "ringing")).status_code == 204
    assert (await fake.agather(call.sid, "1")).status_code == 204
    assert (await fake.asend_call_status(call.sid, "completed")).status_code == 204
    assert (await fake.asend_call_status(call.sid, "completed", signature="forged")).status_code == 403
    received = receiver.wait_count(4)
    assert [r.valid for r in received] == [True, True, True, False]
    assert [r.path for r in received] == ["/status?message_id=3", "/gather?message_id=3",
                                          "/status?message_id=3", "/status?message_id=3"]
    ringing, keyed, completed, _ = (r.params for r in received)
    assert (ringing["CallSid"], ringing["CallStatus"], ringing["SequenceNumber"]) == (call.sid, "ringing", "0")
    assert (keyed["CallSid"], keyed["Digits"], keyed["CallStatus"]) == (call.sid, "1", "in-progress")
    assert (completed["CallStatus"], completed["SequenceNumber"], completed["To"]) == ("completed", "1", STAFF)
    assert fake.call(call.sid).status == "completed"


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"From": CLINIC, "Twiml": "<Response/>"}, 21201),
        ({"To": STAFF, "Twiml": "<Response/>"}, 21213),
        ({"To": STAFF, "From": CLINIC}, 21205),
        ({"To": STAFF, "From": CLINIC, "Twiml": "<Response><Say>"}, 12100),
        ({"To": STAFF, "From": CLINIC, "Twiml": "<Response>" + "x" * 4000 + "</Response>"}, 21232),
        ({"To": "12345", "From": CLINIC, "Twiml": "<Response/>"}, 21211),
        ({"To": STAFF, "From": CLINIC, "Twiml": "<Response/>", "StatusCallback": "ftp://x"}, 21609),
    ],
)
def test_a_call_missing_or_invalid_fields_is_400(fake: FakeTwilio, form: dict[str, str], code: int) -> None:
    url = f"{fake.base_url}/2010-04-01/Accounts/{fake.account_sid}/Calls.json"
    response = httpx.post(url, data=form, auth=(fake.account_sid, fake.auth_token))
    assert (response.status_code, response.json()["code"]) == (400, code)
    assert fake.calls == []


def test_a_call_to_a_refused_number_is_400_and_unauthenticated_is_401(fake: FakeTwilio) -> None:
    fake.fail_number(STAFF, 21211)
    with pytest.raises(TwilioRestException) as refused:
        fake.client().calls.create(to=STAFF, from_=CLINIC, twiml="<Response/>")
    assert (refused.value.status, refused.value.code) == (400, 21211)
    with pytest.raises(TwilioRestException) as unauthenticated:
        fake.client(auth_token="wrong").calls.create(to=STAFF, from_=CLINIC, twiml="<Response/>")
    assert unauthenticated.value.status == 401
    assert fake.calls == []
