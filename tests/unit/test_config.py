"""Settings: local defaults work offline; production refuses missing settings and dev defaults by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.config import DEV_BOOTSTRAP_API_KEY, ConfigurationError, load_settings

PRODUCTION = {
    "ARCHER_ENV": "production",
    "ARCHER_DATABASE_URL": "postgresql+psycopg://archer@db.example:5432/archer",
    "ARCHER_REDIS_URL": "rediss://cache.example:10000/0",
    "ARCHER_PUBLIC_BASE_URL": "https://archer.example",
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "TWILIO_AUTH_TOKEN": "secret-token",
}


def test_local_defaults_use_embedded_adapters(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """With nothing configured, Archer runs on SQLite under .archer/, the in-process cache and offline brains."""
    monkeypatch.setenv("ARCHER_ENV", "local")
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.database_url == f"sqlite:///{tmp_path / '.archer' / 'archer.db'}"
    assert settings.redis_url is None
    assert settings.effective_bootstrap_api_key == DEV_BOOTSTRAP_API_KEY
    assert settings.describe_adapters() == {
        "database": "sqlite",
        "cache": "in-process",
        "brain": "scripted",
        "telephony": "simulated",
        "telemetry": "console",
    }


def test_vendor_credentials_select_real_adapters(monkeypatch: pytest.MonkeyPatch) -> None:
    """Setting a vendor's usual variable switches its port to the real adapter."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC123")
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "token")
    monkeypatch.setenv("ARCHER_REDIS_URL", "redis://127.0.0.1:6379/0")
    adapters = load_settings().describe_adapters()
    assert adapters["brain"] == "llm"
    assert adapters["telephony"] == "twilio"
    assert adapters["cache"] == "redis"


def test_plain_postgres_scheme_uses_psycopg3(monkeypatch: pytest.MonkeyPatch) -> None:
    """A `postgresql://` URL (as Azure prints it) is read with the psycopg 3 driver."""
    monkeypatch.setenv("ARCHER_DATABASE_URL", "postgresql://u:p@h:5432/d")
    assert load_settings().database_url == "postgresql+psycopg://u:p@h:5432/d"


def test_unsupported_database_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only SQLite and PostgreSQL URLs are accepted, and the error names the setting."""
    monkeypatch.setenv("ARCHER_DATABASE_URL", "mysql://u@h/d")
    with pytest.raises(ConfigurationError, match="ARCHER_DATABASE_URL"):
        load_settings()


def test_complete_production_settings_load(monkeypatch: pytest.MonkeyPatch) -> None:
    """Production starts when every required setting is present, and has no bootstrap key by default."""
    for name, value in PRODUCTION.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert settings.is_production
    assert settings.effective_bootstrap_api_key is None


@pytest.mark.parametrize(
    "missing",
    [
        "ARCHER_DATABASE_URL",
        "ARCHER_REDIS_URL",
        "ARCHER_PUBLIC_BASE_URL",
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
    ],
)
def test_production_names_each_missing_setting(monkeypatch: pytest.MonkeyPatch, missing: str) -> None:
    """In production a missing required setting is a startup error that names it."""
    for name, value in PRODUCTION.items():
        if name != missing:
            monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=missing):
        load_settings()


def test_production_refuses_the_dev_bootstrap_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """The documented local API key is refused in production."""
    for name, value in PRODUCTION.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ARCHER_BOOTSTRAP_API_KEY", DEV_BOOTSTRAP_API_KEY)
    with pytest.raises(ConfigurationError, match="ARCHER_BOOTSTRAP_API_KEY"):
        load_settings()


def test_production_refuses_plain_http_public_url(monkeypatch: pytest.MonkeyPatch) -> None:
    """Webhooks must be reached over HTTPS in production."""
    for name, value in PRODUCTION.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ARCHER_PUBLIC_BASE_URL", "http://archer.example")
    with pytest.raises(ConfigurationError, match="https"):
        load_settings()


def test_model_limits_default_to_a_bounded_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unset, a model request times out after 8 s, is retried once, and the caller waits at most 12 s."""
    settings = load_settings()
    assert (settings.llm_timeout_seconds, settings.llm_max_retries, settings.llm_turn_budget_seconds) == (
        8.0,
        1,
        12.0,
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ARCHER_LLM_TIMEOUT_SECONDS", "0"),
        ("ARCHER_LLM_TIMEOUT_SECONDS", "-1"),
        ("ARCHER_LLM_TURN_BUDGET_SECONDS", "0"),
        ("ARCHER_LLM_MAX_RETRIES", "-1"),
        ("ARCHER_LLM_MAX_RETRIES", "9"),
        ("ARCHER_LLM_TIMEOUT_SECONDS", "soon"),
    ],
)
def test_model_limits_refuse_nonsense_by_name(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    """A zero, negative, huge or non-numeric model limit is a configuration error naming the setting."""
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=name):
        load_settings()
