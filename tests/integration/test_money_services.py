"""Arrangements and payments: stored once, only inside the policy, cards as token + last 4, balances kept;
the calls service's agent operations; the compliance review of a stored call."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from shared.db.tables import Account, AuditLogEntry, Organization, Payment, PaymentArrangement
from shared.domain import (
    AccountStatus,
    CallDirection,
    CallOutcome,
    CallStatus,
    CallType,
    PaymentStatus,
    Speaker,
    TranscriptEntryType,
)
from shared.errors import Conflict, InvalidInput, NotFound, PolicyViolation
from shared.integrations.payments import SandboxGateway
from shared.models.agent import AgentEvent
from shared.models.audit import Actor
from shared.models.calls import CallCreate, TranscriptEntryCreate
from shared.models.customers import ContactPreferenceCreate
from shared.models.findings import FindingCode
from shared.models.organizations import OrganizationCreate
from shared.models.payments import CardDetails, OfferKind
from shared.policy.negotiation import AccountTerms, payment_options
from shared.services import (
    arrangements,
    call_review,
    calls,
    contact_preferences,
    organizations,
    payments,
    policies,
)
from tests.factories import make_account, make_customer

ACTOR = Actor.cli()
TODAY = date(2026, 11, 25)


def _org(session: Session) -> uuid.UUID:
    created = organizations.create_organization(
        session=session, org_in=OrganizationCreate(name=f"Bank {uuid.uuid4().hex[:8]}"), actor=ACTOR
    )
    organizations.install_defaults(session=session, org_id=created.organization.id, actor=ACTOR)
    return created.organization.id


def _setup(session: Session) -> tuple[uuid.UUID, uuid.UUID, Account, uuid.UUID]:
    org_id = _org(session)
    customer = make_customer(session, session.get(Organization, org_id))
    account = make_account(
        session, customer, balance=Decimal("1200.00"), past_due_amount=Decimal("300.00"), days_past_due=200
    )
    policy = policies.get_active_policy(session=session, org_id=org_id)
    return org_id, customer.id, account, policy.id


def _terms(account: Account) -> AccountTerms:
    return AccountTerms(balance=account.balance, days_past_due=account.days_past_due)


def test_an_arrangement_inside_policy_is_stored_once(session: Session) -> None:
    """The confirmed offer is stored with its schedule; the same key again returns it; the account moves
    into an arrangement; the audit log records it."""
    org_id, customer_id, account, policy_id = _setup(session)
    rules = policies.get_policy(session=session, org_id=org_id, policy_id=policy_id).rules
    offer = next(
        o
        for o in payment_options(rules, _terms(account), as_of=TODAY).offers
        if o.kind is OfferKind.PAYMENT_PLAN
    )
    kwargs = {
        "session": session, "org_id": org_id, "customer_id": customer_id, "account_id": account.id, "offer": offer,
        "negotiation_policy_id": policy_id, "terms_read_back": "twelve payments", "idempotency_key": "call-1:arrangement",
        "actor": ACTOR,
    }  # fmt: skip
    first = arrangements.confirm_arrangement(**kwargs)  # type: ignore[arg-type]
    again = arrangements.confirm_arrangement(**kwargs)  # type: ignore[arg-type]
    assert first.id == again.id and first.kind.value == "payment_plan"
    assert len(first.schedule) == offer.installments_count + 1
    assert session.scalar(sa.select(sa.func.count()).select_from(PaymentArrangement)) >= 1
    assert session.get(Account, account.id).status is AccountStatus.IN_ARRANGEMENT  # type: ignore[union-attr]
    actions = session.scalars(
        sa.select(AuditLogEntry.action).where(AuditLogEntry.organization_id == org_id)
    ).all()
    assert "arrangement.confirm" in actions


def test_an_arrangement_outside_policy_is_refused(session: Session) -> None:
    """A settlement below the floor is a PolicyViolation naming the reason; nothing is stored."""
    org_id, customer_id, account, policy_id = _setup(session)
    rules = policies.get_policy(session=session, org_id=org_id, policy_id=policy_id).rules
    offer = next(
        o
        for o in payment_options(rules, _terms(account), as_of=TODAY).offers
        if o.kind is OfferKind.SETTLEMENT
    )
    cheap = offer.model_copy(
        update={
            "total_amount": Decimal("100.00"),
            "installment_amount": Decimal("100.00"),
            "schedule": (offer.schedule[0].model_copy(update={"amount": Decimal("100.00")}),),
        }
    )
    with pytest.raises(PolicyViolation) as caught:
        arrangements.confirm_arrangement(
            session=session, org_id=org_id, customer_id=customer_id, account_id=account.id, offer=cheap,
            negotiation_policy_id=policy_id, terms_read_back="", idempotency_key="k", actor=ACTOR,
        )  # fmt: skip
    assert any("floor" in reason for reason in caught.value.reasons)
    assert arrangements.list_arrangements(session=session, org_id=org_id, account_id=account.id) == []


def test_another_organizations_account_is_not_found(session: Session) -> None:
    org_id, customer_id, account, policy_id = _setup(session)
    other_org = _org(session)
    rules = policies.get_policy(session=session, org_id=org_id, policy_id=policy_id).rules
    offer = payment_options(rules, _terms(account), as_of=TODAY).offers[0]
    with pytest.raises(NotFound):
        arrangements.confirm_arrangement(
            session=session, org_id=other_org, customer_id=customer_id, account_id=account.id, offer=offer,
            negotiation_policy_id=policy_id, terms_read_back="", idempotency_key="k", actor=ACTOR,
        )  # fmt: skip


def _sessions(session: Session) -> sessionmaker[Session]:
    """Sessions on the test's connection, so a service that opens its own transactions stays rolled back."""
    return sessionmaker(
        bind=session.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )


def test_a_card_payment_keeps_only_token_and_last4_and_lowers_the_balance(session: Session) -> None:
    """The charge succeeds once per key; the row holds the token and last 4, never the number."""
    org_id, customer_id, account, _ = _setup(session)
    gateway = SandboxGateway()
    card = gateway.tokenize(
        CardDetails(number="4242424242424242", exp_month=12, exp_year=2030, security_code="123")
    )
    kwargs = {
        "sessions": _sessions(session), "gateway": gateway, "org_id": org_id, "customer_id": customer_id,
        "account_id": account.id, "amount": Decimal("200.00"), "card": card, "idempotency_key": "call-1:payment",
        "actor": ACTOR,
    }  # fmt: skip
    paid = payments.take_card_payment(**kwargs)  # type: ignore[arg-type]
    again = payments.take_card_payment(**kwargs)  # type: ignore[arg-type]
    assert paid.status is PaymentStatus.SUCCEEDED and again.id == paid.id and paid.card_last4 == "4242"
    row = session.scalar(sa.select(Payment).where(Payment.id == paid.id))
    assert row is not None and row.card_token == card.token
    stored = " ".join(str(getattr(row, column.key)) for column in Payment.__table__.columns)
    assert "4242424242424242" not in stored
    session.expire_all()
    refreshed = session.get(Account, account.id)
    assert (
        refreshed is not None
        and refreshed.balance == Decimal("1000.00")
        and refreshed.past_due_amount == Decimal("100.00")
    )


def test_a_declined_card_changes_no_balance_and_bad_amounts_are_refused(session: Session) -> None:
    org_id, customer_id, account, _ = _setup(session)
    gateway = SandboxGateway()
    card = gateway.tokenize(CardDetails(number="4000000000000002", exp_month=12, exp_year=2030))
    declined = payments.take_card_payment(
        sessions=_sessions(session), gateway=gateway, org_id=org_id, customer_id=customer_id, account_id=account.id,
        amount=Decimal("50.00"), card=card, idempotency_key="d", actor=ACTOR,
    )  # fmt: skip
    assert declined.status is PaymentStatus.DECLINED and declined.failure_reason == "card_declined"
    session.expire_all()
    assert session.get(Account, account.id).balance == Decimal("1200.00")  # type: ignore[union-attr]
    with pytest.raises(InvalidInput, match="more than the balance"):
        payments.begin_payment(
            session=session, org_id=org_id, customer_id=customer_id, account_id=account.id, amount=Decimal("5000"),
            card=card, gateway="sandbox", idempotency_key="big",
        )  # fmt: skip
    with pytest.raises(Conflict):
        payments.begin_payment(
            session=session, org_id=org_id, customer_id=customer_id, account_id=account.id, amount=Decimal("60.00"),
            card=card, gateway="sandbox", idempotency_key="d",
        )  # fmt: skip


def test_agent_call_operations(session: Session) -> None:
    """begin_agent_call attaches to a pre-created call, entries append in order in a batch, verification
    marks the call answered, finalize sets the status once."""
    org_id, customer_id, account, policy_id = _setup(session)
    call_id = uuid.uuid4()
    pre = calls.create_call(
        session=session, org_id=org_id, call_id=call_id,
        call_in=CallCreate(call_type=CallType.CAMPAIGN, direction=CallDirection.OUTBOUND, customer_id=customer_id),
    )  # fmt: skip
    attached = calls.begin_agent_call(
        session=session, org_id=org_id, call_id=call_id,
        call_in=CallCreate(
            call_type=CallType.CAMPAIGN, direction=CallDirection.OUTBOUND, customer_id=customer_id,
            account_id=account.id, brain="scripted", negotiation_policy_id=policy_id, metadata={"tactic_name": "x"},
        ),
    )  # fmt: skip
    assert (
        attached.id == pre.id and attached.status is CallStatus.IN_PROGRESS and attached.brain == "scripted"
    )
    assert attached.account_id == account.id and attached.metadata["tactic_name"] == "x"
    with pytest.raises(NotFound):
        calls.begin_agent_call(
            session=session,
            org_id=_org(session),
            call_id=call_id,
            call_in=CallCreate(call_type=CallType.TEST, direction=CallDirection.INBOUND),
        )
    entries = calls.append_entries(
        session=session, org_id=org_id, call_id=call_id,
        entries=[TranscriptEntryCreate(entry_type=TranscriptEntryType.TRANSCRIPT, speaker=Speaker.AGENT, text=f"line {n}") for n in range(3)],
    )  # fmt: skip
    more = calls.append_entries(
        session=session, org_id=org_id, call_id=call_id,
        entries=[TranscriptEntryCreate(entry_type=TranscriptEntryType.EVENT, event_type="x")],
    )  # fmt: skip
    assert [entry.sequence for entry in entries + more] == [0, 1, 2, 3]
    verified = calls.mark_verified(session=session, org_id=org_id, call_id=call_id)
    assert verified.verified and verified.answered_at is not None
    done = calls.finalize_call(
        session=session,
        org_id=org_id,
        call_id=call_id,
        outcome=CallOutcome.REFUSED,
        status=CallStatus.COMPLETED,
    )
    assert done.status is CallStatus.COMPLETED and done.outcome is CallOutcome.REFUSED


def test_review_finds_a_call_placed_after_a_cease_request(session: Session) -> None:
    """The review loads the customer's cease request and the auditor reports the call."""
    org_id, customer_id, account, _ = _setup(session)
    contact_preferences.add_preference(
        session=session, org_id=org_id, customer_id=customer_id,
        preference_in=ContactPreferenceCreate(kind="cease_contact"), actor=ACTOR,
    )  # fmt: skip
    call = calls.create_call(
        session=session, org_id=org_id,
        call_in=CallCreate(
            call_type=CallType.CAMPAIGN, direction=CallDirection.OUTBOUND, customer_id=customer_id, account_id=account.id,
        ),
    )  # fmt: skip
    calls.append_entries(
        session=session, org_id=org_id, call_id=call.id,
        entries=[
            TranscriptEntryCreate(entry_type=TranscriptEntryType.EVENT, event_type=AgentEvent.DISCLOSURE.value, text="recording_notice"),
            TranscriptEntryCreate(entry_type=TranscriptEntryType.TRANSCRIPT, speaker=Speaker.AGENT, text="Hello."),
        ],
    )  # fmt: skip
    review = call_review.review_call(session=session, org_id=org_id, call_id=call.id)
    assert [finding.code for finding in review.findings] == [FindingCode.CALL_AFTER_CEASE]
    with pytest.raises(NotFound):
        call_review.review_call(session=session, org_id=_org(session), call_id=call.id)
