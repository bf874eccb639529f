"""The configuration cache (LRU → shared cache → database) on the in-process cache and on real Redis, over
SQLite and PostgreSQL with committed data: reads fill both layers, a committed change through the services
is what the next read returns in the writing process and — once the bus delivered the invalidation — in a
second process; racing readers, rollbacks and immutable versions behave."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from shared.db.engine import make_engine, make_session_factory, transaction
from shared.integrations.cache import InMemoryCache, RedisCache
from shared.models.audit import Actor
from shared.models.configuration import TacticPublic, TacticUpdate
from shared.models.organizations import OrganizationCreate
from shared.services import organizations, tactics
from shared.services.config_cache import ConfigCache, generation_key
from tests.agent_support import AgentDatabase, agent_database

__all__ = ["agent_database"]

ACTOR = Actor.cli()
NAME = "empathetic_partner"


@dataclass
class Process:
    """One process's view: its own database session factory and configuration cache, on a shared cache."""

    sessions: sessionmaker[Session]
    config: ConfigCache
    statements: list[str]

    def read(self, org_id: uuid.UUID, name: str = NAME) -> TacticPublic:
        with transaction(self.sessions) as session:
            return self.config.current_tactic(session=session, org_id=org_id, name=name)

    async def aread(self, org_id: uuid.UUID, name: str = NAME) -> TacticPublic:
        """A read from a worker thread, as the agent host's context loader makes it."""
        return await asyncio.to_thread(self.read, org_id, name)

    def tactic_queries(self) -> int:
        return sum("behavioral_tactics" in statement for statement in self.statements)


@pytest.fixture
def engine(agent_database: AgentDatabase) -> Iterator[sa.Engine]:
    engine = make_engine(agent_database.url)
    yield engine
    engine.dispose()


def _process(engine: sa.Engine, cache: InMemoryCache | RedisCache, **options: int) -> Process:
    statements: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    sessions = make_session_factory(engine)
    config = ConfigCache(cache, **options)
    config.install(sessions)
    return Process(sessions, config, statements)


@pytest.fixture
async def first(engine: sa.Engine, cache: InMemoryCache | RedisCache) -> AsyncIterator[Process]:
    process = _process(engine, cache)
    await process.config.start()
    yield process
    await process.config.aclose()


@pytest.fixture
async def second(cache: InMemoryCache | RedisCache, agent_database: AgentDatabase) -> AsyncIterator[Process]:
    """Another process on the same database and the same cache server (its own Redis connection)."""
    engine = make_engine(agent_database.url)
    other = cache if isinstance(cache, InMemoryCache) else cache.detached()
    process = _process(engine, other)
    await process.config.start()
    yield process
    await process.config.aclose()
    if other is not cache:
        await other.close()
    engine.dispose()


@pytest.fixture
def org_id(first: Process) -> uuid.UUID:
    """A fresh organization with the default tactics, prompts and policy."""
    with transaction(first.sessions) as session:
        created = organizations.create_organization(
            session=session, org_in=OrganizationCreate(name=f"Cache Bank {uuid.uuid4().hex[:8]}"), actor=ACTOR
        )
        organizations.install_defaults(session=session, org_id=created.organization.id, actor=ACTOR)
    first.statements.clear()
    return created.organization.id


async def _edit(process: Process, org_id: uuid.UUID, urgency: int) -> TacticPublic:
    """An edit through the service, committed from a worker thread (as the API commits)."""

    def write() -> TacticPublic:
        with transaction(process.sessions) as session:
            current = tactics.get_current_tactic(session=session, org_id=org_id, name=NAME)
            config = current.config.model_copy(update={"urgency_level": urgency})
            return tactics.update_tactic(
                session=session, org_id=org_id, name=NAME, tactic_in=TacticUpdate(config=config), actor=ACTOR
            )

    return await asyncio.to_thread(write)


async def _delivered(process: Process, cache: InMemoryCache | RedisCache, org_id: uuid.UUID) -> None:
    """Wait (on the event, not on a clock) until `process` handled the organization's latest invalidation."""
    generation = await cache.get(generation_key(org_id))
    assert generation is not None
    await process.config.wait_for_generation(org_id, generation)


async def test_a_read_fills_the_lru_and_the_shared_cache(
    first: Process, org_id: uuid.UUID, cache: InMemoryCache | RedisCache
) -> None:
    """The first read goes to the database and leaves the model in the LRU and its JSON in the shared
    cache; the second read touches neither the database nor (being in the LRU) needs the shared cache."""
    tactic = await first.aread(org_id)
    assert first.tactic_queries() == 1
    assert first.config.cached_locally(org_id, "tactic", NAME)
    generation = await cache.get(generation_key(org_id)) or "0"
    stored = await cache.get(f"config:{org_id}:{generation}:tactic:{NAME}")
    assert stored is not None and TacticPublic.model_validate_json(stored) == tactic

    again = await first.aread(org_id)
    assert again == tactic and first.tactic_queries() == 1


async def test_the_shared_cache_serves_a_process_whose_lru_is_cold(
    first: Process, second: Process, org_id: uuid.UUID
) -> None:
    """What one process loaded, another reads from the shared cache without a database query."""
    loaded = await first.aread(org_id)
    assert await second.aread(org_id) == loaded
    assert second.tactic_queries() == 0
    assert second.config.cached_locally(org_id, "tactic", NAME)


async def test_an_edit_is_the_next_read_in_this_process_and_in_another(
    first: Process, second: Process, org_id: uuid.UUID, cache: InMemoryCache | RedisCache
) -> None:
    """After a committed update, the writing process's very next read is the new version; the other
    process, whose LRU held the old one, reads the new one as soon as it handled the bus message."""
    old = await first.aread(org_id)
    assert await second.aread(org_id) == old and second.config.cached_locally(org_id, "tactic", NAME)

    new = await _edit(first, org_id, urgency=5)
    assert (new.version, new.config.urgency_level) == (old.version + 1, 5)
    assert await first.aread(org_id) == new  # no wait at all in the writing process

    await _delivered(second, cache, org_id)
    assert not second.config.cached_locally(org_id, "tactic", NAME)
    assert await second.aread(org_id) == new


async def test_a_reader_racing_the_write_cannot_bring_the_old_version_back(
    first: Process, second: Process, org_id: uuid.UUID, cache: InMemoryCache | RedisCache
) -> None:
    """A reader that loaded the old row just before the commit and stores it afterwards writes under the
    old generation, which no read uses any more."""
    old = await first.aread(org_id)
    old_generation = await cache.get(generation_key(org_id)) or "0"
    new = await _edit(first, org_id, urgency=4)
    await cache.set(f"config:{org_id}:{old_generation}:tactic:{NAME}", old.model_dump_json(), ttl_seconds=300)
    await _delivered(second, cache, org_id)
    assert await second.aread(org_id) == new
    assert await first.aread(org_id) == new


async def test_a_rolled_back_change_invalidates_nothing(
    first: Process, org_id: uuid.UUID, cache: InMemoryCache | RedisCache
) -> None:
    """A change noted in a transaction that rolls back leaves the cache as it was."""
    await first.aread(org_id)
    generation = await cache.get(generation_key(org_id))

    def abandoned() -> None:
        with first.sessions() as session:
            tactics.update_tactic(
                session=session,
                org_id=org_id,
                name=NAME,
                tactic_in=TacticUpdate(description="x"),
                actor=ACTOR,
            )
            session.rollback()

    await asyncio.to_thread(abandoned)
    assert await cache.get(generation_key(org_id)) == generation
    assert first.config.cached_locally(org_id, "tactic", NAME)
    assert (await first.aread(org_id)).version == 1


async def test_versions_by_id_are_kept_across_edits(first: Process, org_id: uuid.UUID) -> None:
    """A specific version (what a call or campaign references) is immutable: an edit of the tactic does
    not evict it, and it still reads as the old version."""
    v1 = await first.aread(org_id)

    def by_id() -> TacticPublic:
        with transaction(first.sessions) as session:
            return first.config.tactic(session=session, org_id=org_id, tactic_id=v1.id)

    assert await asyncio.to_thread(by_id) == v1
    await _edit(first, org_id, urgency=3)
    assert first.config.cached_locally(org_id, "tactic-id", str(v1.id))
    queries = first.tactic_queries()
    assert await asyncio.to_thread(by_id) == v1 and first.tactic_queries() == queries


async def test_unknown_names_are_cached_until_one_is_created(first: Process, org_id: uuid.UUID) -> None:
    """ "No such tactic" is remembered too, and creating it is the next read."""
    from shared.errors import NotFound
    from shared.models.configuration import TacticCreate

    with pytest.raises(NotFound):
        await first.aread(org_id, "brand_new")
    with pytest.raises(NotFound):
        await first.aread(org_id, "brand_new")
    v1 = await first.aread(org_id)

    def create() -> TacticPublic:
        with transaction(first.sessions) as session:
            return tactics.create_tactic(
                session=session,
                org_id=org_id,
                tactic_in=TacticCreate(
                    name="brand_new", archetype="New", config=v1.config.model_dump(mode="json")
                ),
                actor=ACTOR,
            )

    created = await asyncio.to_thread(create)
    assert await first.aread(org_id, "brand_new") == created


async def test_without_the_bus_the_lru_is_not_trusted(
    engine: sa.Engine, cache: InMemoryCache | RedisCache, first: Process, org_id: uuid.UUID
) -> None:
    """A process that is not subscribed (so could miss an invalidation) keeps nothing in its LRU and
    reads through the shared cache, which writers invalidate directly."""
    deaf = _process(engine, cache if isinstance(cache, InMemoryCache) else cache.detached())
    deaf.config.bind_loop()
    await deaf.aread(org_id)
    assert not deaf.config.cached_locally(org_id, "tactic", NAME)
    new = await _edit(first, org_id, urgency=1)
    assert await deaf.aread(org_id) == new
    if deaf.config.cache is not cache:
        await deaf.config.cache.close()


async def test_the_lru_is_bounded(
    engine: sa.Engine, cache: InMemoryCache | RedisCache, org_id: uuid.UUID
) -> None:
    """The least recently used entry goes when the LRU is full."""
    process = _process(engine, cache, maxsize=2)
    await process.config.start()
    try:
        names = ["empathetic_partner", "anchor_and_frame"]
        for name in names:
            await process.aread(org_id, name)
        await process.aread(org_id, names[0])  # now the most recently used
        policy_process = process.config

        def policy() -> None:
            with transaction(process.sessions) as session:
                policy_process.active_policy(session=session, org_id=org_id)

        await asyncio.to_thread(policy)
        assert policy_process.cached_locally(org_id, "tactic", names[0])
        assert not policy_process.cached_locally(org_id, "tactic", names[1])
        assert policy_process.cached_locally(org_id, "policy")
    finally:
        await process.config.aclose()


async def test_an_edit_committed_on_the_event_loop_thread_is_still_the_next_read(
    first: Process, second: Process, org_id: uuid.UUID, cache: InMemoryCache | RedisCache
) -> None:
    """Sync code running on the loop itself (it cannot block on the cache) invalidates in a task; until
    that ran, this process reads those organizations from the database."""
    await first.aread(org_id)
    await second.aread(org_id)
    with transaction(first.sessions) as session:
        new = tactics.update_tactic(
            session=session,
            org_id=org_id,
            name=NAME,
            tactic_in=TacticUpdate(description="on loop"),
            actor=ACTOR,
        )
    assert await first.aread(org_id) == new
    await _delivered(second, cache, org_id)
    assert await second.aread(org_id) == new


def test_a_process_without_an_event_loop_invalidates_with_a_detached_client() -> None:
    """CLI-style code (no loop anywhere) still moves the generation in the shared cache."""
    cache = InMemoryCache(f"archer-test-{uuid.uuid4().hex[:8]}:")
    config = ConfigCache(cache)
    org = uuid.uuid4()
    config.invalidate([org])
    assert asyncio.run(cache.get(generation_key(org))) is not None


async def test_a_callers_uncommitted_change_is_never_cached(
    first: Process, org_id: uuid.UUID, cache: InMemoryCache | RedisCache
) -> None:
    """Reading inside the transaction that changed the configuration sees the change but caches nothing,
    so a rollback leaves no trace in any layer."""
    await first.aread(org_id)
    generation = await cache.get(generation_key(org_id)) or "0"

    def change_read_and_roll_back() -> int:
        with first.sessions() as session:
            tactics.update_tactic(
                session=session,
                org_id=org_id,
                name=NAME,
                tactic_in=TacticUpdate(description="draft"),
                actor=ACTOR,
            )
            seen = first.config.current_tactic(session=session, org_id=org_id, name=NAME)
            session.rollback()
            return seen.version

    assert await asyncio.to_thread(change_read_and_roll_back) == 2
    assert (await first.aread(org_id)).version == 1
    stored = await cache.get(f"config:{org_id}:{generation}:tactic:{NAME}")
    assert stored is not None and TacticPublic.model_validate_json(stored).version == 1


async def test_a_missing_version_by_id_is_not_remembered(first: Process, org_id: uuid.UUID) -> None:
    """An id that is not (yet) visible is asked for again next time, never cached as missing."""
    from shared.errors import NotFound

    unknown = uuid.uuid4()

    def by_id() -> None:
        with transaction(first.sessions) as session:
            first.config.tactic(session=session, org_id=org_id, tactic_id=unknown)

    with pytest.raises(NotFound):
        await asyncio.to_thread(by_id)
    assert not first.config.cached_locally(org_id, "tactic-id", str(unknown))
