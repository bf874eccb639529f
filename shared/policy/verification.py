"""Right-party verification: who the agent is talking to decides what it may say.

The person first confirms they are the customer the call is for (by name), then gives two factors: the last
four digits of one of the customer's accounts and the postal code on file. Three failed tries lock
verification for the rest of the call. Nothing about the debt may be disclosed before the state is
VERIFIED (see `shared.policy.guard`).

Pure functions over immutable state: each step returns the next state and what happened, never which
factor was wrong (that would help a caller guess)."""

from __future__ import annotations

import hmac
import re
import unicodedata
from dataclasses import dataclass, replace
from enum import StrEnum

MAX_FAILED_ATTEMPTS = 3


class VerificationStage(StrEnum):
    AWAITING_NAME = "awaiting_name"  # has not yet confirmed being the customer
    AWAITING_FACTORS = "awaiting_factors"  # confirmed the name; owes last 4 + postal code
    VERIFIED = "verified"
    LOCKED = "locked"  # three failed tries: no verification on this call
    WRONG_PARTY = "wrong_party"  # said they are not the customer


class VerificationOutcome(StrEnum):
    NAME_CONFIRMED = "name_confirmed"
    WRONG_PARTY = "wrong_party"
    VERIFIED = "verified"
    MISMATCH = "mismatch"  # the factors do not match; a try was used
    INCOMPLETE = "incomplete"  # a factor is missing
    LOCKED = "locked"  # this try was the last one, or the state was already locked
    NAME_NOT_CONFIRMED = "name_not_confirmed"  # factors given before the name was confirmed
    ALREADY_VERIFIED = "already_verified"
    NOT_APPLICABLE = "not_applicable"  # wrong party: nothing to verify


@dataclass(frozen=True)
class IdentityFacts:
    """What the customer's answers are checked against."""

    name: str
    account_last4s: frozenset[str]
    postal_code: str


@dataclass(frozen=True)
class VerificationState:
    stage: VerificationStage = VerificationStage.AWAITING_NAME
    failed_attempts: int = 0

    @property
    def verified(self) -> bool:
        return self.stage is VerificationStage.VERIFIED

    @property
    def attempts_left(self) -> int:
        return max(0, MAX_FAILED_ATTEMPTS - self.failed_attempts)

    @property
    def finished(self) -> bool:
        """No further verification step can change this state."""
        return self.stage in {
            VerificationStage.VERIFIED,
            VerificationStage.LOCKED,
            VerificationStage.WRONG_PARTY,
        }


@dataclass(frozen=True)
class VerificationStep:
    state: VerificationState
    outcome: VerificationOutcome

    @property
    def attempts_left(self) -> int:
        return self.state.attempts_left


_FINISHED_OUTCOMES = {
    VerificationStage.VERIFIED: VerificationOutcome.ALREADY_VERIFIED,
    VerificationStage.LOCKED: VerificationOutcome.LOCKED,
    VerificationStage.WRONG_PARTY: VerificationOutcome.NOT_APPLICABLE,
}


def confirm_name(state: VerificationState, *, confirmed: bool) -> VerificationStep:
    """The person said whether they are the customer. A "no" makes them a wrong party for the call."""
    if state.stage in _FINISHED_OUTCOMES:
        return VerificationStep(state, _FINISHED_OUTCOMES[state.stage])
    if not confirmed:
        return VerificationStep(
            replace(state, stage=VerificationStage.WRONG_PARTY), VerificationOutcome.WRONG_PARTY
        )
    return VerificationStep(
        replace(state, stage=VerificationStage.AWAITING_FACTORS), VerificationOutcome.NAME_CONFIRMED
    )


def _digits(value: str | None) -> str:
    return "".join(ch for ch in value or "" if ch.isdigit())


def _same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.encode())


def check_factors(
    state: VerificationState,
    facts: IdentityFacts,
    *,
    account_last4: str | None,
    postal_code: str | None,
    count_incomplete: bool = False,
) -> VerificationStep:
    """Check the two factors. Both must match: the last 4 of any of the customer's accounts and the first
    five digits of the postal code on file. A mismatch uses a try; the third failed try locks. With
    `count_incomplete`, an answer that gives no complete pair also uses a try (a caller who keeps talking
    around the question cannot probe forever)."""
    if state.stage in _FINISHED_OUTCOMES:
        return VerificationStep(state, _FINISHED_OUTCOMES[state.stage])
    if state.stage is VerificationStage.AWAITING_NAME:
        return VerificationStep(state, VerificationOutcome.NAME_NOT_CONFIRMED)
    last4 = _digits(account_last4)
    postal = _digits(postal_code)[:5]
    if len(last4) != 4 or len(postal) != 5:
        return _fail(state) if count_incomplete else VerificationStep(state, VerificationOutcome.INCOMPLETE)
    # Evaluate every comparison so timing does not tell which factor failed.
    last4_ok = False
    for candidate in sorted(facts.account_last4s):
        last4_ok = _same(candidate, last4) or last4_ok
    postal_ok = _same(_digits(facts.postal_code)[:5], postal)
    if not (last4_ok and postal_ok):
        return _fail(state)
    return VerificationStep(replace(state, stage=VerificationStage.VERIFIED), VerificationOutcome.VERIFIED)


def _fail(state: VerificationState) -> VerificationStep:
    failed = state.failed_attempts + 1
    if failed >= MAX_FAILED_ATTEMPTS:
        return VerificationStep(
            VerificationState(stage=VerificationStage.LOCKED, failed_attempts=failed),
            VerificationOutcome.LOCKED,
        )
    return VerificationStep(replace(state, failed_attempts=failed), VerificationOutcome.MISMATCH)


def _name_parts(name: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return [part for part in re.split(r"[^a-z]+", folded) if part]


def names_match(expected: str, spoken: str) -> bool:
    """Whether `spoken` names the customer: the first and last names on file both said (in any order,
    middle names and titles ignored). Used when the caller is asked for their name on an inbound call."""
    wanted = _name_parts(expected)
    said = set(_name_parts(spoken))
    if not wanted:
        return False
    return wanted[0] in said and wanted[-1] in said
