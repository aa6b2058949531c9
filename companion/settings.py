"""Settings from COMPANION_* environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./companion.db"
DEFAULT_PROTOCOL_FILE = Path(__file__).parent / "protocols" / "default.toml"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COMPANION_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str = Field(default="dev-only-secret-change-me", min_length=16)
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

    db_echo: bool = False
    db_pool_size: int = 10

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def twilio_configured(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token)


@lru_cache
def get_settings() -> Settings:
    return Settings()
