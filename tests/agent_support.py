"""Fixtures and helpers for tests that drive the real agent host over a real websocket: a committed database
per test module (SQLite and PostgreSQL), a runtime per test (so the Redis client lives in the test's event
loop), an organization configured like a bank, and debtors made through the services."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from shared.config import Settings
from shared.db import migrate
from shared.db.engine import make_engine, make_session_factory, transaction
from shared.db.tables import CallTranscriptEntry
from shared.integrations.cache import InMemoryCache, RedisCache
from shared.models.audit import Actor
from shared.models.customers import CustomerCreate, CustomerDetail
from shared.models.organizations import OrganizationCreate, OrganizationSettings
from shared.runtime import Runtime
from shared.services import customers, organizations
from tests.conftest import (
    REQUIRE_SERVICES,
    TEST_REDIS_URL,
    create_postgres_database,
    drop_postgres_database,
    postgres_server_url,
    require_service,
)

BANK_SETTINGS = OrganizationSettings(
    business_name="Demo Bank",
    agent_name="Alex",
    callback_number="+18005550100",
    transfer_number="+18005550199",
)
ACTOR = Actor.cli()


@dataclass(frozen=True)
class AgentDatabase:
    backend: str
    url: str
    org_id: uuid.UUID


def _make_org(url: str) -> uuid.UUID:
    engine = make_engine(url)
    try:
        with transaction(make_session_factory(engine)) as session:
            created = organizations.create_organization(
                session=session,
                org_in=OrganizationCreate(name=f"Agent Bank {uuid.uuid4().hex[:8]}", settings=BANK_SETTINGS),
                actor=ACTOR,
            )
            organizations.install_defaults(session=session, org_id=created.organization.id, actor=ACTOR)
            return created.organization.id
    finally:
        engine.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def agent_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AgentDatabase]:
    """A migrated database with committed data for one test module, on each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('agentdb') / 'archer.db'}"
    else:
        url = create_postgres_database(postgres_server_url(), prefix="archer_agent")
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    try:
        yield AgentDatabase(backend=request.param, url=url, org_id=_make_org(url))
    finally:
        if request.param == "postgresql":
            drop_postgres_database(url)


@pytest.fixture
async def agent_runtime(agent_database: AgentDatabase) -> AsyncIterator[Runtime]:
    """A runtime on the module's database; the PostgreSQL run uses Redis as its cache and event bus."""
    settings = Settings(ARCHER_ENV="test", ARCHER_DATABASE_URL=agent_database.url)
    engine = make_engine(settings.database_url, pool_size=10)
    cache: InMemoryCache | RedisCache
    if agent_database.backend == "postgresql" and (TEST_REDIS_URL or REQUIRE_SERVICES):
        cache = RedisCache(
            require_service("Redis", TEST_REDIS_URL, "ARCHER_TEST_REDIS_URL"),
            f"archer-agent-{uuid.uuid4().hex[:8]}:",
        )
    else:
        cache = InMemoryCache()
    runtime = Runtime(settings=settings, engine=engine, sessions=make_session_factory(engine), cache=cache)
    try:
        yield runtime
    finally:
        if isinstance(cache, RedisCache):
            client = cache._client
            async for key in client.scan_iter(match=cache._prefix + "*"):
                await client.delete(key)
        await runtime.aclose()


_phone_counter = iter(range(1_000_000))


def make_debtor(
    runtime: Runtime,
    org_id: uuid.UUID,
    *,
    name: str = "Avery Ashgrove",
    balance: str = "1200.00",
    past_due: str = "300.00",
    days_past_due: int = 200,
    last4: str = "4321",
    postal_code: str = "85004",
    phone: str | None = None,
    **extra: Any,
) -> CustomerDetail:
    """A customer with one open account, committed."""
    n = next(_phone_counter)
    number = phone or f"+1602555{(n * 7919) % 10000:04d}"
    with transaction(runtime.sessions) as session:
        return customers.create_customer(
            session=session,
            org_id=org_id,
            customer_in=CustomerCreate(
                external_ref=f"SIM-{uuid.uuid4().hex[:10]}",
                name=name,
                phone_number=number,
                postal_code=postal_code,
                accounts=[
                    {
                        "external_ref": f"SIMA-{uuid.uuid4().hex[:10]}",
                        "account_last_4": last4,
                        "balance": Decimal(balance),
                        "past_due_amount": Decimal(past_due),
                        "minimum_payment": Decimal("36.00"),
                        "days_past_due": days_past_due,
                    }
                ],
                **extra,
            ),
            actor=ACTOR,
        )


def stored_entries(runtime: Runtime, call_id: uuid.UUID) -> list[CallTranscriptEntry]:
    with transaction(runtime.sessions) as session:
        return list(
            session.scalars(
                sa.select(CallTranscriptEntry)
                .where(CallTranscriptEntry.call_id == call_id)
                .order_by(CallTranscriptEntry.sequence)
            ).all()
        )


def llm_runtime(runtime: Runtime, base_url: str, **limits: float) -> Runtime:
    """`runtime` with the LLM brain on the local fake model at `base_url` (and any model limits, e.g.
    `ARCHER_LLM_TIMEOUT_SECONDS=1.0`)."""
    import dataclasses

    settings = Settings(
        ARCHER_ENV="test",
        ARCHER_DATABASE_URL=runtime.settings.database_url,
        OPENAI_API_KEY="sk-test-fake",
        OPENAI_BASE_URL=f"{base_url}/v1",
        ARCHER_LLM_MODEL="gpt-4o-mini",
        **limits,
    )
    return dataclasses.replace(runtime, settings=settings)
