"""The audit log as the API shows it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from shared.domain import ActorType
from shared.models.common import PublicSchema


class Actor(PublicSchema):
    """Who acts: an API key (its id), the system, the agent on a call, or the CLI."""

    type: ActorType
    id: str | None = None

    @classmethod
    def system(cls) -> Actor:
        return cls(type=ActorType.SYSTEM, id=None)

    @classmethod
    def cli(cls) -> Actor:
        return cls(type=ActorType.CLI, id=None)

    @classmethod
    def api_key(cls, key_id: uuid.UUID) -> Actor:
        return cls(type=ActorType.API_KEY, id=str(key_id))

    @classmethod
    def agent(cls, call_id: uuid.UUID) -> Actor:
        """The voice agent acting on a call (a cease request it recorded, an arrangement it confirmed)."""
        return cls(type=ActorType.AGENT, id=str(call_id))


class AuditLogEntryPublic(PublicSchema):
    id: uuid.UUID
    actor_type: ActorType
    actor_id: str | None
    action: str
    entity_type: str
    entity_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str | None
    created_at: datetime
