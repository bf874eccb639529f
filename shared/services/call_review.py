"""Reviews a finished call for compliance: loads the call, its transcript and what the rules need (the
policy version the call used, the account, the customer's cease requests, the organization's voicemail
settings) and runs the auditor (`shared.policy.audit`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shared.db.tables import Account, ContactPreference, Customer
from shared.domain import PreferenceKind
from shared.models.calls import CallPublic, TranscriptEntryPublic
from shared.models.configuration import NegotiationRules
from shared.models.findings import CallReview
from shared.policy.audit import AuditContext, audit_call
from shared.policy.guard import protected_terms_for
from shared.policy.negotiation import AccountTerms
from shared.services import calls, organizations, policies


def _cease_effective_at(
    session: Session, org_id: uuid.UUID, customer_id: uuid.UUID, at: datetime
) -> datetime | None:
    """When a cease request in force at `at` took effect (None: none was)."""
    return session.scalar(
        sa.select(sa.func.min(ContactPreference.effective_at)).where(
            ContactPreference.organization_id == org_id,
            ContactPreference.customer_id == customer_id,
            ContactPreference.kind == PreferenceKind.CEASE_CONTACT,
            ContactPreference.effective_at <= at,
            sa.or_(ContactPreference.ended_at.is_(None), ContactPreference.ended_at > at),
        )
    )


def review_call(
    *,
    session: Session,
    org_id: uuid.UUID,
    call_id: uuid.UUID,
    call: CallPublic | None = None,
    transcript: list[TranscriptEntryPublic] | None = None,
) -> CallReview:
    """The auditor's findings for one call of the organization (NotFound for another's). `call` and
    `transcript`: the caller has read them already (the call detail), so they are not read twice."""
    if call is None or call.id != call_id or call.organization_id != org_id:
        call = calls.get_call(session=session, org_id=org_id, call_id=call_id)
        transcript = None
    if transcript is None:
        transcript = calls.list_entries(session=session, org_id=org_id, call_id=call_id)
    settings = organizations.get_settings(session=session, org_id=org_id)
    organization = organizations.get_organization(session=session, org_id=org_id)
    rules: NegotiationRules | None = None
    if call.negotiation_policy_id is not None:
        rules = policies.get_policy(
            session=session, org_id=org_id, policy_id=call.negotiation_policy_id
        ).rules
    account_terms: AccountTerms | None = None
    protected: frozenset[str] = frozenset()
    cease_at: datetime | None = None
    customer_name = ""
    if call.customer_id is not None:
        customer_name = (
            session.scalar(
                sa.select(Customer.name).where(
                    Customer.organization_id == org_id, Customer.id == call.customer_id
                )
            )
            or ""
        )
        accounts = session.scalars(
            sa.select(Account).where(
                Account.organization_id == org_id, Account.customer_id == call.customer_id
            )
        ).all()
        protected = protected_terms_for(
            account_last4s=[account.account_last_4 for account in accounts],
            amounts=[amount for account in accounts for amount in (account.balance, account.past_due_amount)],
            names=[account.original_creditor or "" for account in accounts],
        )
        subject = next((account for account in accounts if account.id == call.account_id), None)
        if subject is not None:
            # The account as the call saw it: the balance before any payment taken on the call.
            account_terms = AccountTerms(
                balance=_balance_at_call(call.metadata, subject.balance),
                days_past_due=subject.days_past_due,
                minimum_payment=subject.minimum_payment,
            )
        cease_at = _cease_effective_at(session, org_id, call.customer_id, call.start_time)
    findings = audit_call(
        AuditContext(
            call=call,
            transcript=transcript,
            rules=rules,
            account=account_terms,
            protected_terms=protected,
            cease_effective_at=cease_at,
            agent_name=settings.agent_name,
            business_name=settings.business_name or organization.name,
            callback_number=settings.callback_number,
            customer_name=customer_name,
        )
    )
    return CallReview(call_id=call_id, findings=findings)


def _balance_at_call(metadata: dict[str, Any], current: Decimal) -> Decimal:
    """The balance the agent negotiated against, which it notes in the call's metadata (a payment taken on
    the call lowers the account's balance afterwards)."""
    noted = metadata.get("account_balance")
    try:
        return Decimal(str(noted)) if noted is not None else current
    except InvalidOperation:
        return current
