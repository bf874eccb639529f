"""The configuration routes over HTTP (the real FastAPI app in-process, httpx), on SQLite and on PostgreSQL
with Redis: tactics and prompts versioned per name (history, calls keep their version), the negotiation
policy, roles, tenancy, problem+json with the field at fault, the prompt preview, and the audit trail."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from line import CallRequest

from agent_host.agent.llm import system_prompt
from agent_host.context import load_call_context
from functions.api.app import create_api
from shared.db.engine import transaction
from shared.db.tables import AuditLogEntry, Call
from shared.domain import CallDirection, CallType, Role
from shared.models.calls import CallCreate
from shared.models.organizations import ApiKeyCreate, OrganizationCreate
from shared.runtime import Runtime
from shared.services import api_keys, calls, organizations
from tests.agent_support import ACTOR, BANK_SETTINGS, agent_database, agent_runtime, make_debtor

__all__ = ["agent_database", "agent_runtime"]

TACTIC = {
    "name": "calm_closer",
    "archetype": "Calm Closer",
    "description": "Steady and brief.",
    "config": {
        "urgency_level": 2,
        "empathy_index": 4,
        "persistence_level": 3,
        "tactics": [
            {"name": "summarize", "description": "Sum up before asking.", "guidance": "Be accurate."}
        ],
    },
}


@dataclass
class Bank:
    org_id: uuid.UUID
    keys: dict[Role, str]

    def headers(self, role: Role = Role.ADMIN) -> dict[str, str]:
        return {"X-API-Key": self.keys[role]}


@dataclass
class Harness:
    client: httpx.AsyncClient
    runtime: Runtime
    bank: Bank
    other: Bank

    async def get(self, path: str, role: Role = Role.VIEWER) -> httpx.Response:
        return await self.client.get(f"/api/v1{path}", headers=self.bank.headers(role))

    async def put(self, path: str, body: Any, role: Role = Role.ADMIN) -> httpx.Response:
        return await self.client.put(f"/api/v1{path}", json=body, headers=self.bank.headers(role))

    async def post(self, path: str, body: Any, role: Role = Role.ADMIN) -> httpx.Response:
        return await self.client.post(f"/api/v1{path}", json=body, headers=self.bank.headers(role))

    def audit(self, action: str) -> list[AuditLogEntry]:
        with transaction(self.runtime.sessions) as session:
            return list(
                session.scalars(
                    sa.select(AuditLogEntry)
                    .where(AuditLogEntry.organization_id == self.bank.org_id, AuditLogEntry.action == action)
                    .order_by(AuditLogEntry.created_at)
                ).all()
            )


def make_bank(runtime: Runtime) -> Bank:
    """An organization with the default tactics, prompts and policy, and a key for each role."""
    with transaction(runtime.sessions) as session:
        created = organizations.create_organization(
            session=session,
            org_in=OrganizationCreate(name=f"Config Bank {uuid.uuid4().hex[:8]}", settings=BANK_SETTINGS),
            actor=ACTOR,
        )
        org_id = created.organization.id
        organizations.install_defaults(session=session, org_id=org_id, actor=ACTOR)
        keys = {
            role: api_keys.create_api_key(
                session=session, org_id=org_id, key_in=ApiKeyCreate(name=role.value, role=role), actor=ACTOR
            ).key
            for role in Role
        }
    return Bank(org_id, keys)


@pytest.fixture
async def harness(agent_runtime: Runtime) -> AsyncIterator[Harness]:
    app = create_api(agent_runtime)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://archer.test"
    ) as client:
        yield Harness(client, agent_runtime, make_bank(agent_runtime), make_bank(agent_runtime))


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["type"] == f"urn:archer:problem:{code}"
    return body


# --- tactics ------------------------------------------------------------------------------------------------


async def test_an_update_is_a_new_version_and_calls_keep_theirs(harness: Harness) -> None:
    """PUT stores version 2 (unchanged fields carried over), GET answers it, the history lists both, and
    a call made with version 1 still points at version 1's row."""
    v1 = (await harness.get("/tactics/empathetic_partner")).json()
    customer = make_debtor(harness.runtime, harness.bank.org_id)
    with transaction(harness.runtime.sessions) as session:
        call = calls.begin_agent_call(
            session=session,
            org_id=harness.bank.org_id,
            call_id=None,
            call_in=CallCreate(
                call_type=CallType.TEST,
                direction=CallDirection.OUTBOUND,
                customer_id=customer.id,
                behavioral_tactic_id=uuid.UUID(v1["id"]),
            ),
        )

    config = {**v1["config"], "urgency_level": 4}
    updated = await harness.put("/tactics/empathetic_partner", {"config": config})
    assert updated.status_code == 200, updated.text
    v2 = updated.json()
    assert (v2["version"], v2["config"]["urgency_level"]) == (v1["version"] + 1, 4)
    assert v2["id"] != v1["id"] and (v2["archetype"], v2["description"]) == (
        v1["archetype"],
        v1["description"],
    )

    assert (await harness.get("/tactics/empathetic_partner")).json()["id"] == v2["id"]
    history = (await harness.get("/tactics/empathetic_partner/versions")).json()
    assert [row["version"] for row in history["data"]] == [v2["version"], v1["version"]]
    assert history["count"] == 2 and history["next_cursor"] is None
    listed = {row["name"]: row for row in (await harness.get("/tactics")).json()["data"]}
    assert listed["empathetic_partner"]["id"] == v2["id"]
    with transaction(harness.runtime.sessions) as session:
        stored = session.get(Call, call.id)
        assert stored is not None and str(stored.behavioral_tactic_id) == v1["id"]


async def test_create_conflict_unknown_and_deactivate(harness: Harness) -> None:
    """POST makes version 1 (201); the same name again is a 409 naming the field; unknown names are 404
    on every route; a deactivated tactic is listed (marked inactive) and can be read."""
    created = await harness.post("/tactics", TACTIC)
    assert created.status_code == 201, created.text
    assert (created.json()["version"], created.json()["is_active"]) == (1, True)
    assert problem(await harness.post("/tactics", TACTIC), 409, "conflict")["field"] == "name"

    problem(await harness.get("/tactics/nope"), 404, "not-found")
    problem(await harness.put("/tactics/nope", {"description": "x"}), 404, "not-found")
    problem(await harness.get("/tactics/nope/versions"), 404, "not-found")

    off = await harness.put("/tactics/calm_closer", {"is_active": False})
    assert (off.json()["version"], off.json()["is_active"]) == (2, False)
    assert (await harness.get("/tactics/calm_closer")).json()["is_active"] is False
    listed = {row["name"]: row for row in (await harness.get("/tactics")).json()["data"]}
    assert listed["calm_closer"]["is_active"] is False
    active = await harness.client.get(
        "/api/v1/tactics?include_inactive=false", headers=harness.bank.headers()
    )
    assert "calm_closer" not in {row["name"] for row in active.json()["data"]}


async def test_tactic_validation_names_the_field(harness: Harness) -> None:
    """Out-of-range levels, a bad name and unknown fields answer 422 with the field path."""
    bad_level = {**TACTIC, "config": {**TACTIC["config"], "urgency_level": 9}}  # type: ignore[dict-item]
    assert (
        problem(await harness.post("/tactics", bad_level), 422, "invalid-input")["field"]
        == "config.urgency_level"
    )
    bad_name = {**TACTIC, "name": "Has Spaces"}
    assert problem(await harness.post("/tactics", bad_name), 422, "invalid-input")["field"] == "name"
    body = problem(
        await harness.put("/tactics/empathetic_partner", {"config": {"tactics": []}}), 422, "invalid-input"
    )
    assert body["field"].startswith("config.")
    assert (
        problem(await harness.put("/tactics/empathetic_partner", {"colour": "red"}), 422, "invalid-input")[
            "field"
        ]
        == "colour"
    )


async def test_only_admins_write_and_every_key_stays_in_its_organization(harness: Harness) -> None:
    """Viewers and operators read but cannot write (403); no key is 401; another organization's tactic
    versions are invisible (its edits do not show here)."""
    for role in (Role.VIEWER, Role.OPERATOR):
        assert (await harness.get("/tactics", role)).status_code == 200
        problem(await harness.post("/tactics", TACTIC, role), 403, "forbidden")
        problem(
            await harness.put("/tactics/empathetic_partner", {"description": "x"}, role), 403, "forbidden"
        )
        problem(
            await harness.post("/prompts", {"name": "p", "prompt_template": "hi"}, role), 403, "forbidden"
        )
        problem(await harness.put("/prompts/voicemail", {"is_active": False}, role), 403, "forbidden")
        problem(await harness.put("/negotiation-policy", {"rules": {}}, role), 403, "forbidden")
    problem(await harness.client.get("/api/v1/tactics"), 401, "unauthorized")

    other = harness.other.headers()
    changed = await harness.client.put(
        "/api/v1/tactics/empathetic_partner", json={"description": "theirs"}, headers=other
    )
    assert changed.status_code == 200
    mine = (await harness.get("/tactics/empathetic_partner")).json()
    assert mine["version"] == 1 and mine["description"] != "theirs"


# --- prompts ------------------------------------------------------------------------------------------------


async def test_prompts_are_versioned_and_validated(harness: Harness) -> None:
    """POST/PUT/versions like tactics; a template using an undeclared variable is refused with the field."""
    created = await harness.post(
        "/prompts", {"name": "greeting", "prompt_template": "Hello {who}", "variables": {"who": "a name"}}
    )
    assert created.status_code == 201, created.text
    problem(await harness.post("/prompts", {"name": "greeting", "prompt_template": "x"}), 409, "conflict")
    undeclared = await harness.post("/prompts", {"name": "other", "prompt_template": "Hi {nobody}"})
    assert problem(undeclared, 422, "invalid-input")["field"] == "prompt_template"
    for template in ("Hi {}", "Hi {0}", "Hi {who.__class__}", "Hi {who:{who}}", "Hi {who"):
        refused = await harness.post(
            "/prompts", {"name": "odd", "prompt_template": template, "variables": {"who": "x"}}
        )
        assert problem(refused, 422, "invalid-input")["field"] == "prompt_template", template
    bad_update = await harness.put("/prompts/greeting", {"prompt_template": "Hi {stranger}"})
    assert problem(bad_update, 422, "invalid-input")["field"] == "prompt_template"

    v2 = (await harness.put("/prompts/greeting", {"prompt_template": "Good day {who}"})).json()
    assert (v2["version"], v2["prompt_template"], v2["variables"]) == (2, "Good day {who}", {"who": "a name"})
    history = (await harness.get("/prompts/greeting/versions")).json()
    assert [row["version"] for row in history["data"]] == [2, 1]
    assert (await harness.get("/prompts/greeting")).json()["id"] == v2["id"]
    assert {"collections_agent", "voicemail", "greeting"} <= {
        row["name"] for row in (await harness.get("/prompts")).json()["data"]
    }
    problem(await harness.get("/prompts/nope"), 404, "not-found")
    problem(await harness.put("/prompts/nope", {"is_active": False}), 404, "not-found")


async def test_the_preview_renders_what_the_agent_would_say(harness: Harness) -> None:
    """The preview fills the template with the customer's values and the chosen tactic, and is exactly
    the system prompt the agent builds for a call to that customer with that tactic."""
    customer = make_debtor(harness.runtime, harness.bank.org_id, name="Rowan Quill")
    response = await harness.post(
        "/prompts/collections_agent/preview",
        {"customer_id": str(customer.id), "tactic_name": "anchor_and_frame"},
        role=Role.VIEWER,
    )
    assert response.status_code == 200, response.text
    preview = response.json()
    tactic = (await harness.get("/tactics/anchor_and_frame")).json()
    assert (preview["prompt_name"], preview["prompt_version"]) == ("collections_agent", 1)
    assert (preview["tactic_name"], preview["tactic_version"]) == ("anchor_and_frame", tactic["version"])
    assert preview["customer_id"] == str(customer.id)
    assert preview["variables"]["customer_name"] == "Rowan Quill"
    assert preview["variables"]["agent_name"] == "Alex"
    assert preview["variables"]["tactic_archetype"] == tactic["archetype"]
    assert "Rowan Quill" in preview["rendered"] and "{" not in preview["rendered"]

    request = CallRequest.model_validate(
        {
            "call_id": "preview-check",
            "from": "+18005550100",
            "to": customer.phone_number,
            "agent_call_id": "preview-check",
            "agent": {},
            "metadata": {
                "organization_id": str(harness.bank.org_id),
                "customer_id": str(customer.id),
                "tactic_name": "anchor_and_frame",
                "call_type": "test",
            },
        }
    )
    context = load_call_context(harness.runtime.sessions, request, brain="llm", now=datetime.now(UTC))
    assert system_prompt(SimpleNamespace(context=context)) == preview["rendered"]  # type: ignore[arg-type]

    default = (
        await harness.post(
            "/prompts/collections_agent/preview", {"customer_id": str(customer.id)}, Role.VIEWER
        )
    ).json()
    assert default["tactic_name"] == "empathetic_partner"


async def test_the_preview_is_scoped_and_refuses_what_it_cannot_render(harness: Harness) -> None:
    """Another organization's customer and unknown tactics or prompts are 404 with the field; a template
    variable the agent has no value for is a 422."""
    customer = make_debtor(harness.runtime, harness.bank.org_id)
    stranger = make_debtor(harness.runtime, harness.other.org_id)
    path = "/prompts/collections_agent/preview"
    assert (
        problem(await harness.post(path, {"customer_id": str(stranger.id)}), 404, "not-found")["field"]
        == "customer_id"
    )
    unknown_tactic = {"customer_id": str(customer.id), "tactic_name": "nope"}
    assert problem(await harness.post(path, unknown_tactic), 404, "not-found")["field"] == "tactic_name"
    problem(await harness.post("/prompts/nope/preview", {"customer_id": str(customer.id)}), 404, "not-found")
    assert problem(await harness.post(path, {}), 422, "invalid-input")["field"] == "customer_id"

    custom = {
        "name": "quirky",
        "prompt_template": "Ask about {favorite_color}",
        "variables": {"favorite_color": "?"},
    }
    assert (await harness.post("/prompts", custom)).status_code == 201
    body = problem(
        await harness.post("/prompts/quirky/preview", {"customer_id": str(customer.id)}), 422, "invalid-input"
    )
    assert body["field"] == "variables" and "favorite_color" in body["detail"]

    numeric = {"name": "numeric", "prompt_template": "{agent_name:d}", "variables": {"agent_name": "name"}}
    assert (await harness.post("/prompts", numeric)).status_code == 201
    unrenderable = await harness.post("/prompts/numeric/preview", {"customer_id": str(customer.id)})
    assert problem(unrenderable, 422, "invalid-input")["field"] == "prompt_template"


# --- negotiation policy -------------------------------------------------------------------------------------


async def test_the_policy_is_replaced_by_a_new_version(harness: Harness) -> None:
    """PUT stores the next version, which GET then answers."""
    v1 = (await harness.get("/negotiation-policy")).json()
    rules = {**v1["rules"], "max_installments": 18}
    v2 = await harness.put("/negotiation-policy", {"rules": rules})
    assert v2.status_code == 200, v2.text
    assert (v2.json()["version"], v2.json()["rules"]["max_installments"]) == (v1["version"] + 1, 18)
    assert (await harness.get("/negotiation-policy")).json()["id"] == v2.json()["id"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            {"settlement_floors": [{"min_days_past_due": 0, "floor_pct": "120"}]},
            "rules.settlement_floors.0.floor_pct",
        ),
        ({"min_down_payment_pct": "150"}, "rules.min_down_payment_pct"),
        ({"min_installment_amount": "-5"}, "rules.min_installment_amount"),
        ({"max_installments": 0}, "rules.max_installments"),
        (
            {
                "hardship": {
                    "max_installments": 24,
                    "min_installment_amount": "-1",
                    "max_days_to_first_payment": 45,
                }
            },
            "rules.hardship.min_installment_amount",
        ),
        ({"settlement_floors": [{"min_days_past_due": 30, "floor_pct": "90"}]}, "rules.settlement_floors"),
    ],
)
async def test_an_invalid_policy_names_the_offending_field(
    harness: Harness, change: dict[str, Any], field: str
) -> None:
    """A rule outside its bounds answers 422 with the field's path, and stores nothing."""
    current = (await harness.get("/negotiation-policy")).json()
    response = await harness.put("/negotiation-policy", {"rules": {**current["rules"], **change}})
    body = problem(response, 422, "invalid-input")
    assert body["field"] == field, body
    assert (await harness.get("/negotiation-policy")).json()["version"] == current["version"]


# --- audit --------------------------------------------------------------------------------------------------


async def test_every_change_is_audited_with_before_and_after(harness: Harness) -> None:
    """Creates record the new version; updates record the version before and the version after."""
    await harness.post("/tactics", TACTIC)
    await harness.put("/tactics/calm_closer", {"description": "Even briefer."})
    await harness.post("/prompts", {"name": "memo", "prompt_template": "Note"})
    await harness.put("/prompts/memo", {"prompt_template": "Note two"})
    policy = (await harness.get("/negotiation-policy")).json()
    await harness.put("/negotiation-policy", {"rules": {**policy["rules"], "max_days_to_first_payment": 20}})

    (created,) = harness.audit("tactic.create")[-1:]
    assert created.before is None and created.after is not None and created.after["name"] == "calm_closer"
    (update,) = harness.audit("tactic.update")
    assert update.before is not None and update.after is not None
    assert (update.before["version"], update.after["version"]) == (1, 2)
    assert update.after["description"] == "Even briefer." and update.actor_id is not None
    (prompt_update,) = harness.audit("prompt.update")
    assert prompt_update.before is not None and prompt_update.after is not None
    assert (prompt_update.before["prompt_template"], prompt_update.after["prompt_template"]) == (
        "Note",
        "Note two",
    )
    (policy_update,) = harness.audit("negotiation_policy.update")
    assert policy_update.before is not None and policy_update.after is not None
    assert (
        policy_update.before["rules"]["max_days_to_first_payment"]
        == policy["rules"]["max_days_to_first_payment"]
    )
    assert policy_update.after["rules"]["max_days_to_first_payment"] == 20


# --- the cache ----------------------------------------------------------------------------------------------


async def test_an_api_edit_reaches_the_agents_configuration_cache(harness: Harness) -> None:
    """The agent's cached copy (filled by a read) is dropped by the API's commit: the next read is the new
    version, with no wait."""
    config = harness.runtime.config
    await config.start()
    await config.settle()  # the bank was made on the loop thread: its invalidation ran as a task

    def read() -> Any:
        with transaction(harness.runtime.sessions) as session:
            return config.current_tactic(
                session=session, org_id=harness.bank.org_id, name="empathetic_partner"
            )

    before = await asyncio.to_thread(read)
    assert config.cached_locally(harness.bank.org_id, "tactic", "empathetic_partner")
    updated = (await harness.put("/tactics/empathetic_partner", {"description": "fresh"})).json()
    assert not config.cached_locally(harness.bank.org_id, "tactic", "empathetic_partner")
    after = await asyncio.to_thread(read)
    assert (before.version, after.version, str(after.id)) == (1, 2, updated["id"])
