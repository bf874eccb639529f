"""Test calls: checks the request (persona, customer, tactic), creates the call row (`call_type=test`, so
analytics leave it out) and audits who started it. Placing the call is the caller's: a `TestCallRunner`
(the local server's simulated customers) or the Twilio dialer."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shared.db.tables import Account, Call, Customer
from shared.domain import CallDirection, CallOutcome, CallStatus, CallType
from shared.errors import InvalidInput, NotFound
from shared.models.audit import Actor
from shared.models.calls import CallCreate
from shared.models.testcalls import TestCallCreate, TestCallPublic
from shared.services import audit, calls, tactics

Mode = Literal["simulated", "twilio"]


@dataclass(frozen=True)
class TestCallPlan:
    """Everything needed to place a test call whose row exists already."""

    __test__ = False

    organization_id: uuid.UUID
    call_id: uuid.UUID
    persona: str
    customer_id: uuid.UUID
    account_id: uuid.UUID | None
    tactic_name: str | None
    to_number: str
    mode: Mode

    def public(self, status: CallStatus) -> TestCallPublic:
        return TestCallPublic(
            call_id=self.call_id,
            mode=self.mode,
            status=status,
            persona=self.persona,
            customer_id=self.customer_id,
            tactic_name=self.tactic_name,
        )


class TestCallRunner(Protocol):
    """Runs simulated test calls in the background (the local server's simulated customers)."""

    @property
    def personas(self) -> Sequence[str]: ...

    def start(self, plan: TestCallPlan) -> None: ...


def _customer(session: Session, org_id: uuid.UUID, customer_id: uuid.UUID | None) -> Customer:
    query = sa.select(Customer).where(Customer.organization_id == org_id)
    if customer_id is not None:
        row = session.scalar(query.where(Customer.id == customer_id))
        if row is None:
            raise NotFound("customer not found", field="customer_id")
        return row
    row = session.scalar(query.order_by(Customer.created_at, Customer.id).limit(1))
    if row is None:
        raise InvalidInput("the organization has no customers: create one first", field="customer_id")
    return row


def prepare_test_call(
    *,
    session: Session,
    org_id: uuid.UUID,
    call_in: TestCallCreate,
    personas: Sequence[str] | None,
    mode: Mode,
    actor: Actor,
) -> TestCallPlan:
    """Check the request and create the queued test call. `personas`: the names the simulator knows (None:
    not checked, as for a real call)."""
    if personas is not None and call_in.persona not in personas:
        raise InvalidInput(
            f"unknown persona {call_in.persona!r}; valid personas: {', '.join(sorted(personas))}",
            field="persona",
        )
    customer = _customer(session, org_id, call_in.customer_id)
    if call_in.tactic_name is not None:
        try:
            tactics.get_current_tactic(session=session, org_id=org_id, name=call_in.tactic_name)
        except NotFound:
            raise InvalidInput(
                f"no active tactic named {call_in.tactic_name!r}", field="tactic_name"
            ) from None
    account_id = session.scalar(
        sa.select(Account.id)
        .where(Account.organization_id == org_id, Account.customer_id == customer.id)
        .order_by(Account.created_at, Account.external_ref)
        .limit(1)
    )
    to_number = call_in.phone_number or customer.phone_number
    call = calls.create_call(
        session=session,
        org_id=org_id,
        call_in=CallCreate(
            call_type=CallType.TEST,
            direction=CallDirection.OUTBOUND,
            customer_id=customer.id,
            account_id=account_id,
            to_number=to_number,
            status=CallStatus.QUEUED,
            metadata={"test_call": True, "persona": call_in.persona, "tactic_name": call_in.tactic_name},
        ),
    )
    plan = TestCallPlan(
        organization_id=org_id,
        call_id=call.id,
        persona=call_in.persona,
        customer_id=customer.id,
        account_id=account_id,
        tactic_name=call_in.tactic_name,
        to_number=to_number,
        mode=mode,
    )
    audit.record(
        session=session,
        org_id=org_id,
        actor=actor,
        action="test_call.start",
        entity_type="call",
        entity_id=call.id,
        after=plan.public(CallStatus.QUEUED).model_dump(mode="json"),
    )
    return plan


def record_placed(
    *, session: Session, org_id: uuid.UUID, call_id: uuid.UUID, call_sid: str | None, status: CallStatus
) -> None:
    """The telephony provider took the call: note its SID and status."""
    row = session.scalar(sa.select(Call).where(Call.organization_id == org_id, Call.id == call_id))
    if row is None:
        raise NotFound("call not found")
    if call_sid:
        row.call_sid = call_sid
    if not CallStatus(row.status).is_final:
        row.status = status
    session.flush()


def record_failed(*, session: Session, org_id: uuid.UUID, call_id: uuid.UUID) -> None:
    """The test call could not be placed or broke off: it ends failed (abandoned), never stays queued."""
    calls.finalize_call(
        session=session,
        org_id=org_id,
        call_id=call_id,
        outcome=CallOutcome.ABANDONED,
        status=CallStatus.FAILED,
    )
