"""Web push behind one interface: the real push services through pywebpush, signed with VAPID.

Every push is encrypted for its subscription (aes128gcm, RFC 8291) and carries a VAPID JWT
(RFC 8292: ES256, ``aud`` the endpoint's origin, ``exp`` 12 hours ahead, ``sub`` the contact).
Tests point subscriptions at a local push-service stand-in (tests/fakes/fake_push.py)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

import aiohttp
from py_vapid import Vapid
from pywebpush import WebPusher

from companion.messaging.push_policy import PushResult
from companion.settings import Settings
from companion.vapid_keys import private_key_pem, subject_for

log = logging.getLogger("companion.push")

JWT_LIFETIME_SECONDS = 12 * 60 * 60


@dataclass(frozen=True)
class OutgoingPush:
    push_id: int
    endpoint: str
    p256dh: str
    auth: str
    payload: bytes
    topic: str  # the push service keeps only the newest undelivered push of a topic
    ttl: int


class PushGateway(Protocol):
    name: str

    async def send(self, push: OutgoingPush) -> PushResult: ...

    async def close(self) -> None: ...


def origin_of(endpoint: str) -> str:
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc}"


class WebPushGateway:
    name = "webpush"

    def __init__(self, private_key: str, subject: str, *, timeout: float = 10.0) -> None:
        self._vapid = Vapid.from_pem(private_key_pem(private_key).encode())
        self.subject = subject
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    def vapid_headers(self, endpoint: str) -> dict[str, str]:
        # The push service judges ``exp`` by its own clock: wall time, not the companion's clock.
        claims = {"sub": self.subject, "aud": origin_of(endpoint), "exp": int(time.time()) + JWT_LIFETIME_SECONDS}
        headers: dict[str, str] = self._vapid.sign(claims)
        return headers

    async def send(self, push: OutgoingPush) -> PushResult:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        headers = self.vapid_headers(push.endpoint)
        headers["Topic"] = push.topic
        headers["Urgency"] = "normal"
        subscription = {"endpoint": push.endpoint, "keys": {"p256dh": push.p256dh, "auth": push.auth}}
        try:
            response = await WebPusher(subscription, aiohttp_session=self._session).send_async(
                push.payload, headers, ttl=push.ttl, content_encoding="aes128gcm", timeout=self.timeout,
            )
        except TimeoutError:
            return PushResult(None, "timed out")
        except aiohttp.ClientError as exc:
            return PushResult(None, type(exc).__name__)
        assert isinstance(response, aiohttp.ClientResponse)
        return PushResult(response.status, (response.reason or "")[:200])

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def create_push_gateway(settings: Settings) -> PushGateway | None:
    """The push gateway, or None when push is off (no VAPID key: docs/push.md)."""
    if not settings.vapid_private_key:
        return None
    return WebPushGateway(settings.vapid_private_key, subject_for(settings))
