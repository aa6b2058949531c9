"""Twilio webhooks: inbound SMS, status callbacks, and a voice page's keypad and call statuses. Thin:
verify, parse, call one service."""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from litestar import Controller, Request, Response, post
from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncSession

from companion.messaging import calls, signatures, status, voice
from companion.messaging.calls import VOICE_GATHER_PATH, VOICE_STATUS_PATH
from companion.messaging.gateways import INBOUND_PATH, STATUS_CALLBACK_PATH
from companion.observability import metrics as metrics
from companion.observability.metrics import WebhookEndpoint
from companion.openapi import form_operation, text_response
from companion.validation import parse_positive_integer

log = logging.getLogger("companion.sms.webhooks")

TWIML = "application/xml"
URL_ENCODED = "application/x-www-form-urlencoded"


def twiml(replies: list[str]) -> Response[str]:
    body = "".join(f"<Message>{escape(reply)}</Message>" for reply in replies)
    return Response(f'<?xml version="1.0" encoding="UTF-8"?><Response>{body}</Response>', media_type=TWIML)


async def _form(request: Request) -> dict[str, str]:
    """Twilio posts its parameters url-encoded, one value per name: parsed straight from the body."""
    if request.headers.get("content-type", "").startswith(URL_ENCODED):
        return dict(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))
    form = await request.form()
    return {key: str(value) for key, value in form.items()}


class WebhookRefused(Exception):
    """A webhook answered in plain text, as Twilio reads it: 403 unsigned, 400 incomplete."""

    def __init__(self, status_code: int, reason: str) -> None:
        super().__init__(reason)
        self.status_code = status_code
        self.reason = reason


def _plain_refusal(_: Request, exc: WebhookRefused) -> Response[str]:
    return Response(exc.reason, status_code=exc.status_code, media_type="text/plain")


async def _verified_form(request: Request, state: State, endpoint: WebhookEndpoint) -> dict[str, str]:
    metrics.webhook_received(endpoint)
    params = await _form(request)
    url = signatures.public_url(state.settings, request.url.path, request.url.query)
    if not signatures.is_valid(state.settings, url, params, request.headers.get("x-twilio-signature")):
        log.warning("webhook with a missing or invalid signature refused (%s)", request.url.path)
        metrics.webhook_refused(endpoint, "bad_signature")
        raise WebhookRefused(403, "invalid signature")
    return params


def _bad_form(endpoint: WebhookEndpoint, message: str) -> WebhookRefused:
    metrics.webhook_refused(endpoint, "bad_form")
    return WebhookRefused(400, message)


SIGNATURE = ("X-Twilio-Signature", "Twilio's signature of the URL and parameters, with the account's auth token.")
INBOUND_FORM = form_operation(URL_ENCODED, {
    "MessageSid": "the message's id at Twilio", "From": "the sender's number (E.164)",
    "To": "the companion's number", "Body": "the message text",
}, required=("MessageSid", "From"), header=SIGNATURE)
STATUS_FORM = form_operation(URL_ENCODED, {
    "MessageSid": "the message's id at Twilio", "MessageStatus": "queued, sent, delivered, undelivered, failed...",
    "ErrorCode": "Twilio's error code, for a failed delivery",
}, required=("MessageSid", "MessageStatus"), header=SIGNATURE)
GATHER_FORM = form_operation(URL_ENCODED, {
    "CallSid": "the call's id at Twilio", "Digits": "the key pressed (absent or empty: none)",
}, required=("CallSid",), header=SIGNATURE)
CALL_STATUS_FORM = form_operation(URL_ENCODED, {
    "CallSid": "the call's id at Twilio",
    "CallStatus": "queued, initiated, ringing, in-progress, completed, busy, no-answer, failed, canceled",
    "ErrorCode": "Twilio's error code, for a failed call",
}, required=("CallSid", "CallStatus"), header=SIGNATURE)
REFUSALS = {
    403: text_response("The signature is missing or does not match."),
    400: text_response("A required parameter is missing."),
}


class TwilioWebhookController(Controller):
    tags = ["webhooks"]
    include_in_schema = True
    exception_handlers = {WebhookRefused: _plain_refusal}

    @post(INBOUND_PATH, status_code=200, media_type=TWIML, operation_class=INBOUND_FORM, responses=REFUSALS)
    async def inbound_sms(self, request: Request, state: State) -> Response[str]:
        """Store and answer at once; a worker handles the message and sends the replies."""
        params = await _verified_form(request, state, "sms")
        if not params.get("MessageSid") or not params.get("From"):
            raise _bad_form("sms", "MessageSid and From are required")
        await state.intake.store(params)
        return twiml([])

    @post(STATUS_CALLBACK_PATH, status_code=204, operation_class=STATUS_FORM, responses=REFUSALS)
    async def status_callback(self, request: Request, state: State, db_session: AsyncSession) -> None:
        params = await _verified_form(request, state, "status")
        # Twilio's older callbacks name the fields SmsSid and SmsStatus.
        sid = params.get("MessageSid") or params.get("SmsSid")
        new_status = (params.get("MessageStatus") or params.get("SmsStatus") or "").lower()
        if not sid or not new_status:
            raise _bad_form("status", "MessageSid and MessageStatus are required")
        await status.apply_status(
            db_session, state.clock, state.delivery_events, sid=sid, status=new_status,
            error_code=parse_positive_integer(params.get("ErrorCode")),
            message_id=parse_positive_integer(request.query_params.get("message_id")),
        )

    @post(VOICE_GATHER_PATH, status_code=200, media_type=TWIML, operation_class=GATHER_FORM, responses=REFUSALS)
    async def voice_gather(self, request: Request, state: State, db_session: AsyncSession) -> Response[str]:
        """The key pressed during a voice page: 1 acknowledges the alert as the person called."""
        params = await _verified_form(request, state, "voice_gather")
        if not params.get("CallSid"):
            raise _bad_form("voice_gather", "CallSid is required")
        answer = await calls.keypad_pressed(
            db_session, state.keypad, sid=params["CallSid"], digits=params.get("Digits", "").strip(),
            message_id=parse_positive_integer(request.query_params.get("message_id")),
        )
        return Response(voice.spoken(answer), media_type=TWIML)

    @post(VOICE_STATUS_PATH, status_code=204, operation_class=CALL_STATUS_FORM, responses=REFUSALS)
    async def voice_status(self, request: Request, state: State, db_session: AsyncSession) -> None:
        params = await _verified_form(request, state, "voice_status")
        sid, new_status = params.get("CallSid"), (params.get("CallStatus") or "").lower()
        if not sid or not new_status:
            raise _bad_form("voice_status", "CallSid and CallStatus are required")
        await status.apply_call_status(
            db_session, state.clock, state.delivery_events, sid=sid, status=new_status,
            error_code=parse_positive_integer(params.get("ErrorCode")),
            message_id=parse_positive_integer(request.query_params.get("message_id")),
        )
