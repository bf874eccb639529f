"""The data model's guarantees, on SQLite and PostgreSQL alike: types, uniqueness, and delete rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from shared.db.tables import (
    Account,
    BehavioralTactic,
    Call,
    CallTranscriptEntry,
    Customer,
    CustomerPhone,
    Payment,
)
from shared.domain import TranscriptEntryType
from tests.factories import make_account, make_call, make_customer, make_org


def test_timestamps_are_utc_aware(session: Session) -> None:
    """A timestamp written in any zone reads back as the same instant in UTC."""
    org = make_org(session)
    customer = make_customer(session, org)
    start = datetime(2026, 3, 8, 1, 30, tzinfo=timezone(timedelta(hours=-8)))
    call = make_call(session, customer, start_time=start)
    session.expire_all()
    loaded = session.get(Call, call.id)
    assert loaded is not None
    assert loaded.start_time == start
    assert loaded.start_time.tzinfo == UTC
    assert loaded.created_at.tzinfo == UTC


def test_naive_timestamps_are_refused(session: Session) -> None:
    """A naive datetime is a bug, not a UTC value."""
    org = make_org(session)
    customer = make_customer(session, org)
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        make_call(session, customer, start_time=datetime(2026, 1, 1, 12, 0))


def test_money_is_exact_decimal(session: Session) -> None:
    """Balances keep cents exactly and sum without float error."""
    org = make_org(session)
    customer = make_customer(session, org)
    make_account(session, customer, balance=Decimal("0.10"), past_due_amount=Decimal("0"))
    make_account(session, customer, balance=Decimal("0.20"), past_due_amount=Decimal("0"))
    total = session.scalar(sa.select(sa.func.sum(Account.balance)).where(Account.customer_id == customer.id))
    assert total == Decimal("0.30")


def test_json_documents_round_trip(session: Session) -> None:
    """JSON columns store nested documents (JSONB on PostgreSQL)."""
    org = make_org(session, settings={"calling_window": {"start": "09:00"}, "limits": [1, 2]})
    session.expire_all()
    assert session.get(type(org), org.id).settings == {"calling_window": {"start": "09:00"}, "limits": [1, 2]}


def test_call_sid_is_unique(session: Session) -> None:
    """Twilio's call SID identifies one call."""
    org = make_org(session)
    customer = make_customer(session, org)
    make_call(session, customer, call_sid="CA" + "1" * 32)
    with pytest.raises(sa.exc.IntegrityError), session.begin_nested():
        make_call(session, customer, call_sid="CA" + "1" * 32)


def test_tactic_version_is_unique_per_organization(session: Session) -> None:
    """A tactic name has one row per version in an organization; other organizations are independent."""
    first, second = make_org(session), make_org(session)
    config = {"urgency_level": 1, "empathy_index": 5, "persistence_level": 2, "tactics": []}
    for org in (first, second):
        session.add(
            BehavioralTactic(organization_id=org.id, name="calm", version=1, archetype="A", config=config)
        )
    session.flush()
    with pytest.raises(sa.exc.IntegrityError), session.begin_nested():
        session.add(
            BehavioralTactic(organization_id=first.id, name="calm", version=1, archetype="A", config=config)
        )
        session.flush()


def test_deleting_a_customer_removes_what_is_only_theirs(session: Session) -> None:
    """Accounts, phones, calls and transcripts go with the customer."""
    org = make_org(session)
    customer = make_customer(session, org)
    make_account(session, customer)
    call = make_call(session, customer)
    session.add(
        CallTranscriptEntry(
            organization_id=org.id, call_id=call.id, sequence=0, entry_type=TranscriptEntryType.EVENT
        )
    )
    session.flush()
    session.execute(sa.delete(Customer).where(Customer.id == customer.id))
    for table in (Account, CustomerPhone, Call, CallTranscriptEntry):
        assert session.scalar(sa.select(sa.func.count()).select_from(table)) == 0, table.__tablename__


def test_payments_block_deleting_their_customer(session: Session) -> None:
    """Money records outlive customer records: the database refuses the delete."""
    org = make_org(session)
    customer = make_customer(session, org)
    account = make_account(session, customer)
    session.add(
        Payment(
            organization_id=org.id,
            customer_id=customer.id,
            account_id=account.id,
            amount=Decimal("50.00"),
            gateway="sandbox",
            idempotency_key="pay-1",
        )
    )
    session.flush()
    with pytest.raises(sa.exc.IntegrityError), session.begin_nested():
        session.execute(sa.delete(Customer).where(Customer.id == customer.id))


def test_negative_balances_are_refused(session: Session) -> None:
    """Check constraints keep impossible money out of the database."""
    org = make_org(session)
    customer = make_customer(session, org)
    with pytest.raises(sa.exc.IntegrityError), session.begin_nested():
        make_account(session, customer, balance=Decimal("-1.00"), past_due_amount=Decimal("0"))
