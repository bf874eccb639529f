"""A harness for the REST API over HTTP (the real FastAPI app in-process through httpx.ASGITransport) on a
migrated database of each backend, holding committed data: an organization with a key of every role.

tests/conftest.py registers this module as a plugin, so every test can ask for `api`. Each test gets
its own organization, so tests sharing the session's database never see each other's rows."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session

from functions.api.app import create_api
from shared.config import Settings
from shared.db import migrate
from shared.db.engine import make_engine, transaction
from shared.domain import Role
from shared.integrations.cache import InMemoryCache, RedisCache
from shared.models.audit import Actor
from shared.models.organizations import ApiKeyCreate, OrganizationCreate
from shared.runtime import Runtime, build_runtime
from shared.services import api_keys, organizations
from tests.conftest import create_postgres_database, drop_postgres_database, postgres_server_url

API = "/api/v1"


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def api_database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a migrated database of each backend, for committed data (dropped at the end)."""
    with migrated_database(request.param, tmp_path_factory, "archer_api") as url:
        yield url


@contextlib.contextmanager
def migrated_database(backend: str, tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[str]:
    """A new database of `backend` ("sqlite" or "postgresql") named after `name`, migrated to head; a
    PostgreSQL one is dropped afterwards."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp(name) / 'archer.db'}"
    else:
        url = create_postgres_database(postgres_server_url(), prefix=name)
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        if backend == "postgresql":
            drop_postgres_database(url)


@dataclass
class Tenant:
    """An organization with an API key of each role."""

    org_id: uuid.UUID
    keys: dict[Role, str]
    key_ids: dict[Role, uuid.UUID]

    def headers(self, role: Role = Role.ADMIN) -> dict[str, str]:
        return {"X-API-Key": self.keys[role]}


@dataclass
class ApiHarness:
    client: httpx.AsyncClient
    runtime: Runtime
    tenant: Tenant
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def org_id(self) -> uuid.UUID:
        return self.tenant.org_id

    def headers(self, role: Role = Role.ADMIN) -> dict[str, str]:
        return self.tenant.headers(role)

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A committed transaction on the harness's database."""
        with transaction(self.runtime.sessions) as db_session:
            yield db_session

    def new_tenant(self) -> Tenant:
        return make_tenant(self.runtime)


def make_tenant(runtime: Runtime) -> Tenant:
    """A new organization (with the default tactics, prompts and policy): its first admin key, an operator
    key and a viewer key."""
    with transaction(runtime.sessions) as session:
        created = organizations.create_organization(
            session=session, org_in=OrganizationCreate(name=f"Bank {uuid.uuid4().hex[:8]}"), actor=Actor.cli()
        )
        org_id = created.organization.id
        organizations.install_defaults(session=session, org_id=org_id, actor=Actor.cli())
        keys = {Role.ADMIN: created.api_key.key}
        key_ids = {Role.ADMIN: created.api_key.id}
        for role in (Role.OPERATOR, Role.VIEWER):
            key = api_keys.create_api_key(
                session=session,
                org_id=org_id,
                key_in=ApiKeyCreate(name=f"{role.value} key", role=role),
                actor=Actor.cli(),
            )
            keys[role], key_ids[role] = key.key, key.id
    return Tenant(org_id=org_id, keys=keys, key_ids=key_ids)


@contextlib.asynccontextmanager
async def open_api(
    database_url: str,
    *,
    cache: InMemoryCache | RedisCache | None = None,
    orchestrations: Any = None,
    **settings: Any,
) -> AsyncIterator[ApiHarness]:
    """The API over `database_url` (and `cache`, default in-process; `orchestrations`, default none), with
    `settings` by environment name."""
    runtime = build_runtime(Settings(ARCHER_DATABASE_URL=database_url, **settings))
    if cache is not None:
        runtime.cache = cache
    app = create_api(runtime, orchestrations=orchestrations)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://archer.test"
        ) as client:
            yield ApiHarness(client=client, runtime=runtime, tenant=make_tenant(runtime))
    finally:
        runtime.engine.dispose()


@pytest.fixture
async def api(api_database: str) -> AsyncIterator[ApiHarness]:
    async with open_api(api_database) as harness:
        yield harness


def problem_of(response: httpx.Response) -> dict[str, Any]:
    """The problem+json body of an error response (asserting it is one)."""
    assert response.headers["content-type"] == "application/problem+json", response.text
    body: dict[str, Any] = response.json()
    assert body["type"].startswith("urn:archer:problem:") and body["status"] == response.status_code
    return body


CUSTOMER = {
    "external_ref": "C-1001",
    "name": "Jordan Ashgrove",
    "phone_number": "(602) 555-0142",
    "postal_code": "85004",
    "state": "AZ",
    "accounts": [
        {
            "external_ref": "A-1001",
            "account_last_4": "4321",
            "balance": "1200.00",
            "past_due_amount": "300.00",
            "days_past_due": 45,
        }
    ],
}


def customer_body(**overrides: Any) -> dict[str, Any]:
    body = {**CUSTOMER, **overrides}
    if "accounts" not in overrides:
        ref = str(body["external_ref"]).replace("C-", "A-")
        body["accounts"] = [{**CUSTOMER["accounts"][0], "external_ref": ref}]  # type: ignore[index]
    return body
