"""The API routes for the key's organization and its settings, new organizations, API keys and the audit log.
Parsing and auth only: the rules live in `shared.services.{organizations,api_keys,audit}`."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from functions.api.deps import ActorDep, AdminKey, OrgId, SessionDep, ViewerKey
from shared.models.audit import AuditLogEntryPublic
from shared.models.common import Page
from shared.models.organizations import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyPublic,
    OrganizationCreate,
    OrganizationCreated,
    OrganizationPublic,
    OrganizationUpdate,
)
from shared.services import api_keys, audit, organizations

router = APIRouter(tags=["organizations"])


@router.get("/organization", response_model=OrganizationPublic)
def get_organization(session: SessionDep, org_id: OrgId, _key: ViewerKey) -> Any:
    """The key's organization and its settings."""
    return organizations.get_organization(session=session, org_id=org_id)


@router.patch("/organization", response_model=OrganizationPublic)
def update_organization(
    org_in: OrganizationUpdate, session: SessionDep, org_id: OrgId, actor: ActorDep, _key: AdminKey
) -> Any:
    """Rename the organization or change its settings. Settings sent replace those fields; the others keep
    their values. The calling window may narrow 08:00-21:00, never widen it."""
    return organizations.update_organization(session=session, org_id=org_id, org_in=org_in, actor=actor)


@router.post("/organizations", response_model=OrganizationCreated, status_code=status.HTTP_201_CREATED)
def create_organization(
    org_in: OrganizationCreate, session: SessionDep, org_id: OrgId, actor: ActorDep, _key: AdminKey
) -> Any:
    """Create another organization with the default tactics, prompts and negotiation policy, and its first
    admin key — shown in this response only. The new organization shares nothing with this one."""
    return organizations.create_organization_with_defaults(
        session=session, org_in=org_in, actor=actor, created_by_org_id=org_id
    )


@router.get("/api-keys", response_model=Page[ApiKeyPublic])
def list_api_keys(session: SessionDep, org_id: OrgId, _key: AdminKey) -> Any:
    """The organization's keys, revoked ones included (the key itself is never shown again)."""
    keys = api_keys.list_api_keys(session=session, org_id=org_id)
    return Page[ApiKeyPublic](data=keys, count=len(keys))


@router.post("/api-keys", response_model=ApiKeyCreated, status_code=status.HTTP_201_CREATED)
def create_api_key(
    key_in: ApiKeyCreate, session: SessionDep, org_id: OrgId, actor: ActorDep, _key: AdminKey
) -> Any:
    """A new key; `key` is in this response only (only its hash is stored)."""
    return api_keys.create_api_key(session=session, org_id=org_id, key_in=key_in, actor=actor)


@router.delete("/api-keys/{key_id}", response_model=ApiKeyPublic)
def revoke_api_key(
    key_id: uuid.UUID, session: SessionDep, org_id: OrgId, actor: ActorDep, _key: AdminKey
) -> Any:
    """Revoke a key: it answers 401 from the next request on. The organization's last active admin key
    cannot be revoked (409)."""
    return api_keys.revoke_api_key(session=session, org_id=org_id, key_id=key_id, actor=actor)


@router.get("/audit-log", response_model=Page[AuditLogEntryPublic])
def list_audit_log(
    *,
    session: SessionDep,
    org_id: OrgId,
    _key: AdminKey,
    entity_type: Annotated[str | None, Query(max_length=50)] = None,
    entity_id: Annotated[str | None, Query(max_length=64)] = None,
    action: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int | None, Query()] = None,
    cursor: Annotated[str | None, Query()] = None,
) -> Any:
    """Who changed what (before and after), newest first, cursor-paginated."""
    return audit.list_entries(
        session=session,
        org_id=org_id,
        entity_type=entity_type,
        entity_id=entity_id,
        action=action,
        limit=limit,
        cursor=cursor,
    )
