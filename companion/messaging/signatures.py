"""Twilio webhook signatures, checked against the public URL Twilio called."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

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


def is_valid(settings: Settings, url: str, params: Mapping[str, str], signature: str | None) -> bool:
    if not signature:
        return False
    return bool(RequestValidator(webhook_auth_token(settings)).validate(url, dict(params), signature))


def sign(settings: Settings, url: str, params: Mapping[str, str]) -> str:
    return str(RequestValidator(webhook_auth_token(settings)).compute_signature(url, dict(params)))
