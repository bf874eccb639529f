"""The Azure Function app: its functions, triggers and bindings, and the HTTP function serving the API when
called the way the host calls it."""

from __future__ import annotations

import json

import azure.functions as func
import pytest

from tests.azure_host import FunctionContext, durable_client_binding, functions_by_name, http_request


@pytest.fixture(scope="module")
def functions() -> dict[str, object]:
    import function_app

    return functions_by_name(function_app.app)


def test_api_function_has_route_trigger_and_durable_client(functions: dict[str, object]) -> None:
    """One anonymous HTTP trigger on v1/{*path} with every method, plus the Durable client binding."""
    api = functions["api"]
    bindings = {binding.type: binding.get_dict_repr() for binding in api.get_bindings()}  # type: ignore[attr-defined]
    assert bindings["httpTrigger"]["route"] == "v1/{*path}"
    assert bindings["httpTrigger"]["authLevel"] == func.AuthLevel.ANONYMOUS
    assert {str(m) for m in bindings["httpTrigger"]["methods"]} >= {"GET", "POST", "PUT", "PATCH", "DELETE"}
    assert bindings["durableClient"]["name"] == "client"


def test_host_json_pins_the_bundle_and_task_hub() -> None:
    """host.json: version 2.0, extension bundle [4.*, 5.0.0), task hub named from settings, /api prefix."""
    from tests.conftest import REPO_ROOT

    host = json.loads((REPO_ROOT / "host.json").read_text())
    assert host["version"] == "2.0"
    assert host["extensionBundle"]["version"] == "[4.*, 5.0.0)"
    assert host["extensions"]["durableTask"]["hubName"] == "%ARCHER_TASK_HUB%"
    assert host["extensions"]["http"]["routePrefix"] == "api"


async def test_http_function_serves_health(
    functions: dict[str, object], sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The function's user code, given a real HttpRequest, answers /api/v1/health from the FastAPI app."""
    from functions import http

    monkeypatch.setenv("ARCHER_DATABASE_URL", sqlite_url)
    http.asgi_app.cache_clear()
    user_code = functions["api"].get_user_function()  # type: ignore[attr-defined]
    try:
        response = await user_code(
            req=http_request("GET", "/api/v1/health"),
            context=FunctionContext("api"),
            client=durable_client_binding(),
        )
        assert response.status_code == 200
        body = json.loads(response.get_body())
        assert body["status"] == "ok" and body["checks"] == {"database": "ok", "cache": "ok"}

        missing = await user_code(
            req=http_request("GET", "/api/v1/no-such-thing"),
            context=FunctionContext("api"),
            client=durable_client_binding(),
        )
        assert missing.status_code == 404
        assert missing.mimetype == "application/problem+json"
        assert json.loads(missing.get_body())["type"] == "urn:archer:problem:not-found"
    finally:
        http.asgi_app.cache_clear()
