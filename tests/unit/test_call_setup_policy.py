"""The rules decided when a call starts (`shared.policy.call_setup`): the account the call is about, the
call's type, and whether it is the initial communication with the consumer."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

import pytest

from shared.domain import AccountStatus, CallDirection, CallType
from shared.policy.call_setup import default_call_type, is_initial_communication, is_open, select_account
from shared.policy.disclosure import mini_miranda


@dataclass(frozen=True)
class Acct:
    id: uuid.UUID
    status: str
    balance: Decimal


def _acct(balance: str, status: AccountStatus = AccountStatus.ACTIVE) -> Acct:
    return Acct(id=uuid.uuid4(), status=status, balance=Decimal(balance))


CARD = _acct("1200.00")
AUTO = _acct("8450.50")
PLAN = _acct("9999.99", AccountStatus.IN_ARRANGEMENT)
PAID = _acct("0.00", AccountStatus.PAID_IN_FULL)
SETTLED_BIG = _acct("20000.00", AccountStatus.SETTLED)
CLOSED = _acct("50000.00", AccountStatus.CLOSED)
ZERO_ACTIVE = _acct("0.00")


@pytest.mark.parametrize(
    ("accounts", "wanted", "expected"),
    [
        ([CARD, AUTO], None, AUTO),  # the largest open balance
        ([CARD, AUTO], CARD.id, CARD),  # the campaign target's account, though smaller
        ([CARD, PLAN], None, PLAN),  # an account in an arrangement is still owed
        ([CARD, SETTLED_BIG, CLOSED], None, CARD),  # settled and closed accounts are not collected on
        ([PAID, ZERO_ACTIVE], None, None),  # nothing owed: no account
        ([], None, None),
        ([CARD, AUTO], uuid.uuid4(), AUTO),  # another customer's account id: fall back to the largest
        ([CARD, CLOSED], CLOSED.id, CLOSED),  # asked for by id: the customer's own, whatever its state
    ],
)
def test_select_account(accounts: list[Acct], wanted: uuid.UUID | None, expected: Acct | None) -> None:
    """The account asked for when it is the customer's, else the largest open balance, else none."""
    assert select_account(accounts, wanted=wanted) == expected


def test_equal_balances_pick_the_first_in_order() -> None:
    """At equal balances the first account in the given (oldest first) order is chosen, every time."""
    first, second = _acct("500.00"), _acct("500.00")
    assert select_account([first, second], wanted=None) is first
    assert select_account([second, first], wanted=None) is second


@pytest.mark.parametrize(
    ("status", "balance", "expected"),
    [
        (AccountStatus.ACTIVE, "0.01", True),
        (AccountStatus.IN_ARRANGEMENT, "250.00", True),
        (AccountStatus.ACTIVE, "0.00", False),
        (AccountStatus.PAID_IN_FULL, "10.00", False),
        (AccountStatus.SETTLED, "10.00", False),
        (AccountStatus.CLOSED, "10.00", False),
    ],
)
def test_is_open(status: AccountStatus, balance: str, expected: bool) -> None:
    """Open means an active or in-arrangement status and a positive balance."""
    assert is_open(_acct(balance, status)) is expected


@pytest.mark.parametrize(
    ("campaign", "direction", "expected"),
    [
        (True, CallDirection.OUTBOUND, CallType.CAMPAIGN),
        (True, CallDirection.INBOUND, CallType.CAMPAIGN),  # answered in a campaign's name
        (False, CallDirection.INBOUND, CallType.CALLBACK),  # the customer called back
        (False, CallDirection.OUTBOUND, CallType.MANUAL),  # an operator placed it
    ],
)
def test_default_call_type(campaign: bool, direction: CallDirection, expected: CallType) -> None:
    """A campaign's call is a campaign call; otherwise inbound is a call-back and outbound manual."""
    assert default_call_type(campaign=campaign, direction=direction) is expected


def test_initial_communication_decides_the_debt_collector_notice() -> None:
    """With no earlier conversation the full notice is given; after one, the short 'from a debt collector'."""
    assert is_initial_communication(earlier_conversation=False) is True
    assert is_initial_communication(earlier_conversation=True) is False
    first = mini_miranda(initial_communication=is_initial_communication(earlier_conversation=False))
    later = mini_miranda(initial_communication=is_initial_communication(earlier_conversation=True))
    assert "attempt to collect a debt" in first
    assert later == "This call is from a debt collector."
