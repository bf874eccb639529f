"""Request dependencies, named for what they are: the runtime, a database session (committed before the
response is sent), the authenticated API key, its organization, and role checks."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from contextvars import ContextVar
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from shared.db.engine import transaction
from shared.domain import Role
from shared.errors import ExternalServiceError, Forbidden, Unauthorized
from shared.models.audit import Actor
from shared.models.organizations import ApiKeyPublic
from shared.runtime import Runtime
from shared.services import api_keys

logger = logging.getLogger(__name__)

# The Durable Functions client of the current invocation (the HTTP function sets it); None in the local
# server, where the in-process campaign driver stands in.
durable_client: ContextVar[Any | None] = ContextVar("durable_client", default=None)


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def _finish(session: Session, *, commit: bool) -> None:
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()


async def get_session(request: Request, runtime: RuntimeDep) -> AsyncIterator[Session]:
    """One transaction per request: committed when the route returns, rolled back when it raises.

    A request keeps its pooled connection from its first query until this commit, and FastAPI serializes the
    response of a sync route on a request thread in between. Were every connection held by requests waiting
    for a thread while every thread waited for a connection, nothing would move until the pool timed out
    (seen under load: 40 threads, 15 connections). So the requests holding a session are limited, on the
    event loop and before any thread is taken, to one fewer than the pool can lend (`app.state.db_slots`):
    a connection is always left for the threads that check one out briefly (the API-key check, steps a route
    commits on its own), and those give it back without waiting on anything — so a thread is always freed
    for the commit."""
    slots: asyncio.Semaphore | None = request.app.state.db_slots
    if slots is not None:
        await slots.acquire()
    try:
        session = runtime.sessions()
        try:
            yield session
        except BaseException:
            await run_in_threadpool(_finish, session, commit=False)
            raise
        await run_in_threadpool(_finish, session, commit=True)
    finally:
        if slots is not None:
            slots.release()


def pool_capacity(runtime: Runtime) -> int | None:
    """How many connections the engine's pool can lend at once (None: no fixed limit)."""
    pool = runtime.engine.pool
    size = getattr(pool, "size", None)
    overflow = getattr(pool, "_max_overflow", None)
    if size is None or overflow is None or overflow < 0:
        return None
    return int(size()) + int(overflow)


def db_slots(runtime: Runtime) -> asyncio.Semaphore | None:
    """The limit on requests holding a session: the pool's capacity less one (see `get_session`)."""
    capacity = pool_capacity(runtime)
    return asyncio.Semaphore(max(capacity - 1, 1)) if capacity is not None else None


# scope="function": the commit happens before the response is sent, so a 2xx means the data is stored.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]

_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="An organization's API key")

_ROLE_RANK = {Role.VIEWER: 0, Role.OPERATOR: 1, Role.ADMIN: 2}


def _authenticated_key(
    runtime: RuntimeDep, key: Annotated[str | None, Security(_api_key_header)]
) -> ApiKeyPublic:
    """The active API key of the request, or 401. Its own short transaction (it may note `last_used_at`), so
    it never holds a write lock across the request (SQLite locks the whole file): routes that commit steps
    of their own, such as starting a campaign run before its orchestration, do not wait on it."""
    if not key:
        raise Unauthorized("missing X-API-Key header")
    with transaction(runtime.sessions) as session:
        return api_keys.authenticate(session=session, key=key)


RATE_WINDOW_SECONDS = 60


async def get_current_key(
    runtime: RuntimeDep, key: Annotated[ApiKeyPublic, Depends(_authenticated_key)]
) -> ApiKeyPublic:
    """The authenticated key, counted against its per-minute request budget (`ARCHER_RATE_LIMIT_PER_MINUTE`,
    a fixed window in the cache, so every API instance shares it when the cache is Redis). Over budget: 429
    with `Retry-After`. Every authenticated route depends on this; webhooks and /health do not."""
    limit = runtime.settings.rate_limit_per_minute
    if limit <= 0:
        return key
    try:
        count, seconds_left = await runtime.cache.hit(
            f"ratelimit:{key.id}", window_seconds=RATE_WINDOW_SECONDS
        )
    except ExternalServiceError as exc:
        # The limit protects capacity; an unreachable cache must not also take the API down with it.
        logger.warning("rate limit not checked, cache unavailable: %s", exc.message)
        return key
    if count > limit:
        raise HTTPException(
            status_code=429,
            detail=f"this API key is limited to {limit} requests a minute; retry after {seconds_left} s",
            headers={"Retry-After": str(seconds_left)},
        )
    return key


CurrentKey = Annotated[ApiKeyPublic, Depends(get_current_key)]


def get_org_id(key: CurrentKey) -> uuid.UUID:
    return key.organization_id


OrgId = Annotated[uuid.UUID, Depends(get_org_id)]


def get_actor(key: CurrentKey) -> Actor:
    """Who the audit log records for this request."""
    return Actor.api_key(key.id)


ActorDep = Annotated[Actor, Depends(get_actor)]


def require_role(minimum: Role) -> Callable[[ApiKeyPublic], ApiKeyPublic]:
    """A dependency that lets the request through when the key's role is at least `minimum`, else 403."""

    def check(key: CurrentKey) -> ApiKeyPublic:
        if _ROLE_RANK[key.role] < _ROLE_RANK[minimum]:
            raise Forbidden(f"this needs the {minimum.value} role; the key has {key.role.value}")
        return key

    return check


ViewerKey = Annotated[ApiKeyPublic, Depends(require_role(Role.VIEWER))]
OperatorKey = Annotated[ApiKeyPublic, Depends(require_role(Role.OPERATOR))]
AdminKey = Annotated[ApiKeyPublic, Depends(require_role(Role.ADMIN))]
