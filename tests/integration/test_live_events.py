"""The live-event Socket.IO server over real Socket.IO connections on loopback, on the in-process event bus and
on Redis: API-key auth at connect, one room per organization, forwarding from the bus, replicas, and its mount
in the local server."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import socketio
from sqlalchemy.orm import Session, sessionmaker

from agent_host.live_events import LiveEventServer
from dev_server.app import create_app
from shared.config import load_settings
from shared.db.engine import make_engine, make_session_factory
from shared.domain import CallDirection, CallOutcome, Role, Speaker
from shared.errors import ExternalServiceError
from shared.integrations.cache import InMemoryCache, RedisCache
from shared.models.audit import Actor
from shared.models.events import CallEnded, CallStarted, CallTranscript, CampaignProgress, channel_for
from shared.models.organizations import ApiKeyCreate, OrganizationCreate
from shared.runtime import build_runtime
from shared.services import api_keys, live, organizations
from tests.asgi_server import serve_asgi
from tests.conftest import TEST_REDIS_URL

WAIT = 10.0  # a guard against hanging, never an assertion about speed


@dataclass
class Tenant:
    org_id: uuid.UUID
    key: str
    key_id: uuid.UUID


@dataclass
class Db:
    sessions: sessionmaker[Session]
    first: Tenant
    second: Tenant


def _tenant(session: Session) -> Tenant:
    created = organizations.create_organization(
        session=session,
        org_in=OrganizationCreate(name=f"Live Bank {uuid.uuid4().hex[:8]}"),
        actor=Actor.cli(),
    )
    key = api_keys.create_api_key(
        session=session,
        org_id=created.organization.id,
        key_in=ApiKeyCreate(name="viewer", role=Role.VIEWER),
        actor=Actor.cli(),
    )
    return Tenant(org_id=created.organization.id, key=key.key, key_id=key.id)


@pytest.fixture
def db(sqlite_url: str) -> Iterator[Db]:
    engine = make_engine(sqlite_url)
    sessions = make_session_factory(engine)
    with sessions() as session, session.begin():
        first, second = _tenant(session), _tenant(session)
    yield Db(sessions=sessions, first=first, second=second)
    engine.dispose()


def _redis_url(cache: InMemoryCache | RedisCache) -> str | None:
    return TEST_REDIS_URL if isinstance(cache, RedisCache) else None


def _server(db: Db, bus: InMemoryCache | RedisCache, channel: str) -> LiveEventServer:
    return LiveEventServer(sessions=db.sessions, bus=bus, redis_url=_redis_url(bus), manager_channel=channel)


class Listener:
    """A Socket.IO client that queues every event it receives as (name, data)."""

    def __init__(self) -> None:
        self.client = socketio.AsyncClient(reconnection=False)
        self.events: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()

        @self.client.on("*")
        async def _any(name: str, data: dict[str, Any]) -> None:
            await self.events.put((name, data))

    async def connect(self, base_url: str, key: str | None) -> None:
        auth = None if key is None else {"apiKey": key}
        await self.client.connect(base_url, auth=auth, transports=["websocket"], wait_timeout=WAIT)

    async def next(self) -> tuple[str, dict[str, Any]]:
        return await asyncio.wait_for(self.events.get(), WAIT)

    async def close(self) -> None:
        await self.client.disconnect()


@pytest.fixture
async def listeners() -> AsyncIterator[list[Listener]]:
    made: list[Listener] = []
    yield made
    for listener in made:
        await listener.close()


def _listener(listeners: list[Listener]) -> Listener:
    listener = Listener()
    listeners.append(listener)
    return listener


def _now() -> datetime:
    return datetime.now(UTC)


def _transcript(org_id: uuid.UUID, text: str, sequence: int = 0) -> CallTranscript:
    return CallTranscript(
        organization_id=org_id,
        at=_now(),
        call_id=uuid.uuid4(),
        sequence=sequence,
        speaker=Speaker.AGENT,
        text=text,
    )


async def test_events_reach_only_their_organizations_room(
    db: Db, cache: InMemoryCache | RedisCache, listeners: list[Listener]
) -> None:
    """A client receives its own organization's events, named by type with the event's JSON, and never
    another organization's."""
    server = _server(db, cache, f"archer-test:{uuid.uuid4().hex}")
    async with serve_asgi(server.asgi_app) as url:
        first, second = _listener(listeners), _listener(listeners)
        await first.connect(url, db.first.key)
        await second.connect(url, db.second.key)
        call_id = uuid.uuid4()
        started = CallStarted(
            organization_id=db.first.org_id,
            at=_now(),
            call_id=call_id,
            customer_id=None,
            customer_name="Jordan Ashgrove",
            direction=CallDirection.OUTBOUND,
        )
        await live.publish(cache, _transcript(db.second.org_id, "for the second bank only"))
        await live.publish(cache, started)
        await live.publish(cache, _transcript(db.first.org_id, "Hello, this is Alex."))
        await live.publish(
            cache,
            CallEnded(
                organization_id=db.first.org_id,
                at=_now(),
                call_id=call_id,
                outcome=CallOutcome.PROMISE_TO_PAY,
                duration_seconds=42,
            ),
        )
        names = [await first.next() for _ in range(3)]
        assert [name for name, _ in names] == ["call.started", "call.transcript", "call.ended"]
        assert names[0][1]["customer_name"] == "Jordan Ashgrove"
        assert names[0][1]["call_id"] == str(call_id)
        assert names[1][1]["text"] == "Hello, this is Alex."
        assert names[2][1]["outcome"] == "promise_to_pay"
        other = await second.next()
        assert other[0] == "call.transcript" and other[1]["text"] == "for the second bank only"
        assert first.events.empty()
    await server.aclose()


async def _refusal(url: str, auth: dict[str, str] | None) -> str:
    """Connect and return the server's refusal message (the `connect_error` the browser would see)."""
    client = socketio.AsyncClient(reconnection=False)
    refusals: list[Any] = []
    client.on("connect_error", refusals.append)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(url, auth=auth, transports=["websocket"], wait_timeout=WAIT)
    await client.disconnect()
    return str(refusals[0]["message"] if isinstance(refusals[0], dict) else refusals[0])


@pytest.mark.parametrize(
    ("auth", "reason"),
    [
        (None, "missing API key"),
        ({"apiKey": ""}, "missing API key"),
        ({"apiKey": "ak_not-a-real-key"}, "invalid or revoked API key"),
        ({"token": "archer-local-dev-key"}, "missing API key"),
    ],
)
async def test_connections_without_a_valid_key_are_refused(
    db: Db, auth: dict[str, str] | None, reason: str
) -> None:
    """Connecting without `auth.apiKey`, or with an unknown key, is refused with the reason."""
    server = _server(db, InMemoryCache(), "unused")
    async with serve_asgi(server.asgi_app) as url:
        assert reason in await _refusal(url, auth)
        assert server.forwarded_organizations() == set()
    await server.aclose()


async def test_a_revoked_key_cannot_connect(db: Db) -> None:
    """A key revoked by an admin no longer opens a live connection."""
    with db.sessions() as session, session.begin():
        api_keys.revoke_api_key(
            session=session, org_id=db.first.org_id, key_id=db.first.key_id, actor=Actor.cli()
        )
    server = _server(db, InMemoryCache(), "unused")
    async with serve_asgi(server.asgi_app) as url:
        assert "revoked" in await _refusal(url, {"apiKey": db.first.key})
    await server.aclose()


async def test_every_replica_delivers_each_event_once_to_its_clients(
    db: Db, cache: InMemoryCache | RedisCache, listeners: list[Listener]
) -> None:
    """With two replicas on one event bus (Redis: two connections, as two processes would have), an event
    published once reaches the clients of both replicas exactly once."""
    channel = f"archer-test:{uuid.uuid4().hex}"
    other_bus: InMemoryCache | RedisCache = (
        RedisCache(TEST_REDIS_URL, cache._prefix)
        if isinstance(cache, RedisCache) and TEST_REDIS_URL
        else cache
    )
    replica_a, replica_b = _server(db, cache, channel), _server(db, other_bus, channel)
    try:
        async with serve_asgi(replica_a.asgi_app) as url_a, serve_asgi(replica_b.asgi_app) as url_b:
            on_a, on_b = _listener(listeners), _listener(listeners)
            await on_a.connect(url_a, db.first.key)
            await on_b.connect(url_b, db.first.key)
            await live.publish(cache, _transcript(db.first.org_id, "once", 0))
            await live.publish(other_bus, _transcript(db.first.org_id, "marker", 1))
            for listener in (on_a, on_b):
                assert [(await listener.next())[1]["text"] for _ in range(2)] == ["once", "marker"]
    finally:
        await replica_a.aclose()
        await replica_b.aclose()
        if other_bus is not cache:
            await other_bus.close()


async def test_the_bus_subscription_lives_as_long_as_the_organizations_clients(
    db: Db, cache: InMemoryCache | RedisCache, listeners: list[Listener]
) -> None:
    """The first client of an organization subscribes the process to its channel, the last one leaving
    unsubscribes it, and a client connecting later is subscribed again."""
    server = _server(db, cache, f"archer-test:{uuid.uuid4().hex}")
    async with serve_asgi(server.asgi_app) as url:
        one, two = _listener(listeners), _listener(listeners)
        await one.connect(url, db.first.key)
        await two.connect(url, db.first.key)
        assert server.forwarded_organizations() == {db.first.org_id}
        await one.close()
        await live.publish(cache, _transcript(db.first.org_id, "still here"))
        assert (await two.next())[1]["text"] == "still here"
        await two.close()
        for _ in range(500):
            if not server.forwarded_organizations():
                break
            await asyncio.sleep(0.01)
        assert server.forwarded_organizations() == set()
        three = _listener(listeners)
        await three.connect(url, db.first.key)
        await live.publish(cache, _transcript(db.first.org_id, "welcome back"))
        assert (await three.next())[1]["text"] == "welcome back"
    await server.aclose()


async def test_malformed_or_foreign_bus_messages_are_dropped(
    db: Db, cache: InMemoryCache | RedisCache, listeners: list[Listener]
) -> None:
    """A message on an organization's channel that is not a live event, or names another organization, is
    dropped; the next valid event still arrives."""
    server = _server(db, cache, f"archer-test:{uuid.uuid4().hex}")
    async with serve_asgi(server.asgi_app) as url:
        listener = _listener(listeners)
        await listener.connect(url, db.first.key)
        channel = channel_for(db.first.org_id)
        await cache.publish(channel, "not json")
        await cache.publish(channel, '{"type": "call.unknown"}')
        await cache.publish(channel, _transcript(db.second.org_id, "foreign").model_dump_json())
        progress = CampaignProgress(
            organization_id=db.first.org_id,
            at=_now(),
            campaign_id=uuid.uuid4(),
            total=4,
            counts={"done": 2, "pending": 2},
            percent_done=50.0,
        )
        await live.publish(cache, progress)
        name, data = await listener.next()
        assert name == "campaign.progress"
        assert data["percent_done"] == 50.0 and data["counts"] == {"done": 2, "pending": 2}
    await server.aclose()


@pytest.mark.parametrize("backend", ["memory", "redis"])
async def test_the_local_server_serves_live_events_at_socket_io(
    backend: str,
    sqlite_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    listeners: list[Listener],
) -> None:
    """`archer serve`'s app mounts the server at /socket.io: the seeded demo key connects, and an event
    published on the runtime's bus reaches it."""
    monkeypatch.setenv("ARCHER_DATABASE_URL", sqlite_url)
    if backend == "redis":
        from tests.conftest import require_service

        monkeypatch.setenv(
            "ARCHER_REDIS_URL", require_service("Redis", TEST_REDIS_URL, "ARCHER_TEST_REDIS_URL")
        )
    runtime = build_runtime(load_settings())
    with runtime.sessions() as session, session.begin():
        tenant = _tenant(session)
    app = create_app(runtime, ui_dist=tmp_path)
    async with serve_asgi(app, lifespan="on") as url:
        listener = _listener(listeners)
        await listener.connect(url, tenant.key)
        await live.publish(runtime.cache, _transcript(tenant.org_id, "through the local server"))
        name, data = await listener.next()
        assert (name, data["text"]) == ("call.transcript", "through the local server")


class _FlakyBus:
    """The in-process bus, except that its first subscription fails as a Redis outage would."""

    def __init__(self) -> None:
        self.inner = InMemoryCache()
        self.failures_left = 1

    async def publish(self, channel: str, message: str) -> None:
        await self.inner.publish(channel, message)

    def subscribe(self, channel: str) -> Any:
        if self.failures_left:
            self.failures_left -= 1
            raise ExternalServiceError("cache unreachable: connection refused", service="redis")
        return self.inner.subscribe(channel)


async def test_a_lost_bus_subscription_is_retried_and_the_room_told_to_resync(
    db: Db, listeners: list[Listener]
) -> None:
    """When the bus cannot be subscribed, the server retries, then emits `live.resync` so the clients refetch
    what they missed, and forwards events again."""
    bus = _FlakyBus()
    server = LiveEventServer(sessions=db.sessions, bus=bus)
    async with serve_asgi(server.asgi_app) as url:
        listener = _listener(listeners)
        await listener.connect(url, db.first.key)
        assert (await listener.next())[0] == "live.resync"
        await live.publish(bus, _transcript(db.first.org_id, "back again"))
        assert (await listener.next())[1]["text"] == "back again"
    await server.aclose()
