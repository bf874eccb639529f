"""Archer's settings: one typed object read from the environment, cached behind `get_settings()`.

Every adapter choice (database, cache, LLM, telephony, telemetry) is decided here and nowhere else. Outside
production a missing vendor credential selects the embedded offline default; in production a missing
required setting, or a development default left in place, is a startup error that names the setting.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_BOOTSTRAP_API_KEY = "archer-local-dev-key"
DEV_CORS_ORIGINS = ("http://127.0.0.1:5173", "http://localhost:5173")  # the Vite dev server (`npm run dev`)

Environment = Literal["local", "test", "production"]

logger = logging.getLogger(__name__)


def default_database_url() -> str:
    """The local SQLite file, under `.archer/` in the working directory (the repository root for `make run`)."""
    return f"sqlite:///{Path.cwd() / '.archer' / 'archer.db'}"


class ConfigurationError(RuntimeError):
    """A setting is missing or unsafe for the environment; the message names the setting."""


class Settings(BaseSettings):
    """Every setting Archer reads. Field aliases are the environment variable names."""

    model_config = SettingsConfigDict(
        env_file=None,  # the environment is the only source; `.env` files are never read implicitly
        extra="ignore",
        populate_by_name=True,
        frozen=True,
    )

    env: Environment = Field(default="local", alias="ARCHER_ENV")
    database_url: str = Field(default_factory=default_database_url, alias="ARCHER_DATABASE_URL")
    redis_url: str | None = Field(default=None, alias="ARCHER_REDIS_URL")
    public_base_url: str | None = Field(default=None, alias="ARCHER_PUBLIC_BASE_URL")
    # Unset outside production means the documented local key; see `effective_bootstrap_api_key`.
    bootstrap_api_key: SecretStr | None = Field(default=None, alias="ARCHER_BOOTSTRAP_API_KEY")
    task_hub: str = Field(default="ArcherHub", alias="ARCHER_TASK_HUB")
    # The local campaign driver's clock: `virtual` jumps over durable timers (a simulation at 3 a.m. dials
    # the day's calls in minutes); `auto` is virtual with simulated telephony and real with Twilio.
    campaign_clock: Literal["auto", "real", "virtual"] = Field(default="auto", alias="ARCHER_CAMPAIGN_CLOCK")
    log_level: str = Field(default="INFO", alias="ARCHER_LOG_LEVEL")
    log_format: Literal["json", "console"] = Field(default="console", alias="ARCHER_LOG_FORMAT")
    db_pool_size: int = Field(default=5, ge=1, le=100, alias="ARCHER_DB_POOL_SIZE")
    # `entra`: sign in to PostgreSQL with a Microsoft Entra token of the managed identity (AZURE_CLIENT_ID), a
    # fresh one for each new connection, instead of a password in the URL (Azure deploys it so).
    database_auth: Literal["password", "entra"] = Field(default="password", alias="ARCHER_DATABASE_AUTH")
    azure_client_id: str | None = Field(default=None, alias="AZURE_CLIENT_ID")

    # API requests allowed per API key per minute (a fixed window in the cache, shared by every instance
    # when the cache is Redis); 0 turns the limit off.
    rate_limit_per_minute: int = Field(default=600, ge=0, alias="ARCHER_RATE_LIMIT_PER_MINUTE")
    # Browser origins allowed to call the API (CORS), comma-separated. Unset: the Vite dev server's origins
    # outside production, none in production; empty: none (no CORS middleware).
    cors_origins: str | None = Field(default=None, alias="ARCHER_CORS_ORIGINS")

    # LLM brain: used when OPENAI_API_KEY is set; the base URL points it at any OpenAI-compatible server.
    openai_api_key: SecretStr | None = Field(default=None, alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(default=None, alias="OPENAI_BASE_URL")
    llm_model: str = Field(default="gpt-4o-mini", alias="ARCHER_LLM_MODEL")
    # A model that fails must not leave the caller in silence: each request is cut off after the timeout,
    # a 429/5xx/connection error is retried this many times (waiting what Retry-After asks, at most 2 s),
    # and the caller waits at most the turn budget for the first words before the scripted brain answers.
    llm_timeout_seconds: float = Field(default=8.0, gt=0, le=120, alias="ARCHER_LLM_TIMEOUT_SECONDS")
    llm_max_retries: int = Field(default=1, ge=0, le=5, alias="ARCHER_LLM_MAX_RETRIES")
    llm_turn_budget_seconds: float = Field(default=12.0, gt=0, le=120, alias="ARCHER_LLM_TURN_BUDGET_SECONDS")

    # Telephony and voice.
    twilio_account_sid: str | None = Field(default=None, alias="TWILIO_ACCOUNT_SID")
    twilio_auth_token: SecretStr | None = Field(default=None, alias="TWILIO_AUTH_TOKEN")
    twilio_api_base_url: str | None = Field(default=None, alias="ARCHER_TWILIO_API_BASE_URL")
    # The caller id of outbound calls when the organization sets none (`caller_id_number`).
    twilio_from_number: str | None = Field(default=None, alias="TWILIO_FROM_NUMBER")
    # Where the voice webhook bridges answered calls: the agent's SIP address (Cartesia's SIP ingress),
    # e.g. `sip:archer@agent.example.com`; Archer's call id travels as the `x-archer-call-id` header.
    agent_sip_uri: str | None = Field(default=None, alias="ARCHER_AGENT_SIP_URI")
    cartesia_api_key: SecretStr | None = Field(default=None, alias="CARTESIA_API_KEY")
    # The shared secret the Cartesia harness presents to the agent host (required there in production).
    agent_token: SecretStr | None = Field(default=None, alias="ARCHER_AGENT_TOKEN")

    # Payments: a tokenizing HTTP gateway when both are set, else the embedded sandbox (test cards only).
    payments_gateway_url: str | None = Field(default=None, alias="ARCHER_PAYMENTS_GATEWAY_URL")
    payments_api_key: SecretStr | None = Field(default=None, alias="ARCHER_PAYMENTS_API_KEY")

    # Telemetry.
    applicationinsights_connection_string: SecretStr | None = Field(
        default=None, alias="APPLICATIONINSIGHTS_CONNECTION_STRING"
    )
    # Print spans, metrics and OpenTelemetry logs to stdout when no connection string is set (debugging).
    telemetry_console: bool = Field(default=False, alias="ARCHER_TELEMETRY_CONSOLE")

    @field_validator("database_url")
    @classmethod
    def _database_url_is_supported(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("ARCHER_DATABASE_URL must be a sqlite:// or postgresql+psycopg:// URL")
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            # The plain scheme would pick psycopg2, which is not installed; psycopg 3 is the driver.
            value = "postgresql+psycopg://" + value.split("://", 1)[1]
        return value

    @field_validator(
        "redis_url",
        "public_base_url",
        "openai_base_url",
        "twilio_api_base_url",
        "twilio_from_number",
        "agent_sip_uri",
    )
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("payments_gateway_url")
    @classmethod
    def _blank_gateway_is_unset(cls, value: str | None) -> str | None:
        return value or None

    @model_validator(mode="after")
    def _enforce_production_requirements(self) -> Settings:
        if self.env != "production":
            return self
        problems: list[str] = []
        if self.database_url.startswith("sqlite"):
            problems.append("ARCHER_DATABASE_URL must point at PostgreSQL in production")
        if not self.redis_url:
            problems.append("ARCHER_REDIS_URL is required in production")
        if not self.public_base_url:
            problems.append(
                "ARCHER_PUBLIC_BASE_URL is required in production (Twilio signs webhooks with it)"
            )
        elif not self.public_base_url.startswith("https://"):
            problems.append("ARCHER_PUBLIC_BASE_URL must be https:// in production")
        key = self.bootstrap_api_key.get_secret_value() if self.bootstrap_api_key else None
        if key == DEV_BOOTSTRAP_API_KEY:
            problems.append(
                "ARCHER_BOOTSTRAP_API_KEY is the local development default; set a secret or unset it"
            )
        if not self.twilio_account_sid:
            problems.append("TWILIO_ACCOUNT_SID is required in production")
        if not self.twilio_auth_token:
            problems.append(
                "TWILIO_AUTH_TOKEN is required in production (webhook signatures are checked with it)"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def effective_bootstrap_api_key(self) -> str | None:
        """The key `archer seed` gives the demo organization: the configured one, else the dev default locally."""
        if self.bootstrap_api_key is not None:
            return self.bootstrap_api_key.get_secret_value()
        return None if self.is_production else DEV_BOOTSTRAP_API_KEY

    @property
    def cors_origin_list(self) -> list[str]:
        """The origins `ARCHER_CORS_ORIGINS` allows; unset means the local dev server's outside production."""
        if self.cors_origins is None:
            return [] if self.is_production else list(DEV_CORS_ORIGINS)
        return [origin.strip().rstrip("/") for origin in self.cors_origins.split(",") if origin.strip()]

    @property
    def uses_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def describe_adapters(self) -> dict[str, str]:
        """Which adapter each port uses, for the startup log line and `/api/v1/health`."""
        return {
            "database": "postgresql" if not self.uses_sqlite else "sqlite",
            "cache": "redis" if self.redis_url else "in-process",
            "brain": "llm" if self.openai_api_key else "scripted",
            "telephony": "twilio" if self.twilio_account_sid and self.twilio_auth_token else "simulated",
            "telemetry": "azure-monitor" if self.applicationinsights_connection_string else "console",
        }


def load_settings() -> Settings:
    """Read the settings now, turning a validation failure into one `ConfigurationError` naming the settings."""
    from pydantic import ValidationError

    try:
        return Settings()
    except ValidationError as exc:
        details = []
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"])
            message = str(error["msg"]).removeprefix("Value error, ")
            details.append(f"{where}: {message}" if where else message)
        raise ConfigurationError("invalid configuration: " + "; ".join(details)) from None


@functools.cache
def get_settings() -> Settings:
    """The process-wide settings; tests call `get_settings.cache_clear()` after changing the environment."""
    return load_settings()
