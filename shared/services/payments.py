"""Payments taken on a call, through the payment gateway.

`take_card_payment` owns its transactions on purpose: the money moves outside any open database
transaction. A pending row is committed first (so a crash leaves a trace to reconcile), then the token is
charged with the payment's idempotency key (a retry can never charge twice), then the result and the new
balance are committed. Only the gateway's token and the card's last four digits are stored."""

from __future__ import annotations

import uuid
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from shared.db.base import utcnow
from shared.db.engine import transaction
from shared.db.tables import Account, Payment
from shared.domain import AccountStatus, PaymentStatus
from shared.errors import Conflict, InvalidInput, NotFound
from shared.integrations.payments import PaymentGateway
from shared.models.audit import Actor
from shared.models.customers import AccountUpdate
from shared.models.payments import CardToken, ChargeResult, PaymentPublic
from shared.services import arrangements, audit, customers


def _existing(session: Session, org_id: uuid.UUID, idempotency_key: str) -> Payment | None:
    return session.scalar(
        sa.select(Payment).where(
            Payment.organization_id == org_id, Payment.idempotency_key == idempotency_key
        )
    )


def begin_payment(
    *,
    session: Session,
    org_id: uuid.UUID,
    customer_id: uuid.UUID,
    account_id: uuid.UUID,
    amount: Decimal,
    card: CardToken,
    gateway: str,
    idempotency_key: str,
    call_id: uuid.UUID | None = None,
    arrangement_id: uuid.UUID | None = None,
) -> PaymentPublic:
    """Record a pending payment (or return the one with this key). The amount must be more than zero and
    at most the account's balance."""
    existing = _existing(session, org_id, idempotency_key)
    if existing is not None:
        if existing.account_id != account_id or existing.amount != amount:
            raise Conflict("this idempotency key belongs to another payment", field="idempotency_key")
        return PaymentPublic.model_validate(existing)
    account = session.scalar(
        sa.select(Account).where(
            Account.organization_id == org_id, Account.id == account_id, Account.customer_id == customer_id
        )
    )
    if account is None:
        raise NotFound("account not found for this customer")
    if amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise InvalidInput("the amount must be a positive amount in cents", field="amount")
    if amount > account.balance:
        raise InvalidInput(f"the amount is more than the balance of {account.balance}", field="amount")
    row = Payment(
        organization_id=org_id,
        customer_id=customer_id,
        account_id=account_id,
        arrangement_id=arrangement_id,
        call_id=call_id,
        amount=amount,
        currency=account.currency,
        method="card",
        status=PaymentStatus.PENDING,
        gateway=gateway,
        card_token=card.token,
        card_last4=card.last4,
        card_brand=card.brand,
        idempotency_key=idempotency_key,
    )
    session.add(row)
    session.flush()
    return PaymentPublic.model_validate(row)


def complete_payment(
    *, session: Session, org_id: uuid.UUID, payment_id: uuid.UUID, result: ChargeResult, actor: Actor
) -> PaymentPublic:
    """Apply the gateway's answer. A successful payment lowers the account's balance (and past-due amount);
    a paid-off account becomes paid in full. Applying the same answer twice changes nothing."""
    row = session.scalar(
        sa.select(Payment).where(Payment.organization_id == org_id, Payment.id == payment_id)
    )
    if row is None:
        raise NotFound("payment not found")
    if row.status is not PaymentStatus.PENDING:
        return PaymentPublic.model_validate(row)
    row.status = result.status
    row.gateway_reference = result.reference
    row.failure_reason = result.failure_reason
    row.processed_at = utcnow()
    session.flush()
    if result.status is PaymentStatus.SUCCEEDED:
        account = session.get(Account, row.account_id)
        if account is not None:
            balance = max(Decimal("0.00"), account.balance - row.amount)
            changes = AccountUpdate(
                balance=balance,
                past_due_amount=min(balance, max(Decimal("0.00"), account.past_due_amount - row.amount)),
                last_payment_on=row.processed_at.date(),
            )
            if balance == 0:
                changes.status = AccountStatus.PAID_IN_FULL
            customers.update_account(
                session=session, org_id=org_id, account_id=account.id, account_in=changes, actor=actor
            )
        if row.arrangement_id is not None:
            arrangements.apply_payment(
                session=session,
                org_id=org_id,
                arrangement_id=row.arrangement_id,
                amount=row.amount,
                actor=actor,
            )
    public = PaymentPublic.model_validate(row)
    audit.record(
        session=session,
        org_id=org_id,
        actor=actor,
        action=f"payment.{result.status.value}",
        entity_type="payment",
        entity_id=row.id,
        after=audit.snapshot(public),
    )
    return public


def take_card_payment(
    *,
    sessions: sessionmaker[Session],
    gateway: PaymentGateway,
    org_id: uuid.UUID,
    customer_id: uuid.UUID,
    account_id: uuid.UUID,
    amount: Decimal,
    card: CardToken,
    idempotency_key: str,
    actor: Actor,
    call_id: uuid.UUID | None = None,
    arrangement_id: uuid.UUID | None = None,
) -> PaymentPublic:
    """Charge a tokenized card and record the payment: pending row committed, charge, result committed.
    Safe to call again with the same key after any failure."""
    with transaction(sessions) as session:
        pending = begin_payment(
            session=session,
            org_id=org_id,
            customer_id=customer_id,
            account_id=account_id,
            amount=amount,
            card=card,
            gateway=gateway.name,
            idempotency_key=idempotency_key,
            call_id=call_id,
            arrangement_id=arrangement_id,
        )
        # A retry charges the token the pending row holds, so the gateway sees the same request again.
        token = session.scalar(sa.select(Payment.card_token).where(Payment.id == pending.id)) or card.token
    if pending.status is not PaymentStatus.PENDING:
        return pending
    result = gateway.charge(
        token=token, amount=amount, currency=pending.currency, idempotency_key=idempotency_key
    )
    with transaction(sessions) as session:
        return complete_payment(
            session=session, org_id=org_id, payment_id=pending.id, result=result, actor=actor
        )
