"""The fixed-window hit counter behind API rate limits behaves the same on Redis and in process."""

from __future__ import annotations

import asyncio

from shared.integrations.cache import InMemoryCache, RedisCache


async def test_hits_count_up_inside_one_window(cache: InMemoryCache | RedisCache) -> None:
    """Hits count from one per key, and each says how long is left of the window its first hit opened."""
    results = [await cache.hit("rl:key-a", window_seconds=60) for _ in range(3)]
    assert [count for count, _ in results] == [1, 2, 3]
    assert all(1 <= left <= 60 for _, left in results)
    assert (await cache.hit("rl:key-b", window_seconds=60))[0] == 1


async def test_concurrent_hits_are_each_counted_once(cache: InMemoryCache | RedisCache) -> None:
    """Fifty concurrent hits get the counts one to fifty, each exactly once."""
    results = await asyncio.gather(*(cache.hit("rl:burst", window_seconds=60) for _ in range(50)))
    assert sorted(count for count, _ in results) == list(range(1, 51))


async def test_a_closed_window_starts_again_from_one(cache: InMemoryCache | RedisCache) -> None:
    """Once a window has closed, the next hit opens a new one counting from one."""
    assert (await cache.hit("rl:short", window_seconds=1))[0] == 1
    assert (await cache.hit("rl:short", window_seconds=1))[0] == 2
    for _ in range(40):
        if await cache.get("rl:short") is None:
            break
        await asyncio.sleep(0.1)
    assert (await cache.hit("rl:short", window_seconds=1))[0] == 1


async def test_a_counter_without_expiry_is_given_one(cache: InMemoryCache | RedisCache) -> None:
    """A counter written without a TTL is still closed: the hit gives it the window's length."""
    await cache.set("rl:stuck", "7")
    count, left = await cache.hit("rl:stuck", window_seconds=30)
    assert count == 8 and 1 <= left <= 30
    ttl = await cache.ttl("rl:stuck")
    assert ttl is not None and ttl <= 30
