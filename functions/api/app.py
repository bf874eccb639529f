"""The API application factory. The Functions host and the local server both call `create_api`, so the API
behaves the same behind either."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware

from functions.api import deps, problems
from functions.api.routes import (
    analytics,
    calls,
    campaigns,
    configuration,
    customers,
    health,
    organizations,
    testcalls,
    twilio,
)
from shared import telemetry
from shared.runtime import Runtime

API_PREFIX = "/api/v1"


def create_api(runtime: Runtime, *, orchestrations: Any = None) -> FastAPI:
    """The API over `runtime`. `orchestrations` is the local server's in-process campaign driver (a
    `functions.campaigns.ports.CampaignRuns`); the function app uses the Durable client of each invocation."""
    app = FastAPI(
        title="Archer API",
        version="0.1.0",
        description="Configure Archer, run campaigns and read calls. Authenticate with the `X-API-Key` header.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
    )
    app.state.runtime = runtime
    app.state.db_slots = deps.db_slots(runtime)
    app.state.orchestrations = orchestrations
    problems.install(app)
    v1 = APIRouter(prefix=API_PREFIX)
    for module in (
        health,
        organizations,
        customers,
        calls,
        configuration,
        campaigns,
        analytics,
        testcalls,
        twilio,
    ):
        v1.include_router(module.router)
    app.include_router(v1)
    origins = runtime.settings.cors_origin_list
    if origins:  # ARCHER_CORS_ORIGINS: the admin UI served from another origin (the Vite dev server locally)
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["X-API-Key", "Content-Type"],
            expose_headers=["Retry-After"],
            max_age=600,
        )
    telemetry.instrument_fastapi(app)
    return app
