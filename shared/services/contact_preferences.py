"""Consumer requests that restrict contact (cease, dispute, attorney, inconvenient times, phone consent).
They take effect at once: the compliance engine reads the active rows on every decision."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shared.db.base import utcnow
from shared.db.tables import Account, ContactPreference, Customer
from shared.errors import NotFound
from shared.models.audit import Actor
from shared.models.customers import ContactPreferenceCreate, ContactPreferencePublic
from shared.services import audit


def add_preference(
    *,
    session: Session,
    org_id: uuid.UUID,
    customer_id: uuid.UUID,
    preference_in: ContactPreferenceCreate,
    actor: Actor,
    call_id: uuid.UUID | None = None,
) -> ContactPreferencePublic:
    customer = session.scalar(
        sa.select(Customer.id).where(Customer.organization_id == org_id, Customer.id == customer_id)
    )
    if customer is None:
        raise NotFound("customer not found")
    if preference_in.account_id is not None:
        account = session.scalar(
            sa.select(Account.id).where(
                Account.organization_id == org_id,
                Account.id == preference_in.account_id,
                Account.customer_id == customer_id,
            )
        )
        if account is None:
            raise NotFound("account not found for this customer")
    row = ContactPreference(
        organization_id=org_id,
        customer_id=customer_id,
        account_id=preference_in.account_id,
        kind=preference_in.kind,
        phone_number=preference_in.phone_number,
        details=preference_in.details,
        source=preference_in.source,
        call_id=call_id,
        effective_at=utcnow(),
    )
    session.add(row)
    session.flush()
    public = ContactPreferencePublic.model_validate(row)
    audit.record(
        session=session,
        org_id=org_id,
        actor=actor,
        action=f"contact_preference.{preference_in.kind.value}",
        entity_type="customer",
        entity_id=customer_id,
        after=audit.snapshot(public),
    )
    return public


def end_preference(
    *, session: Session, org_id: uuid.UUID, preference_id: uuid.UUID, actor: Actor, reason: str | None = None
) -> ContactPreferencePublic:
    """End a preference (a dispute resolved, an attorney withdrawn); the row stays as history."""
    row = session.scalar(
        sa.select(ContactPreference).where(
            ContactPreference.organization_id == org_id, ContactPreference.id == preference_id
        )
    )
    if row is None:
        raise NotFound("contact preference not found")
    before = ContactPreferencePublic.model_validate(row)
    if row.ended_at is None:
        row.ended_at = utcnow()
        session.flush()
    after = ContactPreferencePublic.model_validate(row)
    audit.record(
        session=session,
        org_id=org_id,
        actor=actor,
        action="contact_preference.end",
        entity_type="customer",
        entity_id=row.customer_id,
        before=audit.snapshot(before),
        after=audit.snapshot(after),
        reason=reason,
    )
    return after


def list_preferences(
    *,
    session: Session,
    org_id: uuid.UUID,
    customer_id: uuid.UUID,
    active_only: bool = False,
    must_exist: bool = False,
) -> list[ContactPreferencePublic]:
    """The customer's preferences, oldest first. `must_exist`: NotFound when the organization has no such
    customer (the API's answer), rather than an empty list."""
    if (
        must_exist
        and session.scalar(
            sa.select(Customer.id).where(Customer.organization_id == org_id, Customer.id == customer_id)
        )
        is None
    ):
        raise NotFound("customer not found")
    query = sa.select(ContactPreference).where(
        ContactPreference.organization_id == org_id, ContactPreference.customer_id == customer_id
    )
    if active_only:
        query = query.where(ContactPreference.ended_at.is_(None))
    rows = session.scalars(query.order_by(ContactPreference.effective_at, ContactPreference.id)).all()
    return [ContactPreferencePublic.model_validate(row) for row in rows]
