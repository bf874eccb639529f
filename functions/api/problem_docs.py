"""The problem+json error responses as the OpenAPI document declares them, so clients (and schemathesis) know
every status a route may answer besides its success. The bodies come from `functions.api.problems`."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field

from functions.api.problems import PROBLEM_CONTENT_TYPE


class ProblemFieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details: `type` is `urn:archer:problem:<code>`; `field` names the input at fault."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=["urn:archer:problem:not-found"])
    title: str
    status: int
    detail: str
    instance: str | None = None
    field: str | None = None
    errors: list[ProblemFieldError] | None = None
    reasons: list[str] | None = None


_DESCRIPTIONS = {
    400: "Bad request",
    401: "Missing or invalid X-API-Key",
    403: "The key's role may not do this",
    404: "Not found in the key's organization",
    409: "Conflict with the current state",
    422: "Invalid input; `field` names it",
    429: "Rate limited; see Retry-After",
    502: "An external service failed",
    503: "A required service is unavailable",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: each status documented as an `application/problem+json` Problem."""
    return {
        status: {
            "model": Problem,
            "description": _DESCRIPTIONS.get(status, "Error"),
            # `model` registers the Problem schema (FastAPI files it under application/json too).
            "content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }


def _declare(responses: dict[str, Any], status: int) -> None:
    responses.setdefault(str(status), {"description": _DESCRIPTIONS.get(status, "Error")})


def document_problems(document: dict[str, Any]) -> dict[str, Any]:
    """Make the OpenAPI document say what every route answers on error: each 4xx/5xx response is
    `application/problem+json` (a Problem), every operation behind the API key declares 401, 403 and 429,
    every write 409, every
    operation with a path parameter 404, every one with parameters or a body 422 (the problem the
    validation handler answers, not FastAPI's default HTTPValidationError) and every one with a body 400
    (a body that cannot be parsed)."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Problem", Problem.model_json_schema(ref_template="#/components/schemas/{model}"))
    schemas.setdefault(
        "ProblemFieldError", ProblemFieldError.model_json_schema(ref_template="#/components/schemas/{model}")
    )
    schemas.update(Problem.model_json_schema(ref_template="#/components/schemas/{model}").get("$defs", {}))
    schemas["Problem"].pop("$defs", None)
    problem = {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses: dict[str, Any] = operation.setdefault("responses", {})
            if operation.get("security"):
                _declare(responses, 401)
                _declare(responses, 403)
                _declare(responses, 429)  # the per-key rate limit
            if method != "get":
                _declare(responses, 409)  # a write can meet a unique name, a newer version or a run's state
            if "{" in path:
                _declare(responses, 404)
            if operation.get("parameters") or operation.get("requestBody"):
                _declare(responses, 422)
            if operation.get("requestBody"):
                _declare(responses, 400)  # a body that is not parseable at all
            for status, response in responses.items():
                if status[0] in {"4", "5"}:
                    response["content"] = problem
                    if response.get("description") == "Validation Error":
                        response["description"] = _DESCRIPTIONS[422]
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    return document


def install_openapi(app: FastAPI) -> None:
    """Serve the OpenAPI document with the problem responses declared (see `document_problems`)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_problems(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
