"""The API under more concurrent requests than it has pooled connections or request threads: every request
is answered. Requests holding a session are limited to one fewer than the pool lends, so a connection is always
left for the threads that check one out briefly, and a thread always comes free for a commit (without the
limit, requests holding every connection waited for threads that waited for connections, until the pool timed
out)."""

from __future__ import annotations

import asyncio

import anyio.to_thread

from shared.db import migrate
from shared.db.engine import make_engine
from tests.api_support import open_api


async def test_more_requests_than_connections_and_threads_all_complete(fresh_postgres_url: str) -> None:
    engine = make_engine(fresh_postgres_url)
    migrate.upgrade(engine)
    engine.dispose()
    async with open_api(fresh_postgres_url, ARCHER_DB_POOL_SIZE=1, ARCHER_RATE_LIMIT_PER_MINUTE=0) as api:
        pool = api.runtime.engine.pool
        assert pool.size() + pool._max_overflow == 3  # type: ignore[attr-defined]
        anyio.to_thread.current_default_thread_limiter().total_tokens = 2  # fewer threads than connections
        created = await api.client.post(
            "/api/v1/customers",
            json={
                "external_ref": "P-1",
                "name": "Pat Poolside",
                "phone_number": "+16025550111",
                "postal_code": "85004",
            },
            headers=api.headers(),
        )
        assert created.status_code == 201, created.text

        async def one(index: int) -> int:
            if index % 3 == 0:
                response = await api.client.patch(
                    f"/api/v1/customers/{created.json()['id']}",
                    json={"email": f"p{index}@example.com"},
                    headers=api.headers(),
                )
            else:
                response = await api.client.get(
                    "/api/v1/customers", params={"q": "Pool"}, headers=api.headers()
                )
            return response.status_code

        statuses = await asyncio.gather(*(one(index) for index in range(40)))
        assert statuses.count(200) == 40, statuses
