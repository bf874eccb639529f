"""API keys: generated with 256 bits of randomness, shown once, stored as SHA-256 (a fast hash is right for
random keys — there is nothing to brute-force — and lets a request find its key with one indexed lookup)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shared.db.base import utcnow
from shared.db.tables import ApiKey
from shared.domain import Role
from shared.errors import Conflict, NotFound, Unauthorized
from shared.models.audit import Actor
from shared.models.organizations import ApiKeyCreate, ApiKeyCreated, ApiKeyPublic
from shared.services import audit

KEY_PREFIX = "ak_"
_LAST_USED_RESOLUTION = timedelta(minutes=1)  # don't write a row on every request


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def generate_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def display_prefix(key: str) -> str:
    return key[:10]


def create_api_key(
    *,
    session: Session,
    org_id: uuid.UUID,
    key_in: ApiKeyCreate,
    actor: Actor,
    key: str | None = None,
) -> ApiKeyCreated:
    """Create a key for the organization. `key` imports a known secret (the bootstrap key); else one is made."""
    secret = key or generate_key()
    row = ApiKey(
        organization_id=org_id,
        name=key_in.name,
        prefix=display_prefix(secret),
        key_hash=hash_key(secret),
        role=key_in.role,
    )
    session.add(row)
    session.flush()
    public = ApiKeyPublic.model_validate(row)
    audit.record(
        session=session,
        org_id=org_id,
        actor=actor,
        action="api_key.create",
        entity_type="api_key",
        entity_id=row.id,
        after=audit.snapshot(public),
    )
    return ApiKeyCreated(**public.model_dump(), key=secret)


def authenticate(*, session: Session, key: str) -> ApiKeyPublic:
    """The active key matching `key`, or Unauthorized. Constant-time by construction: lookup is by hash."""
    if not key:
        raise Unauthorized("missing API key")
    row = session.scalar(sa.select(ApiKey).where(ApiKey.key_hash == hash_key(key)))
    if row is None or row.revoked_at is not None:
        raise Unauthorized("invalid or revoked API key")
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > _LAST_USED_RESOLUTION:
        row.last_used_at = now
        session.flush()
    return ApiKeyPublic.model_validate(row)


def list_api_keys(*, session: Session, org_id: uuid.UUID) -> list[ApiKeyPublic]:
    rows = session.scalars(
        sa.select(ApiKey).where(ApiKey.organization_id == org_id).order_by(ApiKey.created_at, ApiKey.id)
    ).all()
    return [ApiKeyPublic.model_validate(row) for row in rows]


def revoke_api_key(*, session: Session, org_id: uuid.UUID, key_id: uuid.UUID, actor: Actor) -> ApiKeyPublic:
    row = session.scalar(sa.select(ApiKey).where(ApiKey.organization_id == org_id, ApiKey.id == key_id))
    if row is None:
        raise NotFound("API key not found")
    before = ApiKeyPublic.model_validate(row)
    if row.revoked_at is None and row.role is Role.ADMIN:
        other_admins = session.scalar(
            sa.select(sa.func.count())
            .select_from(ApiKey)
            .where(
                ApiKey.organization_id == org_id,
                ApiKey.role == Role.ADMIN,
                ApiKey.revoked_at.is_(None),
                ApiKey.id != row.id,
            )
        )
        if not other_admins:
            # Nobody could create keys or change settings again: create another admin key first.
            raise Conflict(
                "this is the organization's last active admin key; create another first", field="id"
            )
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()
    after = ApiKeyPublic.model_validate(row)
    audit.record(
        session=session,
        org_id=org_id,
        actor=actor,
        action="api_key.revoke",
        entity_type="api_key",
        entity_id=row.id,
        before=audit.snapshot(before),
        after=audit.snapshot(after),
    )
    return after


def find_by_key(*, session: Session, key: str) -> ApiKey | None:
    return session.scalar(sa.select(ApiKey).where(ApiKey.key_hash == hash_key(key)))
