"""A configuration edit is live on the agent's next call, end to end: the API (its own runtime, as the function
app is its own process) edits a tactic; the agent host (another runtime on the same database and cache
server, its configuration cache subscribed to the bus) serves real simulated calls over its websocket. On
SQLite with the in-process cache and on PostgreSQL with Redis."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from agent_host.simulator import run_simulated_call, serve_agent_host
from functions.api.app import create_api
from shared.db.engine import make_engine, make_session_factory, transaction
from shared.db.tables import Call
from shared.domain import Role
from shared.integrations.cache import InMemoryCache
from shared.models.organizations import ApiKeyCreate
from shared.runtime import Runtime
from shared.services import api_keys
from shared.services.config_cache import generation_key
from tests.agent_support import ACTOR, AgentDatabase, agent_database, agent_runtime, make_debtor

__all__ = ["agent_database", "agent_runtime"]


@pytest.fixture
async def api_runtime(agent_runtime: Runtime, agent_database: AgentDatabase) -> AsyncIterator[Runtime]:
    """The API's process: its own engine, sessions and configuration cache; the same cache server."""
    engine = make_engine(agent_database.url)
    shared = agent_runtime.cache
    cache = shared if isinstance(shared, InMemoryCache) else shared.detached()
    runtime = Runtime(
        settings=agent_runtime.settings, engine=engine, sessions=make_session_factory(engine), cache=cache
    )
    yield runtime
    await runtime.aclose()


def _tactic_of(runtime: Runtime, call_id: uuid.UUID) -> uuid.UUID | None:
    with transaction(runtime.sessions) as session:
        call = session.get(Call, call_id)
        assert call is not None
        return call.behavioral_tactic_id


async def test_a_tactic_edited_through_the_api_is_used_by_the_next_call(
    agent_runtime: Runtime, api_runtime: Runtime, agent_database: AgentDatabase
) -> None:
    """Call 1 uses (and caches) version n; an admin PUTs the tactic; call 2 — started once the agent
    host's listener handled the invalidation, no clock involved — uses version n+1 and records its id,
    while call 1 keeps version n's."""
    org_id = agent_database.org_id
    with transaction(api_runtime.sessions) as session:
        key = api_keys.create_api_key(
            session=session, org_id=org_id, key_in=ApiKeyCreate(name="admin", role=Role.ADMIN), actor=ACTOR
        ).key
    customers = [make_debtor(agent_runtime, org_id) for _ in range(2)]  # the first one pays in full
    metadata = [
        {"organization_id": str(org_id), "customer_id": str(customer.id), "call_type": "test"}
        for customer in customers
    ]
    await agent_runtime.config.start()

    app = create_api(api_runtime)
    async with (
        serve_agent_host(agent_runtime) as url,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://archer.test") as client,
    ):
        headers = {"X-API-Key": key}
        before = (await client.get("/api/v1/tactics/empathetic_partner", headers=headers)).json()
        first = await run_simulated_call(
            agent_url=url, persona="cooperative_payer", metadata=metadata[0], sessions=agent_runtime.sessions
        )
        assert first.outcome is first.expected_outcome
        assert str(_tactic_of(agent_runtime, first.call_id)) == before["id"]
        assert agent_runtime.config.cached_locally(org_id, "tactic", "empathetic_partner")

        config = {**before["config"], "urgency_level": 5 if before["config"]["urgency_level"] != 5 else 1}
        edited = await client.put(
            "/api/v1/tactics/empathetic_partner", json={"config": config}, headers=headers
        )
        assert edited.status_code == 200, edited.text
        after = edited.json()
        assert after["version"] == before["version"] + 1

        generation = await api_runtime.cache.get(generation_key(org_id))
        assert generation is not None
        await agent_runtime.config.wait_for_generation(org_id, generation)
        second = await run_simulated_call(
            agent_url=url, persona="cooperative_payer", metadata=metadata[1], sessions=agent_runtime.sessions
        )
    assert str(_tactic_of(agent_runtime, second.call_id)) == after["id"]
    assert str(_tactic_of(agent_runtime, first.call_id)) == before["id"]
    assert second.outcome is second.expected_outcome
