"""A fake Twilio Messages and Calls API for tests and benchmarks.

`FakeTwilio` is a real HTTP server on 127.0.0.1 that answers the requests the official Twilio
Python SDK makes for ``client.messages.create(...)`` / ``create_async(...)``,
``client.messages(sid).fetch()``, ``client.calls.create(...)`` / ``create_async(...)`` and
``client.calls(sid).fetch()``, records every accepted message and call, injects the failures Twilio
produces (429, 5xx, opted-out or invalid numbers, delivery errors, slow answers) and posts signed
status callbacks and inbound-message webhooks the way Twilio does. For a call it posts the signed
call status callbacks (``send_call_status``) and the signed keypad input a person gives the call's
``<Gather>`` (``gather``), to the URLs the call's request and its TwiML named.

Two ways to run it:

* thread mode (``start()`` / ``stop()``, or ``with FakeTwilio() as fake``): the server runs on its
  own event loop in a background thread, so the code under test and the SDK may share the test's
  loop, and the blocking helpers (``wait_for``, ``send_status``, ``send_inbound``) are safe to call;
* loop mode (``async with FakeTwilio() as fake``): the server runs in the caller's loop; use only
  the ``a``-prefixed / ``await_for`` helpers there, since the blocking ones would stall that loop.

The SDK reaches the fake through `RewritingTwilioHttpClient` / `RewritingAsyncTwilioHttpClient`,
which send every request to the fake's base URL; ``fake.client()`` and ``fake.async_client()``
build ready-made ``twilio.rest.Client`` objects with them.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import email.utils
import hmac
import math
import random
import re
import socket
import threading
import time
import uuid
import xml.etree.ElementTree as ElementTree
from collections import deque
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self, TypeVar
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import httpx
from aiohttp import encode_basic_auth, web
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response as TwilioResponse
from twilio.request_validator import RequestValidator
from twilio.rest import Client

T = TypeVar("T")

API_VERSION = "2010-04-01"
SIGNATURE_HEADER = "X-Twilio-Signature"
DEFAULT_AUTH_TOKEN = "fake-twilio-auth-token-0123456789"
DEFAULT_SERVICE_NUMBER = "+15005550006"
MAX_BODY_CHARS = 1600

FINAL_STATUSES = frozenset({"delivered", "undelivered", "failed", "read", "canceled"})

# Send-time errors (the API answers 400 and nothing is queued).
SEND_ERROR_MESSAGES: dict[int, str] = {
    21211: "Invalid 'To' Phone Number",
    21408: "Permission to send an SMS has not been enabled for the region indicated by the 'To' number",
    21610: "Attempt to send to unsubscribed recipient",
    21612: "The 'To' phone number is not currently reachable via SMS",
    21614: "'To' number is not a valid mobile number",
}

# Delivery errors (the API accepts the message; the status callback later reports the failure).
DELIVERY_ERROR_MESSAGES: dict[int, str] = {
    30003: "Unreachable destination handset",
    30004: "Message blocked",
    30005: "Unknown destination handset",
    30006: "Landline or unreachable carrier",
    30007: "Message filtered",
    30008: "Unknown error",
}

_HTTP_ERROR_DEFAULTS: dict[int, tuple[int, str]] = {
    429: (20429, "Too Many Requests"),
    500: (20500, "An internal server error has occurred"),
    502: (20502, "Bad Gateway"),
    503: (20503, "Service Unavailable"),
}

_E164 = re.compile(r"^(?:[a-z]+:)?\+[1-9]\d{1,14}$")
_ACCOUNT_SID = re.compile(r"^AC[0-9a-f]{32}$")

# GSM 03.38 basic character set (the escape code 0x1B left out) and its extension table, whose
# characters take two septets each.
_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = frozenset("\f^{}\\[~]|€")


def new_sid(prefix: str = "SM") -> str:
    """A fresh Twilio-style sid: two-letter prefix and 32 hex digits."""
    return prefix + uuid.uuid4().hex


def segment_count(body: str) -> int:
    """How many SMS segments Twilio bills for ``body`` (GSM-7 when it fits, UCS-2 otherwise)."""
    if all(ch in _GSM7_BASIC or ch in _GSM7_EXTENDED for ch in body):
        septets = sum(2 if ch in _GSM7_EXTENDED else 1 for ch in body)
        return 1 if septets <= 160 else math.ceil(septets / 153)
    units = len(body.encode("utf-16-le")) // 2
    return 1 if units <= 70 else math.ceil(units / 67)


def rebase_url(url: str, base: str) -> str:
    """``url`` with its scheme and host replaced by ``base``'s (whose path, if any, is prefixed)."""
    parts = urlsplit(url)
    target = urlsplit(base)
    path = target.path.rstrip("/") + parts.path
    return urlunsplit((target.scheme, target.netloc, path, parts.query, parts.fragment))


def _rfc2822(moment: datetime) -> str:
    return email.utils.format_datetime(moment, usegmt=True)


def _country_of(number: str) -> str | None:
    bare = number.split(":", 1)[-1]
    if bare.startswith("+1"):
        return "US"
    if bare.startswith("+44"):
        return "GB"
    return None


class RewritingTwilioHttpClient(TwilioHttpClient):
    """The SDK's blocking HTTP client, sending every request to ``base_url`` instead of twilio.com."""

    def __init__(self, base_url: str, *, timeout: float | None = None, pool_connections: bool = True) -> None:
        super().__init__(pool_connections=pool_connections, timeout=timeout)
        self.base_url = base_url

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> TwilioResponse:
        return super().request(
            method,
            rebase_url(url, self.base_url),
            params=params,
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout,
            allow_redirects=allow_redirects,
        )


class RewritingAsyncTwilioHttpClient(AsyncTwilioHttpClient):
    """The SDK's aiohttp client, sending every request to ``base_url``.

    Unlike the stock client it also applies its own ``timeout`` when a call passes none. Create it
    inside the loop that will use it and close it with ``await client.close()``.
    """

    def __init__(self, base_url: str, *, timeout: float | None = None, pool_connections: bool = True) -> None:
        super().__init__(pool_connections=pool_connections, timeout=timeout)
        self.base_url = base_url

    async def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 (the SDK's signature)
        allow_redirects: bool = False,
    ) -> TwilioResponse:
        if auth is not None:
            # Sent as a header: aiohttp's BasicAuth object, which the stock client builds, is deprecated.
            headers = {**(headers or {}), "Authorization": encode_basic_auth(auth[0], auth[1])}
        return await super().request(
            method,
            rebase_url(url, self.base_url),
            params=params,
            data=data,
            headers=headers,
            auth=None,
            timeout=timeout if timeout is not None else self.timeout,
            allow_redirects=allow_redirects,
        )


@dataclass(slots=True)
class SentMessage:
    """One message the fake accepted. ``status`` and ``error_code`` follow the callbacks posted."""

    sid: str
    account_sid: str
    to: str
    from_: str | None
    body: str
    status_callback: str | None
    messaging_service_sid: str | None
    received_at: float
    date_created: datetime
    num_segments: int
    params: dict[str, str] = field(default_factory=dict)
    status: str = "queued"
    error_code: int | None = None


@dataclass(slots=True)
class PlacedCall:
    """One call the fake accepted. ``status`` follows the call status callbacks posted."""

    sid: str
    account_sid: str
    to: str
    from_: str
    twiml: str | None
    url: str | None
    status_callback: str | None
    status_callback_events: tuple[str, ...]
    date_created: datetime
    params: dict[str, str] = field(default_factory=dict)
    status: str = "queued"
    sequence: int = 0

    def said(self) -> list[str]:
        """Every ``<Say>`` of the call's TwiML, in order (inside a ``<Gather>`` or not)."""
        if self.twiml is None:
            return []
        return [node.text or "" for node in ElementTree.fromstring(self.twiml).iter("Say")]

    def gathers(self) -> list[dict[str, str]]:
        """The attributes of each ``<Gather>`` of the call's TwiML."""
        if self.twiml is None:
            return []
        return [dict(node.attrib) for node in ElementTree.fromstring(self.twiml).iter("Gather")]


@dataclass(frozen=True, slots=True)
class CallbackDelivery:
    """One status callback the fake posted (or tried to)."""

    sid: str
    status: str
    error_code: int | None
    url: str
    posted_to: str
    params: dict[str, str]
    signature: str
    response_status: int | None
    error: str | None
    sent_at: float


@dataclass(frozen=True, slots=True)
class _NumberFailure:
    code: int
    message: str
    delivery_status: str | None  # None: refused at send time; otherwise the final delivery status


@dataclass(frozen=True, slots=True)
class _InjectedError:
    status: int
    code: int
    message: str


@dataclass(frozen=True, slots=True)
class _Webhook:
    post_url: str
    signed_url: str
    params: dict[str, str]
    headers: dict[str, str]


class FakeTwilio:
    """A Twilio Messages API stand-in listening on 127.0.0.1."""

    def __init__(
        self,
        account_sid: str | None = None,
        auth_token: str = DEFAULT_AUTH_TOKEN,
        *,
        port: int = 0,
        auto_callbacks: bool = False,
        callback_delay: float = 0.02,
        callback_target: str | None = None,
        service_number: str = DEFAULT_SERVICE_NUMBER,
        strict_numbers: bool = True,
        api_keys: Mapping[str, str] | None = None,
    ) -> None:
        self._account_sid = account_sid or new_sid("AC")
        self._auth_token = auth_token
        self._port = port
        self._api_keys = dict(api_keys or {})
        self._validator = RequestValidator(auth_token)
        self.auto_callbacks = auto_callbacks
        self.callback_delay = callback_delay
        self.callback_target = callback_target
        self.service_number = service_number
        self.strict_numbers = strict_numbers

        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._messages: list[SentMessage] = []
        self._by_sid: dict[str, SentMessage] = {}
        self._calls: list[PlacedCall] = []
        self._calls_by_sid: dict[str, PlacedCall] = {}
        self._callbacks: list[CallbackDelivery] = []
        self._injected: deque[_InjectedError] = deque()
        self._hangs: deque[float] = deque()
        self._number_failures: dict[str, _NumberFailure] = {}
        self._random_failures: tuple[float, tuple[int, ...], random.Random] | None = None
        self.request_count = 0

        self._base_url: str | None = None
        self._runner: web.AppRunner | None = None
        self._server_loop: asyncio.AbstractEventLoop | None = None
        self._closing: asyncio.Event | None = None
        self._server_http: httpx.AsyncClient | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._thread: threading.Thread | None = None
        self._sync_http: httpx.Client | None = None

    # ----------------------------------------------------------------------------------- properties

    @property
    def account_sid(self) -> str:
        return self._account_sid

    @property
    def auth_token(self) -> str:
        return self._auth_token

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``; available once the server is running."""
        if self._base_url is None:
            raise RuntimeError("FakeTwilio is not running; call start() or use it as a context manager")
        return self._base_url

    @property
    def messages_url(self) -> str:
        return f"{self.base_url}/{API_VERSION}/Accounts/{self._account_sid}/Messages.json"

    @property
    def messages(self) -> list[SentMessage]:
        """A snapshot of every accepted message, oldest first."""
        with self._lock:
            return list(self._messages)

    @property
    def callbacks(self) -> list[CallbackDelivery]:
        """A snapshot of every status callback posted, oldest first."""
        with self._lock:
            return list(self._callbacks)

    # ------------------------------------------------------------------------------------ lifecycle

    def start(self) -> Self:
        """Run the server on its own event loop in a background thread."""
        if self._runner is not None or self._thread is not None:
            raise RuntimeError("FakeTwilio is already running")
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=self._run_loop, args=(loop,), name="fake-twilio", daemon=True)
        thread.start()
        self._thread = thread
        try:
            asyncio.run_coroutine_threadsafe(self._serve(), loop).result(timeout=10)
        except BaseException:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=5)
            self._thread = None
            raise
        return self

    def stop(self) -> None:
        """Stop the background server (pending automatic callbacks are dropped)."""
        thread, loop = self._thread, self._server_loop
        if thread is None or loop is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout=10)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=10)
            self._thread = None
            if self._sync_http is not None:
                self._sync_http.close()
                self._sync_http = None

    async def astart(self) -> Self:
        """Run the server in the current event loop."""
        if self._runner is not None or self._thread is not None:
            raise RuntimeError("FakeTwilio is already running")
        await self._serve()
        return self

    async def astop(self) -> None:
        if self._thread is not None:
            raise RuntimeError("FakeTwilio runs in a thread; call stop()")
        if self._runner is not None:
            await self._shutdown()
        if self._sync_http is not None:
            self._sync_http.close()
            self._sync_http = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        return await self.astart()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.astop()

    @staticmethod
    def _run_loop(loop: asyncio.AbstractEventLoop) -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _serve(self) -> None:
        self._server_loop = asyncio.get_running_loop()
        self._closing = asyncio.Event()
        self._server_http = httpx.AsyncClient(timeout=10.0)
        app = web.Application()
        prefix = f"/{API_VERSION}/Accounts/{{account_sid}}"
        app.router.add_post(f"{prefix}/Messages.json", self._handle_create)
        app.router.add_get(f"{prefix}/Messages/{{message_sid}}.json", self._handle_fetch)
        app.router.add_post(f"{prefix}/Calls.json", self._handle_create_call)
        app.router.add_get(f"{prefix}/Calls/{{call_sid}}.json", self._handle_fetch_call)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", self._port))
            site = web.SockSite(runner, sock, backlog=1024)
            await site.start()
        except BaseException:
            sock.close()
            await runner.cleanup()
            await self._server_http.aclose()
            raise
        self._runner = runner
        self._base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"

    async def _shutdown(self) -> None:
        if self._closing is not None:
            self._closing.set()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._server_http is not None:
            await self._server_http.aclose()
            self._server_http = None
        self._base_url = None

    async def _pause(self, seconds: float) -> None:
        """Sleep, cut short when the server shuts down."""
        assert self._closing is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), timeout=seconds)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ----------------------------------------------------------------------------- SDK convenience

    def client(
        self, *, account_sid: str | None = None, auth_token: str | None = None, timeout: float | None = None
    ) -> Client:
        """A blocking ``twilio.rest.Client`` talking to this fake (credentials default to the fake's)."""
        http = RewritingTwilioHttpClient(self.base_url, timeout=timeout)
        return Client(
            account_sid or self._account_sid,
            self._auth_token if auth_token is None else auth_token,
            http_client=http,
        )

    def async_client(
        self, *, account_sid: str | None = None, auth_token: str | None = None, timeout: float | None = None
    ) -> Client:
        """A ``twilio.rest.Client`` for ``create_async`` calls, talking to this fake.

        Call it inside the loop that will use it; close it with ``await client.http_client.close()``.
        """
        http = RewritingAsyncTwilioHttpClient(self.base_url, timeout=timeout)
        return Client(
            account_sid or self._account_sid,
            self._auth_token if auth_token is None else auth_token,
            http_client=http,
        )

    # ------------------------------------------------------------------------------- inspection

    def message(self, sid: str) -> SentMessage:
        with self._lock:
            try:
                return self._by_sid[sid]
            except KeyError:
                raise KeyError(f"no message with sid {sid}") from None

    def messages_to(self, number: str) -> list[SentMessage]:
        with self._lock:
            return [m for m in self._messages if m.to == number]

    def callbacks_for(self, sid: str) -> list[CallbackDelivery]:
        with self._lock:
            return [c for c in self._callbacks if c.sid == sid]

    def clear(self) -> None:
        """Forget recorded messages and callbacks (failure settings stay; see reset_failures)."""
        with self._lock:
            self._messages.clear()
            self._by_sid.clear()
            self._calls.clear()
            self._calls_by_sid.clear()
            self._callbacks.clear()
            self.request_count = 0

    def wait_for(
        self, predicate: Callable[[SentMessage], bool] | None = None, timeout: float = 5.0
    ) -> SentMessage:
        """Block until a recorded message matches ``predicate`` (any message when None); return it."""
        return self._wait(lambda: self._first(self._messages, predicate), timeout, "message")

    def wait_for_messages(self, count: int, timeout: float = 5.0) -> list[SentMessage]:
        """Block until at least ``count`` messages were accepted; return them all."""
        return self._wait(
            lambda: list(self._messages) if len(self._messages) >= count else None,
            timeout,
            f"{count} messages",
        )

    def wait_for_callback(
        self, predicate: Callable[[CallbackDelivery], bool] | None = None, timeout: float = 5.0
    ) -> CallbackDelivery:
        """Block until a posted status callback matches ``predicate``; return it."""
        return self._wait(lambda: self._first(self._callbacks, predicate), timeout, "status callback")

    async def await_for(
        self,
        predicate: Callable[[SentMessage], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> SentMessage:
        """The awaitable twin of `wait_for`."""
        return await self._await(lambda: self._first(self._messages, predicate), timeout, "message")

    async def await_for_messages(self, count: int, timeout: float = 5.0) -> list[SentMessage]:  # noqa: ASYNC109
        return await self._await(
            lambda: list(self._messages) if len(self._messages) >= count else None,
            timeout,
            f"{count} messages",
        )

    async def await_for_callback(
        self,
        predicate: Callable[[CallbackDelivery], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> CallbackDelivery:
        return await self._await(lambda: self._first(self._callbacks, predicate), timeout, "status callback")

    @staticmethod
    def _first(items: list[T], predicate: Callable[[T], bool] | None) -> T | None:
        for item in items:
            if predicate is None or predicate(item):
                return item
        return None

    def _wait(self, probe: Callable[[], T | None], timeout: float, what: str) -> T:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = probe()
                if found is not None:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"no matching {what} within {timeout} s")
                self._changed.wait(remaining)

    async def _await(self, probe: Callable[[], T | None], seconds: float, what: str) -> T:
        deadline = time.monotonic() + seconds
        while True:
            with self._lock:
                found = probe()
            if found is not None:
                return found
            if time.monotonic() >= deadline:
                raise TimeoutError(f"no matching {what} within {seconds} s")
            await asyncio.sleep(0.005)

    # -------------------------------------------------------------------------- failure injection

    def fail_next(
        self, n: int = 1, status: int = 429, code: int | None = None, message: str | None = None
    ) -> None:
        """Answer the next ``n`` authenticated API requests with a Twilio error of HTTP ``status``."""
        default_code, default_message = _HTTP_ERROR_DEFAULTS.get(status, (20000 + status, "Error"))
        error = _InjectedError(status, code or default_code, message or default_message)
        with self._lock:
            self._injected.extend([error] * n)

    def fail_number(
        self, number: str, code: int, *, message: str | None = None, delivery_status: str = "undelivered"
    ) -> None:
        """Make every message to ``number`` fail with Twilio error ``code``.

        30xxx codes are delivery errors: the API accepts the message (201) and the callbacks end in
        ``delivery_status`` ("undelivered" after "sent", or "failed") with ``ErrorCode``. Other codes
        (21610, 21211, 21614, ...) are refused at send time with HTTP 400.
        """
        if 30000 <= code < 31000:
            if delivery_status not in ("undelivered", "failed"):
                raise ValueError("delivery_status must be 'undelivered' or 'failed'")
            text = message or DELIVERY_ERROR_MESSAGES.get(code, "Delivery failed")
            failure = _NumberFailure(code, text, delivery_status)
        else:
            text = message or SEND_ERROR_MESSAGES.get(code, "The request could not be completed")
            if code == 21211 and message is None:
                text = f"{text}: {number}"
            failure = _NumberFailure(code, text, None)
        with self._lock:
            self._number_failures[number] = failure

    def fail_randomly(self, rate: float, statuses: tuple[int, ...] = (429, 500, 503), *, seed: int = 0) -> None:
        """Answer each create request with an error of one of ``statuses`` with probability ``rate``
        (the message is then not accepted), as a provider having a bad hour does."""
        if not 0 <= rate <= 1:
            raise ValueError("rate must be between 0 and 1")
        with self._lock:
            self._random_failures = (rate, statuses, random.Random(seed)) if rate else None

    def hang_next(self, n: int = 1, seconds: float = 5.0) -> None:
        """Delay the answer to the next ``n`` API requests by ``seconds``.

        A create request is processed (and the message recorded) before the delay, as when Twilio
        accepted a message but the answer never reached the caller in time.
        """
        with self._lock:
            self._hangs.extend([seconds] * n)

    def reset_failures(self) -> None:
        with self._lock:
            self._injected.clear()
            self._hangs.clear()
            self._number_failures.clear()
            self._random_failures = None

    # ----------------------------------------------------------------------------------- the API

    def _error(self, status: int, code: int, message: str) -> web.Response:
        return web.json_response(
            {
                "code": code,
                "message": message,
                "more_info": f"https://www.twilio.com/docs/errors/{code}",
                "status": status,
            },
            status=status,
        )

    def _authorized(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization")
        if not header:
            return False
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        login, colon, password = decoded.partition(":")
        if not colon:
            return False
        if login == self._account_sid:
            return hmac.compare_digest(password, self._auth_token)
        secret = self._api_keys.get(login)
        return secret is not None and hmac.compare_digest(password, secret)

    def _gate(self, request: web.Request) -> tuple[float, web.Response | None]:
        """Authentication, account and injected errors shared by every endpoint."""
        with self._lock:
            self.request_count += 1
            hang = self._hangs.popleft() if self._hangs else 0.0
        if not self._authorized(request):
            return hang, self._error(401, 20003, "Authenticate")
        account = request.match_info["account_sid"]
        if account != self._account_sid:
            return hang, self._error(404, 20404, f"The requested resource {request.path} was not found")
        with self._lock:
            injected = self._injected.popleft() if self._injected else None
            if injected is None and self._random_failures is not None and request.method == "POST":
                rate, statuses, rng = self._random_failures
                if rng.random() < rate:
                    status = rng.choice(statuses)
                    code, text = _HTTP_ERROR_DEFAULTS.get(status, (20000 + status, "Error"))
                    injected = _InjectedError(status, code, text)
        if injected is not None:
            return hang, self._error(injected.status, injected.code, injected.message)
        return hang, None

    async def _handle_create(self, request: web.Request) -> web.Response:
        hang, response = self._gate(request)
        if response is None:
            if request.content_type == "application/x-www-form-urlencoded":
                pairs = parse_qsl((await request.read()).decode("utf-8"), keep_blank_values=True)
            else:
                form = await request.post()
                pairs = [(key, str(value)) for key, value in form.items()]
            media = [value for key, value in pairs if key == "MediaUrl"]
            response = self._create(dict(pairs), media)
        if hang > 0:
            await self._pause(hang)
        return response

    async def _handle_fetch(self, request: web.Request) -> web.Response:
        hang, response = self._gate(request)
        if response is None:
            sid = request.match_info["message_sid"]
            with self._lock:
                msg = self._by_sid.get(sid)
            if msg is None:
                response = self._error(404, 20404, f"The requested resource {request.path} was not found")
            else:
                response = web.json_response(self._resource(msg))
        if hang > 0:
            await self._pause(hang)
        return response

    def _create(self, params: dict[str, str], media: list[str]) -> web.Response:
        to = params.get("To", "").strip()
        from_ = params.get("From", "").strip() or None
        service = params.get("MessagingServiceSid", "").strip() or None
        body = params.get("Body", "")
        callback = params.get("StatusCallback", "").strip() or None
        if not to:
            return self._error(400, 21604, "A 'To' phone number is required.")
        if from_ is None and service is None:
            return self._error(400, 21603, "A 'From' phone number is required.")
        if not body and not media and not params.get("ContentSid"):
            return self._error(400, 21602, "Message body is required.")
        if len(body) > MAX_BODY_CHARS:
            return self._error(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
        if self.strict_numbers:
            if not _E164.match(to):
                return self._error(400, 21211, f"Invalid 'To' Phone Number: {to}")
            if from_ is not None and not _E164.match(from_) and not from_.isalnum():
                return self._error(400, 21212, f"Invalid From Number (caller ID): {from_}")
        if callback is not None and urlsplit(callback).scheme not in ("http", "https"):
            return self._error(400, 21609, "Invalid StatusCallback")
        with self._lock:
            failure = self._number_failures.get(to)
        if failure is not None and failure.delivery_status is None:
            return self._error(400, failure.code, failure.message)

        msg = SentMessage(
            sid=new_sid("SM"),
            account_sid=self._account_sid,
            to=to,
            from_=from_,
            body=body,
            status_callback=callback,
            messaging_service_sid=service,
            received_at=time.monotonic(),
            date_created=datetime.now(UTC).replace(microsecond=0),
            num_segments=segment_count(body),
            params=params,
            status="queued" if from_ is not None else "accepted",
        )
        with self._changed:
            self._messages.append(msg)
            self._by_sid[msg.sid] = msg
            self._changed.notify_all()
        if self.auto_callbacks:
            self._spawn(self._auto_lifecycle(msg))
        return web.json_response(self._resource(msg), status=201)

    def _resource(self, msg: SentMessage) -> dict[str, Any]:
        uri = f"/{API_VERSION}/Accounts/{msg.account_sid}/Messages/{msg.sid}"
        created = _rfc2822(msg.date_created)
        sent = msg.status in ("sent", "delivered", "undelivered", "read")
        error_message = None
        if msg.error_code is not None:
            error_message = DELIVERY_ERROR_MESSAGES.get(msg.error_code)
        return {
            "account_sid": msg.account_sid,
            "api_version": API_VERSION,
            "body": msg.body,
            "date_created": created,
            "date_sent": created if sent else None,
            "date_updated": _rfc2822(datetime.now(UTC)),
            "direction": "outbound-api",
            "error_code": msg.error_code,
            "error_message": error_message,
            "from": msg.from_ if msg.status in ("queued", "accepted") else self._sender(msg),
            "messaging_service_sid": msg.messaging_service_sid,
            "num_media": "0",
            "num_segments": str(msg.num_segments),
            "price": None,
            "price_unit": "USD",
            "sid": msg.sid,
            "status": msg.status,
            "subresource_uris": {"media": f"{uri}/Media.json", "feedback": f"{uri}/Feedback.json"},
            "to": msg.to,
            "uri": f"{uri}.json",
        }

    # --------------------------------------------------------------------------- status callbacks

    def _sender(self, msg: SentMessage) -> str:
        """The number a message goes out from: its From, or the service's number."""
        return msg.from_ or self.service_number

    def _lifecycle(self, msg: SentMessage) -> list[tuple[str, int | None]]:
        """The statuses Twilio would report for ``msg``, in order."""
        with self._lock:
            failure = self._number_failures.get(msg.to)
        if failure is not None and failure.delivery_status == "failed":
            return [("failed", failure.code)]
        if failure is not None and failure.delivery_status == "undelivered":
            return [("sent", None), ("undelivered", failure.code)]
        return [("sent", None), ("delivered", None)]

    def _out_of_order(self, msg: SentMessage) -> list[tuple[str, int | None]]:
        final = self._lifecycle(msg)[-1]
        return [final, ("sent", None)]

    async def _auto_lifecycle(self, msg: SentMessage) -> None:
        assert self._closing is not None and self._server_http is not None
        for status, code in self._lifecycle(msg):
            await self._pause(self.callback_delay)
            if self._closing.is_set():
                return
            if msg.status_callback is None:
                self._set_status(msg, status, code)
            else:
                await self._apost_status(msg, status, code, None, self._server_http)

    def _set_status(self, msg: SentMessage, status: str, error_code: int | None) -> None:
        with self._changed:
            msg.status = status
            if error_code is not None:
                msg.error_code = error_code
            self._changed.notify_all()

    def _status_webhook(
        self, msg: SentMessage, status: str, error_code: int | None, url: str | None
    ) -> _Webhook:
        signed_url = url or msg.status_callback
        if not signed_url:
            raise ValueError(f"message {msg.sid} has no StatusCallback; pass url=")
        params = {
            "ApiVersion": API_VERSION,
            "AccountSid": msg.account_sid,
            "MessageSid": msg.sid,
            "SmsSid": msg.sid,
            "MessageStatus": status,
            "SmsStatus": status,
            "From": self._sender(msg),
            "To": msg.to,
        }
        if msg.messaging_service_sid:
            params["MessagingServiceSid"] = msg.messaging_service_sid
        if error_code is not None:
            params["ErrorCode"] = str(error_code)
        return self._webhook(signed_url, signed_url, params, None)

    def _webhook(
        self,
        url: str,
        signed_url: str,
        params: dict[str, str],
        target: str | None,
        signature: str | None = None,
    ) -> _Webhook:
        base = target or self.callback_target
        post_url = rebase_url(url, base) if base else url
        headers = {
            SIGNATURE_HEADER: signature if signature is not None else self.sign(signed_url, params),
            "User-Agent": "TwilioProxy/1.1",
            "Content-Type": "application/x-www-form-urlencoded",
            "I-Twilio-Idempotency-Token": str(uuid.uuid4()),
        }
        return _Webhook(post_url, signed_url, params, headers)

    def sign(self, url: str, params: Mapping[str, str]) -> str:
        """The X-Twilio-Signature Twilio would send for a POST of ``params`` to ``url``."""
        return self._validator.compute_signature(url, dict(params))

    def _record_callback(
        self,
        msg: SentMessage,
        status: str,
        code: int | None,
        hook: _Webhook,
        response_status: int | None,
        error: str | None,
    ) -> None:
        record = CallbackDelivery(
            sid=msg.sid,
            status=status,
            error_code=code,
            url=hook.signed_url,
            posted_to=hook.post_url,
            params=hook.params,
            signature=hook.headers[SIGNATURE_HEADER],
            response_status=response_status,
            error=error,
            sent_at=time.monotonic(),
        )
        with self._changed:
            self._callbacks.append(record)
            self._changed.notify_all()

    def _client_sync(self) -> httpx.Client:
        with self._lock:
            if self._sync_http is None:
                self._sync_http = httpx.Client(timeout=10.0)
            return self._sync_http

    def _post_status(
        self, msg: SentMessage, status: str, code: int | None, url: str | None, client: httpx.Client | None
    ) -> int:
        hook = self._status_webhook(msg, status, code, url)
        self._set_status(msg, status, code)
        http = client or self._client_sync()
        try:
            response = http.post(hook.post_url, data=hook.params, headers=hook.headers)
        except httpx.HTTPError as exc:
            self._record_callback(msg, status, code, hook, None, repr(exc))
            raise
        self._record_callback(msg, status, code, hook, response.status_code, None)
        return response.status_code

    async def _apost_status(
        self,
        msg: SentMessage,
        status: str,
        code: int | None,
        url: str | None,
        client: httpx.AsyncClient | None,
    ) -> int | None:
        hook = self._status_webhook(msg, status, code, url)
        self._set_status(msg, status, code)
        try:
            if client is not None:
                response = await client.post(hook.post_url, data=hook.params, headers=hook.headers)
            else:
                async with httpx.AsyncClient(timeout=10.0) as http:
                    response = await http.post(hook.post_url, data=hook.params, headers=hook.headers)
        except httpx.HTTPError as exc:
            self._record_callback(msg, status, code, hook, None, repr(exc))
            if client is self._server_http:
                return None  # automatic callbacks: recorded, like Twilio's failed webhook attempts
            raise
        self._record_callback(msg, status, code, hook, response.status_code, None)
        return response.status_code

    def send_status(
        self,
        sid: str,
        status: str,
        error_code: int | None = None,
        url: str | None = None,
        *,
        client: httpx.Client | None = None,
    ) -> int:
        """Post one signed status callback for message ``sid``; return the HTTP status it got.

        ``url`` (default: the message's StatusCallback) is the URL signed; the POST goes to it, or
        to ``callback_target`` with the same path when that is set.
        """
        return self._post_status(self.message(sid), status, error_code, url, client)

    def send_lifecycle(self, sid: str, *, client: httpx.Client | None = None) -> list[int]:
        """Post the callbacks Twilio would send for ``sid`` ("sent", then the final status)."""
        msg = self.message(sid)
        return [self._post_status(msg, s, c, None, client) for s, c in self._lifecycle(msg)]

    def send_statuses_out_of_order(self, sid: str, *, client: httpx.Client | None = None) -> list[int]:
        """Post the final status ("delivered", or the configured failure) before "sent"."""
        msg = self.message(sid)
        return [self._post_status(msg, s, c, None, client) for s, c in self._out_of_order(msg)]

    def send_status_twice(
        self, sid: str, status: str, error_code: int | None = None, *, client: httpx.Client | None = None
    ) -> list[int]:
        """Post the same status callback twice, one after the other."""
        msg = self.message(sid)
        return [self._post_status(msg, status, error_code, None, client) for _ in range(2)]

    async def asend_status(
        self,
        sid: str,
        status: str,
        error_code: int | None = None,
        url: str | None = None,
        *,
        client: httpx.AsyncClient | None = None,
    ) -> int:
        """The awaitable twin of `send_status` (pass a client bound to an ASGI app to skip the network)."""
        result = await self._apost_status(self.message(sid), status, error_code, url, client)
        assert result is not None
        return result

    async def asend_lifecycle(self, sid: str, *, client: httpx.AsyncClient | None = None) -> list[int]:
        msg = self.message(sid)
        return [await self.asend_status(sid, s, c, client=client) for s, c in self._lifecycle(msg)]

    async def asend_statuses_out_of_order(
        self, sid: str, *, client: httpx.AsyncClient | None = None
    ) -> list[int]:
        msg = self.message(sid)
        return [await self.asend_status(sid, s, c, client=client) for s, c in self._out_of_order(msg)]

    async def asend_status_twice(
        self, sid: str, status: str, error_code: int | None = None, *, client: httpx.AsyncClient | None = None
    ) -> list[int]:
        return [await self.asend_status(sid, status, error_code, client=client) for _ in range(2)]

    # ---------------------------------------------------------------------------- inbound messages

    def _inbound_webhook(
        self,
        url: str,
        from_: str,
        to: str,
        body: str,
        message_sid: str | None,
        target: str | None,
        signature_url: str | None,
        extra_params: Mapping[str, str] | None,
        messaging_service_sid: str | None,
        signature: str | None,
    ) -> _Webhook:
        sid = message_sid or new_sid("SM")
        params = {
            "ToCountry": _country_of(to),
            "SmsMessageSid": sid,
            "NumMedia": "0",
            "SmsSid": sid,
            "SmsStatus": "received",
            "Body": body,
            "FromCountry": _country_of(from_),
            "To": to,
            "MessagingServiceSid": messaging_service_sid,
            "NumSegments": str(segment_count(body)),
            "MessageSid": sid,
            "AccountSid": self._account_sid,
            "From": from_,
            "ApiVersion": API_VERSION,
        }
        clean = {key: value for key, value in params.items() if value is not None}
        clean.update(extra_params or {})
        return self._webhook(url, signature_url or url, clean, target, signature)

    def send_inbound(
        self,
        url: str,
        from_: str,
        to: str,
        body: str,
        message_sid: str | None = None,
        target: str | None = None,
        signature_url: str | None = None,
        extra_params: Mapping[str, str] | None = None,
        *,
        messaging_service_sid: str | None = None,
        signature: str | None = None,
        client: httpx.Client | None = None,
    ) -> httpx.Response:
        """Post a signed inbound-SMS webhook, as Twilio does when a patient texts in.

        The signature covers ``signature_url or url`` (``signature`` overrides the header outright).
        The POST goes to ``url``, with scheme and host replaced by ``target`` (or by
        ``callback_target``) when given; ``client`` may be bound to a test app.
        """
        hook = self._inbound_webhook(
            url,
            from_,
            to,
            body,
            message_sid,
            target,
            signature_url,
            extra_params,
            messaging_service_sid,
            signature,
        )
        http = client or self._client_sync()
        return http.post(hook.post_url, data=hook.params, headers=hook.headers)

    def send_inbound_twice(
        self,
        url: str,
        from_: str,
        to: str,
        body: str,
        message_sid: str | None = None,
        target: str | None = None,
        signature_url: str | None = None,
        extra_params: Mapping[str, str] | None = None,
        *,
        messaging_service_sid: str | None = None,
        client: httpx.Client | None = None,
    ) -> tuple[httpx.Response, httpx.Response]:
        """Post the same inbound message (same MessageSid) twice, one after the other."""
        sid = message_sid or new_sid("SM")
        responses = [
            self.send_inbound(
                url,
                from_,
                to,
                body,
                sid,
                target,
                signature_url,
                extra_params,
                messaging_service_sid=messaging_service_sid,
                client=client,
            )
            for _ in range(2)
        ]
        return responses[0], responses[1]

    async def asend_inbound(
        self,
        url: str,
        from_: str,
        to: str,
        body: str,
        message_sid: str | None = None,
        target: str | None = None,
        signature_url: str | None = None,
        extra_params: Mapping[str, str] | None = None,
        *,
        messaging_service_sid: str | None = None,
        signature: str | None = None,
        client: httpx.AsyncClient | None = None,
    ) -> httpx.Response:
        """The awaitable twin of `send_inbound` (``client`` may use ``httpx.ASGITransport``)."""
        hook = self._inbound_webhook(
            url,
            from_,
            to,
            body,
            message_sid,
            target,
            signature_url,
            extra_params,
            messaging_service_sid,
            signature,
        )
        if client is not None:
            return await client.post(hook.post_url, data=hook.params, headers=hook.headers)
        async with httpx.AsyncClient(timeout=10.0) as http:
            return await http.post(hook.post_url, data=hook.params, headers=hook.headers)

    async def send_inbound_concurrently(
        self,
        url: str,
        from_: str,
        to: str,
        body: str,
        message_sid: str | None = None,
        target: str | None = None,
        signature_url: str | None = None,
        extra_params: Mapping[str, str] | None = None,
        *,
        copies: int = 2,
        messaging_service_sid: str | None = None,
        client: httpx.AsyncClient | None = None,
    ) -> list[httpx.Response]:
        """Post ``copies`` of the same inbound message (same MessageSid) at once."""
        sid = message_sid or new_sid("SM")
        hook = self._inbound_webhook(
            url, from_, to, body, sid, target, signature_url, extra_params, messaging_service_sid, None
        )

        async def post(http: httpx.AsyncClient) -> httpx.Response:
            return await http.post(hook.post_url, data=hook.params, headers=hook.headers)

        if client is not None:
            return list(await asyncio.gather(*(post(client) for _ in range(copies))))
        async with httpx.AsyncClient(timeout=10.0) as http:
            return list(await asyncio.gather(*(post(http) for _ in range(copies))))

    # ------------------------------------------------------------------------------------ calls

    @property
    def calls(self) -> list[PlacedCall]:
        """A snapshot of every accepted call, oldest first."""
        with self._lock:
            return list(self._calls)

    def call(self, sid: str) -> PlacedCall:
        with self._lock:
            try:
                return self._calls_by_sid[sid]
            except KeyError:
                raise KeyError(f"no call with sid {sid}") from None

    def calls_to(self, number: str) -> list[PlacedCall]:
        with self._lock:
            return [c for c in self._calls if c.to == number]

    async def await_for_call(
        self,
        predicate: Callable[[PlacedCall], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> PlacedCall:
        return await self._await(lambda: self._first(self._calls, predicate), timeout, "call")

    async def _handle_create_call(self, request: web.Request) -> web.Response:
        hang, response = self._gate(request)
        if response is None:
            pairs = parse_qsl((await request.read()).decode("utf-8"), keep_blank_values=True)
            events = tuple(value for key, value in pairs if key == "StatusCallbackEvent")
            response = self._create_call(dict(pairs), events)
        if hang > 0:
            await self._pause(hang)
        return response

    async def _handle_fetch_call(self, request: web.Request) -> web.Response:
        hang, response = self._gate(request)
        if response is None:
            with self._lock:
                call = self._calls_by_sid.get(request.match_info["call_sid"])
            if call is None:
                response = self._error(404, 20404, f"The requested resource {request.path} was not found")
            else:
                response = web.json_response(self._call_resource(call))
        if hang > 0:
            await self._pause(hang)
        return response

    def _create_call(self, params: dict[str, str], events: tuple[str, ...]) -> web.Response:
        to = params.get("To", "").strip()
        from_ = params.get("From", "").strip()
        twiml = params.get("Twiml") or None
        url = params.get("Url", "").strip() or None
        callback = params.get("StatusCallback", "").strip() or None
        if not to:
            return self._error(400, 21201, "No 'To' number is specified")
        if not from_:
            return self._error(400, 21213, "No 'From' number is specified")
        if twiml is None and url is None:
            return self._error(400, 21205, "Url parameter is required")
        if twiml is not None:
            if len(twiml) > 4000:
                return self._error(400, 21232, "Twiml exceeds the 4000 character limit")
            try:
                ElementTree.fromstring(twiml)
            except ElementTree.ParseError:
                return self._error(400, 12100, "Document parse failure")
        if self.strict_numbers:
            if not _E164.match(to):
                return self._error(400, 21211, f"Invalid 'To' Phone Number: {to}")
            if not _E164.match(from_):
                return self._error(400, 21212, f"Invalid 'From' Phone Number: {from_}")
        if callback is not None and urlsplit(callback).scheme not in ("http", "https"):
            return self._error(400, 21609, "Invalid StatusCallback")
        with self._lock:
            failure = self._number_failures.get(to)
        if failure is not None and failure.delivery_status is None:
            return self._error(400, failure.code, failure.message)
        call = PlacedCall(
            sid=new_sid("CA"), account_sid=self._account_sid, to=to, from_=from_, twiml=twiml, url=url,
            status_callback=callback, status_callback_events=events,
            date_created=datetime.now(UTC).replace(microsecond=0), params=params,
        )
        with self._changed:
            self._calls.append(call)
            self._calls_by_sid[call.sid] = call
            self._changed.notify_all()
        return web.json_response(self._call_resource(call), status=201)

    def _call_resource(self, call: PlacedCall) -> dict[str, Any]:
        uri = f"/{API_VERSION}/Accounts/{call.account_sid}/Calls/{call.sid}"
        return {
            "account_sid": call.account_sid,
            "api_version": API_VERSION,
            "date_created": _rfc2822(call.date_created),
            "date_updated": _rfc2822(datetime.now(UTC)),
            "direction": "outbound-api",
            "from": call.from_,
            "from_formatted": call.from_,
            "sid": call.sid,
            "status": call.status,
            "to": call.to,
            "to_formatted": call.to,
            "uri": f"{uri}.json",
        }

    def _call_params(self, call: PlacedCall, status: str) -> dict[str, str]:
        return {
            "AccountSid": call.account_sid,
            "ApiVersion": API_VERSION,
            "CallSid": call.sid,
            "CallStatus": status,
            "Called": call.to,
            "Caller": call.from_,
            "Direction": "outbound-api",
            "From": call.from_,
            "To": call.to,
        }

    async def _apost(self, hook: _Webhook, client: httpx.AsyncClient | None) -> httpx.Response:
        if client is not None:
            return await client.post(hook.post_url, data=hook.params, headers=hook.headers)
        async with httpx.AsyncClient(timeout=10.0) as http:
            return await http.post(hook.post_url, data=hook.params, headers=hook.headers)

    async def asend_call_status(
        self,
        sid: str,
        status: str,
        error_code: int | None = None,
        *,
        target: str | None = None,
        signature: str | None = None,
        client: httpx.AsyncClient | None = None,
    ) -> httpx.Response:
        """Post one signed call status callback to the call's StatusCallback, as Twilio does as the
        call moves (queued, initiated, ringing, in-progress, then completed, busy, no-answer, failed
        or canceled). ``signature`` overrides the header outright."""
        call = self.call(sid)
        if call.status_callback is None:
            raise ValueError(f"call {sid} has no StatusCallback")
        with self._changed:
            call.sequence += 1
            call.status = status
            self._changed.notify_all()
        params = self._call_params(call, status)
        params.update({"CallbackSource": "call-progress-events", "SequenceNumber": str(call.sequence - 1),
                       "Timestamp": _rfc2822(datetime.now(UTC))})
        if status == "completed":
            params["CallDuration"] = "14"
        if error_code is not None:
            params["ErrorCode"] = str(error_code)
        hook = self._webhook(call.status_callback, call.status_callback, params, target, signature)
        return await self._apost(hook, client)

    async def agather(
        self,
        sid: str,
        digits: str,
        *,
        gather: int = 0,
        target: str | None = None,
        signature: str | None = None,
        client: httpx.AsyncClient | None = None,
    ) -> httpx.Response:
        """Post what a person keyed into the call's ``gather``-th ``<Gather>`` to its action URL,
        signed (``signature`` overrides the header outright), as Twilio does once the digits are in;
        the call is then in progress."""
        call = self.call(sid)
        gathers = call.gathers()
        if not gathers:
            raise ValueError(f"call {sid} has no <Gather>")
        action = gathers[gather].get("action")
        if not action:
            raise ValueError(f"the <Gather> of call {sid} has no action")
        with self._changed:
            call.status = "in-progress"
            self._changed.notify_all()
        params = self._call_params(call, "in-progress")
        params.update({"Digits": digits, "FinishedOnKey": "", "msg": "Gather End"})
        hook = self._webhook(action, action, params, target, signature)
        return await self._apost(hook, client)
