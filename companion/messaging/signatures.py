"""Twilio webhook signatures, checked against the public URL Twilio called."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from functools import lru_cache

from twilio.request_validator import RequestValidator

from companion.settings import Settings


def webhook_auth_token(settings: Settings) -> str:
    """The key Twilio signs with. Without Twilio credentials (the console gateway) a local key is
    derived from the secret key, so `companion sms simulate` can sign and every webhook is still
    checked."""
    if settings.twilio_auth_token:
        return settings.twilio_auth_token
    return hmac.new(settings.secret_key.encode(), b"companion-console-webhook", hashlib.sha256).hexdigest()


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
    token = webhook_auth_token(settings)
    # Twilio signs the URL it was configured with: that is checked first (the webhook's hot path);
    # the SDK's full check also tries it with and without the port.
    if hmac.compare_digest(_signature(token, url, params), signature):
        return True
    return bool(_validator(token).validate(url, dict(params), signature))


def sign(settings: Settings, url: str, params: Mapping[str, str]) -> str:
    return _signature(webhook_auth_token(settings), url, params)
