"""The organization's negotiation policy: one active policy, versioned on every change."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from shared.db.tables import NegotiationPolicy
from shared.errors import NotFound
from shared.models.audit import Actor
from shared.models.configuration import NegotiationPolicyPublic, NegotiationRules
from shared.services import audit, config_cache, versions

POLICY_NAME = "default"


def get_active_policy(*, session: Session, org_id: uuid.UUID) -> NegotiationPolicyPublic:
    row = versions.latest(session, NegotiationPolicy, org_id, POLICY_NAME, active_only=True)
    if row is None:
        raise NotFound("the organization has no negotiation policy")
    return NegotiationPolicyPublic.model_validate(row)


def get_policy(*, session: Session, org_id: uuid.UUID, policy_id: uuid.UUID) -> NegotiationPolicyPublic:
    row = versions.by_id(session, NegotiationPolicy, org_id, policy_id)
    if row is None:
        raise NotFound("negotiation policy not found")
    return NegotiationPolicyPublic.model_validate(row)


def put_policy(
    *, session: Session, org_id: uuid.UUID, rules: NegotiationRules, actor: Actor, audited: bool = True
) -> NegotiationPolicyPublic:
    """Store `rules` as the next version of the organization's policy."""
    current = versions.latest(session, NegotiationPolicy, org_id, POLICY_NAME)
    before = NegotiationPolicyPublic.model_validate(current) if current else None
    row = versions.add_version(
        session,
        NegotiationPolicy,
        org_id,
        POLICY_NAME,
        {"rules": rules.model_dump(mode="json"), "is_active": True},
    )
    config_cache.note_change(session, org_id=org_id)
    after = NegotiationPolicyPublic.model_validate(row)
    if audited:
        audit.record(
            session=session,
            org_id=org_id,
            actor=actor,
            action="negotiation_policy.update" if before else "negotiation_policy.create",
            entity_type="negotiation_policy",
            entity_id=row.id,
            before=audit.snapshot(before),
            after=audit.snapshot(after),
        )
    return after
