"""Call setup as a service (`shared.services.call_setup.load_call_setup`), on SQLite and PostgreSQL: the
initial-communication fact comes from earlier verified calls with the same customer only, the account from
the request or the largest open balance, and bad start metadata stores nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from shared.db.tables import Call
from shared.domain import AccountStatus, CallDirection, CallType
from shared.errors import InvalidInput, NotFound
from shared.services.call_setup import load_call_setup
from tests.factories import make_account, make_call, make_customer, make_org

NOW = datetime(2026, 3, 10, 17, 0, tzinfo=UTC)


@pytest.fixture
def sessions(session: Session) -> Iterator[sessionmaker[Session]]:
    """Sessions on the test's connection: the loader's commits are savepoints rolled back with the test."""
    yield sessionmaker(
        bind=session.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )


def _load(sessions: sessionmaker[Session], **metadata: Any) -> Any:
    return load_call_setup(
        sessions=sessions,
        metadata={key: str(value) for key, value in metadata.items()},
        harness_call_id="harness-1",
        to_number=None,
        from_number=None,
        brain="scripted",
        now=NOW,
    )


@pytest.mark.parametrize(
    ("earlier", "initial"),
    [
        ([], True),  # first call ever
        ([False], True),  # an earlier call nobody verified on (voicemail, wrong party) is no conversation
        ([False, True], False),  # verified before: "this call is from a debt collector"
    ],
)
def test_initial_communication_follows_earlier_verified_calls(
    session: Session, sessions: sessionmaker[Session], earlier: list[bool], initial: bool
) -> None:
    """A call is the initial communication unless an earlier call with the customer was verified."""
    org = make_org(session)
    customer = make_customer(session, org)
    make_account(session, customer)
    for verified in earlier:
        make_call(session, customer, verified=verified)
    setup = _load(sessions, customer_id=customer.id, organization_id=org.id)
    assert setup.initial_communication is initial


def test_another_customers_verified_call_does_not_count(
    session: Session, sessions: sessionmaker[Session]
) -> None:
    """A verified call with another customer of the same organization leaves this customer's call initial."""
    org = make_org(session)
    customer, neighbour = make_customer(session, org), make_customer(session, org)
    make_call(session, neighbour, verified=True)
    assert _load(sessions, customer_id=customer.id).initial_communication is True


def test_account_chosen_by_request_else_largest_open(
    session: Session, sessions: sessionmaker[Session]
) -> None:
    """The requested account when it is the customer's; another customer's account id falls back to the largest."""
    org = make_org(session)
    customer, other = make_customer(session, org), make_customer(session, org)
    small = make_account(session, customer, balance=Decimal("300.00"), account_last_4="1111")
    large = make_account(session, customer, balance=Decimal("4200.00"), account_last_4="2222")
    make_account(session, customer, balance=Decimal("9000.00"), status=AccountStatus.CLOSED)
    foreign = make_account(session, other, balance=Decimal("99999.00"))
    assert _load(sessions, customer_id=customer.id).account.id == large.id
    assert _load(sessions, customer_id=customer.id, account_id=small.id).account.id == small.id
    assert _load(sessions, customer_id=customer.id, account_id=foreign.id).account.id == large.id


def test_default_call_type_and_direction(session: Session, sessions: sessionmaker[Session]) -> None:
    """An inbound call naming no type is a call-back; an outbound one manual."""
    org = make_org(session)
    customer = make_customer(session, org)
    assert _load(sessions, customer_id=customer.id, direction="inbound").call_type is CallType.CALLBACK
    outbound = _load(sessions, customer_id=customer.id)
    assert (outbound.call_type, outbound.direction) == (CallType.MANUAL, CallDirection.OUTBOUND)


@pytest.mark.parametrize(
    ("metadata", "error"),
    [
        ({"call_id": "not-a-uuid"}, InvalidInput),
        ({"direction": "sideways"}, InvalidInput),
        ({"call_type": "robocall"}, InvalidInput),
        ({"tactic_name": "no_such_tactic"}, InvalidInput),
    ],
)
def test_bad_start_metadata_is_refused_and_nothing_stored(
    session: Session, sessions: sessionmaker[Session], metadata: dict[str, str], error: type[Exception]
) -> None:
    """Malformed start metadata raises a clear error and leaves no calls row behind."""
    org = make_org(session)
    customer = make_customer(session, org)
    before = session.scalar(sa.select(sa.func.count()).select_from(Call))
    with pytest.raises(error):
        _load(sessions, customer_id=customer.id, organization_id=org.id, **metadata)
    assert session.scalar(sa.select(sa.func.count()).select_from(Call)) == before


def test_another_organizations_call_id_is_not_found(
    session: Session, sessions: sessionmaker[Session]
) -> None:
    """A call id of another organization is NotFound, and that call is left as it was."""
    ours, theirs = make_org(session), make_org(session)
    their_call = make_call(session, make_customer(session, theirs), brain=None)
    customer = make_customer(session, ours)
    with pytest.raises(NotFound):
        _load(sessions, call_id=their_call.id, organization_id=ours.id, customer_id=customer.id)
    session.expire_all()
    assert session.get(Call, their_call.id).brain is None
    assert session.get(Call, their_call.id).organization_id == theirs.id
