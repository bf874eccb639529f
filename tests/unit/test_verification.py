"""Right-party verification: name, then last 4 and postal code; three failed tries lock."""

from __future__ import annotations

from shared.policy.verification import (
    IdentityFacts,
    VerificationOutcome,
    VerificationStage,
    VerificationState,
    check_factors,
    confirm_name,
    names_match,
)

FACTS = IdentityFacts(name="Avery Ashgrove", account_last4s=frozenset({"4321", "9876"}), postal_code="85004")


def _confirmed() -> VerificationState:
    return confirm_name(VerificationState(), confirmed=True).state


def test_name_then_both_factors_verifies() -> None:
    """Confirming the name and giving any account's last 4 with the postal code verifies."""
    step = check_factors(_confirmed(), FACTS, account_last4="9876", postal_code="85004-1234")
    assert step.outcome is VerificationOutcome.VERIFIED and step.state.verified


def test_factors_before_the_name_do_not_count() -> None:
    step = check_factors(VerificationState(), FACTS, account_last4="4321", postal_code="85004")
    assert step.outcome is VerificationOutcome.NAME_NOT_CONFIRMED and not step.state.verified


def test_denying_the_name_makes_a_wrong_party_for_good() -> None:
    """A "no" to the name ends verification: later factors are not checked."""
    wrong = confirm_name(VerificationState(), confirmed=False)
    assert wrong.outcome is VerificationOutcome.WRONG_PARTY
    later = check_factors(wrong.state, FACTS, account_last4="4321", postal_code="85004")
    assert later.outcome is VerificationOutcome.NOT_APPLICABLE and not later.state.verified


def test_three_failed_tries_lock_even_with_the_right_answer_after() -> None:
    """Each mismatch uses a try; the third locks, and a correct answer afterwards is refused."""
    state = _confirmed()
    outcomes = []
    for _ in range(3):
        step = check_factors(state, FACTS, account_last4="1111", postal_code="85004")
        state = step.state
        outcomes.append(step.outcome)
    assert outcomes == [
        VerificationOutcome.MISMATCH,
        VerificationOutcome.MISMATCH,
        VerificationOutcome.LOCKED,
    ]
    assert state.stage is VerificationStage.LOCKED and state.attempts_left == 0
    after = check_factors(state, FACTS, account_last4="4321", postal_code="85004")
    assert after.outcome is VerificationOutcome.LOCKED and not after.state.verified


def test_missing_factors_are_incomplete_unless_counted() -> None:
    """An answer without both factors costs nothing by default, a try when the brain says so."""
    state = _confirmed()
    assert (
        check_factors(state, FACTS, account_last4="4321", postal_code=None).outcome
        is VerificationOutcome.INCOMPLETE
    )
    counted = check_factors(state, FACTS, account_last4=None, postal_code=None, count_incomplete=True)
    assert counted.outcome is VerificationOutcome.MISMATCH and counted.state.failed_attempts == 1


def test_spoken_names_match_first_and_last_name() -> None:
    assert names_match("Avery Ashgrove", "this is avery j. ashgrove")
    assert names_match("Zoë Élan-Price", "Zoe Price")
    assert not names_match("Avery Ashgrove", "Avery Smith")
