"""Stateless signed bearer tokens (HMAC-SHA256). Pure: no I/O, time passed in.

A token is signed with one key and verified against a list (newest first), so a key can be
rotated: tokens signed with the previous key verify while it stays second in the list. A token
carries its subject's token version; a change that must end every earlier session increments
the version, and the request check refuses a token whose version is behind.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Sequence
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
    version: int = 0  # the subject's token version when it was issued


def as_keys(keys: Sequence[str]) -> tuple[str, ...]:
    """The keys to verify with; one bare string is refused (iterated, it would be its characters)."""
    if isinstance(keys, str):
        raise TypeError("pass a sequence of keys, not a single key")
    if not keys:
        raise ValueError("at least one key is needed")
    return tuple(keys)


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
            "v": claims.version,
            **({"n": claims.nonce} if claims.nonce else {}),
        },
        separators=(",", ":"),
    )
    payload = _b64(body.encode())
    return f"{payload}.{_sign(secret, payload)}"


def make_claims(
    kind: str, subject_id: int, clinic_id: int, role: str | None, now: datetime, ttl: timedelta,
    purpose: str = "access", version: int = 0,
) -> TokenClaims:
    return TokenClaims(kind, subject_id, clinic_id, role, int((now + ttl).timestamp()), purpose, version=version)


def verify(keys: Sequence[str], token: str, now: datetime, purpose: str = "access") -> TokenClaims:
    """The claims of a token signed with any of ``keys``, unexpired and meant for ``purpose``."""
    keys = as_keys(keys)
    try:
        payload, signature = token.split(".", 1)
    except ValueError as exc:
        raise TokenError("malformed token") from exc
    # Every key is tried, matched or not: the time taken does not tell which key signed.
    matches = [hmac.compare_digest(signature, _sign(key, payload)) for key in keys]
    if not any(matches):
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
            # Tokens issued before versions existed carry none: version 0, every row's start.
            version=int(data.get("v", 0)),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise TokenError("malformed token") from exc
    if claims.purpose != purpose:
        raise TokenError("token not valid here")
    if claims.expires_at <= int(now.timestamp()):
        raise TokenError("token expired")
    return claims
