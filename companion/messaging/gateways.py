"""SMS and voice providers behind one interface: Twilio (the real SDK) and the console. A gateway
sends texts and places voice pages (docs/sms.md, "Voice pages").

Tests point the Twilio gateway at a local fake Twilio through ``COMPANION_TWILIO_API_BASE_URL``.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Protocol, TypeVar
from urllib.parse import urlencode, urlsplit, urlunsplit

import aiohttp
from aiohttp.typedefs import Query
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response as TwilioResponse
from twilio.rest import Client

from companion.messaging import voice
from companion.messaging.calls import STATUS_EVENTS, VOICE_GATHER_PATH, VOICE_STATUS_PATH, OutgoingCall
from companion.messaging.policy import SendError
from companion.models import MessageStatus
from companion.settings import Settings
from companion.validation import mask_phone

log = logging.getLogger("companion.sms")

# The SDK logs each request at INFO; nothing it logs may carry a number or a body, so keep it quiet.
_sdk_log = logging.getLogger("companion.sms.twilio_sdk")
_sdk_log.setLevel(logging.WARNING)

STATUS_CALLBACK_PATH = "/webhooks/twilio/status"
INBOUND_PATH = "/webhooks/twilio/sms"


@dataclass(frozen=True)
class OutgoingSms:
    message_id: int
    to: str
    body: str
    purpose: str
    sender: str | None = None  # the clinic's own number or Messaging Service SID


@dataclass(frozen=True)
class Accepted:
    sid: str
    status: str


SendOutcome = Accepted | SendError
_T = TypeVar("_T")


class SmsGateway(Protocol):
    name: str

    async def send(self, sms: OutgoingSms) -> SendOutcome: ...

    async def call(self, call: OutgoingCall) -> SendOutcome: ...

    async def close(self) -> None: ...


class ConsoleGateway:
    """No SMS provider configured: logs a line and reports the message as sent.

    ``show_bodies`` (the embedded default, SQLite): the line carries the whole text, sign-in
    codes included, so a newcomer can follow the conversation and sign in as a demo patient.
    Otherwise only the purpose, the masked number and the length."""

    name = "console"

    def __init__(self, *, show_bodies: bool = False) -> None:
        self.show_bodies = show_bodies

    async def send(self, sms: OutgoingSms) -> SendOutcome:
        if self.show_bodies:
            log.info("console SMS %s to %s: %s", sms.purpose, mask_phone(sms.to), sms.body)
        else:
            log.info("console SMS %s to %s (%d chars)", sms.purpose, mask_phone(sms.to), len(sms.body))
        return Accepted(sid="CN" + secrets.token_hex(16), status=MessageStatus.SENT)

    async def call(self, call: OutgoingCall) -> SendOutcome:
        """The call it would make: a masked line, and the TwiML at DEBUG. Nobody is called, so the
        row stays ``queued``: no status callback will come."""
        log.info("console call %s to %s (%d chars said)", call.purpose, mask_phone(call.to), len(call.say))
        log.debug("console call TwiML for message %s: %s", call.message_id,
                  voice.page_call(call.say, f"{VOICE_GATHER_PATH}?message_id={call.message_id}"))
        return Accepted(sid="CN" + secrets.token_hex(16), status=MessageStatus.QUEUED)

    async def close(self) -> None:
        return None


def _rebase(url: str, base: str) -> str:
    target = urlsplit(base)
    parts = urlsplit(url)
    path = target.path.rstrip("/") + parts.path
    return urlunsplit((target.scheme, target.netloc, path, parts.query, parts.fragment))


class _HttpClient(AsyncTwilioHttpClient):
    """The SDK's aiohttp client with a real timeout and an optional other API address."""

    def __init__(self, base_url: str | None, timeout: float) -> None:
        super().__init__(pool_connections=False, timeout=timeout, logger=_sdk_log)
        self.base_url = base_url
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=100), timeout=aiohttp.ClientTimeout(total=timeout)
        )

    async def request(
        self,
        method: str,
        url: str,
        params: Query = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 (the SDK's signature)
        allow_redirects: bool = False,
    ) -> TwilioResponse:
        if self.base_url:
            url = _rebase(url, self.base_url)
        assert self.session is not None
        headers = dict(headers or {})
        if auth:
            headers["Authorization"] = aiohttp.encode_basic_auth(auth[0], auth[1])
        body: bytes | None = None
        if data is not None:
            # The form encoded here, as aiohttp's FormData would encode these fields, at a part of its cost.
            body = urlencode(data, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        async with self.session.request(
            method.upper(),
            url,
            params=params,
            data=body,
            headers=headers,
            allow_redirects=allow_redirects,
        ) as response:
            return TwilioResponse(response.status, await response.text(), response.headers)


class TwilioGateway:
    name = "twilio"

    def __init__(self, settings: Settings, *, timeout: float = 10.0) -> None:
        if not settings.twilio_configured:
            raise ValueError("Twilio credentials are not configured")
        if not (settings.twilio_from_number or settings.twilio_messaging_service_sid):
            raise ValueError("set COMPANION_TWILIO_FROM_NUMBER or COMPANION_TWILIO_MESSAGING_SERVICE_SID")
        self.settings = settings
        self.timeout = timeout
        self.public = settings.public_base_url.rstrip("/")
        self.status_callback = self.public + STATUS_CALLBACK_PATH
        self._client: Client | None = None

    def _get_client(self) -> Client:
        # The aiohttp session must be made inside the running loop, so the client is made on first use.
        if self._client is None:
            self._client = Client(
                self.settings.twilio_account_sid,
                self.settings.twilio_auth_token,
                http_client=_HttpClient(self.settings.twilio_api_base_url, self.timeout),
            )
        return self._client

    def _sender(self, sms: OutgoingSms) -> dict[str, str]:
        sender = sms.sender or self.settings.twilio_messaging_service_sid or self.settings.twilio_from_number
        assert sender is not None
        if sender.startswith("MG"):
            return {"messaging_service_sid": sender}
        return {"from_": sender}

    async def send(self, sms: OutgoingSms) -> SendOutcome:
        client = self._get_client()
        # The message id rides in the callback URL, so a callback that overtakes the recording of
        # the provider's sid still finds its row.
        callback = f"{self.status_callback}?message_id={sms.message_id}"
        message = await self._guarded(client.messages.create_async(
            to=sms.to, body=sms.body, status_callback=callback, **self._sender(sms)
        ))
        if isinstance(message, SendError):
            return message
        return Accepted(sid=message.sid or "", status=str(message.status or MessageStatus.QUEUED))

    async def call(self, call: OutgoingCall) -> SendOutcome:
        """Place a voice page: its TwiML goes with the request; the keypad and the status callbacks
        come back to signed webhooks carrying the row's id."""
        caller = call.caller if call.caller and not call.caller.startswith("MG") else self.settings.twilio_from_number
        if not caller:
            # A Messaging Service cannot place calls: a permanent refusal, surfaced to staff.
            return SendError(http_status=400, code=None, detail="no number to call from (COMPANION_TWILIO_FROM_NUMBER)")
        query = f"?message_id={call.message_id}"
        created = await self._guarded(self._get_client().calls.create_async(
            to=call.to, from_=caller, twiml=voice.page_call(call.say, self.public + VOICE_GATHER_PATH + query),
            status_callback=self.public + VOICE_STATUS_PATH + query, status_callback_method="POST",
            status_callback_event=list(STATUS_EVENTS),
        ))
        if isinstance(created, SendError):
            return created
        return Accepted(sid=created.sid or "", status=str(created.status or MessageStatus.QUEUED))

    async def _guarded(self, request: Awaitable[_T]) -> _T | SendError:
        """The provider's answer, or the send error it amounts to."""
        try:
            return await request
        except TwilioRestException as exc:
            return SendError(http_status=exc.status, code=exc.code, detail=f"twilio error {exc.code or exc.status}")
        except aiohttp.ClientConnectorError:
            # Never reached the provider: safe to retry for every purpose.
            return SendError(http_status=None, code=None, detail="could not connect to the provider")
        except (TimeoutError, aiohttp.ClientError) as exc:
            # The request may have reached the provider: the outcome is unknown.
            return SendError(http_status=None, code=None, detail=type(exc).__name__, uncertain=True)

    async def close(self) -> None:
        if self._client is not None:
            http = self._client.http_client
            if isinstance(http, AsyncTwilioHttpClient):
                await http.close()
            self._client = None


def create_gateway(settings: Settings) -> SmsGateway:
    if settings.twilio_configured:
        return TwilioGateway(settings)
    return ConsoleGateway(show_bodies=settings.is_sqlite)
