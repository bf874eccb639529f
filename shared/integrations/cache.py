"""The cache and event-bus port: TTL keys, counters (rate limits), and publish/subscribe (live events, cache
invalidation). Redis in production; an in-process implementation locally and in tests, with the same
behavior. Both are async because their main users — the agent host and the live-event server — are."""

from __future__ import annotations

import asyncio
import contextlib
import math
import threading
import time
from collections.abc import AsyncIterator, Awaitable
from typing import Any, Protocol, TypeVar

import redis.asyncio as aioredis

from shared.errors import ExternalServiceError

T = TypeVar("T")


class Cache(Protocol):
    """Keys are namespaced by the implementation's prefix; values are strings (callers serialize JSON)."""

    async def get(self, key: str) -> str | None: ...
    async def set(self, key: str, value: str, *, ttl_seconds: int | None = None) -> None: ...
    async def delete(self, key: str) -> None: ...
    async def incr(self, key: str, *, ttl_seconds: int) -> int:
        """Add one and return the new count; the TTL is set when the key is created (a fixed window)."""
        ...

    async def ttl(self, key: str) -> int | None:
        """Seconds until `key` expires; None when it does not exist or never expires."""
        ...

    async def hit(self, key: str, *, window_seconds: int) -> tuple[int, int]:
        """Count one hit in the fixed window of `key` (opened by its first hit, `window_seconds` long) in one
        atomic step; return the window's count so far and the whole seconds until it closes (at least 1)."""
        ...

    async def ping(self) -> None:
        """Raise ExternalServiceError when the cache cannot be reached."""
        ...

    async def close(self) -> None: ...


class Subscription(Protocol):
    """Messages published on a channel after the subscription was entered."""

    async def next(self, timeout: float | None = None) -> str | None:
        """The next message, or None after `timeout` seconds without one."""
        ...

    def __aiter__(self) -> AsyncIterator[str]: ...


class EventBus(Protocol):
    async def publish(self, channel: str, message: str) -> None: ...
    def subscribe(self, channel: str) -> contextlib.AbstractAsyncContextManager[Subscription]:
        """`async with bus.subscribe(channel) as sub:` — subscribed when the block is entered."""
        ...


class _QueueSubscription:
    def __init__(self, queue: asyncio.Queue[str]) -> None:
        self._queue = queue

    async def next(self, timeout: float | None = None) -> str | None:
        try:
            return await asyncio.wait_for(self._queue.get(), timeout)
        except TimeoutError:
            return None

    async def __aiter__(self) -> AsyncIterator[str]:
        while True:
            yield await self._queue.get()


class _RedisSubscription:
    def __init__(self, pubsub: Any) -> None:
        self._pubsub = pubsub

    async def next(self, timeout: float | None = None) -> str | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            wait = 1.0 if deadline is None else max(0.0, deadline - time.monotonic())
            message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=wait)
            if message is not None and message.get("type") == "message":
                return str(message["data"])
            if deadline is not None and time.monotonic() >= deadline:
                return None

    async def __aiter__(self) -> AsyncIterator[str]:
        while True:
            message = await self.next(None)
            if message is not None:
                yield message


class InMemoryCache:
    """A thread-safe dict with expiry, for one process. Also an EventBus across event loops and threads."""

    def __init__(self, prefix: str = "archer:") -> None:
        self._prefix = prefix
        self._values: dict[str, tuple[str, float | None]] = {}
        self._lock = threading.Lock()
        self._subscribers: dict[str, list[tuple[asyncio.AbstractEventLoop, asyncio.Queue[str]]]] = {}

    def _live(self, key: str, now: float) -> tuple[str, float | None] | None:
        item = self._values.get(key)
        if item is not None and item[1] is not None and item[1] <= now:
            del self._values[key]
            return None
        return item

    async def get(self, key: str) -> str | None:
        with self._lock:
            item = self._live(self._prefix + key, time.monotonic())
        return None if item is None else item[0]

    async def set(self, key: str, value: str, *, ttl_seconds: int | None = None) -> None:
        expires = None if ttl_seconds is None else time.monotonic() + ttl_seconds
        with self._lock:
            self._values[self._prefix + key] = (value, expires)

    async def delete(self, key: str) -> None:
        with self._lock:
            self._values.pop(self._prefix + key, None)

    async def incr(self, key: str, *, ttl_seconds: int) -> int:
        now = time.monotonic()
        with self._lock:
            item = self._live(self._prefix + key, now)
            expires: float | None
            if item is None:
                count, expires = 1, now + ttl_seconds
            else:
                count, expires = int(item[0]) + 1, item[1]
            self._values[self._prefix + key] = (str(count), expires)
        return count

    async def hit(self, key: str, *, window_seconds: int) -> tuple[int, int]:
        now = time.monotonic()
        with self._lock:
            item = self._live(self._prefix + key, now)
            count = 1 if item is None else int(item[0]) + 1
            # A counter left without expiry (written by other code) is closed like a new window.
            expires = now + window_seconds if item is None or item[1] is None else item[1]
            self._values[self._prefix + key] = (str(count), expires)
        return count, max(1, math.ceil(expires - now))

    async def ttl(self, key: str) -> int | None:
        now = time.monotonic()
        with self._lock:
            item = self._live(self._prefix + key, now)
        if item is None or item[1] is None:
            return None
        return max(0, round(item[1] - now))

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        return None

    def detached(self) -> InMemoryCache:
        """A handle usable from another event loop (or none): this one, it is not tied to a loop."""
        return self

    async def publish(self, channel: str, message: str) -> None:
        with self._lock:
            subscribers = list(self._subscribers.get(channel, ()))
        for loop, queue in subscribers:
            if loop.is_closed():
                continue
            loop.call_soon_threadsafe(queue.put_nowait, message)

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscription]:
        queue: asyncio.Queue[str] = asyncio.Queue()
        entry = (asyncio.get_running_loop(), queue)
        with self._lock:
            self._subscribers.setdefault(channel, []).append(entry)
        try:
            yield _QueueSubscription(queue)
        finally:
            with self._lock:
                self._subscribers[channel].remove(entry)


class RedisCache:
    """Redis (Azure Managed Redis in production) through `redis.asyncio`, one connection pool per process."""

    def __init__(self, url: str, prefix: str = "archer:") -> None:
        self._url = url
        self._prefix = prefix
        self._client: aioredis.Redis = aioredis.from_url(
            url, decode_responses=True, socket_connect_timeout=5, health_check_interval=30
        )

    async def _call(self, awaitable: Awaitable[T]) -> T:
        try:
            return await awaitable
        except (aioredis.ConnectionError, aioredis.TimeoutError) as exc:
            raise ExternalServiceError(
                f"cache unreachable: {exc}", service="redis", is_transient=True
            ) from exc

    async def get(self, key: str) -> str | None:
        value = await self._call(self._client.get(self._prefix + key))
        return value if value is None else str(value)

    async def set(self, key: str, value: str, *, ttl_seconds: int | None = None) -> None:
        await self._call(self._client.set(self._prefix + key, value, ex=ttl_seconds))

    async def delete(self, key: str) -> None:
        await self._call(self._client.delete(self._prefix + key))

    async def incr(self, key: str, *, ttl_seconds: int) -> int:
        full = self._prefix + key
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.incr(full)
            pipe.expire(full, ttl_seconds, nx=True)
            results = await self._call(pipe.execute())
        return int(results[0])

    async def hit(self, key: str, *, window_seconds: int) -> tuple[int, int]:
        full = self._prefix + key
        async with self._client.pipeline(transaction=True) as pipe:  # MULTI/EXEC: one atomic step
            pipe.incr(full)
            pipe.expire(full, window_seconds, nx=True)
            pipe.ttl(full)
            count, _, seconds = await self._call(pipe.execute())
        if int(seconds) < 0:  # a counter left without expiry (written by other code): close it now
            await self._call(self._client.expire(full, window_seconds))
            seconds = window_seconds
        return int(count), max(1, int(seconds))

    async def ttl(self, key: str) -> int | None:
        seconds = int(await self._call(self._client.ttl(self._prefix + key)))
        return None if seconds < 0 else seconds

    async def ping(self) -> None:
        await self._call(self._client.ping())

    def detached(self) -> RedisCache:
        """A new client on the same server and prefix, for code running outside the event loop this one's
        connections belong to (close it after use)."""
        return RedisCache(self._url, self._prefix)

    async def close(self) -> None:
        await self._client.aclose()

    async def publish(self, channel: str, message: str) -> None:
        await self._call(self._client.publish(self._prefix + channel, message))

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscription]:
        pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        await self._call(pubsub.subscribe(self._prefix + channel))
        try:
            yield _RedisSubscription(pubsub)
        finally:
            with contextlib.suppress(aioredis.RedisError, OSError):
                await pubsub.unsubscribe()
            await pubsub.aclose()  # type: ignore[no-untyped-call]


def make_cache(redis_url: str | None, *, prefix: str = "archer:") -> InMemoryCache | RedisCache:
    """Redis when a URL is configured, else the in-process implementation."""
    return RedisCache(redis_url, prefix) if redis_url else InMemoryCache(prefix)
