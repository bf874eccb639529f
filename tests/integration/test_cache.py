"""The cache and event-bus port behaves the same on Redis and in process."""

from __future__ import annotations

import asyncio

from shared.integrations.cache import InMemoryCache, RedisCache


async def test_set_get_delete(cache: InMemoryCache | RedisCache) -> None:
    """Values round-trip and deleted keys are gone."""
    assert await cache.get("missing") is None
    await cache.set("call:1", '{"state": "verifying"}')
    assert await cache.get("call:1") == '{"state": "verifying"}'
    await cache.delete("call:1")
    assert await cache.get("call:1") is None


async def test_ttl_is_set_and_refreshed(cache: InMemoryCache | RedisCache) -> None:
    """A session key carries its TTL; writing it again refreshes the TTL."""
    await cache.set("session", "a", ttl_seconds=600)
    ttl = await cache.ttl("session")
    assert ttl is not None and 590 <= ttl <= 600
    await cache.set("session", "b", ttl_seconds=300)
    ttl = await cache.ttl("session")
    assert ttl is not None and ttl <= 300
    await cache.set("forever", "x")
    assert await cache.ttl("forever") is None


async def test_expired_keys_disappear(cache: InMemoryCache | RedisCache) -> None:
    """A key written with a one-second TTL is gone once that second has passed."""
    await cache.set("brief", "x", ttl_seconds=1)
    for _ in range(40):
        if await cache.get("brief") is None:
            break
        await asyncio.sleep(0.1)
    assert await cache.get("brief") is None


async def test_incr_counts_in_a_fixed_window(cache: InMemoryCache | RedisCache) -> None:
    """Counters count from one, keep the window's first TTL, and are independent per key."""
    assert [await cache.incr("rate:k1", ttl_seconds=60) for _ in range(3)] == [1, 2, 3]
    assert await cache.incr("rate:k2", ttl_seconds=60) == 1
    ttl = await cache.ttl("rate:k1")
    assert ttl is not None and 55 <= ttl <= 60


async def test_concurrent_increments_are_not_lost(cache: InMemoryCache | RedisCache) -> None:
    """Fifty concurrent increments give fifty."""
    await asyncio.gather(*(cache.incr("rate:burst", ttl_seconds=60) for _ in range(50)))
    assert await cache.get("rate:burst") == "50"


async def test_publish_reaches_subscribers_in_order(cache: InMemoryCache | RedisCache) -> None:
    """Messages published after subscribing arrive in order; other channels are not mixed in."""
    async with cache.subscribe("org:1") as subscription:
        await cache.publish("org:2", "other")
        for n in range(3):
            await cache.publish("org:1", f"event-{n}")
        received = [await subscription.next(timeout=5) for _ in range(3)]
        assert received == ["event-0", "event-1", "event-2"]
        assert await subscription.next(timeout=0.2) is None


async def test_namespaces_isolate_keys(cache: InMemoryCache | RedisCache) -> None:
    """Two caches with different prefixes on one server never see each other's keys."""
    await cache.set("shared-name", "mine")
    if isinstance(cache, RedisCache):
        other: InMemoryCache | RedisCache = RedisCache(cache._url, prefix="archer-other-ns:")
    else:
        other = InMemoryCache(prefix="archer-other-ns:")
    try:
        assert await other.get("shared-name") is None
    finally:
        await other.close()
