"""The agent host mounted in the local one-process server under /agent: status, and a whole simulated call
through /agent/ws next to the API."""

from __future__ import annotations

import uuid

import httpx
import pytest

from agent_host.simulator import run_simulated_call, serve_app
from dev_server.app import create_app
from shared.config import load_settings
from shared.db.engine import transaction
from shared.domain import CallOutcome
from shared.models.audit import Actor
from shared.models.organizations import OrganizationCreate
from shared.runtime import build_runtime
from shared.services import organizations
from tests.agent_support import BANK_SETTINGS, make_debtor


async def test_the_local_server_serves_the_agent_under_agent(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    """`/agent/status` answers, and a persona completes a call over `/agent/ws` with zero findings."""
    monkeypatch.setenv("ARCHER_DATABASE_URL", sqlite_url)
    runtime = build_runtime(load_settings())
    with transaction(runtime.sessions) as session:
        org = organizations.create_organization(
            session=session,
            org_in=OrganizationCreate(name=f"Mounted {uuid.uuid4().hex[:6]}", settings=BANK_SETTINGS),
            actor=Actor.cli(),
        ).organization
        organizations.install_defaults(session=session, org_id=org.id, actor=Actor.cli())
    customer = make_debtor(runtime, org.id)
    app = create_app(runtime, ui_dist=tmp_path)  # type: ignore[arg-type]
    try:
        async with serve_app(app) as base:
            async with httpx.AsyncClient(base_url=base) as client:
                status = await client.get("/agent/status")
                health = await client.get("/api/v1/health")
            result = await run_simulated_call(
                agent_url=f"{base}/agent",
                persona="needs_plan",
                metadata={"customer_id": str(customer.id)},
                sessions=runtime.sessions,
            )
    finally:
        await runtime.aclose()
    assert status.status_code == 200 and status.json()["status"] == "ok"
    assert health.status_code == 200
    assert result.outcome is CallOutcome.PAYMENT_PLAN and result.findings == []
