"""Twilio webhooks: inbound SMS and status callbacks. Thin: verify, parse, call one service."""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from litestar import Controller, Request, Response, post
from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncSession

from companion.messaging import signatures, status
from companion.messaging.gateways import INBOUND_PATH, STATUS_CALLBACK_PATH
from companion.metrics import instruments as metrics
from companion.metrics.instruments import WebhookEndpoint

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


async def _verified_form(request: Request, state: State, endpoint: WebhookEndpoint) -> dict[str, str] | None:
    metrics.webhook_received(endpoint)
    params = await _form(request)
    url = signatures.public_url(state.settings, request.url.path, request.url.query)
    if not signatures.is_valid(state.settings, url, params, request.headers.get("x-twilio-signature")):
        log.warning("webhook with a missing or invalid signature refused (%s)", request.url.path)
        metrics.webhook_refused(endpoint, "bad_signature")
        return None
    return params


def _bad_form(endpoint: WebhookEndpoint, message: str) -> Response[str]:
    metrics.webhook_refused(endpoint, "bad_form")
    return Response(message, status_code=400, media_type="text/plain")


def _refused() -> Response[str]:
    return Response("invalid signature", status_code=403, media_type="text/plain")


class TwilioWebhookController(Controller):
    tags = ["webhooks"]
    include_in_schema = True

    @post(INBOUND_PATH, status_code=200)
    async def inbound_sms(self, request: Request, state: State) -> Response[str]:
        """Store and answer at once; a worker handles the message and sends the replies."""
        params = await _verified_form(request, state, "sms")
        if params is None:
            return _refused()
        if not params.get("MessageSid") or not params.get("From"):
            return _bad_form("sms", "MessageSid and From are required")
        await state.intake.store(params)
        return twiml([])

    @post(STATUS_CALLBACK_PATH, status_code=200)
    async def status_callback(self, request: Request, state: State, db_session: AsyncSession) -> Response[str]:
        params = await _verified_form(request, state, "status")
        if params is None:
            return _refused()
        sid = params.get("MessageSid") or params.get("SmsSid")
        new_status = (params.get("MessageStatus") or params.get("SmsStatus") or "").lower()
        if not sid or not new_status:
            return _bad_form("status", "MessageSid and MessageStatus are required")
        code_text = params.get("ErrorCode") or ""
        message_id = request.query_params.get("message_id")
        await status.apply_status(
            db_session, state.clock, sid=sid, status=new_status,
            error_code=int(code_text) if code_text.isdigit() else None,
            message_id=int(message_id) if message_id and message_id.isdigit() else None,
        )
        return Response("", status_code=204)
