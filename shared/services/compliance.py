"""Compliance decisions for a customer: loads the facts the engine needs (customer, phones, contact
preferences, the attempt ledger, conversations), asks `shared.policy.compliance`, and writes every decision
to the audit log with its reasons.

`check_customer` is the one entry point: the API's `/compliance/check`, the CLI, the Twilio voice webhook
and the campaign orchestration all decide through it."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shared.db.tables import Call, CallAttempt, ContactPreference, Customer, CustomerPhone, Organization
from shared.domain import AttemptResult, CallDirection
from shared.errors import NotFound
from shared.models.audit import Actor
from shared.models.common import normalize_phone
from shared.models.compliance import ComplianceDecision
from shared.models.organizations import OrganizationSettings
from shared.policy.compliance import (
    AttemptFacts,
    CallingRules,
    CustomerFacts,
    PhoneFacts,
    PreferenceFacts,
    decide,
)
from shared.policy.zones import state_for_postal_code, zone_for_postal_code
from shared.services import audit

# How far around the instant in question the ledger is read: the 7-day rules look a week each way, the
# quiet period a week back in every zone, and `next_allowed_at` a horizon ahead.
_LOOK_BACK = timedelta(days=9)


def organization_settings(*, session: Session, org_id: uuid.UUID) -> OrganizationSettings:
    """The organization's settings, read once per transaction (a campaign step asks several times)."""
    cache: dict[uuid.UUID, OrganizationSettings] = session.info.setdefault("archer.organization_settings", {})
    if org_id not in cache:
        row = session.get(Organization, org_id)
        if row is None:
            raise NotFound("organization not found")
        cache[org_id] = OrganizationSettings.model_validate(row.settings or {})
    return cache[org_id]


def load_facts(
    *, session: Session, org_id: uuid.UUID, customer_id: uuid.UUID, at: datetime
) -> tuple[CustomerFacts, str]:
    """The engine's facts about a customer around `at`, and the customer's primary number."""
    customer = session.scalar(
        sa.select(Customer).where(Customer.organization_id == org_id, Customer.id == customer_id)
    )
    if customer is None:
        raise NotFound("customer not found")
    phones = session.execute(
        sa.select(CustomerPhone.number, CustomerPhone.line_type).where(
            CustomerPhone.customer_id == customer.id
        )
    ).all()
    preferences = session.scalars(
        sa.select(ContactPreference).where(
            ContactPreference.organization_id == org_id, ContactPreference.customer_id == customer.id
        )
    ).all()
    since, until = at - _LOOK_BACK, at + _LOOK_BACK
    attempts = session.execute(
        sa.select(CallAttempt.attempted_at, CallAttempt.account_id, CallAttempt.is_conversation).where(
            CallAttempt.organization_id == org_id,
            CallAttempt.customer_id == customer.id,
            CallAttempt.direction == CallDirection.OUTBOUND,
            CallAttempt.result != AttemptResult.CANCELED,
            CallAttempt.attempted_at >= since,
            CallAttempt.attempted_at <= until,
        )
    ).all()
    # A telephone conversation about the debt: a call on which the agent verified the right party.
    conversations = set(
        session.scalars(
            sa.select(Call.start_time).where(
                Call.organization_id == org_id,
                Call.customer_id == customer.id,
                Call.verified.is_(True),
                Call.start_time >= since,
                Call.start_time <= until,
            )
        )
    )
    conversations |= {attempt.attempted_at for attempt in attempts if attempt.is_conversation}
    states = {
        state
        for state in (customer.state, state_for_postal_code(customer.postal_code))
        if state  # the address's state and the postal code's, should they disagree
    }
    facts = CustomerFacts(
        customer_id=customer.id,
        address_zone=customer.timezone or zone_for_postal_code(customer.postal_code),
        postal_code=customer.postal_code,
        states=frozenset(states),
        phones=tuple(PhoneFacts(number=number, line_type=line_type) for number, line_type in phones),
        preferences=tuple(
            PreferenceFacts(
                kind=row.kind,
                account_id=row.account_id,
                phone_number=row.phone_number,
                details=row.details or {},
                effective_at=row.effective_at,
                ended_at=row.ended_at,
            )
            for row in preferences
        ),
        attempts=tuple(AttemptFacts(at=row.attempted_at, account_id=row.account_id) for row in attempts),
        conversations=tuple(sorted(conversations)),
    )
    return facts, customer.phone_number


def _dial_number(phone_number: str | None, primary: str) -> str:
    if phone_number is None:
        return primary
    try:
        return normalize_phone(phone_number)
    except ValueError:
        return phone_number  # the engine reports it as a number without a known zone


def check_customer(
    *,
    session: Session,
    org_id: uuid.UUID,
    customer_id: uuid.UUID,
    at: datetime,
    phone_number: str | None = None,
    account_id: uuid.UUID | None = None,
    rules: CallingRules | None = None,
    actor: Actor | None = None,
    audited: bool = True,
    context: dict[str, str | None] | None = None,
) -> ComplianceDecision:
    """May `customer_id` be called at `at` on `phone_number` (default: the primary number), about
        `account_id` (default: any of their debts)? `rules` defaults to the organization's; a campaign passes
        its narrower ones. The decision is audited (`compliance.check`) unless `audited` is False; `context`
    (campaign, target, tactic, `purpose`: `dial` before placing a call, `retry` when scheduling the next one)
    is stored beside it, so analytics can count the calls compliance refused per campaign and tactic."""
    facts, primary = load_facts(session=session, org_id=org_id, customer_id=customer_id, at=at)
    if rules is None:
        rules = CallingRules.for_organization(organization_settings(session=session, org_id=org_id))
    decision = decide(
        facts, rules, at=at, dial_number=_dial_number(phone_number, primary), account_id=account_id
    )
    if audited:
        audit.record(
            session=session,
            org_id=org_id,
            actor=actor or Actor.system(),
            action="compliance.check",
            entity_type="customer",
            entity_id=customer_id,
            after={**decision.model_dump(mode="json"), **(context or {})},
            reason="allowed" if decision.allowed else "; ".join(decision.reasons),
        )
    return decision
