"""Settings from COMPANION_* environment variables."""

from __future__ import annotations

import json
import os
from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./companion.db"
DEFAULT_PROTOCOL_FILE = Path(__file__).parent / "protocols" / "default.toml"

Network = IPv4Network | IPv6Network


def parse_networks(value: str) -> list[Network]:
    """``"10.0.0.0/8, 192.0.2.7"`` -> networks (a bare address is a network of one)."""
    try:
        return [ip_network(part.strip(), strict=False) for part in value.split(",") if part.strip()]
    except ValueError as exc:
        raise ValueError(f"trusted_proxies: {exc}") from exc


def default_password_workers() -> int:
    return min(4, os.cpu_count() or 1)


class SecretKeyError(ValueError):
    """The secret key is missing or too weak to start on (the message says how to make one)."""


def parse_secret_keys(raw: str | None) -> tuple[str, ...]:
    """``COMPANION_SECRET_KEY`` holds one key, or several separated by commas (newest first): the
    first signs, every one verifies, so a key can be rotated without ending every session."""
    return tuple(part.strip() for part in (raw or "").split(",") if part.strip())


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COMPANION_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    # One key or a comma-separated list, newest first; unset, the embedded SQLite default makes and
    # keeps its own (companion.secret_keys), and anything else refuses to start.
    secret_key: str | None = Field(default=None, repr=False)
    public_base_url: str = "http://127.0.0.1:8000"
    protocol_file: Path = DEFAULT_PROTOCOL_FILE
    environment: str = "development"
    # Log lines as text (the default) or one JSON object a line, for a log collector.
    log_format: Literal["text", "json"] = "text"
    # The least severe log records written (INFO: one line per message handled and sent).
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_from_number: str | None = None
    twilio_messaging_service_sid: str | None = None
    twilio_api_base_url: str | None = None

    staff_token_ttl_minutes: int = 12 * 60
    # An invitation or a password reset: the set-your-password link works once, for this long.
    staff_link_ttl_hours: int = Field(default=48, ge=1, le=14 * 24)
    patient_token_ttl_minutes: int = 30 * 24 * 60
    # Staff sign-in: this many failed passwords in a row lock the account for a while (the outer
    # bound); before that, each account and each client address backs off (see below).
    login_max_failures: int = Field(default=5, ge=1)
    login_lockout_minutes: int = Field(default=15, ge=1)

    # Backoff: after `free` sign-in attempts in a row that did not succeed, the next one from the
    # same account, address or phone number waits 2 s, then 4 s, 8 s ... up to the cap (429 with
    # Retry-After). Success starts afresh, and so does a quiet spell of `backoff_forget_minutes`.
    login_backoff_free_per_account: int = Field(default=3, ge=1)
    login_backoff_free_per_address: int = Field(default=10, ge=1)
    login_backoff_cap_seconds: int = Field(default=300, ge=1)
    patient_backoff_free_per_phone: int = Field(default=6, ge=1)
    patient_backoff_cap_seconds: int = Field(default=300, ge=1)
    backoff_forget_minutes: int = Field(default=60, ge=1)

    # argon2 runs in a thread pool of this many threads; at most `password_max_pending` password
    # checks wait or run at once in a process, more are refused with 429 (they cost no database).
    password_workers: int = Field(default_factory=default_password_workers, ge=1, le=64)
    password_max_pending: int = Field(default=8, ge=1)

    # Addresses or networks (CIDR) of the reverse proxies in front of the API: only their
    # X-Forwarded-For is believed, to find the client's address. None by default.
    trusted_proxies: Annotated[list[Network], NoDecode] = Field(default_factory=list)

    # Patient sign-in by a one-time SMS code. Requests per client address are limited over a
    # sliding window of stored requests; each number backs off (above); both hold across replicas.
    patient_code_ttl_minutes: int = Field(default=10, ge=1, le=60)
    patient_code_max_attempts: int = Field(default=5, ge=1)
    patient_code_window_minutes: int = Field(default=60, ge=1)
    patient_code_limit_per_address: int = Field(default=20, ge=1)

    # An API process handles the messages it stores that read as risk itself, right after commit,
    # so a crisis never waits behind ordinary messages; the scheduler process handles the rest.
    handle_urgent_inbound_in_api: bool = True
    # Inbound batches a worker or scheduler process handles at once while more keep waiting (one while
    # the queue is short; PostgreSQL; SQLite handles one at a time).
    inbound_concurrency: int = Field(default=4, ge=1, le=32)
    # Ordinary inbound messages handled in one transaction by each of those (one per number); the
    # routine ones of a batch are handled set-based (conversations/routine.py).
    inbound_batch_size: int = Field(default=64, ge=1, le=200)
    # The first wait before a failed send is tried again; each further wait doubles (SMS conventions).
    send_retry_base_seconds: float = Field(default=5.0, gt=0, le=60)

    # Prometheus metrics (docs/metrics.md): off unless enabled. With a token, a scrape must send
    # "Authorization: Bearer <token>". The scheduler process serves its own /metrics on
    # metrics_jobs_port when one is set (its dispatcher's send latency and provider errors).
    metrics_enabled: bool = False
    metrics_token: str | None = Field(default=None, min_length=16)
    metrics_jobs_host: str = "127.0.0.1"
    metrics_jobs_port: int | None = Field(default=None, ge=1, le=65535)

    # Web push (docs/push.md). The VAPID private key (PEM, or the raw key in base64url) signs every
    # push; unset, the embedded SQLite default makes and keeps its own (companion.vapid_keys) and
    # anything else sends no push (reminders then go by SMS where the patient consented).
    vapid_private_key: str | None = Field(default=None, repr=False)
    # The contact the push services are given with each push (mailto: or https:); unset, the public URL.
    vapid_subject: str | None = None
    # Each push is tried this many times at most (5xx, 429, timeouts) before it falls back to SMS.
    push_max_attempts: int = Field(default=4, ge=1, le=10)
    # A push service keeps an undelivered push this long for a device that is offline.
    push_ttl_seconds: int = Field(default=4 * 60 * 60, ge=0, le=28 * 24 * 60 * 60)
    # Accept http:// push endpoints: only for a local push-service stand-in, never in production.
    push_allow_http_endpoints: bool = False

    db_echo: bool = False
    db_pool_size: int = 10

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: Any) -> Any:
        """A comma-separated list in the environment; a JSON list or a list also works."""
        if isinstance(value, str):
            value = value.strip()
            if value.startswith("["):
                value = ",".join(str(v) for v in json.loads(value))
            return parse_networks(value)
        return [parse_networks(v)[0] if isinstance(v, str) else v for v in value or []]

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def is_production(self) -> bool:
        return self.environment.strip().lower() == "production"

    @property
    def secret_keys(self) -> tuple[str, ...]:
        """Every key that verifies, the signing key first."""
        keys = parse_secret_keys(self.secret_key)
        if not keys:
            raise SecretKeyError("no secret key is configured (set COMPANION_SECRET_KEY)")
        return keys

    @property
    def signing_key(self) -> str:
        return self.secret_keys[0]

    @property
    def push_enabled(self) -> bool:
        return bool(self.vapid_private_key)

    @property
    def twilio_configured(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token)


@lru_cache
def get_settings() -> Settings:
    return Settings()
