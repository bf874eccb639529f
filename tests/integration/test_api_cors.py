"""CORS for the admin UI served from another origin: the Vite dev server's origins by default outside
production, exactly the configured ones with ARCHER_CORS_ORIGINS, none when it is empty."""

from __future__ import annotations

import pytest

from shared.config import Settings
from tests.api_support import API, open_api

sqlite_only = pytest.mark.parametrize("api_database", ["sqlite"], indirect=True)


def preflight(origin: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "PATCH",
        "Access-Control-Request-Headers": "x-api-key,content-type",
    }


@sqlite_only
async def test_the_dev_server_may_call_the_api_by_default(api_database: str) -> None:
    """Unset, the Vite dev server's origins pass the preflight with X-API-Key and Content-Type, read the
    responses and Retry-After; other origins get no CORS headers."""
    async with open_api(api_database) as api:
        allowed = await api.client.options(f"{API}/organization", headers=preflight("http://localhost:5173"))
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == "http://localhost:5173"
        assert {"x-api-key", "content-type"} <= {
            h.strip().lower() for h in allowed.headers["access-control-allow-headers"].split(",")
        }
        assert "PATCH" in allowed.headers["access-control-allow-methods"]
        read = await api.client.get(
            f"{API}/organization", headers={**api.headers(), "Origin": "http://127.0.0.1:5173"}
        )
        assert read.headers["access-control-allow-origin"] == "http://127.0.0.1:5173"
        assert "retry-after" in read.headers["access-control-expose-headers"].lower()
        stranger = await api.client.get(
            f"{API}/organization", headers={**api.headers(), "Origin": "https://evil.example"}
        )
        assert "access-control-allow-origin" not in stranger.headers
        refused = await api.client.options(f"{API}/organization", headers=preflight("https://evil.example"))
        assert "access-control-allow-origin" not in refused.headers


@sqlite_only
async def test_configured_origins_replace_the_default_and_empty_means_none(api_database: str) -> None:
    """ARCHER_CORS_ORIGINS lists the allowed origins (comma-separated, spaces and a trailing slash
    forgiven); an empty value adds no CORS handling at all."""
    origins = "https://admin.bank.example/, https://ops.bank.example"
    async with open_api(api_database, ARCHER_CORS_ORIGINS=origins) as api:
        ok = await api.client.options(f"{API}/customers", headers=preflight("https://ops.bank.example"))
        assert ok.headers["access-control-allow-origin"] == "https://ops.bank.example"
        dev = await api.client.options(f"{API}/customers", headers=preflight("http://localhost:5173"))
        assert "access-control-allow-origin" not in dev.headers
    async with open_api(api_database, ARCHER_CORS_ORIGINS="") as api:
        none = await api.client.get(
            f"{API}/organization", headers={**api.headers(), "Origin": "http://localhost:5173"}
        )
        assert none.status_code == 200 and "access-control-allow-origin" not in none.headers


def test_the_origin_list_is_parsed_and_production_has_no_default() -> None:
    """The setting is split on commas; production without it allows no origin."""
    assert Settings(ARCHER_CORS_ORIGINS=" https://a.example/ ,,https://b.example").cors_origin_list == [
        "https://a.example",
        "https://b.example",
    ]
    assert Settings(ARCHER_ENV="local").cors_origin_list == ["http://127.0.0.1:5173", "http://localhost:5173"]
    production = Settings.model_construct(env="production", cors_origins=None)
    assert production.cors_origin_list == []
