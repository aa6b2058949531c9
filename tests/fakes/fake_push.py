"""A local push-service stand-in for tests: what a browser vendor's push service does with a push.

`FakePushService` is a real HTTP server on 127.0.0.1 (run on its own loop in a background thread).
``device()`` plays a browser subscribing: it makes the browser's own P-256 key pair and 16-byte
auth secret and returns the subscription the app would send to the companion, with an endpoint on
this server. Each push that arrives is checked as a push service and a browser would check it:

- ``Authorization: vapid t=<JWT>, k=<public key>``: the JWT's ES256 signature verifies against
  ``k``, ``k`` is the companion's VAPID public key (when the fake was told it), ``aud`` is the
  endpoint's origin, ``exp`` is in the future and at most 24 hours away, ``sub`` is a mailto: or
  https: contact (RFC 8292);
- ``Content-Encoding: aes128gcm`` and a ``TTL`` header (RFC 8030);
- the body decrypts with the browser's private key and auth secret (RFC 8291) to the payload.

A push that fails a check is answered 400 (401 or 403 for the signature) and recorded as refused
with the reason. ``answer(device, 410, 500, ...)`` queues the statuses the next pushes to a device
get; the default is 201 Created.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import http_ece
from aiohttp import web
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Device:
    """One browser's subscription, with the secrets only the browser holds."""

    token: str
    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth_secret: bytes
    answers: deque[int] = field(default_factory=deque)

    @property
    def p256dh(self) -> str:
        return _b64(self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))

    def subscription(self) -> dict[str, Any]:
        """What ``PushSubscription.toJSON()`` gives the app."""
        return {"endpoint": self.endpoint, "expirationTime": None,
                "keys": {"p256dh": self.p256dh, "auth": _b64(self.auth_secret)}}


@dataclass(frozen=True)
class ReceivedPush:
    device: str
    status: int  # what the fake answered
    payload: dict[str, Any] | None  # decrypted, when every check passed
    claims: dict[str, Any] | None
    headers: dict[str, str]  # names in lower case
    refused: str | None = None  # why a check failed


class VapidCheckFailed(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def verify_vapid(authorization: str, *, audience: str, expected_key: str | None, now: float) -> dict[str, Any]:
    """The claims of a valid ``vapid t=..., k=...`` header; :class:`VapidCheckFailed` otherwise."""
    scheme, _, rest = authorization.partition(" ")
    if scheme.lower() != "vapid":
        raise VapidCheckFailed(401, "not a vapid authorization")
    parts = dict(p.strip().split("=", 1) for p in rest.split(",") if "=" in p)
    token, key = parts.get("t", ""), parts.get("k", "")
    if expected_key is not None and key != expected_key:
        raise VapidCheckFailed(403, "signed with another key")
    try:
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _unb64(key))
        header_b64, claims_b64, signature_b64 = token.split(".")
        header = json.loads(_unb64(header_b64))
        claims = json.loads(_unb64(claims_b64))
        raw = _unb64(signature_b64)
    except (ValueError, json.JSONDecodeError) as exc:
        raise VapidCheckFailed(401, f"malformed token ({type(exc).__name__})") from exc
    if header.get("alg") != "ES256" or len(raw) != 64:
        raise VapidCheckFailed(401, "not an ES256 token")
    signature = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    try:
        public.verify(signature, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise VapidCheckFailed(403, "bad signature") from exc
    if claims.get("aud") != audience:
        raise VapidCheckFailed(403, f"aud {claims.get('aud')!r} is not {audience!r}")
    exp = claims.get("exp")
    if not isinstance(exp, int) or exp <= now or exp > now + 24 * 60 * 60:
        raise VapidCheckFailed(403, "exp is not in the next 24 hours")
    sub = str(claims.get("sub", ""))
    if not (sub.startswith("mailto:") or sub.startswith("https:")):
        raise VapidCheckFailed(403, "sub is not a mailto: or https: contact")
    return claims


class FakePushService:
    def __init__(self, *, expected_key: str | None = None) -> None:
        self.expected_key = expected_key
        self.devices: dict[str, Device] = {}
        self.received: list[ReceivedPush] = []
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._ready = threading.Event()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ------------------------------------------------------------------ the browser's side

    def device(self) -> Device:
        token = secrets.token_urlsafe(24)
        device = Device(token, f"{self.origin}/push/{token}", ec.generate_private_key(ec.SECP256R1()),
                        secrets.token_bytes(16))
        with self._lock:
            self.devices[token] = device
        return device

    def answer(self, device: Device, *statuses: int) -> None:
        """The next pushes to ``device`` are answered with these statuses, in order; then 201."""
        with self._lock:
            device.answers.extend(statuses)

    def pushes_to(self, device: Device) -> list[ReceivedPush]:
        with self._lock:
            return [p for p in self.received if p.device == device.token]

    def clear(self) -> None:
        with self._lock:
            self.received.clear()

    # ------------------------------------------------------------------ the service's side

    async def _push(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        body = await request.read()
        headers = {k.lower(): v for k, v in request.headers.items()}  # names in lower case
        with self._lock:
            device = self.devices.get(token)
        if device is None:
            return self._record(token, 404, None, None, headers, "no such subscription")
        try:
            claims = verify_vapid(request.headers.get("Authorization", ""), audience=self.origin,
                                  expected_key=self.expected_key, now=time.time())
        except VapidCheckFailed as failed:
            return self._record(token, failed.status, None, None, headers, failed.reason)
        if request.headers.get("Content-Encoding") != "aes128gcm":
            return self._record(token, 400, None, claims, headers, "not aes128gcm")
        if "TTL" not in request.headers:
            return self._record(token, 400, None, claims, headers, "no TTL")
        try:
            plain = http_ece.decrypt(body, private_key=device.private_key, auth_secret=device.auth_secret,
                                     version="aes128gcm")
            payload = json.loads(plain)
        except Exception as exc:
            return self._record(token, 400, None, claims, headers, f"cannot decrypt ({type(exc).__name__})")
        with self._lock:
            status = device.answers.popleft() if device.answers else 201
        return self._record(token, status, payload, claims, headers, None)

    def _record(
        self, token: str, status: int, payload: dict[str, Any] | None, claims: dict[str, Any] | None,
        headers: dict[str, str], refused: str | None,
    ) -> web.Response:
        with self._lock:
            self.received.append(ReceivedPush(token, status, payload, claims, headers, refused))
        return web.Response(status=status, text=refused or "")

    # ------------------------------------------------------------------ running

    def start(self) -> None:
        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            app = web.Application()
            app.router.add_post("/push/{token}", self._push)
            self._runner = web.AppRunner(app, access_log=None)
            loop.run_until_complete(self._runner.setup())
            loop.run_until_complete(web.TCPSite(self._runner, "127.0.0.1", self.port).start())
            self._ready.set()
            loop.run_forever()
            loop.run_until_complete(self._runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=run, name="fake-push", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the fake push service did not start")

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
