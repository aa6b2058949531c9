"""Every HTTP request gets an id: the caller's X-Request-ID when it is a sane token, else a new one.

The id goes back in the X-Request-ID response header and is readable, while the request is
handled, through ``current_request_id()``; the logging filter stamps it on every log record, so
the lines one request wrote can be found together, and an error answer names the id of its line."""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from litestar import Litestar
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "x-request-id"
_HEADER_BYTES = HEADER.encode("latin-1")
# Letters, digits and . _ : - only, at most 128: what proxies and tracers send (UUIDs, hex ids,
# "Root=1-..." is refused for its "="). Anything else is replaced, so the header cannot smuggle
# text into a log line or a response.
_SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")

_current: ContextVar[str | None] = ContextVar("companion_request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request being handled, or None outside a request."""
    return _current.get()


def accept_or_generate(incoming: str | None) -> str:
    """The caller's id when it is a sane token, else a fresh one."""
    if incoming is not None and _SANE.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def _incoming(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name.lower() == _HEADER_BYTES:
            return value.decode("latin-1")
    return None


class RequestIds:
    """ASGI middleware around the whole app (routing and error handling included), so every answer,
    a 404 or a 500 too, carries the id."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = accept_or_generate(_incoming(scope))

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", ()) if k.lower() != _HEADER_BYTES]
                headers.append((_HEADER_BYTES, request_id.encode("latin-1")))
                message["headers"] = headers
            await send(message)

        token = _current.set(request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            _current.reset(token)


def install(app: Litestar) -> None:
    """Wrap ``app`` so every request has an id; install it last, so it is the outermost layer."""
    app.asgi_handler = RequestIds(app.asgi_handler)


class RequestIdFilter(logging.Filter):
    """Stamps ``request_id`` (None outside a request) on each record a handler sees."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = _current.get()
        return True
