"""Rules decided once when a call starts: which of the customer's accounts the call is about, what kind of
call it is, and whether it is the initial communication with the consumer (which decides the wording of the
debt-collector notice, FDCPA 15 U.S.C. 1692e(11): the full notice in the initial communication, "this call
is from a debt collector" in later ones). Pure functions over plain data; `shared.services.call_setup`
gathers the data and stores the result."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Protocol, TypeVar

from shared.domain import AccountStatus, CallDirection, CallType

# Accounts a collections call may be about: still owed, whether or not under an arrangement.
OPEN_STATUSES: frozenset[str] = frozenset({AccountStatus.ACTIVE, AccountStatus.IN_ARRANGEMENT})


class AccountFacts(Protocol):
    """What account selection reads of an account (an ORM row or `AccountPublic`)."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def status(self) -> str: ...
    @property
    def balance(self) -> Decimal: ...


AccountT = TypeVar("AccountT", bound=AccountFacts)


def is_open(account: AccountFacts) -> bool:
    """Still owed: an open status and a balance above zero."""
    return account.status in OPEN_STATUSES and account.balance > 0


def select_account(accounts: Sequence[AccountT], *, wanted: uuid.UUID | None) -> AccountT | None:
    """The account the call is about: the one asked for (by the start metadata, the campaign target or the
    call row) when it is one of the customer's `accounts`, whatever its state; else the open account with
    the largest balance (the first of equals, in the order given); None when nothing is owed."""
    if wanted is not None:
        for account in accounts:
            if account.id == wanted:
                return account
    return max((account for account in accounts if is_open(account)), key=lambda a: a.balance, default=None)


def default_call_type(*, campaign: bool, direction: CallDirection) -> CallType:
    """The type of a call that does not say: a campaign's call, else a customer's call-back when inbound,
    else a manual call placed by an operator."""
    if campaign:
        return CallType.CAMPAIGN
    return CallType.CALLBACK if direction is CallDirection.INBOUND else CallType.MANUAL


def is_initial_communication(*, earlier_conversation: bool) -> bool:
    """Whether this call is the initial communication with the consumer: true unless an earlier call was a
    conversation with them, i.e. right-party verification succeeded on it (the same fact Regulation F's
    7-day rule, 12 CFR 1006.14(b)(2)(i)(B), counts as a telephone conversation about the debt). A call to
    nobody identified, or to someone never verified, is initial."""
    return not earlier_conversation
