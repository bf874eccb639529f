"""The HTTP-triggered function: every /api/v1/* request goes to the FastAPI app through AsgiMiddleware, with
the Durable client of this invocation handed to the request (routes reach orchestrations through it)."""

from __future__ import annotations

import functools
from typing import Any

import azure.durable_functions as df
import azure.functions as func

from functions.api.app import create_api
from functions.api.deps import durable_client
from shared.config import get_settings
from shared.runtime import build_runtime, tune_gc
from shared.telemetry import configure_logging, configure_telemetry, register_settings_secrets

bp = df.Blueprint()


@functools.cache
def asgi_app() -> func.AsgiMiddleware:
    """Built on the first request (settings are read then), once per worker process."""
    settings = get_settings()
    configure_logging(level=settings.log_level, fmt="json")
    register_settings_secrets(settings)
    # Before the runtime, whose database engine is traced only when telemetry is on by then.
    configure_telemetry(settings, service_name="archer-api")
    middleware = func.AsgiMiddleware(create_api(build_runtime(settings)))
    if settings.is_production:
        tune_gc()  # a worker serves for hours: keep full collections off the startup heap
    return middleware


@bp.route(
    route="v1/{*path}",
    methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"],
    auth_level=func.AuthLevel.ANONYMOUS,  # the API authenticates with X-API-Key; Twilio with signatures
)
@bp.durable_client_input(client_name="client")
async def api(req: func.HttpRequest, context: func.Context, client: Any) -> func.HttpResponse:
    token = durable_client.set(client)
    try:
        return await asgi_app().handle_async(req, context)
    finally:
        durable_client.reset(token)
