"""A browser's push subscription as the app sends it (``PushSubscription.toJSON()``), checked.

The endpoint is an https URL of at most 1,024 characters with a host and no user or password;
``p256dh`` is the browser's P-256 public key (65 bytes, uncompressed, on the curve) and ``auth``
its 16-byte secret, both base64url (docs/push.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import AfterValidator, Field

from companion.models.push import ENDPOINT_MAX
from companion.schemas import ReadModel, RequestModel
from companion.vapid_keys import b64url_decode

P256DH_BYTES = 65
AUTH_BYTES = 16


def check_endpoint(value: str) -> str:
    """An http(s) URL with a host, no credentials, no fragment, no spaces; whether http is allowed
    is the service's call (settings)."""
    if any(c.isspace() or ord(c) < 0x21 for c in value) or not value.isascii():
        raise ValueError("a push endpoint is a URL without spaces")
    try:
        parts = urlsplit(value)
        _ = parts.port  # a port that is not a number is refused here
    except ValueError as exc:
        raise ValueError("a push endpoint must be a URL") from exc
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError("a push endpoint must be an https URL")
    if parts.username is not None or parts.password is not None or parts.fragment:
        raise ValueError("a push endpoint carries no user, password or fragment")
    return value


def check_p256dh(value: str) -> str:
    try:
        raw = b64url_decode(value)
    except ValueError as exc:
        raise ValueError("p256dh must be base64url") from exc
    if len(raw) != P256DH_BYTES or raw[0] != 0x04:
        raise ValueError("p256dh must be an uncompressed P-256 public key (65 bytes)")
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except ValueError as exc:
        raise ValueError("p256dh is not a point on the P-256 curve") from exc
    return value.rstrip("=")


def check_auth(value: str) -> str:
    try:
        raw = b64url_decode(value)
    except ValueError as exc:
        raise ValueError("auth must be base64url") from exc
    if len(raw) != AUTH_BYTES:
        raise ValueError("auth must be 16 bytes")
    return value.rstrip("=")


Endpoint = Annotated[str, Field(min_length=12, max_length=ENDPOINT_MAX), AfterValidator(check_endpoint)]
P256dh = Annotated[str, Field(min_length=80, max_length=100), AfterValidator(check_p256dh)]
AuthSecret = Annotated[str, Field(min_length=16, max_length=32), AfterValidator(check_auth)]


class PushKeys(RequestModel):
    p256dh: P256dh
    auth: AuthSecret


class PushSubscriptionCreate(RequestModel):
    endpoint: Endpoint
    # Browsers send it (usually null); the push service's own expiry is learnt from its 404/410.
    expirationTime: int | None = Field(default=None, ge=0)
    keys: PushKeys


class PushStateRead(ReadModel):
    """Whether the companion sends push, the key the app subscribes with, and how many of the
    patient's devices have notifications on."""

    available: bool
    public_key: str | None
    devices: int


class PushSubscriptionRead(ReadModel):
    id: int
    created_at: datetime
