"""Row factories: `make_x(session, **overrides)` inserts a valid row with sensible defaults and returns it."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from shared.db.tables import (
    Account,
    Call,
    CallAttempt,
    ContactPreference,
    Customer,
    CustomerPhone,
    Organization,
)
from shared.domain import AttemptResult, CallDirection, CallType, LineType, PreferenceKind
from shared.policy.zones import zone_for_postal_code

_sequence = itertools.count(1)


def make_org(session: Session, **overrides: Any) -> Organization:
    values: dict[str, Any] = {"name": f"Test Bank {next(_sequence)}-{uuid.uuid4().hex[:6]}", "settings": {}}
    values.update(overrides)
    row = Organization(**values)
    session.add(row)
    session.flush()
    return row


def make_customer(session: Session, org: Organization, **overrides: Any) -> Customer:
    n = next(_sequence)
    values: dict[str, Any] = {
        "organization_id": org.id,
        "external_ref": f"C-{n:06d}",
        "name": f"Avery Testwell {n}",
        "phone_number": f"+1602555{100 + n % 100:04d}",
        "postal_code": "85004",
        "state": "AZ",
        "account_last_4": "4321",
        "balance": Decimal("1200.00"),
        "days_overdue": 45,
        "segment": "mid_stage",
    }
    values.update(overrides)
    values.setdefault("timezone", zone_for_postal_code(values["postal_code"]))
    row = Customer(**values)
    session.add(row)
    session.flush()
    session.add(
        CustomerPhone(
            organization_id=org.id,
            customer_id=row.id,
            number=row.phone_number,
            line_type=LineType.LANDLINE,
            is_primary=True,
        )
    )
    session.flush()
    return row


def make_account(session: Session, customer: Customer, **overrides: Any) -> Account:
    n = next(_sequence)
    values: dict[str, Any] = {
        "organization_id": customer.organization_id,
        "customer_id": customer.id,
        "external_ref": f"A-{n:06d}",
        "account_last_4": "4321",
        "product": "credit_card",
        "balance": Decimal("1200.00"),
        "past_due_amount": Decimal("300.00"),
        "days_past_due": 45,
    }
    values.update(overrides)
    row = Account(**values)
    session.add(row)
    session.flush()
    return row


def make_call(session: Session, customer: Customer, **overrides: Any) -> Call:
    values: dict[str, Any] = {
        "organization_id": customer.organization_id,
        "customer_id": customer.id,
        "call_type": CallType.CAMPAIGN,
        "direction": CallDirection.OUTBOUND,
        "to_number": customer.phone_number,
    }
    values.update(overrides)
    row = Call(**values)
    session.add(row)
    session.flush()
    return row


def make_preference(
    session: Session, customer: Customer, kind: PreferenceKind, **overrides: Any
) -> ContactPreference:
    values: dict[str, Any] = {
        "organization_id": customer.organization_id,
        "customer_id": customer.id,
        "kind": kind,
        "details": {},
        "effective_at": datetime(2026, 1, 1, tzinfo=UTC),
    }
    values.update(overrides)
    row = ContactPreference(**values)
    session.add(row)
    session.flush()
    return row


def make_attempt(
    session: Session, customer: Customer, attempted_at: datetime, **overrides: Any
) -> CallAttempt:
    values: dict[str, Any] = {
        "organization_id": customer.organization_id,
        "customer_id": customer.id,
        "phone_number": customer.phone_number,
        "attempted_at": attempted_at,
        "result": AttemptResult.NO_ANSWER,
        "idempotency_key": f"test:{uuid.uuid4()}",
    }
    values.update(overrides)
    row = CallAttempt(**values)
    session.add(row)
    session.flush()
    return row
