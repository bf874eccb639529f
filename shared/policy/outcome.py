"""A call's one outcome (its disposition). Several things can happen on one call — a callback asked for,
then a promise to pay — and the outcome stored, reported and fed back to campaigns is the weightiest of
them; at equal weight, the latest. Outcomes in `FINAL_ONLY` are never recorded during a call: they are
what a call ends with when nothing was recorded (`final_outcome`).

Adding a `CallOutcome`: give it a weight here or list it in `FINAL_ONLY`
(`tests/unit/test_outcome.py` fails until one of the two is done)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from shared.domain import CallOutcome

# Money moved or promised outweighs a legal request, which outweighs a hand-off or a later call; what ends
# a call without a conversation about the debt (wrong person, locked verification, answering machine)
# weighs nothing, so anything decisive that follows replaces it.
OUTCOME_WEIGHT: Mapping[CallOutcome, int] = MappingProxyType(
    {
        CallOutcome.PAYMENT: 9,
        CallOutcome.PAYMENT_PLAN: 8,
        CallOutcome.PROMISE_TO_PAY: 8,
        CallOutcome.DISPUTE: 7,
        CallOutcome.CEASE_REQUESTED: 7,
        CallOutcome.BANKRUPTCY: 7,
        CallOutcome.DECEASED: 7,
        CallOutcome.TRANSFERRED: 6,
        CallOutcome.CALLBACK_SCHEDULED: 5,
        CallOutcome.INCONVENIENT_TIME: 5,
        CallOutcome.HARDSHIP: 4,
        CallOutcome.REFUSED: 3,
        CallOutcome.WRONG_PARTY: 0,
        CallOutcome.FAILED_VERIFICATION: 0,
        CallOutcome.VOICEMAIL: 0,
    }
)

# Decided only when the call ends with nothing recorded: nobody identified, or the line dropped.
FINAL_ONLY: frozenset[CallOutcome] = frozenset({CallOutcome.UNKNOWN_PARTY, CallOutcome.ABANDONED})


def weight(outcome: CallOutcome) -> int:
    """How much `outcome` counts against others recorded on the same call. Raises ValueError for an
    outcome only the end of a call decides."""
    try:
        return OUTCOME_WEIGHT[outcome]
    except KeyError:
        raise ValueError(f"{outcome.value!r} is decided when the call ends, not recorded on it") from None


def prefer(current: CallOutcome | None, new: CallOutcome) -> CallOutcome:
    """The call's outcome after `new` happened: the weightier of the two; at equal weight, `new`."""
    new_weight = weight(new)
    if current is None or new_weight >= weight(current):
        return new
    return current


def final_outcome(recorded: CallOutcome | None, *, customer_known: bool, abandoned: bool) -> CallOutcome:
    """The outcome a call ends with: what was recorded on it; else, with no customer identified for the
    call, an unknown party; else abandoned when the line dropped before anything decisive, refused when
    the call was ended normally."""
    if recorded is not None:
        return recorded
    if not customer_known:
        return CallOutcome.UNKNOWN_PARTY
    return CallOutcome.ABANDONED if abandoned else CallOutcome.REFUSED
