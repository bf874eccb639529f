"""How the agent words things: offers and their read-back, shaped by the call's tactic archetype. Wording
only — every figure and date comes from the negotiation engine's offers, so the guard approves them."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from shared.models.configuration import TacticPublic
from shared.models.payments import Offer, OfferKind, PaymentOptions
from shared.policy.spoken import spoken_amount, spoken_date


@dataclass(frozen=True)
class Voice:
    archetype: str = "neutral"
    empathy: int = 3
    persistence: int = 3

    @classmethod
    def for_tactic(cls, tactic: TacticPublic | None) -> Voice:
        if tactic is None:
            return cls()
        return cls(
            archetype=tactic.name,
            empathy=tactic.config.empathy_index,
            persistence=tactic.config.persistence_level,
        )

    @property
    def empathetic(self) -> bool:
        return self.empathy >= 4

    @property
    def retries_after_no(self) -> int:
        """How many other options are offered after a "no" before the agent lets it rest."""
        return 2 if self.persistence >= 4 else 1

    def understanding(self) -> str:
        return (
            "I completely understand, and thank you for telling me." if self.empathetic else "I understand."
        )

    def opening_offer(self, options: PaymentOptions, offer: Offer) -> str:
        """The first offer, framed by the archetype."""
        line = describe(offer, options)
        if self.archetype == "anchor_and_frame" or offer.kind is OfferKind.PAY_IN_FULL:
            lead = ""
        elif self.archetype == "credible_norm_setter" and offer.kind is OfferKind.PAYMENT_PLAN:
            lead = "Many customers find a monthly plan the easiest way to take care of this. "
        elif self.empathetic:
            lead = "I'd like to find something that works for you. "
        else:
            lead = ""
        return f"{lead}{line} {self.ask()}"

    def next_offer(self, options: PaymentOptions, offer: Offer) -> str:
        lead = (
            "Another option: "
            if not self.empathetic
            else "That's okay. Another option that might be easier: "
        )
        return f"{lead}{describe(offer, options)} {self.ask()}"

    def ask(self) -> str:
        if self.archetype == "commitment_coach":
            return "Would you like to set that up today?"
        return "Would that work for you?"


def _payments(count: int) -> str:
    return "one monthly payment" if count == 1 else f"{count} monthly payments"


def describe(offer: Offer, options: PaymentOptions | None = None) -> str:
    """One spoken sentence for an offer, with only the offer's own figures and dates."""
    first = offer.schedule[0]
    if offer.kind is OfferKind.PAY_IN_FULL:
        line = f"You could pay the full balance of {spoken_amount(offer.total_amount)} on {spoken_date(first.due_date)}"
        if options is not None and options.latest_first_payment_date > first.due_date:
            line += f", or on any day up to {spoken_date(options.latest_first_payment_date)}"
        return line + "."
    if offer.kind is OfferKind.SETTLEMENT:
        return (
            f"You could resolve the account with a one-time payment of {spoken_amount(offer.total_amount)}"
            f" instead of the full {spoken_amount(offer.balance)}, paid on {spoken_date(first.due_date)}."
        )
    return f"You could set up a payment plan: {plan_terms(offer)}."


def plan_terms(offer: Offer) -> str:
    installments = offer.schedule[1:] if offer.down_payment_amount > 0 else offer.schedule
    parts = []
    if offer.down_payment_amount > 0:
        parts.append(
            f"{spoken_amount(offer.down_payment_amount)} on {spoken_date(offer.schedule[0].due_date)}"
        )
    regular, last = installments[0].amount, installments[-1].amount
    count = len(installments)
    if last != regular and count > 1:
        installments_text = (
            f"{_payments(count - 1)} of {spoken_amount(regular)} and a final payment of {spoken_amount(last)}"
        )
    else:
        installments_text = f"{_payments(count)} of {spoken_amount(regular)}"
    starting = f"starting {spoken_date(installments[0].due_date)}"
    if parts:
        return f"{parts[0]}, then {installments_text} {starting}"
    return f"{installments_text} {starting}"


def terms(offer: Offer) -> str:
    """The exact terms read back before the customer says yes."""
    if offer.kind is OfferKind.PAYMENT_PLAN:
        return f"a payment plan of {plan_terms(offer)}, for a total of {spoken_amount(offer.total_amount)}"
    what = "the full balance" if offer.kind is OfferKind.PAY_IN_FULL else "a one-time settlement payment"
    return f"{what} of {spoken_amount(offer.total_amount)} on {spoken_date(offer.first_payment_date)}"


def first_payment(offer: Offer) -> Decimal:
    return offer.schedule[0].amount
