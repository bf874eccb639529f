"""The problem+json error responses as the OpenAPI document declares them, so clients (and schemathesis) know
every status a route may answer besides its success. The bodies come from `functions.api.problems`."""

from __future__ import annotations

from typing import Any

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
