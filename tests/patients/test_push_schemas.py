"""A push subscription as the app sends it is checked before it is stored: table tests."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import ValidationError

from companion.patients.push_schemas import PushSubscriptionCreate


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


POINT = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
    serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
P256DH = _b64(POINT)
AUTH = _b64(b"0123456789abcdef")
ENDPOINT = "https://fcm.googleapis.com/fcm/send/dQw4w9WgXcQ:APA91bH"


def _body(**changes: object) -> dict[str, object]:
    body: dict[str, object] = {"endpoint": ENDPOINT, "expirationTime": None, "keys": {"p256dh": P256DH, "auth": AUTH}}
    return body | changes


def test_a_browser_subscription_is_taken() -> None:
    taken = PushSubscriptionCreate.model_validate(_body())
    assert (taken.endpoint, taken.keys.p256dh, taken.keys.auth) == (ENDPOINT, P256DH, AUTH)
    padded = PushSubscriptionCreate.model_validate(_body(keys={"p256dh": P256DH + "=", "auth": AUTH + "=="}))
    assert (padded.keys.p256dh, padded.keys.auth) == (P256DH, AUTH)


OFF_CURVE = _b64(b"\x04" + b"\x01" * 64)


@pytest.mark.parametrize(
    "changes",
    [
        {"endpoint": "ftp://push.example.org/abcdefgh"},
        {"endpoint": "https:///no-host-at-all"},
        {"endpoint": "https://user:pw@push.example.org/abc"},
        {"endpoint": "https://push.example.org/a b c d"},
        {"endpoint": "https://push.example.org/abc#frag"},
        {"endpoint": "https://push.example.org:99999/abc"},
        {"endpoint": "https://push.example.org/" + "a" * 1100},
        {"endpoint": "https://pûsh.example.org/abcdefgh"},
        {"endpoint": "short"},
        {"keys": {"p256dh": _b64(POINT[:33]), "auth": AUTH}},  # a compressed point
        {"keys": {"p256dh": OFF_CURVE, "auth": AUTH}},  # not on the curve
        {"keys": {"p256dh": _b64(b"\x05" + POINT[1:]), "auth": AUTH}},
        {"keys": {"p256dh": P256DH[:-2] + "+/", "auth": AUTH}},  # base64, not base64url
        {"keys": {"p256dh": P256DH, "auth": _b64(b"0123456789abcde")}},  # 15 bytes
        {"keys": {"p256dh": P256DH, "auth": _b64(b"0123456789abcdefg")}},  # 17 bytes
        {"keys": {"p256dh": P256DH}},
        {"keys": {"p256dh": P256DH, "auth": AUTH, "extra": "x"}},
        {"expirationTime": -1},
        {"unknown": 1},
    ],
)
def test_anything_else_is_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        PushSubscriptionCreate.model_validate(_body(**changes))
