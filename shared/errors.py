"""Archer's error hierarchy. Services raise these; the API maps them to problem+json in one place.

ArcherError
├── NotFound              the row does not exist *in this organization* (never "exists elsewhere")
├── Conflict              a unique rule or a state rule refuses the change (duplicate name, bad transition)
├── Forbidden             the caller's role may not do this
├── Unauthorized          no valid credential
├── InvalidInput          a value is wrong; `field` names it
├── PolicyViolation       a compliance or negotiation rule refuses the action; `reasons` lists why
└── ExternalServiceError  a vendor or infrastructure call failed; `is_transient` decides retries
    └── DatabaseUnavailable
"""

from __future__ import annotations

from collections.abc import Sequence


class ArcherError(Exception):
    """Base of every error Archer raises on purpose. `code` is the stable problem `type` suffix."""

    code = "archer-error"
    status = 500

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(ArcherError):
    code = "not-found"
    status = 404


class Conflict(ArcherError):
    code = "conflict"
    status = 409


class Unauthorized(ArcherError):
    code = "unauthorized"
    status = 401


class Forbidden(ArcherError):
    code = "forbidden"
    status = 403


class InvalidInput(ArcherError):
    code = "invalid-input"
    status = 422


class PolicyViolation(ArcherError):
    code = "policy-violation"
    status = 409

    def __init__(self, message: str, *, reasons: Sequence[str] = (), field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.reasons = list(reasons)


class ExternalServiceError(ArcherError):
    code = "external-service-error"
    status = 502

    def __init__(self, message: str, *, service: str, is_transient: bool, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.service = service
        self.is_transient = is_transient


class DatabaseUnavailable(ExternalServiceError):
    code = "database-unavailable"
    status = 503

    def __init__(self, message: str) -> None:
        super().__init__(message, service="database", is_transient=True)
