"""Payment arrangements (promises to pay, payment plans, settlements) a customer explicitly confirmed.

An arrangement is stored once — its idempotency key makes a repeated confirmation return the first one —
and only when the negotiation policy it was offered under allows it: the offer is re-checked here against
the stored policy version and the account as it is now, whoever made the offer."""

from __future__ import annotations

import uuid
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shared.db.tables import Account, PaymentArrangement
from shared.domain import AccountStatus, ArrangementStatus
from shared.errors import Conflict, NotFound, PolicyViolation
from shared.models.audit import Actor
from shared.models.customers import AccountUpdate
from shared.models.payments import ArrangementPublic, Offer
from shared.policy import schedule
from shared.policy.negotiation import AccountTerms, offer_violations
from shared.services import audit, customers, policies


def account_terms(account: Account) -> AccountTerms:
    return AccountTerms(
        balance=account.balance, days_past_due=account.days_past_due, minimum_payment=account.minimum_payment
    )


def _account(session: Session, org_id: uuid.UUID, customer_id: uuid.UUID, account_id: uuid.UUID) -> Account:
    row = session.scalar(
        sa.select(Account).where(
            Account.organization_id == org_id, Account.id == account_id, Account.customer_id == customer_id
        )
    )
    if row is None:
        raise NotFound("account not found for this customer")
    return row


def confirm_arrangement(
    *,
    session: Session,
    org_id: uuid.UUID,
    customer_id: uuid.UUID,
    account_id: uuid.UUID,
    offer: Offer,
    negotiation_policy_id: uuid.UUID,
    terms_read_back: str,
    idempotency_key: str,
    actor: Actor,
    call_id: uuid.UUID | None = None,
) -> ArrangementPublic:
    """Store the arrangement the customer said yes to. PolicyViolation (with the reasons) when the offer is
    outside the policy; the same `idempotency_key` again returns the stored arrangement unchanged."""
    existing = session.scalar(
        sa.select(PaymentArrangement).where(
            PaymentArrangement.organization_id == org_id,
            PaymentArrangement.idempotency_key == idempotency_key,
        )
    )
    if existing is not None:
        if existing.account_id != account_id:
            raise Conflict("this idempotency key belongs to another arrangement", field="idempotency_key")
        return ArrangementPublic.model_validate(existing)
    account = _account(session, org_id, customer_id, account_id)
    if account.status not in {AccountStatus.ACTIVE, AccountStatus.IN_ARRANGEMENT}:
        raise Conflict(
            f"the account is {account.status.value}; it takes no new arrangement", field="account_id"
        )
    rules = policies.get_policy(session=session, org_id=org_id, policy_id=negotiation_policy_id).rules
    problems = offer_violations(rules, account_terms(account), offer)
    if problems:
        raise PolicyViolation("the arrangement is outside the negotiation policy", reasons=problems)
    row = PaymentArrangement(
        organization_id=org_id,
        customer_id=customer_id,
        account_id=account_id,
        call_id=call_id,
        negotiation_policy_id=negotiation_policy_id,
        kind=offer.kind.arrangement_kind,
        status=ArrangementStatus.ACTIVE,
        total_amount=offer.total_amount,
        down_payment_amount=offer.down_payment_amount,
        installment_amount=offer.installment_amount,
        installments_count=offer.installments_count,
        frequency=offer.frequency,
        first_payment_date=offer.first_payment_date,
        schedule=[
            {"due_date": item.due_date.isoformat(), "amount": f"{item.amount:.2f}", "status": "scheduled"}
            for item in offer.schedule
        ],
        terms_read_back=terms_read_back,
        idempotency_key=idempotency_key,
    )
    session.add(row)
    session.flush()
    public = ArrangementPublic.model_validate(row)
    if account.status is AccountStatus.ACTIVE:
        customers.update_account(
            session=session,
            org_id=org_id,
            account_id=account_id,
            account_in=AccountUpdate(status=AccountStatus.IN_ARRANGEMENT),
            actor=actor,
        )
    audit.record(
        session=session,
        org_id=org_id,
        actor=actor,
        action="arrangement.confirm",
        entity_type="arrangement",
        entity_id=row.id,
        after=audit.snapshot(public),
    )
    return public


def list_arrangements(
    *,
    session: Session,
    org_id: uuid.UUID,
    customer_id: uuid.UUID | None = None,
    account_id: uuid.UUID | None = None,
    call_id: uuid.UUID | None = None,
) -> list[ArrangementPublic]:
    query = sa.select(PaymentArrangement).where(PaymentArrangement.organization_id == org_id)
    if customer_id is not None:
        query = query.where(PaymentArrangement.customer_id == customer_id)
    if account_id is not None:
        query = query.where(PaymentArrangement.account_id == account_id)
    if call_id is not None:
        query = query.where(PaymentArrangement.call_id == call_id)
    rows = session.scalars(query.order_by(PaymentArrangement.confirmed_at, PaymentArrangement.id)).all()
    return [ArrangementPublic.model_validate(row) for row in rows]


def total_promised(arrangements: list[ArrangementPublic]) -> Decimal:
    return sum((item.total_amount for item in arrangements), Decimal("0.00"))


def apply_payment(
    *, session: Session, org_id: uuid.UUID, arrangement_id: uuid.UUID, amount: Decimal, actor: Actor
) -> ArrangementPublic:
    """A payment made under the arrangement settles its installments in due-date order; once all are paid
    the arrangement is kept. Audited."""
    row = session.scalar(
        sa.select(PaymentArrangement)
        .where(PaymentArrangement.organization_id == org_id, PaymentArrangement.id == arrangement_id)
        .with_for_update()
    )
    if row is None:
        raise NotFound("arrangement not found")
    before = ArrangementPublic.model_validate(row)
    update = schedule.apply_payment(row.schedule, amount)
    row.schedule = update.schedule
    if update.fully_paid and row.status is ArrangementStatus.ACTIVE:
        row.status = ArrangementStatus.KEPT
    session.flush()
    after = ArrangementPublic.model_validate(row)
    audit.record(
        session=session,
        org_id=org_id,
        actor=actor,
        action="arrangement.payment_applied",
        entity_type="arrangement",
        entity_id=row.id,
        before=audit.snapshot(before),
        after=audit.snapshot(after),
    )
    return after
