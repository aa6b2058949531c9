"""Twilio webhook signatures, checked against the public URL Twilio called."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from functools import lru_cache

from twilio.request_validator import RequestValidator

from companion.settings import Settings


def webhook_auth_tokens(settings: Settings) -> tuple[str, ...]:
    """The keys a webhook may be signed with, the one to sign with first. With Twilio credentials:
    Twilio's auth token. Without them (the console gateway) a local key is derived from each secret
    key, so `companion sms simulate` can sign, every webhook is still checked, and a rotated key
    keeps verifying while it stays in the list."""
    if settings.twilio_auth_token:
        return (settings.twilio_auth_token,)
    return tuple(
        hmac.new(key.encode(), b"companion-console-webhook", hashlib.sha256).hexdigest() for key in settings.secret_keys
    )


def webhook_auth_token(settings: Settings) -> str:
    """The key webhooks are signed with."""
    return webhook_auth_tokens(settings)[0]


def public_url(settings: Settings, path: str, query: str) -> str:
    """Rebuild the URL Twilio called from the configured public base URL, not from the Host header
    (behind a proxy the two differ)."""
    url = settings.public_base_url.rstrip("/") + path
    return f"{url}?{query}" if query else url


@lru_cache(maxsize=8)
def _validator(auth_token: str) -> RequestValidator:
    return RequestValidator(auth_token)


def _signature(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """Twilio's scheme for a form POST: HMAC-SHA1 over the URL followed by each parameter's name and
    value, sorted by name, in base64."""
    payload = url + "".join(key + value for key, value in sorted(params.items()))
    return base64.b64encode(hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()).decode()


def is_valid(settings: Settings, url: str, params: Mapping[str, str], signature: str | None) -> bool:
    if not signature:
        return False
    tokens = webhook_auth_tokens(settings)
    # Twilio signs the URL it was configured with: that is checked first (the webhook's hot path);
    # the SDK's full check also tries it with and without the port.
    if any(hmac.compare_digest(_signature(token, url, params), signature) for token in tokens):
        return True
    return any(_validator(token).validate(url, dict(params), signature) for token in tokens)


def sign(settings: Settings, url: str, params: Mapping[str, str]) -> str:
    return _signature(webhook_auth_token(settings), url, params)
