"""The call outcome precedence (`shared.policy.outcome`): the weightiest thing that happened on a call is its
disposition, the latest at equal weight, with a fallback when nothing was recorded."""

from __future__ import annotations

from functools import reduce

import pytest

from shared.domain import CallOutcome as O
from shared.policy.outcome import FINAL_ONLY, OUTCOME_WEIGHT, final_outcome, prefer, weight


def test_every_outcome_has_a_weight_or_is_final_only() -> None:
    """Each CallOutcome is either weighted for recording during a call or decided only at its end, never both."""
    assert set(OUTCOME_WEIGHT) | FINAL_ONLY == set(O)
    assert not set(OUTCOME_WEIGHT) & FINAL_ONLY


def _play(*events: O) -> O | None:
    return reduce(prefer, events, None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        # "call me back friday" ... "actually um i can do two hundred on the fifteenth"
        ((O.CALLBACK_SCHEDULED, O.PROMISE_TO_PAY), O.PROMISE_TO_PAY),
        # a promise, then "it's been real tight since i got laid off": a later, lesser event does not erase money
        ((O.PROMISE_TO_PAY, O.HARDSHIP), O.PROMISE_TO_PAY),
        # a card payment outweighs the plan it started
        ((O.PAYMENT_PLAN, O.PAYMENT), O.PAYMENT),
        ((O.PAYMENT, O.PAYMENT_PLAN), O.PAYMENT),
        # "i lost my job" then "i don't owe this it's not mine": the dispute (Reg F 1006.34) is weightier
        ((O.HARDSHIP, O.DISPUTE), O.DISPUTE),
        # equal weight: the latest wins (dispute, then "talk to my lawyer stop calling")
        ((O.DISPUTE, O.CEASE_REQUESTED), O.CEASE_REQUESTED),
        ((O.CEASE_REQUESTED, O.DISPUTE), O.DISPUTE),
        ((O.PROMISE_TO_PAY, O.PAYMENT_PLAN), O.PAYMENT_PLAN),
        # "no i'm not paying that" then "let me talk to a real person"
        ((O.REFUSED, O.TRANSFERRED), O.TRANSFERRED),
        ((O.TRANSFERRED, O.REFUSED), O.TRANSFERRED),
        # the wrong person answered, then handed the phone to the customer who promised to pay
        ((O.WRONG_PARTY, O.PROMISE_TO_PAY), O.PROMISE_TO_PAY),
        # the answering machine, then nothing else
        ((O.VOICEMAIL,), O.VOICEMAIL),
        # weightless after weightless: the latest
        ((O.FAILED_VERIFICATION, O.WRONG_PARTY), O.WRONG_PARTY),
        ((O.CALLBACK_SCHEDULED, O.FAILED_VERIFICATION), O.CALLBACK_SCHEDULED),
    ],
)
def test_the_weightiest_outcome_wins(events: tuple[O, ...], expected: O) -> None:
    """Recording outcomes in order leaves the weightiest one, the latest of equals."""
    assert _play(*events) == expected


def test_money_outweighs_every_legal_request_and_those_outweigh_handoffs() -> None:
    """Payments > promises and plans > disputes and cease requests > transfer > callback > hardship > refusal."""
    order = [
        O.PAYMENT,
        O.PROMISE_TO_PAY,
        O.DISPUTE,
        O.TRANSFERRED,
        O.CALLBACK_SCHEDULED,
        O.HARDSHIP,
        O.REFUSED,
    ]
    assert [weight(o) for o in order] == sorted((weight(o) for o in order), reverse=True)
    assert len({weight(o) for o in order}) == len(order)


@pytest.mark.parametrize("outcome", sorted(FINAL_ONLY))
def test_final_only_outcomes_cannot_be_recorded(outcome: O) -> None:
    """Abandoned and unknown party are decided at the end of a call; recording one is a clear error."""
    with pytest.raises(ValueError, match="decided when the call ends"):
        prefer(None, outcome)
    with pytest.raises(ValueError, match="decided when the call ends"):
        prefer(outcome, O.REFUSED)


@pytest.mark.parametrize(
    ("recorded", "customer_known", "abandoned", "expected"),
    [
        (O.PROMISE_TO_PAY, True, True, O.PROMISE_TO_PAY),  # the line dropped after the promise
        (O.WRONG_PARTY, False, False, O.WRONG_PARTY),
        (None, False, False, O.UNKNOWN_PARTY),  # nobody on file for the number
        (None, False, True, O.UNKNOWN_PARTY),
        (None, True, True, O.ABANDONED),  # "uh hello" ... click
        (None, True, False, O.REFUSED),  # ended normally with nothing agreed
    ],
)
def test_final_outcome(recorded: O | None, customer_known: bool, abandoned: bool, expected: O) -> None:
    """A recorded outcome stands; otherwise unknown party, abandoned or refused, in that order of checks."""
    assert final_outcome(recorded, customer_known=customer_known, abandoned=abandoned) == expected
