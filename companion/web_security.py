"""Security headers on every answer, and HEAD wherever GET is answered.

The content security policy fits the two apps the companion serves (web/static): the patient PWA
and the staff dashboard load only their own scripts, style sheets, images, manifest and service
worker, talk only to their own origin, use no inline script or style and are never framed. The
same policy goes on the API's answers, where it costs nothing.

``Referrer-Policy: no-referrer``: an SMS link opens the app at ``/?c=<one-time token>``, and the
dashboard's pages show patient ids in their paths; no referrer means neither leaves in a Referer
header, to this origin or any other, and the apps need none.

An answer that says nothing of caching gets ``Cache-Control: no-store``: the API's answers carry
tokens and health information, which no browser or proxy cache should keep (the static apps say
``no-cache`` themselves; the PWA's service worker keeps its own offline copies, see sw.js)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from litestar.enums import ScopeType
from litestar.exceptions import MethodNotAllowedException, NotFoundException
from litestar.utils import normalize_path

if TYPE_CHECKING:
    from litestar import Litestar
    from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "manifest-src 'self'",
    "worker-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
])
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()" for feature in (
        "accelerometer", "camera", "display-capture", "geolocation", "gyroscope", "magnetometer",
        "microphone", "payment", "usb",
    )
)
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = tuple(
    (name.encode("latin-1"), value.encode("latin-1")) for name, value in (
        ("content-security-policy", CONTENT_SECURITY_POLICY),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        ("permissions-policy", PERMISSIONS_POLICY),
        ("cross-origin-opener-policy", "same-origin"),
        ("cache-control", "no-store"),
    )
)


class SecurityHeaders:
    """Adds each of SECURITY_HEADERS the answer does not set itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers.extend(header for header in SECURITY_HEADERS if header[0] not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class HeadAsGet:
    """A HEAD request to a path that answers GET is answered as that GET is, headers (Content-Length
    included) and all, without the body (RFC 9110, 9.3.2). Litestar answers 405 where a route has no
    HEAD handler of its own, and its own HEAD for static files leaves out the Content-Type; so every
    HEAD goes this way, and a route needs no HEAD handler."""

    def __init__(self, app: ASGIApp, litestar: Litestar) -> None:
        self.app = app
        self.litestar = litestar

    def _answers_get(self, scope: Scope) -> bool:
        path = scope["path"]
        if root_path := scope.get("root_path", ""):
            path = path.split(root_path, maxsplit=1)[-1]
        try:
            self.litestar.asgi_router.handle_routing(path=normalize_path(path), method="GET")
        except (MethodNotAllowedException, NotFoundException):
            return False
        return True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or scope["method"] != "HEAD" or not self._answers_get(scope):
            await self.app(scope, receive, send)
            return

        async def send_without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        as_get: HTTPScope = {**scope, "method": "GET"}
        await self.app(as_get, receive, send_without_body)


def install(app: Litestar) -> None:
    """Wrap ``app`` (its routing and error handling included) in the headers and HEAD support."""
    app.asgi_handler = SecurityHeaders(HeadAsGet(app.asgi_handler, app))
