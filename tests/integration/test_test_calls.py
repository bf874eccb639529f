"""POST /test-calls on the real local server (`archer serve`'s app, the agent host on loopback, the agent token
required): a simulated customer plays the persona against the real agent in the background; the route answers
at once and the call completes with a transcript. Unknown personas, other organizations' customers and roles
are refused."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from dev_server.app import create_app
from functions.api.app import create_api
from functions.campaigns import blueprint
from shared.config import load_settings
from shared.db.engine import transaction
from shared.domain import CallStatus, Role
from shared.models.audit import Actor
from shared.models.campaigns import DialReceipt, DialRequest
from shared.models.organizations import ApiKeyCreate
from shared.runtime import build_runtime
from shared.services import api_keys
from tests.campaign_support import add_customer, make_bank


def _key(sessions: object, org_id: uuid.UUID, role: Role) -> str:
    with transaction(sessions) as session:  # type: ignore[arg-type]
        return api_keys.create_api_key(
            session=session, org_id=org_id, key_in=ApiKeyCreate(name=role.value, role=role), actor=Actor.cli()
        ).key


def test_a_simulated_test_call_completes_with_a_transcript(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The call is queued at once (202), then runs over the agent's websocket with the agent token and ends
    completed, with the persona's outcome, an ordered transcript and the auditor's findings."""
    monkeypatch.setenv("ARCHER_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("ARCHER_AGENT_TOKEN", "agent-secret-for-tests")
    runtime = build_runtime(load_settings())
    org_id = make_bank(runtime.sessions)
    customer_id, _ = add_customer(runtime.sessions, org_id)
    other_customer, _ = add_customer(runtime.sessions, make_bank(runtime.sessions))
    operator = {"X-API-Key": _key(runtime.sessions, org_id, Role.OPERATOR)}
    viewer = {"X-API-Key": _key(runtime.sessions, org_id, Role.VIEWER)}
    with TestClient(create_app(runtime, ui_dist=tmp_path)) as client:
        started = client.post(
            "/api/v1/test-calls",
            json={"persona": "cooperative_payer", "customer_id": str(customer_id), "tactic_name": "empathetic_partner"},
            headers=operator,
        )  # fmt: skip
        assert started.status_code == 202, started.text
        body = started.json()
        assert body["mode"] == "simulated" and body["status"] == "queued"
        assert body["customer_id"] == str(customer_id) and body["tactic_name"] == "empathetic_partner"
        call_id = body["call_id"]
        deadline = time.monotonic() + 60
        while True:
            detail = client.get(f"/api/v1/calls/{call_id}", headers=viewer).json()
            if detail["status"] in {"completed", "failed"} or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        unknown = client.post("/api/v1/test-calls", json={"persona": "space_pirate"}, headers=operator)
        theirs = client.post(
            "/api/v1/test-calls",
            json={"persona": "hardship", "customer_id": str(other_customer)},
            headers=operator,
        )
        refused = client.post("/api/v1/test-calls", json={"persona": "hardship"}, headers=viewer)
    assert detail["status"] == "completed", detail
    assert detail["call_type"] == "test" and detail["outcome"] == "payment"
    assert len(detail["transcript"]) > 5
    assert [entry["sequence"] for entry in detail["transcript"]] == sorted(
        e["sequence"] for e in detail["transcript"]
    )
    assert any(entry["entry_type"] == "tool" for entry in detail["transcript"])
    assert detail["findings"] == []
    assert unknown.status_code == 422 and unknown.json()["field"] == "persona"
    assert "cooperative_payer" in unknown.json()["detail"]
    assert theirs.status_code == 404
    assert refused.status_code == 403


class _TwilioBoundary:
    """The telephony boundary when Twilio is configured: records what the route asked to dial."""

    def __init__(self) -> None:
        self.requests: list[DialRequest] = []

    async def dial(self, request: DialRequest) -> DialReceipt:
        self.requests.append(request)
        return DialReceipt(call_sid="CA" + request.call_id.hex, status=CallStatus.INITIATED)


async def test_with_twilio_configured_a_real_call_is_placed(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Twilio credentials switch test calls to the function app's dialer: the call is dialed once to the
    number asked for, with an idempotency key, and its SID and status are stored (mode `twilio`)."""
    monkeypatch.setenv("ARCHER_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "0" * 32)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "secret")
    boundary = _TwilioBoundary()
    monkeypatch.setattr(blueprint, "make_dialer", lambda runtime: boundary)
    runtime = build_runtime(load_settings())
    org_id = make_bank(runtime.sessions)
    customer_id, account_id = add_customer(runtime.sessions, org_id)
    headers = {"X-API-Key": _key(runtime.sessions, org_id, Role.OPERATOR)}
    app = create_api(runtime)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://archer.test"
    ) as client:
        response = await client.post(
            "/api/v1/test-calls",
            json={"persona": "operator", "customer_id": str(customer_id), "phone_number": "(602) 555-0199"},
            headers=headers,
        )
        assert response.status_code == 202, response.text
        body = response.json()
        detail = (await client.get(f"/api/v1/calls/{body['call_id']}", headers=headers)).json()
    assert body["mode"] == "twilio" and body["status"] == "initiated"
    [request] = boundary.requests
    assert (request.to_number, request.customer_id, request.account_id) == (
        "+16025550199",
        customer_id,
        account_id,
    )
    assert request.idempotency_key == f"test-call:{body['call_id']}"
    assert detail["call_sid"] == "CA" + uuid.UUID(body["call_id"]).hex and detail["status"] == "initiated"
    await runtime.aclose()


def test_without_the_local_server_or_twilio_simulated_calls_are_unavailable(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The function app alone (no simulator runner, no Twilio) answers 503 and creates no call."""
    monkeypatch.setenv("ARCHER_DATABASE_URL", sqlite_url)
    runtime = build_runtime(load_settings())
    org_id = make_bank(runtime.sessions)
    headers = {"X-API-Key": _key(runtime.sessions, org_id, Role.OPERATOR)}
    with TestClient(create_api(runtime)) as client:
        response = client.post("/api/v1/test-calls", json={"persona": "hardship"}, headers=headers)
        calls_after = client.get("/api/v1/calls", headers=headers).json()
    assert response.status_code == 503 and response.json()["type"] == "urn:archer:problem:unavailable"
    assert calls_after["count"] == 0
