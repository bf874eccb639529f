"""Per-key rate limits over HTTP, through the cache on both backends: a 429 rate-limited problem with
Retry-After past the budget, budgets per key (shared by every API instance on the same cache), 0 turning the
limit off, /health never limited, and an unreachable cache not taking the API down."""

from __future__ import annotations

import pytest

from shared.domain import Role
from shared.integrations.cache import InMemoryCache, RedisCache
from tests.api_support import API, open_api, problem_of

# The database plays no part in these: SQLite only.
sqlite_only = pytest.mark.parametrize("api_database", ["sqlite"], indirect=True)


async def test_over_the_budget_is_a_429_with_retry_after(
    api_database: str, cache: InMemoryCache | RedisCache
) -> None:
    """The fourth request in a minute with a budget of three is a rate-limited problem whose Retry-After
    is the whole seconds left in the window; the organization's other keys keep their own budgets."""
    async with open_api(api_database, cache=cache, ARCHER_RATE_LIMIT_PER_MINUTE="3") as api:
        for _ in range(3):
            ok = await api.client.get(f"{API}/organization", headers=api.headers(Role.VIEWER))
            assert ok.status_code == 200, ok.text
        limited = await api.client.get(f"{API}/customers", headers=api.headers(Role.VIEWER))
        assert limited.status_code == 429
        problem = problem_of(limited)
        assert (
            problem["type"] == "urn:archer:problem:rate-limited"
            and "3 requests a minute" in problem["detail"]
        )
        assert 1 <= int(limited.headers["Retry-After"]) <= 60
        other_key = await api.client.get(f"{API}/organization", headers=api.headers(Role.OPERATOR))
        assert other_key.status_code == 200
        other_org = api.new_tenant()
        assert (await api.client.get(f"{API}/organization", headers=other_org.headers())).status_code == 200


async def test_instances_on_one_cache_share_the_budget(
    api_database: str, cache: InMemoryCache | RedisCache
) -> None:
    """Two API instances on the same cache (two function workers on one Redis) count one key together."""
    async with (
        open_api(api_database, cache=cache, ARCHER_RATE_LIMIT_PER_MINUTE="2") as first,
        open_api(api_database, cache=cache, ARCHER_RATE_LIMIT_PER_MINUTE="2") as second,
    ):
        headers = first.headers()
        assert (await first.client.get(f"{API}/organization", headers=headers)).status_code == 200
        assert (await second.client.get(f"{API}/organization", headers=headers)).status_code == 200
        assert (await second.client.get(f"{API}/organization", headers=headers)).status_code == 429
        assert (await first.client.get(f"{API}/organization", headers=headers)).status_code == 429


@sqlite_only
async def test_zero_turns_the_limit_off_and_health_is_never_limited(
    api_database: str, cache: InMemoryCache | RedisCache
) -> None:
    """With ARCHER_RATE_LIMIT_PER_MINUTE=0 nothing is limited; with a budget of one, /health is still not."""
    async with open_api(api_database, cache=cache, ARCHER_RATE_LIMIT_PER_MINUTE="0") as api:
        for _ in range(25):
            assert (await api.client.get(f"{API}/organization", headers=api.headers())).status_code == 200
    async with open_api(api_database, cache=cache, ARCHER_RATE_LIMIT_PER_MINUTE="1") as api:
        for _ in range(5):
            assert (await api.client.get(f"{API}/health/live")).status_code == 200
            assert (await api.client.get(f"{API}/health", headers=api.headers())).status_code in {200, 503}
        assert (await api.client.get(f"{API}/organization", headers=api.headers())).status_code == 200
        assert (await api.client.get(f"{API}/organization", headers=api.headers())).status_code == 429


@sqlite_only
async def test_an_unreachable_cache_does_not_block_requests(api_database: str) -> None:
    """When the cache cannot be reached the limit is not checked (and logged), rather than refusing every
    request: the limit protects capacity, it must not become an outage of its own."""
    down = RedisCache("redis://127.0.0.1:1/0", prefix="archer-test-down:")
    try:
        async with open_api(api_database, cache=down, ARCHER_RATE_LIMIT_PER_MINUTE="1") as api:
            for _ in range(3):
                assert (await api.client.get(f"{API}/organization", headers=api.headers())).status_code == 200
    finally:
        await down.close()


def test_the_default_budget_is_600_a_minute() -> None:
    """Unset, the budget is 600 requests a minute per key."""
    from shared.config import Settings

    assert Settings().rate_limit_per_minute == 600
