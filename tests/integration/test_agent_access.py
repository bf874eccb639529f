"""Who may open a call on the agent host: the harness with ARCHER_AGENT_TOKEN, or an operator's test call with
an organization API key in the start frame — pinned to that key's organization. Nobody else."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import uuid
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from pydantic import SecretStr
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from agent_host.access import CLOSE_UNAUTHORIZED
from agent_host.app import AgentHost
from agent_host.simulator import run_simulated_call, serve_agent_host
from shared.config import ConfigurationError, Settings
from shared.db.engine import transaction
from shared.db.tables import Call
from shared.domain import CallType, Role
from shared.models.audit import Actor
from shared.models.organizations import ApiKeyCreate, OrganizationCreate
from shared.runtime import Runtime
from shared.services import api_keys, organizations
from tests.agent_support import AgentDatabase, agent_database, agent_runtime, make_debtor

__all__ = ["agent_database", "agent_runtime"]  # fixtures used by this module

TOKEN = "harness-shared-secret"


def _with_token(runtime: Runtime) -> Runtime:
    settings = runtime.settings.model_copy(update={"agent_token": SecretStr(TOKEN)})
    return dataclasses.replace(runtime, settings=settings)


def _key(runtime: Runtime, org_id: uuid.UUID, role: Role) -> str:
    with transaction(runtime.sessions) as session:
        return api_keys.create_api_key(
            session=session,
            org_id=org_id,
            key_in=ApiKeyCreate(name=f"{role} key", role=role),
            actor=Actor.cli(),
        ).key


def _start(metadata: dict[str, Any]) -> str:
    call_id = str(uuid.uuid4())
    metadata = {"call_id": call_id, **metadata}
    return json.dumps(
        {
            "type": "start",
            "call_id": call_id,
            "agent_call_id": call_id,
            "from": "+15555550100",
            "to": "unknown",
            "agent": {"id": "t"},
            "metadata": metadata,
        }
    )


async def _first_frames(
    url: str, start: str, *, headers: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """The frames the agent sends until its first spoken turn ends (answering the callee's "Hello?"), or
    until it closes the socket (then a `closed` entry)."""
    frames: list[dict[str, Any]] = []
    async with connect(url, additional_headers=headers or {}) as socket:
        await socket.send(start)
        greeted = False
        try:
            while True:
                frame = json.loads(await asyncio.wait_for(socket.recv(), 15))
                frames.append(frame)
                if frame.get("type") == "end_call" or (frame.get("type") == "response_end" and _said(frames)):
                    break
                if frame.get("type") == "response_end" and not greeted:
                    greeted = True
                    for turn in ({"type": "user_state", "value": "speaking"}, {"type": "message", "content": "Hello?"},
                                 {"type": "user_state", "value": "idle"}):  # fmt: skip
                        await socket.send(json.dumps(turn))
        except ConnectionClosed as closed:
            frames.append({"type": "closed", "code": closed.rcvd.code if closed.rcvd else None})
    return frames


def _said(frames: list[dict[str, Any]]) -> str:
    return " ".join(str(f.get("content", "")) for f in frames if f.get("type") == "message")


def _calls(runtime: Runtime) -> list[Call]:
    with transaction(runtime.sessions) as session:
        return list(session.scalars(sa.select(Call)).all())


async def test_unauthenticated_calls_are_refused_once_a_token_is_set(
    agent_runtime: Runtime, agent_database: AgentDatabase
) -> None:
    """Without the token or an API key the agent answers an error, closes with 4401 and stores nothing."""
    runtime = _with_token(agent_runtime)
    customer = make_debtor(runtime, agent_database.org_id)
    before = len(_calls(runtime))
    async with serve_agent_host(runtime) as url:
        frames = await _first_frames(
            url, _start({"organization_id": str(agent_database.org_id), "customer_id": str(customer.id)})
        )
        bad_token = await _first_frames(
            url + "?token=wrong", _start({"organization_id": str(agent_database.org_id)})
        )
        async with httpx.AsyncClient(base_url=url.replace("ws://", "http://").removesuffix("/ws")) as client:
            status = await client.get("/status")
            chats = await client.post("/chats", json={})
    for attempt in (frames, bad_token):
        assert attempt[0]["type"] == "error" and "unauthorized" in attempt[0]["content"]
        assert attempt[-1] == {"type": "closed", "code": CLOSE_UNAUTHORIZED}
        assert _said(attempt) == ""
    assert len(_calls(runtime)) == before
    assert status.status_code == 200  # probes stay open
    assert chats.status_code == 401 and chats.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("how", ["query", "bearer"])
async def test_the_harness_token_opens_calls(
    how: str, agent_runtime: Runtime, agent_database: AgentDatabase
) -> None:
    """The token in the agent URL or as a bearer header admits the harness's call."""
    runtime = _with_token(agent_runtime)
    customer = make_debtor(runtime, agent_database.org_id)
    start = _start({"organization_id": str(agent_database.org_id), "customer_id": str(customer.id)})
    async with serve_agent_host(runtime) as url:
        if how == "query":
            frames = await _first_frames(f"{url}?token={TOKEN}", start)
        else:
            frames = await _first_frames(url, start, headers={"Authorization": f"Bearer {TOKEN}"})
    assert "recorded" in _said(frames).lower()  # the recording notice opens every call


async def test_an_api_key_pins_the_test_call_to_its_organization(
    agent_runtime: Runtime, agent_database: AgentDatabase
) -> None:
    """An operator key admits a test call in its own organization; another organization's customer named
    in the metadata is nobody to it — nothing about them is said — and the key never reaches the record."""
    runtime = _with_token(agent_runtime)
    mine = make_debtor(runtime, agent_database.org_id, name="Jordan Quillfeather")
    with transaction(runtime.sessions) as session:
        other_org = organizations.create_organization(
            session=session,
            org_in=OrganizationCreate(name=f"Other {uuid.uuid4().hex[:6]}"),
            actor=Actor.cli(),
        ).organization.id
        organizations.install_defaults(session=session, org_id=other_org, actor=Actor.cli())
    theirs = make_debtor(runtime, other_org, name="Morgan Thistledown")
    key = _key(runtime, agent_database.org_id, Role.OPERATOR)
    async with serve_agent_host(runtime) as url:
        own = await _first_frames(
            url, _start({"customer_id": str(mine.id), "api_key": key, "campaign_id": str(uuid.uuid4())})
        )
        foreign = await _first_frames(
            url, _start({"organization_id": str(other_org), "customer_id": str(theirs.id), "api_key": key})
        )
    assert "Quillfeather" in _said(own)
    assert "Thistledown" not in _said(foreign)
    calls = {call.customer_id: call for call in _calls(runtime)}
    assert calls[mine.id].organization_id == agent_database.org_id
    assert calls[mine.id].call_type is CallType.TEST and calls[mine.id].campaign_id is None
    assert theirs.id not in calls
    assert all(key not in json.dumps(call.call_metadata) for call in calls.values())


async def test_a_viewer_key_cannot_place_test_calls(
    agent_runtime: Runtime, agent_database: AgentDatabase
) -> None:
    """Test calls need an operator or admin key."""
    runtime = _with_token(agent_runtime)
    customer = make_debtor(runtime, agent_database.org_id)
    key = _key(runtime, agent_database.org_id, Role.VIEWER)
    async with serve_agent_host(runtime) as url:
        frames = await _first_frames(url, _start({"customer_id": str(customer.id), "api_key": key}))
    assert frames[0]["type"] == "error" and "operator" in frames[0]["content"]
    assert frames[-1]["code"] == CLOSE_UNAUTHORIZED


def test_production_refuses_to_start_without_a_token(agent_runtime: Runtime) -> None:
    """An agent host in production without ARCHER_AGENT_TOKEN is a startup error naming the setting."""
    production = Settings.model_construct(**{**dict(agent_runtime.settings), "env": "production"})
    with pytest.raises(ConfigurationError, match="ARCHER_AGENT_TOKEN"):
        AgentHost(dataclasses.replace(agent_runtime, settings=production))


async def test_the_simulator_presents_the_token(
    agent_runtime: Runtime, agent_database: AgentDatabase
) -> None:
    """Simulated customers (archer simulate, the local campaign dialer) reach a token-guarded agent host."""
    runtime = _with_token(agent_runtime)
    customer = make_debtor(runtime, agent_database.org_id)
    metadata = {
        "organization_id": str(agent_database.org_id),
        "customer_id": str(customer.id),
        "call_type": "test",
    }
    async with serve_agent_host(runtime) as url:
        result = await run_simulated_call(
            agent_url=url,
            persona="cooperative_payer",
            metadata=metadata,
            sessions=runtime.sessions,
            token=TOKEN,
        )
    assert result.outcome is result.expected_outcome
