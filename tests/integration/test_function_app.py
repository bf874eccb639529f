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


async def test_http_function_serves_authenticated_writes_scoped_to_the_keys_organization(
    functions: dict[str, object], sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the function's user code with real HttpRequests: a customer created with an operator key is
    read back by the same organization, another organization's key gets 404 for it, a bad body is a
    problem+json naming the field, and no key is 401 — the same answers the local server gives."""
    from functions import http
    from shared.db.engine import make_engine, make_session_factory, transaction
    from shared.domain import Role
    from shared.models.audit import Actor
    from shared.models.organizations import ApiKeyCreate
    from shared.services import api_keys
    from tests.factories import make_org

    monkeypatch.setenv("ARCHER_DATABASE_URL", sqlite_url)
    engine = make_engine(sqlite_url)
    keys: list[str] = []
    with transaction(make_session_factory(engine)) as session:
        for _ in range(2):
            org = make_org(session)
            created = api_keys.create_api_key(
                session=session,
                org_id=org.id,
                key_in=ApiKeyCreate(name="fn", role=Role.OPERATOR),
                actor=Actor.system(),
            )
            keys.append(created.key)
    engine.dispose()
    mine, theirs = keys
    http.asgi_app.cache_clear()
    user_code = functions["api"].get_user_function()  # type: ignore[attr-defined]

    async def call(method: str, path: str, key: str | None, body: object = None) -> func.HttpResponse:
        headers = {"Content-Type": "application/json", **({"X-API-Key": key} if key else {})}
        request = http_request(method, path, headers=headers, body=json.dumps(body).encode() if body else b"")
        response: func.HttpResponse = await user_code(
            req=request, context=FunctionContext("api"), client=durable_client_binding()
        )
        return response

    try:
        customer = {
            "external_ref": "FN-1",
            "name": "Robin Fieldstone",
            "phone_number": "(602) 555-0199",
            "postal_code": "85004",
        }
        created = await call("POST", "/api/v1/customers", mine, customer)
        assert created.status_code == 201, created.get_body()
        customer_id = json.loads(created.get_body())["id"]
        assert (await call("GET", f"/api/v1/customers/{customer_id}", mine)).status_code == 200
        hidden = await call("GET", f"/api/v1/customers/{customer_id}", theirs)
        assert hidden.status_code == 404 and b"Fieldstone" not in hidden.get_body()
        bad = await call(
            "POST", "/api/v1/customers", mine, {**customer, "external_ref": "FN-2", "postal_code": "x"}
        )
        assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
        assert json.loads(bad.get_body())["field"] == "postal_code"
        assert (await call("GET", "/api/v1/customers", None)).status_code == 401
    finally:
        http.asgi_app.cache_clear()
