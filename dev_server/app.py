"""Builds the local server's ASGI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from agent_host.app import AgentHost
from agent_host.live_events import mount_live_events
from dev_server.campaigns import (
    AgentUrlSlot,
    agent_for_simulation,
    build_local_campaigns,
    server_clock,
    serving,
    simulator_available,
)
from dev_server.testcalls import SimulatedTestCalls
from functions.api.app import create_api
from shared.config import get_settings
from shared.runtime import Runtime, build_runtime, tune_gc
from shared.telemetry import configure_telemetry

UI_DIST = Path(__file__).resolve().parent.parent / "static_web" / "dist"

PLACEHOLDER = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Archer</title>
<style>body{background:#0a0e1a;color:#e8edf5;font-family:system-ui,sans-serif;margin:4rem}
a{color:#00d9ff}</style></head>
<body><h1>Archer</h1><p>The admin UI has not been built. Run <code>make run</code>, or
<code>npm --prefix static_web run build</code>.</p>
<p>API: <a href="/api/v1/health">/api/v1/health</a> · <a href="/api/v1/docs">/api/v1/docs</a></p></body></html>
"""


class SpaFiles(StaticFiles):
    """Static files with the single-page-app fallback: unknown paths get index.html (client-side routes)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            return await super().get_response(path, scope)
        except HTTPException as exc:
            if exc.status_code != 404 or path.startswith(("api/", "agent/", "socket.io/")):
                raise
            return await super().get_response("index.html", scope)


def create_app(runtime: Runtime | None = None, ui_dist: Path = UI_DIST) -> FastAPI:
    if runtime is None:
        settings = get_settings()
        configure_telemetry(
            settings, service_name="archer-local"
        )  # before the runtime: its engine gets traced
        runtime = build_runtime(settings)
    agent_url = AgentUrlSlot()
    driver, campaign_runs, _ = build_local_campaigns(
        runtime, clock=server_clock(runtime.settings), agent_url=agent_url
    )
    test_calls = SimulatedTestCalls(runtime, agent_url) if simulator_available() else None

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await runtime.config.start()  # the mounted agent host's configuration cache listens for edits
        async with agent_for_simulation(runtime) as url, serving(driver):
            if url is not None:
                agent_url.set(url)
            yield
            if test_calls is not None:
                await test_calls.aclose()
        await live_events.aclose()
        await runtime.aclose()

    app = create_api(runtime, orchestrations=campaign_runs)
    app.router.lifespan_context = lifespan
    app.state.test_calls = test_calls  # POST /test-calls runs simulated calls through it
    live_events = mount_live_events(app, runtime)  # Socket.IO at /socket.io
    # The voice agent: /agent/chats, /agent/ws, /agent/status (mounted apps get no lifespan; it needs none).
    app.mount("/agent", AgentHost(runtime).fastapi_app, name="agent")
    if (ui_dist / "index.html").is_file():
        app.mount("/", SpaFiles(directory=ui_dist, html=True), name="ui")
    else:

        @app.get("/", include_in_schema=False)
        def placeholder() -> HTMLResponse:
            return HTMLResponse(PLACEHOLDER)

    return app


def create_served_app() -> FastAPI:
    """The app `archer serve` runs: `create_app`, then the collector tuned for a long-running server."""
    app = create_app()
    tune_gc()
    return app
