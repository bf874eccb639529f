"""Organizations (tenants). Creating one also creates its first admin API key, returned once."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shared.db.tables import Organization
from shared.domain import Role
from shared.errors import Conflict, NotFound
from shared.models.audit import Actor
from shared.models.organizations import (
    ApiKeyCreate,
    OrganizationCreate,
    OrganizationCreated,
    OrganizationPublic,
    OrganizationSettings,
    OrganizationUpdate,
)
from shared.seed.catalog import DEFAULT_NEGOTIATION_RULES, DEFAULT_PROMPTS, DEFAULT_TACTICS
from shared.services import api_keys, audit, policies, prompts, tactics


def _get_row(session: Session, org_id: uuid.UUID) -> Organization:
    row = session.get(Organization, org_id)
    if row is None:
        raise NotFound("organization not found")
    return row


def create_organization(
    *, session: Session, org_in: OrganizationCreate, actor: Actor, api_key: str | None = None
) -> OrganizationCreated:
    if find_by_name(session=session, name=org_in.name) is not None:
        raise Conflict(f"an organization named {org_in.name!r} already exists", field="name")
    row = Organization(name=org_in.name, settings=org_in.settings.model_dump(mode="json"))
    session.add(row)
    session.flush()
    public = OrganizationPublic.model_validate(row)
    audit.record(
        session=session,
        org_id=row.id,
        actor=actor,
        action="organization.create",
        entity_type="organization",
        entity_id=row.id,
        after=audit.snapshot(public),
    )
    key = api_keys.create_api_key(
        session=session,
        org_id=row.id,
        key_in=ApiKeyCreate(name="bootstrap admin", role=Role.ADMIN),
        actor=actor,
        key=api_key,
    )
    return OrganizationCreated(organization=public, api_key=key)


def create_organization_with_defaults(
    *, session: Session, org_in: OrganizationCreate, actor: Actor, created_by_org_id: uuid.UUID
) -> OrganizationCreated:
    """An organization ready to call (default tactics, prompts and negotiation policy) with its first admin
    key, created through the API by an admin of `created_by_org_id`, whose audit log records it too."""
    created = create_organization(session=session, org_in=org_in, actor=actor)
    install_defaults(session=session, org_id=created.organization.id, actor=actor)
    audit.record(
        session=session,
        org_id=created_by_org_id,
        actor=actor,
        action="organization.create",
        entity_type="organization",
        entity_id=created.organization.id,
        after=audit.snapshot(created.organization),
    )
    return created


def find_by_name(*, session: Session, name: str) -> OrganizationPublic | None:
    row = session.scalar(sa.select(Organization).where(Organization.name == name))
    return None if row is None else OrganizationPublic.model_validate(row)


def get_organization(*, session: Session, org_id: uuid.UUID) -> OrganizationPublic:
    return OrganizationPublic.model_validate(_get_row(session, org_id))


def get_settings(*, session: Session, org_id: uuid.UUID) -> OrganizationSettings:
    return OrganizationSettings.model_validate(_get_row(session, org_id).settings)


def update_organization(
    *, session: Session, org_id: uuid.UUID, org_in: OrganizationUpdate, actor: Actor
) -> OrganizationPublic:
    row = _get_row(session, org_id)
    before = OrganizationPublic.model_validate(row)
    if org_in.name is not None and org_in.name != row.name:
        if find_by_name(session=session, name=org_in.name) is not None:
            raise Conflict(f"an organization named {org_in.name!r} already exists", field="name")
        row.name = org_in.name
    if org_in.settings is not None:
        # A PATCH: the settings sent replace those fields, the others keep their stored values.
        merged = {
            **before.settings.model_dump(mode="json"),
            **org_in.settings.model_dump(mode="json", exclude_unset=True),
        }
        row.settings = OrganizationSettings.model_validate(merged).model_dump(mode="json")
    session.flush()
    after = OrganizationPublic.model_validate(row)
    audit.record(
        session=session,
        org_id=org_id,
        actor=actor,
        action="organization.update",
        entity_type="organization",
        entity_id=org_id,
        before=audit.snapshot(before),
        after=audit.snapshot(after),
    )
    return after


def install_defaults(*, session: Session, org_id: uuid.UUID, actor: Actor) -> dict[str, int]:
    """Give the organization the default tactics, prompts and negotiation policy it lacks. Idempotent:
    returns how many of each it created (all zero on a second run)."""
    created = {"tactics": 0, "prompts": 0, "negotiation_policies": 0}
    existing_tactics = {
        t.name for t in tactics.list_tactics(session=session, org_id=org_id, include_inactive=True)
    }
    for tactic_in in DEFAULT_TACTICS:
        if tactic_in.name not in existing_tactics:
            tactics.create_tactic(session=session, org_id=org_id, tactic_in=tactic_in, actor=actor)
            created["tactics"] += 1
    existing_prompts = {
        p.name for p in prompts.list_prompts(session=session, org_id=org_id, include_inactive=True)
    }
    for prompt_in in DEFAULT_PROMPTS:
        if prompt_in.name not in existing_prompts:
            prompts.create_prompt(session=session, org_id=org_id, prompt_in=prompt_in, actor=actor)
            created["prompts"] += 1
    try:
        policies.get_active_policy(session=session, org_id=org_id)
    except NotFound:
        policies.put_policy(session=session, org_id=org_id, rules=DEFAULT_NEGOTIATION_RULES, actor=actor)
        created["negotiation_policies"] += 1
    return created
