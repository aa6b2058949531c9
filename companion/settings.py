"""Settings from COMPANION_* environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./companion.db"
DEFAULT_PROTOCOL_FILE = Path(__file__).parent / "protocols" / "default.toml"


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

    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_from_number: str | None = None
    twilio_messaging_service_sid: str | None = None
    twilio_api_base_url: str | None = None

    staff_token_ttl_minutes: int = 12 * 60
    patient_token_ttl_minutes: int = 30 * 24 * 60
    login_max_failures: int = 5
    login_lockout_minutes: int = 15

    # Patient sign-in by a one-time SMS code. The limits count stored code requests over a
    # sliding window, per phone number and per client address, so they hold across replicas.
    patient_code_ttl_minutes: int = Field(default=10, ge=1, le=60)
    patient_code_max_attempts: int = Field(default=5, ge=1)
    patient_code_window_minutes: int = Field(default=60, ge=1)
    patient_code_limit_per_phone: int = Field(default=5, ge=1)
    patient_code_limit_per_address: int = Field(default=20, ge=1)

    # An API process handles the messages it stores that read as risk itself, right after commit,
    # so a crisis never waits behind ordinary messages; the scheduler process handles the rest.
    handle_urgent_inbound_in_api: bool = True
    # Inbound messages the scheduler process handles at once (PostgreSQL; SQLite handles one at a time).
    inbound_concurrency: int = Field(default=4, ge=1, le=32)
    # The first wait before a failed send is tried again; each further wait doubles (SMS conventions).
    send_retry_base_seconds: float = Field(default=5.0, gt=0, le=60)

    # Prometheus metrics (docs/metrics.md): off unless enabled. With a token, a scrape must send
    # "Authorization: Bearer <token>". The scheduler process serves its own /metrics on
    # metrics_jobs_port when one is set (its dispatcher's send latency and provider errors).
    metrics_enabled: bool = False
    metrics_token: str | None = Field(default=None, min_length=16)
    metrics_jobs_host: str = "127.0.0.1"
    metrics_jobs_port: int | None = Field(default=None, ge=1, le=65535)

    db_echo: bool = False
    db_pool_size: int = 10

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
    def twilio_configured(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token)


@lru_cache
def get_settings() -> Settings:
    return Settings()
