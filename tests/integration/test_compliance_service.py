"""The compliance service over the database: facts come from the customer's rows, the attempt ledger and
verified calls; every decision is audited; another organization's customer is not found."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from shared.db.tables import AuditLogEntry, CustomerPhone
from shared.domain import AttemptResult, LineType, PreferenceKind
from shared.errors import NotFound
from shared.models.audit import Actor
from shared.policy import compliance as c
from shared.services import attempts, compliance
from tests.factories import make_account, make_attempt, make_call, make_customer, make_org, make_preference

AT = datetime(2026, 7, 15, 18, 0, tzinfo=UTC)  # 11:00 in Phoenix


def test_allowed_decision_is_audited_with_zones(session: Session) -> None:
    """A Phoenix landline customer at 11:00 local may be called; the decision is in the audit log."""
    org = make_org(session)
    customer = make_customer(session, org)
    decision = compliance.check_customer(session=session, org_id=org.id, customer_id=customer.id, at=AT)
    assert decision.allowed and decision.next_allowed_at == AT
    assert decision.zones == ["America/Phoenix"] and decision.reasons == []
    entry = session.scalars(
        sa.select(AuditLogEntry).where(
            AuditLogEntry.organization_id == org.id, AuditLogEntry.action == "compliance.check"
        )
    ).one()
    assert entry.entity_id == str(customer.id) and entry.reason == "allowed"
    assert entry.after is not None and entry.after["allowed"] is True


def test_refusal_reasons_come_from_the_rows(session: Session) -> None:
    """Seven ledger attempts, a verified call and a cease request each show up as a reason; the audit entry
    carries them."""
    org = make_org(session)
    customer = make_customer(session, org)
    account = make_account(session, customer)
    for day in range(7):
        make_attempt(session, customer, AT - timedelta(days=day, hours=1), account_id=account.id)
    make_call(session, customer, verified=True, start_time=AT - timedelta(days=2))
    make_preference(session, customer, PreferenceKind.CEASE_CONTACT)
    decision = compliance.check_customer(
        session=session, org_id=org.id, customer_id=customer.id, at=AT, account_id=account.id,
        actor=Actor.cli(),
    )  # fmt: skip
    assert set(decision.codes) == {c.WEEKLY_LIMIT, c.QUIET_PERIOD, c.CEASE}
    assert decision.next_allowed_at is None
    entry = session.scalars(
        sa.select(AuditLogEntry).where(
            AuditLogEntry.organization_id == org.id, AuditLogEntry.action == "compliance.check"
        )
    ).one()
    assert entry.actor_type.value == "cli" and "cease_requested" in (entry.reason or "")


def test_canceled_attempts_and_inbound_calls_do_not_count(session: Session) -> None:
    """An attempt canceled before it dialed is not an attempt; the count shows the rest."""
    org = make_org(session)
    customer = make_customer(session, org)
    for day in range(6):
        make_attempt(session, customer, AT - timedelta(days=day, hours=1))
    make_attempt(session, customer, AT - timedelta(hours=2), result=AttemptResult.CANCELED)
    decision = compliance.check_customer(session=session, org_id=org.id, customer_id=customer.id, at=AT)
    assert decision.allowed and decision.details["attempts_in_7_days"] == 6


def test_dialed_number_and_its_consent(session: Session) -> None:
    """Checking a mobile number on file needs its consent; a number not on file is treated as a cell number
    without consent; the organization's Massachusetts limit applies to a Boston address."""
    org = make_org(session)
    customer = make_customer(session, org, postal_code="02108", state="MA", phone_number="+16175550111")
    session.add(
        CustomerPhone(
            organization_id=org.id, customer_id=customer.id, number="+16175550112", line_type=LineType.MOBILE
        )
    )
    session.flush()
    at = datetime(2026, 7, 15, 15, 0, tzinfo=UTC)  # 11:00 EDT
    mobile = compliance.check_customer(
        session=session, org_id=org.id, customer_id=customer.id, at=at, phone_number="(617) 555-0112"
    )
    assert mobile.codes == [c.CONSENT_MISSING]
    make_preference(
        session,
        customer,
        PreferenceKind.PHONE_CONSENT,
        phone_number="+16175550112",
        details={"status": "granted"},
    )
    assert compliance.check_customer(
        session=session, org_id=org.id, customer_id=customer.id, at=at, phone_number="+16175550112"
    ).allowed
    stranger = compliance.check_customer(
        session=session, org_id=org.id, customer_id=customer.id, at=at, phone_number="+16175550199"
    )
    assert stranger.codes == [c.CONSENT_MISSING]
    for hours in (5, 30):
        make_attempt(session, customer, at - timedelta(hours=hours))
    limited = compliance.check_customer(session=session, org_id=org.id, customer_id=customer.id, at=at)
    assert limited.codes == [c.STATE_LIMIT]


def test_other_organizations_customer_is_not_found(session: Session) -> None:
    """Another organization's customer id answers NotFound, never a decision."""
    mine, theirs = make_org(session), make_org(session)
    customer = make_customer(session, theirs)
    with pytest.raises(NotFound):
        compliance.check_customer(session=session, org_id=mine.id, customer_id=customer.id, at=AT)
    with pytest.raises(NotFound):
        compliance.check_customer(session=session, org_id=mine.id, customer_id=uuid.uuid4(), at=AT)


def test_ledger_records_each_key_once(session: Session) -> None:
    """Recording an attempt twice under one idempotency key returns the first; results are set on it."""
    org = make_org(session)
    customer = make_customer(session, org)
    key = attempts.attempt_key(f"campaign-{uuid.uuid4()}-run-1:w0:{uuid.uuid4().hex}")
    first, created = attempts.record_attempt(
        session=session, org_id=org.id, customer_id=customer.id, account_id=None,
        phone_number=customer.phone_number, idempotency_key=key, attempted_at=AT,
    )  # fmt: skip
    again, created_again = attempts.record_attempt(
        session=session, org_id=org.id, customer_id=customer.id, account_id=None,
        phone_number=customer.phone_number, idempotency_key=key, attempted_at=AT + timedelta(minutes=5),
    )  # fmt: skip
    assert created and not created_again and again.id == first.id and again.attempted_at == AT
    done = attempts.set_result(
        session=session,
        org_id=org.id,
        attempt_id=first.id,
        result=AttemptResult.CONNECTED,
        is_conversation=True,
    )
    assert done.result is AttemptResult.CONNECTED and done.is_conversation
    assert [
        a.id for a in attempts.list_attempts(session=session, org_id=org.id, customer_id=customer.id)
    ] == [first.id]
    with pytest.raises(NotFound):
        attempts.set_result(
            session=session, org_id=make_org(session).id, attempt_id=first.id, result=AttemptResult.FAILED
        )
