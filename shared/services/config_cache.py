"""The configuration cache: how the agent reads tactics, prompts and the negotiation policy on every call
without a database round trip, and why an edit is live on the next call.

Three layers, each in front of the next:

1. An in-process LRU (bounded; parsed pydantic models, read-only by convention).
2. The shared cache (`runtime.cache`: Redis in production, in-process locally): the model's JSON, with a TTL
   as a safety net.
3. PostgreSQL (SQLite locally), through the services, in the caller's session.

Invalidation: a service that writes configuration calls `note_change(session, org_id=...)`; when that
transaction commits, every `ConfigCache` installed on the session factory

- drops the organization's entries from its own LRU at once (so the writing process never serves the old
  version, not even for a moment),
- moves the organization to a new *generation* in the shared cache — a fresh token under
  `config:<org>:generation` that is part of every mutable key — which is the same as deleting all of the
  organization's keys, except that a reader racing the write (it read the old row just before the commit) can
  only put the old version back under the old generation, where nobody looks any more,
- and publishes `{org_id, generation, origin}` on the `config.invalidate` channel of the event bus. Every
  process running the agent listens (`start()`, in the agent host's lifespan) and drops the organization's
  LRU entries when the message arrives.

The LRU is trusted only while this process is subscribed: without a subscription (not started, or the bus
connection dropped) reads go to the shared cache, which writers invalidate directly; on every (re)subscribe
the LRU is cleared, because messages may have been missed. Versioned reads by id (a call's tactic version,
a campaign's policy version) are immutable rows and are cached without generation, for as long as the LRU
keeps them. Negative answers ("no active tactic named x") are cached too: creating one moves the generation.

The shared cache is async; the services and the agent's context loader are sync and run in worker threads.
The cache therefore runs its shared-cache calls on the event loop it was bound to (`bind_loop`: the agent
host binds its loop per call, the API per request), waiting for the result from the worker thread. Code that
runs *on* an event loop thread reads straight from the database (it must not block the loop) and schedules
the invalidation as a task; code with no event loop at all (CLI) uses a detached client of its own.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import TypeAdapter
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from shared.errors import NotFound
from shared.integrations.cache import InMemoryCache, RedisCache
from shared.models.configuration import NegotiationPolicyPublic, PromptPublic, TacticPublic

logger = logging.getLogger(__name__)

T = TypeVar("T")
CacheBackend = InMemoryCache | RedisCache

CHANNEL = "config.invalidate"
DEFAULT_MAXSIZE = 1024
DEFAULT_TTL_SECONDS = 300  # the safety net: a missed invalidation heals itself after this long
IMMUTABLE_TTL_SECONDS = 24 * 3600  # versioned rows never change; the TTL only returns the memory
BRIDGE_TIMEOUT_SECONDS = 5.0
_CHANGES = "archer.config_changes"
_RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0, 5.0)

_TACTIC = TypeAdapter(TacticPublic | None)
_TACTICS = TypeAdapter(list[TacticPublic])
_PROMPT = TypeAdapter(PromptPublic | None)
_POLICY = TypeAdapter(NegotiationPolicyPublic | None)


def note_change(session: Session, *, org_id: uuid.UUID) -> None:
    """Called by the services that write configuration: when `session`'s transaction commits, the
    organization's cached configuration is invalidated everywhere (rolled back: nothing happens)."""
    changes: set[uuid.UUID] = session.info.setdefault(_CHANGES, set())
    changes.add(org_id)


def generation_key(org_id: uuid.UUID) -> str:
    return f"config:{org_id}:generation"


_Key = tuple[uuid.UUID, tuple[str, ...]]  # (organization, ("tactic", name) / ("tactic-id", id) / ...)


class _NoBridge(Exception):
    """The shared cache cannot be reached from this thread without blocking an event loop."""


@dataclass(frozen=True)
class _Entry:
    value: Any


class ConfigCache:
    """One per process (`Runtime.config`). Reads are sync (call them from worker threads or sync code, with
    the caller's session for the database fallback); `start()` / `aclose()` run the invalidation listener."""

    def __init__(
        self,
        cache: CacheBackend,
        *,
        maxsize: int = DEFAULT_MAXSIZE,
        ttl_seconds: int = DEFAULT_TTL_SECONDS,
        channel: str = CHANNEL,
    ) -> None:
        self.cache = cache
        self.maxsize = maxsize
        self.ttl_seconds = ttl_seconds
        self.channel = channel
        self.origin = uuid.uuid4().hex
        self._lru: OrderedDict[_Key, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self._epoch = 0  # moves on every invalidation; a read only fills the LRU if it did not move meanwhile
        self._pending: dict[uuid.UUID, int] = {}  # organizations whose invalidation is still being published
        self._loop: asyncio.AbstractEventLoop | None = None
        self._listening = False
        self._listener: asyncio.Task[None] | None = None
        self._subscribed: asyncio.Event | None = None
        self._received: asyncio.Condition | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.invalidations_received = 0
        self._generations: dict[uuid.UUID, str] = {}  # the last generation announced per organization

    # --- wiring ----------------------------------------------------------------------------------------------

    def install(self, sessions: sessionmaker[Session]) -> None:
        """Invalidate after every commit of a session from `sessions` that noted a configuration change."""
        event.listen(sessions, "after_commit", self._after_commit)
        event.listen(sessions, "after_transaction_end", self._after_transaction_end)

    def bind_loop(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        """The event loop the shared cache's client lives on (default: the running one)."""
        self._loop = loop or asyncio.get_running_loop()

    @property
    def listening(self) -> bool:
        """Subscribed to invalidations right now (only then is the LRU trusted for current versions)."""
        listener = self._listener
        return (
            self._listening
            and listener is not None
            and not listener.done()
            and not listener.get_loop().is_closed()
        )

    def _listener_alive(self) -> bool:
        listener = self._listener
        if listener is None or listener.done():
            return False
        try:
            return listener.get_loop() is asyncio.get_running_loop()
        except RuntimeError:
            return False

    # --- reads -----------------------------------------------------------------------------------------------

    def current_tactic(self, *, session: Session, org_id: uuid.UUID, name: str) -> TacticPublic:
        from shared.services import tactics

        def load() -> TacticPublic | None:
            with contextlib.suppress(NotFound):
                return tactics.get_current_tactic(session=session, org_id=org_id, name=name)
            return None

        found = self._read(session, org_id, ("tactic", name), _TACTIC, load)
        if found is None:
            raise NotFound(f"no active tactic named {name!r}")
        return found

    def tactic(self, *, session: Session, org_id: uuid.UUID, tactic_id: uuid.UUID) -> TacticPublic:
        from shared.services import tactics

        def load() -> TacticPublic | None:
            with contextlib.suppress(NotFound):
                return tactics.get_tactic(session=session, org_id=org_id, tactic_id=tactic_id)
            return None

        found = self._read(session, org_id, ("tactic-id", str(tactic_id)), _TACTIC, load, immutable=True)
        if found is None:
            raise NotFound("tactic not found")
        return found

    def active_tactics(self, *, session: Session, org_id: uuid.UUID) -> list[TacticPublic]:
        from shared.services import tactics

        def load() -> list[TacticPublic]:
            return tactics.list_tactics(session=session, org_id=org_id)

        return self._read(session, org_id, ("tactics",), _TACTICS, load)

    def current_prompt(self, *, session: Session, org_id: uuid.UUID, name: str) -> PromptPublic:
        from shared.services import prompts

        def load() -> PromptPublic | None:
            with contextlib.suppress(NotFound):
                return prompts.get_current_prompt(session=session, org_id=org_id, name=name)
            return None

        found = self._read(session, org_id, ("prompt", name), _PROMPT, load)
        if found is None:
            raise NotFound(f"no active prompt named {name!r}")
        return found

    def active_policy(self, *, session: Session, org_id: uuid.UUID) -> NegotiationPolicyPublic:
        from shared.services import policies

        def load() -> NegotiationPolicyPublic | None:
            with contextlib.suppress(NotFound):
                return policies.get_active_policy(session=session, org_id=org_id)
            return None

        found = self._read(session, org_id, ("policy",), _POLICY, load)
        if found is None:
            raise NotFound("the organization has no negotiation policy")
        return found

    def policy(self, *, session: Session, org_id: uuid.UUID, policy_id: uuid.UUID) -> NegotiationPolicyPublic:
        from shared.services import policies

        def load() -> NegotiationPolicyPublic | None:
            with contextlib.suppress(NotFound):
                return policies.get_policy(session=session, org_id=org_id, policy_id=policy_id)
            return None

        found = self._read(session, org_id, ("policy-id", str(policy_id)), _POLICY, load, immutable=True)
        if found is None:
            raise NotFound("negotiation policy not found")
        return found

    def cached_locally(self, org_id: uuid.UUID, *ident: str) -> bool:
        """Whether the LRU holds `ident` (e.g. `"tactic", "empathetic_partner"`) for the organization."""
        with self._lock:
            return (org_id, ident) in self._lru

    def _read(
        self,
        session: Session,
        org_id: uuid.UUID,
        ident: tuple[str, ...],
        adapter: TypeAdapter[T],
        load: Callable[[], T],
        *,
        immutable: bool = False,
    ) -> T:
        if org_id in session.info.get(_CHANGES, ()):
            return load()  # the caller's own uncommitted change: never cache what may be rolled back
        lru_key: _Key = (org_id, ident)
        use_lru = immutable or self.listening
        with self._lock:
            entry = self._lru.get(lru_key) if use_lru else None
            if entry is not None:
                self._lru.move_to_end(lru_key)
                value: T = entry.value
                return value
            epoch = self._epoch
            in_flight = self._pending.get(org_id, 0) > 0
        if in_flight and not immutable:
            return load()  # this process's own change is still being published: straight to the database
        raw, key = self._shared_get(org_id, ident, immutable=immutable)
        if raw is not None:
            value = adapter.validate_json(raw)
        else:
            value = load()
            if immutable and value is None:
                return value  # a version not (yet) visible is no immutable fact: ask again next time
            if key is not None:
                ttl = IMMUTABLE_TTL_SECONDS if immutable else self.ttl_seconds
                self._shared_put(key, adapter.dump_json(value).decode(), ttl)
        if use_lru:
            with self._lock:
                if self._epoch == epoch:
                    self._lru[lru_key] = _Entry(value)
                    self._lru.move_to_end(lru_key)
                    while len(self._lru) > self.maxsize:
                        self._lru.popitem(last=False)
        return value

    def _shared_get(
        self, org_id: uuid.UUID, ident: tuple[str, ...], *, immutable: bool
    ) -> tuple[str | None, str | None]:
        """The shared cache's JSON for `ident` and its key (under the organization's current generation for
        current versions); the key is None when the shared cache cannot be used from here."""
        suffix = ":".join(ident)

        async def fetch(cache: CacheBackend) -> tuple[str | None, str]:
            if immutable:
                key = f"config:{org_id}:{suffix}"
            else:
                generation = await cache.get(generation_key(org_id)) or "0"
                key = f"config:{org_id}:{generation}:{suffix}"
            return await cache.get(key), key

        try:
            raw, key = self._call(fetch)
        except _NoBridge:
            return None, None
        except Exception as exc:  # the cache is an optimization: any failure reads the database instead
            logger.warning("configuration cache: shared cache unavailable, reading the database: %s", exc)
            return None, None
        return raw, key

    def _shared_put(self, key: str, payload: str, ttl: int) -> None:
        async def store(cache: CacheBackend) -> None:
            await cache.set(key, payload, ttl_seconds=ttl)

        try:
            self._call(store)
        except Exception as exc:
            logger.warning("configuration cache: could not fill the shared cache: %s", exc)

    # --- invalidation ----------------------------------------------------------------------------------------

    def _after_commit(self, session: Session) -> None:
        changes: set[uuid.UUID] | None = session.info.pop(_CHANGES, None)
        if changes:
            self.invalidate(changes)

    def _after_transaction_end(self, session: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is None:  # the outermost transaction ended without a commit: forget its notes
            session.info.pop(_CHANGES, None)

    def drop_local(self, org_ids: Iterable[uuid.UUID] | None = None) -> None:
        """Forget this process's LRU entries of `org_ids` (all, when None); versioned rows by id stay."""
        with self._lock:
            self._epoch += 1
            if org_ids is None:
                self._lru.clear()
                return
            orgs = set(org_ids)
            for key in [key for key in self._lru if _mutable_of(key, orgs)]:
                del self._lru[key]

    def invalidate(self, org_ids: Iterable[uuid.UUID]) -> None:
        """Invalidate the organizations' configuration in this process at once, and in the shared cache and
        every other process before returning (from a worker thread or sync code) or in a task scheduled on
        the running loop (when called on an event loop thread: until it ran, this process reads the
        database for those organizations)."""
        orgs = sorted(set(org_ids))
        if not orgs:
            return
        with self._lock:
            for org in orgs:
                self._pending[org] = self._pending.get(org, 0) + 1
        self.drop_local(orgs)

        async def publish(cache: CacheBackend) -> None:
            for org in orgs:
                generation = uuid.uuid4().hex
                await cache.set(generation_key(org), generation)
                message = {"org_id": str(org), "generation": generation, "origin": self.origin}
                await cache.publish(self.channel, json.dumps(message))

        def done() -> None:
            self.drop_local(orgs)
            with self._lock:
                for org in orgs:
                    self._pending[org] -= 1
                    if not self._pending[org]:
                        del self._pending[org]

        try:
            self._call(publish)
        except _NoBridge:
            running = asyncio.get_running_loop()
            if self._loop is None or self._loop.is_closed():
                self._loop = running
            cache = self.cache if running is self._loop else self.cache.detached()
            task = running.create_task(self._publish_later(publish, cache, done))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return
        except Exception as exc:  # the change is committed: never fail the writer over its broadcast
            logger.error(
                "configuration cache: could not publish an invalidation (other processes catch up within %ss): %s",
                self.ttl_seconds,
                exc,
            )
        done()

    async def _publish_later(
        self,
        publish: Callable[[CacheBackend], Coroutine[Any, Any, None]],
        cache: CacheBackend,
        done: Callable[[], None],
    ) -> None:
        try:
            await publish(cache)
        except Exception as exc:
            logger.error("configuration cache: could not publish an invalidation: %s", exc)
        finally:
            done()
            if cache is not self.cache:
                await cache.close()

    # --- the listener ----------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Subscribe to invalidations (idempotent); returns once subscribed, or after one failed try (the
        listener keeps retrying in the background; the LRU is bypassed until it succeeds)."""
        loop = asyncio.get_running_loop()
        self.bind_loop(loop)
        if self._listener_alive():
            return
        self._listening = False
        self._subscribed = asyncio.Event()
        self._received = asyncio.Condition()
        self._listener = loop.create_task(self._listen(self._subscribed), name="config-cache-listener")
        waiter = loop.create_task(self._subscribed.wait())
        await asyncio.wait(
            {waiter, self._listener}, timeout=BRIDGE_TIMEOUT_SECONDS, return_when="FIRST_COMPLETED"
        )
        waiter.cancel()

    def ensure_started(self) -> None:
        """Start the listener from a running loop without waiting (for hosts that get no lifespan)."""
        if not self._listener_alive():
            loop = asyncio.get_running_loop()
            self.bind_loop(loop)
            self._listening = False
            self._subscribed = asyncio.Event()
            self._received = asyncio.Condition()
            self._listener = loop.create_task(self._listen(self._subscribed), name="config-cache-listener")

    async def _listen(self, subscribed: asyncio.Event) -> None:
        failures = 0
        while True:
            try:
                async with self.cache.subscribe(self.channel) as subscription:
                    self.drop_local()  # anything cached before now may have missed a message
                    self._listening = True
                    subscribed.set()
                    failures = 0
                    async for message in subscription:
                        await self._on_message(message)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the bus dropped: bypass the LRU until resubscribed
                logger.warning("configuration cache: invalidation listener lost the bus: %s", exc)
            finally:
                self._listening = False
            await asyncio.sleep(_RETRY_DELAYS[min(failures, len(_RETRY_DELAYS) - 1)])
            failures += 1

    async def _on_message(self, message: str) -> None:
        try:
            data = json.loads(message)
            org_id = uuid.UUID(str(data["org_id"]))
            origin = data.get("origin")
            generation = str(data.get("generation") or "")
        except (ValueError, KeyError, TypeError):
            logger.warning("configuration cache: unreadable invalidation message; dropping everything")
            self.drop_local()
        else:
            if origin != self.origin:  # this process dropped its own entries when it committed
                self.drop_local([org_id])
            self._generations[org_id] = generation
        self.invalidations_received += 1
        if self._received is not None:
            async with self._received:
                self._received.notify_all()

    async def wait_for_generation(self, org_id: uuid.UUID, generation: str, *, timeout: float = 5.0) -> None:
        """Wait until this instance has handled the invalidation that moved `org_id` to `generation` (the
        value of `generation_key(org_id)` after a change): from then on it reads the new configuration."""
        if self._received is None:
            raise RuntimeError("the listener is not started")
        received = self._received
        async with received:
            await asyncio.wait_for(
                received.wait_for(lambda: self._generations.get(org_id) == generation), timeout=timeout
            )

    async def settle(self) -> None:
        """Wait for the invalidations this process scheduled on the loop (commits made on the loop thread)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self) -> None:
        """Stop the listener and wait for invalidations still being published."""
        await self.settle()
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener
            self._listener = None
        self._listening = False

    # --- the sync/async bridge -------------------------------------------------------------------------------

    def _call(self, make: Callable[[CacheBackend], Coroutine[Any, Any, T]]) -> T:
        """Run `make(cache)` to completion from sync code: on the bound loop (from a worker thread), or with a
        detached client when no loop is running anywhere. Raises _NoBridge on an event loop thread."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            raise _NoBridge
        loop = self._loop
        if loop is not None and loop.is_running() and not loop.is_closed():
            future = asyncio.run_coroutine_threadsafe(make(self.cache), loop)
            try:
                return future.result(BRIDGE_TIMEOUT_SECONDS)
            except concurrent.futures.TimeoutError:
                future.cancel()
                raise

        async def detached() -> T:
            cache = self.cache.detached()
            try:
                return await make(cache)
            finally:
                if cache is not self.cache:
                    await cache.close()

        return asyncio.run(detached())


def _mutable_of(key: _Key, orgs: set[uuid.UUID]) -> bool:
    org_id, ident = key
    return org_id in orgs and not ident[0].endswith("-id")
