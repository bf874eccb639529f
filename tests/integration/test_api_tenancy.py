"""Tenant isolation across the whole API, walked from its own OpenAPI document: organization A's admin key
on organization B's ids, for every operation with a path parameter and every method, answers 404 (or an
empty list), changes none of B's rows and shows none of B's ids or names; list filters given B's ids give
empty lists. On SQLite and PostgreSQL.

Adding a route with a path parameter? Add ONE line to PATH_IDS naming which of B's objects its parameter is
(and, if its JSON body needs more than `{}` to pass validation, one line to BODIES): the test below fails
until you do, so no route escapes the matrix."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from shared.db.base import Base
from shared.db.engine import transaction
from shared.db.tables import Customer, Organization
from shared.domain import PreferenceKind, Role
from shared.models.audit import Actor
from shared.models.campaigns import CampaignCreate
from shared.models.customers import ContactPreferenceCreate, CustomerCreate
from shared.seed.catalog import DEFAULT_PROMPTS, DEFAULT_TACTICS
from shared.services import campaigns, contact_preferences, customers, prompts, tactics
from tests.api_support import API, ApiHarness, Tenant, open_api
from tests.factories import make_call


@dataclass
class World:
    """One organization's objects, of every kind a path or a filter can name."""

    tenant: Tenant
    org_name: str
    customer_id: uuid.UUID
    customer_name: str
    account_id: uuid.UUID
    preference_id: uuid.UUID
    campaign_id: uuid.UUID
    call_id: uuid.UUID
    tactic_name: str  # only this organization has a tactic and a prompt of these names
    prompt_name: str
    names: list[str] = field(default_factory=list)

    @property
    def key_id(self) -> uuid.UUID:
        return self.tenant.key_ids[Role.ADMIN]


# (first path segment, path parameter) -> which of B's objects it names. One line per new kind of id.
PATH_IDS: dict[tuple[str, str], Callable[[World], object]] = {
    ("api-keys", "key_id"): lambda b: b.key_id,
    ("customers", "customer_id"): lambda b: b.customer_id,
    ("accounts", "account_id"): lambda b: b.account_id,
    ("contact-preferences", "preference_id"): lambda b: b.preference_id,
    ("campaigns", "campaign_id"): lambda b: b.campaign_id,
    ("calls", "call_id"): lambda b: b.call_id,
    ("tactics", "name"): lambda b: b.tactic_name,
    ("tactics", "tactic_name"): lambda b: b.tactic_name,
    ("prompts", "name"): lambda b: b.prompt_name,
    ("prompts", "prompt_name"): lambda b: b.prompt_name,
}

# Query parameters that filter a list by an id: given B's, A's lists are empty (or 404).
QUERY_IDS: dict[str, Callable[[World], object]] = {
    "customer_id": lambda b: b.customer_id,
    "account_id": lambda b: b.account_id,
    "campaign_id": lambda b: b.campaign_id,
    "call_id": lambda b: b.call_id,
    "entity_id": lambda b: b.customer_id,
    "tactic_name": lambda b: b.tactic_name,
}

# Request body schema -> a body that passes validation, so the request reaches the lookup (B's ids inside
# where a body names objects). Schemas not listed get `{}`.
BODIES: dict[str, Callable[[World], dict[str, Any]]] = {
    "CustomerUpdate": lambda b: {"name": "Intruder"},
    "AccountCreate": lambda b: {"external_ref": "X-1", "account_last_4": "1234", "balance": "1.00"},
    "AccountUpdate": lambda b: {"balance": "1.00"},
    "ContactPreferenceCreate": lambda b: {"kind": "cease_contact"},
    "ContactPreferenceEnd": lambda b: {"reason": "intruder"},
    "CampaignUpdate": lambda b: {"name": "Hijacked"},
    "TacticUpdate": lambda b: {"description": "hijacked"},
    "PromptUpdate": lambda b: {"prompt_template": "hijacked"},
    "PromptPreviewRequest": lambda b: {"customer_id": str(b.customer_id)},
    "PromptPreview": lambda b: {"customer_id": str(b.customer_id)},
}

# Values for required query parameters that are not ids (dates of a report, ...).
FILLERS: dict[str, Callable[[], str]] = {
    "from": lambda: (datetime.now(UTC) - timedelta(days=30)).date().isoformat(),
    "to": lambda: datetime.now(UTC).date().isoformat(),
}


class NoOrchestrations:
    """Stands in for the campaign engine: any use means A's request got past the lookup of B's campaign."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"another organization's campaign reached the orchestration engine ({name})")


def build_world(harness: ApiHarness, tenant: Tenant) -> World:
    org_id = tenant.org_id
    tag = uuid.uuid4().hex[:8]
    with transaction(harness.runtime.sessions) as session:
        org_name = session.get(Organization, org_id).name  # type: ignore[union-attr]
        customer = customers.create_customer(
            session=session,
            org_id=org_id,
            customer_in=CustomerCreate.model_validate(
                {
                    "external_ref": f"B-{tag}",
                    "name": f"Secretive Person {tag}",
                    "phone_number": "+16025550142",
                    "postal_code": "85004",
                    "accounts": [
                        {
                            "external_ref": f"BA-{tag}",
                            "account_last_4": "9876",
                            "balance": "500.00",
                            "days_past_due": 40,
                        }
                    ],
                }
            ),
            actor=Actor.cli(),
        )
        preference = contact_preferences.add_preference(
            session=session,
            org_id=org_id,
            customer_id=customer.id,
            preference_in=ContactPreferenceCreate(kind=PreferenceKind.DISPUTE),
            actor=Actor.cli(),
        )
        tactic_name, prompt_name = f"b_only_tactic_{tag}", f"b_only_prompt_{tag}"
        tactics.create_tactic(
            session=session,
            org_id=org_id,
            tactic_in=DEFAULT_TACTICS[0].model_copy(update={"name": tactic_name}),
            actor=Actor.cli(),
        )
        prompts.create_prompt(
            session=session,
            org_id=org_id,
            prompt_in=DEFAULT_PROMPTS[0].model_copy(update={"name": prompt_name}),
            actor=Actor.cli(),
        )
        campaign = campaigns.create_campaign(
            session=session,
            org_id=org_id,
            campaign_in=CampaignCreate.model_validate(
                {"name": f"B campaign {tag}", "tactics": [{"tactic_name": tactic_name, "weight": 1}]}
            ),
            actor=Actor.cli(),
        )
        customer_row = session.get(Customer, customer.id)
        assert customer_row is not None
        call = make_call(session, customer_row)
        world = World(
            tenant=tenant,
            org_name=org_name,
            customer_id=customer.id,
            customer_name=customer.name,
            account_id=customer.accounts[0].id,
            preference_id=preference.id,
            campaign_id=campaign.id,
            call_id=call.id,
            tactic_name=tactic_name,
            prompt_name=prompt_name,
        )
    world.names = [
        org_name,
        customer.name,
        tactic_name,
        prompt_name,
        f"B campaign {tag}",
        f"B-{tag}",
        f"BA-{tag}",
    ]
    return world


def org_tables() -> list[sa.Table]:
    return [table for table in Base.metadata.sorted_tables if "organization_id" in table.c]


def snapshot(harness: ApiHarness, org_id: uuid.UUID) -> dict[str, list[tuple[str, ...]]]:
    """Every row the organization owns, as text, table by table."""
    with transaction(harness.runtime.sessions) as session:
        found = {
            table.name: [
                tuple(str(value) for value in row)
                for row in session.execute(
                    sa.select(table)
                    .where(table.c.organization_id == org_id)
                    .order_by(*table.primary_key.columns)
                )
            ]
            for table in org_tables()
        }
        organizations = Base.metadata.tables["organizations"]
        found["organizations"] = [
            tuple(str(v) for v in row)
            for row in session.execute(sa.select(organizations).where(organizations.c.id == org_id))
        ]
    return found


def secrets_of(state: dict[str, list[tuple[str, ...]]], world: World) -> set[str]:
    """B's ids (every uuid in its rows) and names."""
    ids = {
        value
        for rows in state.values()
        for row in rows
        for value in row
        if re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", value)
    }
    return ids | set(world.names)


@dataclass
class Operation:
    method: str
    path: str  # the template, with the /api/v1 prefix
    spec: dict[str, Any]

    @property
    def segments(self) -> list[str]:
        return self.path.removeprefix(API).strip("/").split("/")

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"{(\w+)}", self.path)

    def key_of(self, param: str) -> tuple[str, str]:
        return (self.segments[0], param)

    def body_schema(self) -> str | None:
        content = self.spec.get("requestBody", {}).get("content", {})
        schema = content.get("application/json", {}).get("schema")
        if schema is None:
            return None
        refs = re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', json.dumps(schema))
        return refs[0] if refs else None


def operations(harness: ApiHarness) -> list[Operation]:
    app = harness.client._transport.app  # type: ignore[attr-defined]
    document = app.openapi()
    return [
        Operation(method.upper(), path, spec)
        for path, methods in document["paths"].items()
        for method, spec in methods.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]


@pytest.fixture
async def two_orgs(api_database: str) -> AsyncIterator[tuple[ApiHarness, World, World]]:
    async with open_api(
        api_database, orchestrations=NoOrchestrations(), ARCHER_RATE_LIMIT_PER_MINUTE="0"
    ) as harness:
        a = build_world(harness, harness.tenant)
        b = build_world(harness, harness.new_tenant())
        yield harness, a, b


async def test_every_path_parameter_has_a_factory(api: ApiHarness) -> None:
    """Each operation's path parameters are in PATH_IDS, so the matrix below covers every route."""
    missing = sorted(
        {
            f"{op.method} {op.path}: add PATH_IDS[{op.key_of(param)!r}] = lambda b: <B's object>"
            for op in operations(api)
            for param in op.path_params
            if op.key_of(param) not in PATH_IDS
        }
    )
    assert not missing, "\n".join(missing)


def _visible(body: bytes) -> str:
    """The response body minus `instance` (which repeats the path the caller sent)."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return body.decode(errors="replace")
    if isinstance(parsed, dict):
        parsed.pop("instance", None)
    return json.dumps(parsed)


async def test_another_organizations_ids_answer_404_and_change_nothing(
    two_orgs: tuple[ApiHarness, World, World],
) -> None:
    """A's admin key on B's ids, every method of every route with a path parameter: 404 or an empty list,
    no change to any of B's rows, none of B's ids or names in the answer."""
    harness, a, b = two_orgs
    headers = a.tenant.headers()
    before = snapshot(harness, b.tenant.org_id)
    secrets = secrets_of(before, b)
    checked = []
    for op in operations(harness):
        if not op.path_params:
            continue
        url = op.path
        sent: set[str] = set()
        for param in op.path_params:
            factory = PATH_IDS.get(op.key_of(param))
            assert factory is not None, f"{op.method} {op.path}: add PATH_IDS[{op.key_of(param)!r}]"
            value = str(factory(b))
            url = url.replace("{" + param + "}", value)
            sent.add(value)
        schema = op.body_schema()
        body = BODIES[schema](b) if schema in BODIES else ({} if "requestBody" in op.spec else None)
        if body:
            sent |= {str(v) for v in body.values()}
        response = await harness.client.request(op.method, url, headers=headers, json=body)
        label = f"{op.method} {op.path} (body schema {schema})"
        if response.status_code == 200 and isinstance(response.json(), dict) and "data" in response.json():
            assert response.json()["data"] == [] and response.json()["count"] == 0, label
        else:
            assert response.status_code == 404, (
                f"{label} answered {response.status_code}: {response.text[:300]}"
                + (" (add a plausible body to BODIES)" if response.status_code == 422 else "")
            )
            assert response.headers["content-type"] == "application/problem+json", label
        visible = _visible(response.content)
        leaked = [secret for secret in secrets - sent if secret in visible]
        assert not leaked, f"{label} showed B's {leaked}"
        assert snapshot(harness, b.tenant.org_id) == before, f"{label} changed B's rows"
        checked.append(label)
    assert len(checked) >= 19  # the key, customer, account, preference and campaign routes at least


async def test_list_filters_with_another_organizations_ids_are_empty(
    two_orgs: tuple[ApiHarness, World, World],
) -> None:
    """Lists filtered by B's ids (customer_id=, campaign_id=, entity_id=, ...) give A nothing (or 404)."""
    harness, a, b = two_orgs
    headers = a.tenant.headers()
    secrets = secrets_of(snapshot(harness, b.tenant.org_id), b)
    checked = []
    for op in operations(harness):
        if op.method != "GET" or op.path_params:
            continue
        params = {p["name"]: p for p in op.spec.get("parameters", []) if p.get("in") == "query"}
        ids = {name: str(QUERY_IDS[name](b)) for name in params if name in QUERY_IDS}
        if not ids:
            continue
        query = dict(ids)
        for name, param in params.items():
            if param.get("required") and name not in query:
                assert name in FILLERS, f"GET {op.path}: add a value for required `{name}` to FILLERS"
                query[name] = FILLERS[name]()
        for name, value in ids.items():
            response = await harness.client.get(op.path, params={**query, name: value}, headers=headers)
            label = f"GET {op.path}?{name}=<B's>"
            if response.status_code == 200:
                data = response.json()
                assert isinstance(data, dict) and data.get("data") == [] and data.get("count") == 0, (
                    f"{label} answered {response.text[:300]}"
                )
            else:
                assert response.status_code == 404, (
                    f"{label} answered {response.status_code}: {response.text[:300]}"
                )
            leaked = [s for s in secrets - set(ids.values()) if s in _visible(response.content)]
            assert not leaked, f"{label} showed B's {leaked}"
            checked.append(label)
    assert any("/audit-log" in label for label in checked)


async def test_bodies_naming_another_organizations_objects_are_refused(
    two_orgs: tuple[ApiHarness, World, World],
) -> None:
    """Ids inside a body are looked up in the caller's organization too: A's preference on B's account, or
    A's campaign with B's tactic, is refused and B is unchanged."""
    harness, a, b = two_orgs
    headers = a.tenant.headers()
    before = snapshot(harness, b.tenant.org_id)
    on_b_account = await harness.client.post(
        f"{API}/customers/{a.customer_id}/contact-preferences",
        json={"kind": "cease_contact", "account_id": str(b.account_id)},
        headers=headers,
    )
    assert on_b_account.status_code == 404
    with_b_tactic = await harness.client.post(
        f"{API}/campaigns",
        json={"name": "Borrowed", "tactics": [{"tactic_name": b.tactic_name, "weight": 1}]},
        headers=headers,
    )
    assert with_b_tactic.status_code in {404, 409, 422}, with_b_tactic.text
    secrets = secrets_of(before, b) - {b.tactic_name}  # the name is the caller's own input, echoed
    assert not [secret for secret in secrets if secret in _visible(with_b_tactic.content)]
    assert snapshot(harness, b.tenant.org_id) == before
