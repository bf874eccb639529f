"""Behavioral tactics (archetype configurations), versioned per name."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy.orm import Session

from shared.db.tables import BehavioralTactic
from shared.errors import Conflict, NotFound
from shared.models.audit import Actor
from shared.models.configuration import TacticCreate, TacticPublic, TacticUpdate
from shared.services import audit, config_cache, versions

DEFAULT_TACTIC = "empathetic_partner"  # what a call without an assigned tactic gets


def default_tactic(
    *, current: Callable[[str], TacticPublic], active: Callable[[], list[TacticPublic]]
) -> TacticPublic | None:
    """The tactic of a call that names none: `DEFAULT_TACTIC` when active, else the first active tactic.
    `current(name)` and `active()` read the current versions (the database, or the configuration cache)."""
    try:
        return current(DEFAULT_TACTIC)
    except NotFound:
        available = active()
        return available[0] if available else None


def list_tactics(
    *, session: Session, org_id: uuid.UUID, include_inactive: bool = False
) -> list[TacticPublic]:
    rows = versions.current_rows(session, BehavioralTactic, org_id)
    return [TacticPublic.model_validate(row) for row in rows if include_inactive or row.is_active]


def get_tactic(*, session: Session, org_id: uuid.UUID, tactic_id: uuid.UUID) -> TacticPublic:
    row = versions.by_id(session, BehavioralTactic, org_id, tactic_id)
    if row is None:
        raise NotFound("tactic not found")
    return TacticPublic.model_validate(row)


def get_current_tactic(*, session: Session, org_id: uuid.UUID, name: str) -> TacticPublic:
    row = versions.latest(session, BehavioralTactic, org_id, name, active_only=True)
    if row is None:
        raise NotFound(f"no active tactic named {name!r}")
    return TacticPublic.model_validate(row)


def get_latest_tactic(*, session: Session, org_id: uuid.UUID, name: str) -> TacticPublic:
    """The newest version of `name`, active or not (what an editor shows)."""
    row = versions.latest(session, BehavioralTactic, org_id, name)
    if row is None:
        raise NotFound(f"no tactic named {name!r}")
    return TacticPublic.model_validate(row)


def tactic_history(*, session: Session, org_id: uuid.UUID, name: str) -> list[TacticPublic]:
    rows = versions.history(session, BehavioralTactic, org_id, name)
    if not rows:
        raise NotFound(f"no tactic named {name!r}")
    return [TacticPublic.model_validate(row) for row in rows]


def create_tactic(
    *, session: Session, org_id: uuid.UUID, tactic_in: TacticCreate, actor: Actor, audited: bool = True
) -> TacticPublic:
    if versions.latest(session, BehavioralTactic, org_id, tactic_in.name) is not None:
        raise Conflict(f"a tactic named {tactic_in.name!r} already exists; update it instead", field="name")
    row = versions.add_version(
        session,
        BehavioralTactic,
        org_id,
        tactic_in.name,
        {
            "archetype": tactic_in.archetype,
            "description": tactic_in.description,
            "config": tactic_in.config.model_dump(mode="json"),
            "is_active": True,
        },
    )
    config_cache.note_change(session, org_id=org_id)
    public = TacticPublic.model_validate(row)
    if audited:
        audit.record(
            session=session,
            org_id=org_id,
            actor=actor,
            action="tactic.create",
            entity_type="tactic",
            entity_id=row.id,
            after=audit.snapshot(public),
        )
    return public


def update_tactic(
    *, session: Session, org_id: uuid.UUID, name: str, tactic_in: TacticUpdate, actor: Actor
) -> TacticPublic:
    """Create the next version of `name` from the current one and the given changes."""
    current = versions.latest(session, BehavioralTactic, org_id, name)
    if current is None:
        raise NotFound(f"no tactic named {name!r}")
    before = TacticPublic.model_validate(current)
    changes = tactic_in.model_dump(exclude_unset=True, mode="json")
    row = versions.add_version(
        session,
        BehavioralTactic,
        org_id,
        name,
        {
            "archetype": changes.get("archetype") or current.archetype,
            "description": changes.get("description", current.description) or "",
            "config": changes.get("config") or current.config,
            "is_active": changes["is_active"] if changes.get("is_active") is not None else current.is_active,
        },
    )
    config_cache.note_change(session, org_id=org_id)
    after = TacticPublic.model_validate(row)
    audit.record(
        session=session,
        org_id=org_id,
        actor=actor,
        action="tactic.update",
        entity_type="tactic",
        entity_id=row.id,
        before=audit.snapshot(before),
        after=audit.snapshot(after),
    )
    return after
