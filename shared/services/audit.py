"""The audit log: every configuration change (who, what, before, after) and every compliance decision."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.orm import Session

from shared.db.tables import AuditLogEntry
from shared.errors import InvalidInput
from shared.models.audit import Actor, AuditLogEntryPublic
from shared.models.common import Page
from shared.services.pagination import clamp_limit, decode_cursor, encode_cursor


def snapshot(model: BaseModel | None) -> dict[str, Any] | None:
    """A JSON-able picture of a public model for `before`/`after`."""
    return None if model is None else model.model_dump(mode="json")


def record(
    *,
    session: Session,
    org_id: uuid.UUID,
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: uuid.UUID | str | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> None:
    session.add(
        AuditLogEntry(
            organization_id=org_id,
            actor_type=actor.type,
            actor_id=actor.id,
            action=action,
            entity_type=entity_type,
            entity_id=None if entity_id is None else str(entity_id),
            before=before,
            after=after,
            reason=reason,
        )
    )


def list_entries(
    *,
    session: Session,
    org_id: uuid.UUID,
    entity_type: str | None = None,
    entity_id: str | None = None,
    action: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> Page[AuditLogEntryPublic]:
    """Newest first, cursor-paginated."""
    limit = clamp_limit(limit)
    filters = [AuditLogEntry.organization_id == org_id]
    if entity_type:
        filters.append(AuditLogEntry.entity_type == entity_type)
    if entity_id:
        filters.append(AuditLogEntry.entity_id == entity_id)
    if action:
        filters.append(AuditLogEntry.action == action)
    count = session.scalar(sa.select(sa.func.count()).select_from(AuditLogEntry).where(*filters)) or 0
    query = sa.select(AuditLogEntry).where(*filters)
    if cursor:
        created, row_id = decode_cursor(cursor, parts=2)
        try:
            after, last_id = datetime.fromisoformat(created), uuid.UUID(row_id)
        except ValueError:
            raise InvalidInput(
                "cursor is not valid; use the next_cursor of a previous page", field="cursor"
            ) from None
        query = query.where(
            sa.or_(
                AuditLogEntry.created_at < after,
                sa.and_(AuditLogEntry.created_at == after, AuditLogEntry.id < last_id),
            )
        )
    rows = session.scalars(
        query.order_by(AuditLogEntry.created_at.desc(), AuditLogEntry.id.desc()).limit(limit + 1)
    ).all()
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1].created_at.isoformat(), rows[-1].id)
    return Page[AuditLogEntryPublic](
        data=[AuditLogEntryPublic.model_validate(row) for row in rows], count=count, next_cursor=next_cursor
    )
