"""Test fixtures: a clean environment for every test, migrated databases (SQLite always, PostgreSQL when
ARCHER_TEST_DATABASE_URL is set), a rolled-back transaction per test, and the cache on both backends.

With ARCHER_REQUIRE_SERVICES=1 (CI), a test that needs PostgreSQL or Redis fails when the service is not
configured or not reachable, instead of skipping."""

from __future__ import annotations

import os

os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"  # before anything imports the Line SDK

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

from shared.config import get_settings
from shared.db import migrate
from shared.db.engine import make_engine
from shared.integrations.cache import InMemoryCache, RedisCache

# The REST API harness's fixtures (`api_database`, `api`), for every test module.
pytest_plugins = ["tests.api_support"]

# Read once, before the autouse fixture scrubs the environment of every test.
TEST_DATABASE_URL = os.environ.get("ARCHER_TEST_DATABASE_URL") or None
TEST_REDIS_URL = os.environ.get("ARCHER_TEST_REDIS_URL") or None
REQUIRE_SERVICES = os.environ.get("ARCHER_REQUIRE_SERVICES") == "1"
REPO_ROOT = Path(__file__).resolve().parent.parent

_VENDOR_VARIABLES = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "CARTESIA_API_KEY",
    "APPLICATIONINSIGHTS_CONNECTION_STRING",
)


def require_service(name: str, url: str | None, variable: str) -> str:
    """The service URL, or skip (locally) / fail (CI) when it is not configured."""
    if url:
        return url
    message = f"{name} not configured: set {variable}"
    if REQUIRE_SERVICES:
        pytest.fail(f"{message} (ARCHER_REQUIRE_SERVICES=1)")
    pytest.skip(message)


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test sees the developer's ARCHER_* settings or vendor keys."""
    for name in list(os.environ):
        if name.startswith("ARCHER_") or name in _VENDOR_VARIABLES:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ARCHER_ENV", "test")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


# --- Databases --------------------------------------------------------------------------------------------


@dataclass
class TestDatabase:
    backend: str
    url: str
    engine: Engine


def postgres_server_url() -> str:
    return require_service("PostgreSQL", TEST_DATABASE_URL, "ARCHER_TEST_DATABASE_URL")


def create_postgres_database(server_url: str, prefix: str = "archer_t") -> str:
    """Create an empty database on the server of `server_url`; return its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as exc:
        if REQUIRE_SERVICES:
            pytest.fail(f"PostgreSQL at {make_url(server_url).host} unreachable: {exc.orig}")
        pytest.skip(f"PostgreSQL unreachable: {exc.orig}")
    finally:
        admin.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(url: str) -> None:
    parsed = make_url(url)
    server = parsed.set(database="postgres").render_as_string(hide_password=False)
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """An empty PostgreSQL database for this test session, dropped at the end."""
    url = create_postgres_database(postgres_server_url())
    yield url
    drop_postgres_database(url)


@pytest.fixture
def fresh_postgres_url() -> Iterator[str]:
    """An empty PostgreSQL database for one test."""
    url = create_postgres_database(postgres_server_url(), prefix="archer_f")
    yield url
    drop_postgres_database(url)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestDatabase]:
    """A database migrated to head, on each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'archer.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    migrate.upgrade(engine)
    yield TestDatabase(backend=request.param, url=url, engine=engine)
    engine.dispose()


@pytest.fixture
def session(database: TestDatabase) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test; commits become savepoints."""
    connection = database.engine.connect()
    transaction = connection.begin()
    db_session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield db_session
    finally:
        db_session.close()
        transaction.rollback()
        connection.close()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh, migrated SQLite file for tests that need committed data (servers, CLIs)."""
    url = f"sqlite:///{tmp_path / 'archer.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return url


# --- Cache ------------------------------------------------------------------------------------------------


@pytest.fixture(params=["memory", "redis"])
async def cache(request: pytest.FixtureRequest) -> AsyncIterator[InMemoryCache | RedisCache]:
    """The cache port on each backend, namespaced so tests never see each other's keys."""
    prefix = f"archer-test-{uuid.uuid4().hex[:8]}:"
    if request.param == "memory":
        yield InMemoryCache(prefix)
        return
    url = require_service("Redis", TEST_REDIS_URL, "ARCHER_TEST_REDIS_URL")
    backend = RedisCache(url, prefix)
    try:
        await backend.ping()
    except Exception as exc:
        await backend.close()
        if REQUIRE_SERVICES:
            pytest.fail(f"Redis unreachable at {url}: {exc}")
        pytest.skip(f"Redis unreachable: {exc}")
    yield backend
    client = backend._client
    async for key in client.scan_iter(match=prefix + "*"):
        await client.delete(key)
    await backend.close()


# --- Telemetry --------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _telemetry_pipeline() -> Iterator[object]:
    from tests import telemetry_capture

    yield telemetry_capture.install()


@pytest.fixture
def telemetry(_telemetry_pipeline: object) -> Iterator[object]:
    """Captures every span, OpenTelemetry log record and metric exported during the test (in memory, after
    Archer's masking), through the process-wide pipeline `configure_telemetry` installs."""
    from tests.telemetry_capture import TelemetryCapture

    assert isinstance(_telemetry_pipeline, TelemetryCapture)
    _telemetry_pipeline.start()
    yield _telemetry_pipeline
    _telemetry_pipeline.stop()
