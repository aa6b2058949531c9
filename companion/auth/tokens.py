"""Stateless signed bearer tokens (HMAC-SHA256). Pure: no I/O, time passed in."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta


class TokenError(Exception):
    """The token is malformed, forged or expired."""


@dataclass(frozen=True)
class TokenClaims:
    kind: str  # "staff" or "patient"
    subject_id: int
    clinic_id: int
    role: str | None
    expires_at: int  # unix seconds
    purpose: str = "access"
    nonce: str | None = None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    padding = "=" * (-len(text) % 4)
    return base64.urlsafe_b64decode(text + padding)


def _sign(secret: str, payload: str) -> str:
    return _b64(hmac.new(secret.encode(), payload.encode("ascii"), hashlib.sha256).digest())


def issue(secret: str, claims: TokenClaims) -> str:
    body = json.dumps(
        {
            "k": claims.kind,
            "s": claims.subject_id,
            "c": claims.clinic_id,
            "r": claims.role,
            "e": claims.expires_at,
            "p": claims.purpose,
            **({"n": claims.nonce} if claims.nonce else {}),
        },
        separators=(",", ":"),
    )
    payload = _b64(body.encode())
    return f"{payload}.{_sign(secret, payload)}"


def make_claims(
    kind: str, subject_id: int, clinic_id: int, role: str | None, now: datetime, ttl: timedelta,
    purpose: str = "access",
) -> TokenClaims:
    return TokenClaims(kind, subject_id, clinic_id, role, int((now + ttl).timestamp()), purpose)


def verify(secret: str, token: str, now: datetime, purpose: str = "access") -> TokenClaims:
    try:
        payload, signature = token.split(".", 1)
    except ValueError as exc:
        raise TokenError("malformed token") from exc
    if not hmac.compare_digest(signature, _sign(secret, payload)):
        raise TokenError("bad signature")
    try:
        data = json.loads(_unb64(payload))
        claims = TokenClaims(
            kind=str(data["k"]),
            subject_id=int(data["s"]),
            clinic_id=int(data["c"]),
            role=data.get("r"),
            expires_at=int(data["e"]),
            purpose=str(data.get("p", "access")),
            nonce=data.get("n"),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise TokenError("malformed token") from exc
    if claims.purpose != purpose:
        raise TokenError("token not valid here")
    if claims.expires_at <= int(now.timestamp()):
        raise TokenError("token expired")
    return claims
