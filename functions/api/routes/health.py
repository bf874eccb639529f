"""Liveness and readiness: `/health/live` answers while the process runs; `/health` also checks the
database (reachable and migrated) and the cache, answering 503 when either is not ready."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from functions.api.deps import RuntimeDep
from shared.db import migrate
from shared.db.engine import check_connection
from shared.errors import ArcherError

router = APIRouter(tags=["health"])


class HealthPublic(BaseModel):
    status: Literal["ok", "unavailable"]
    environment: str
    checks: dict[str, str]
    adapters: dict[str, str]


@router.get("/health/live", response_model=HealthPublic)
def live(runtime: RuntimeDep) -> HealthPublic:
    """The process is up; nothing else is checked."""
    return HealthPublic(
        status="ok",
        environment=runtime.settings.env,
        checks={},
        adapters=runtime.settings.describe_adapters(),
    )


def _database_check(runtime: Any) -> str:
    try:
        check_connection(runtime.engine)
        current, head = migrate.current_revision(runtime.engine), migrate.head_revision()
    except ArcherError as exc:
        return f"unavailable: {exc.message}"
    return "ok" if current == head else f"not migrated: at {current or 'base'}, head is {head}"


@router.get(
    "/health",
    response_model=HealthPublic,
    responses={503: {"model": HealthPublic, "description": "a dependency is not ready"}},
)
async def ready(runtime: RuntimeDep) -> JSONResponse:
    """Ready to serve: the database is reachable and migrated, and the cache answers."""
    checks = {"database": await asyncio.to_thread(_database_check, runtime)}
    try:
        await runtime.cache.ping()
        checks["cache"] = "ok"
    except ArcherError as exc:
        checks["cache"] = f"unavailable: {exc.message}"
    ok = all(value == "ok" for value in checks.values())
    body = HealthPublic(
        status="ok" if ok else "unavailable",
        environment=runtime.settings.env,
        checks=checks,
        adapters=runtime.settings.describe_adapters(),
    )
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)
