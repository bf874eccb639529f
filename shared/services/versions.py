"""Versioned configuration rows (tactics, prompts, negotiation policies): an edit inserts version n+1 and the
calls that used version n keep pointing at it. The current version of a name is its newest active row."""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shared.db.tables import BehavioralTactic, NegotiationPolicy, SystemPrompt
from shared.errors import Conflict

VersionedRow = TypeVar("VersionedRow", BehavioralTactic, SystemPrompt, NegotiationPolicy)


def latest(
    session: Session, table: type[VersionedRow], org_id: uuid.UUID, name: str, *, active_only: bool = False
) -> VersionedRow | None:
    query = sa.select(table).where(table.organization_id == org_id, table.name == name)
    if active_only:
        query = query.where(table.is_active.is_(True))
    return session.scalar(query.order_by(table.version.desc()).limit(1))


def current_rows(session: Session, table: type[VersionedRow], org_id: uuid.UUID) -> list[VersionedRow]:
    """The newest version of every name in the organization, by name."""
    newest = (
        sa.select(table.name, sa.func.max(table.version).label("version"))
        .where(table.organization_id == org_id)
        .group_by(table.name)
        .subquery()
    )
    query = (
        sa.select(table)
        .join(newest, sa.and_(table.name == newest.c.name, table.version == newest.c.version))
        .where(table.organization_id == org_id)
        .order_by(table.name)
    )
    return list(session.scalars(query).all())


def history(session: Session, table: type[VersionedRow], org_id: uuid.UUID, name: str) -> list[VersionedRow]:
    query = (
        sa.select(table)
        .where(table.organization_id == org_id, table.name == name)
        .order_by(table.version.desc())
    )
    return list(session.scalars(query).all())


def by_id(
    session: Session, table: type[VersionedRow], org_id: uuid.UUID, row_id: uuid.UUID
) -> VersionedRow | None:
    return session.scalar(sa.select(table).where(table.organization_id == org_id, table.id == row_id))


def add_version(
    session: Session, table: type[VersionedRow], org_id: uuid.UUID, name: str, values: dict[str, Any]
) -> VersionedRow:
    """Insert the next version of `name` (1 when new). A concurrent writer of the same version fails on the
    unique (organization, name, version) constraint instead of silently overwriting."""
    previous = latest(session, table, org_id, name)
    version = (previous.version + 1) if previous else 1
    row = table(organization_id=org_id, name=name, version=version, **values)
    session.add(row)
    try:
        session.flush()
    except sa.exc.IntegrityError:  # the transaction is done for; the caller's rollback discards it
        raise Conflict(
            f"{name!r} was changed at the same time (version {version} exists now); reload and retry"
        ) from None
    return row
