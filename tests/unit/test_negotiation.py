"""The negotiation engine: the offers it makes and accepts always stay inside the organization's policy."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.models.configuration import HardshipRules, NegotiationRules, SettlementFloor
from shared.models.payments import CounterOffer, Decision, Offer, OfferKind
from shared.policy.negotiation import (
    AccountTerms,
    evaluate_counter_offer,
    offer_violations,
    payment_options,
)
from shared.seed.catalog import DEFAULT_NEGOTIATION_RULES

TODAY = date(2026, 11, 25)
ACCOUNT = AccountTerms(balance=Decimal("1200.00"), days_past_due=200, minimum_payment=Decimal("36.00"))


def test_options_follow_the_tactic_order_and_the_floor_for_days_past_due() -> None:
    """Offers come in the tactic's order; the settlement opens above the 70% floor that 200 days allow."""
    options = payment_options(
        DEFAULT_NEGOTIATION_RULES, ACCOUNT, as_of=TODAY, order=["payment_plan", "pay_in_full", "settlement"]
    )
    assert [offer.kind for offer in options.offers] == [
        OfferKind.PAYMENT_PLAN,
        OfferKind.PAY_IN_FULL,
        OfferKind.SETTLEMENT,
    ]
    assert options.settlement_floor_amount == Decimal("840.00")
    settlement = options.offers[2]
    assert Decimal("840.00") < settlement.total_amount < Decimal("1200.00")
    plan = options.offers[0]
    assert plan.down_payment_amount == Decimal("120.00")
    assert plan.installments_count <= 12 and plan.installment_amount >= Decimal("25.00")
    assert sum(item.amount for item in plan.schedule) == Decimal("1200.00")
    assert options.latest_first_payment_date == TODAY + timedelta(days=30)


def test_no_settlement_while_the_floor_is_the_whole_balance() -> None:
    """Below 90 days past due the default floor is 100%: no settlement is offered or accepted."""
    young = AccountTerms(balance=Decimal("500.00"), days_past_due=20)
    options = payment_options(DEFAULT_NEGOTIATION_RULES, young, as_of=TODAY)
    assert OfferKind.SETTLEMENT not in {offer.kind for offer in options.offers}
    result = evaluate_counter_offer(
        DEFAULT_NEGOTIATION_RULES, young, CounterOffer(lump_sum_amount=Decimal("300")), as_of=TODAY
    )
    assert result.decision is Decision.COUNTER
    assert result.offer is not None and result.offer.kind is not OfferKind.SETTLEMENT


def test_hardship_uses_the_gentler_bounds_and_leads_with_the_plan() -> None:
    """A customer in hardship hears a plan first, with more, smaller installments and a later start."""
    options = payment_options(DEFAULT_NEGOTIATION_RULES, ACCOUNT, as_of=TODAY, hardship=True)
    plan = options.offers[0]
    assert plan.kind is OfferKind.PAYMENT_PLAN and plan.hardship
    assert plan.installments_count == 24 and plan.installment_amount >= Decimal("10.00")
    assert plan.first_payment_date == TODAY + timedelta(days=45)
    assert offer_violations(DEFAULT_NEGOTIATION_RULES, ACCOUNT, plan) == []
    # Without hardship, the same plan breaks the ordinary limits.
    ordinary = plan.model_copy(update={"hardship": False})
    assert offer_violations(DEFAULT_NEGOTIATION_RULES, ACCOUNT, ordinary)


@pytest.mark.parametrize(
    ("proposal", "decision", "kind", "total"),
    [
        (CounterOffer(lump_sum_amount=Decimal("900")), Decision.ACCEPT, OfferKind.SETTLEMENT, "900.00"),
        (CounterOffer(lump_sum_amount=Decimal("500")), Decision.COUNTER, OfferKind.SETTLEMENT, "840.00"),
        (CounterOffer(lump_sum_amount=Decimal("5000")), Decision.ACCEPT, OfferKind.PAY_IN_FULL, "1200.00"),
        (CounterOffer(installment_amount=Decimal("150")), Decision.ACCEPT, OfferKind.PAYMENT_PLAN, "1200.00"),
        (CounterOffer(installment_amount=Decimal("20")), Decision.COUNTER, OfferKind.PAYMENT_PLAN, "1200.00"),
        (CounterOffer(installments_count=40), Decision.COUNTER, OfferKind.PAYMENT_PLAN, "1200.00"),
        (
            CounterOffer(first_payment_date=TODAY + timedelta(days=90)),
            Decision.COUNTER,
            OfferKind.PAY_IN_FULL,
            "1200.00",
        ),
    ],
)
def test_counter_offers_are_accepted_inside_policy_and_countered_outside(
    proposal: CounterOffer, decision: Decision, kind: OfferKind, total: str
) -> None:
    """Inside the bounds the customer's own proposal is accepted; outside it the nearest allowed offer."""
    result = evaluate_counter_offer(DEFAULT_NEGOTIATION_RULES, ACCOUNT, proposal, as_of=TODAY)
    assert result.decision is decision
    assert result.offer is not None and result.offer.kind is kind
    assert result.offer.total_amount == Decimal(total)
    assert (decision is Decision.ACCEPT) == (not result.reasons)


def test_offer_violations_name_each_broken_bound() -> None:
    """A hand-made offer below the floor and too late is refused with both reasons."""
    bad = Offer(
        kind=OfferKind.SETTLEMENT,
        balance=ACCOUNT.balance,
        total_amount=Decimal("100.00"),
        installment_amount=Decimal("100.00"),
        first_payment_date=TODAY + timedelta(days=60),
        schedule=({"due_date": TODAY + timedelta(days=60), "amount": Decimal("100.00")},),  # type: ignore[arg-type]
        as_of=TODAY,
    )
    problems = offer_violations(DEFAULT_NEGOTIATION_RULES, ACCOUNT, bad)
    assert any("floor" in problem for problem in problems)
    assert any("on or before" in problem for problem in problems)


# --- The property: whatever the policy, account and counter-offer, every offer is inside the bounds -------

money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("50000"), places=2)
percent = st.decimals(min_value=Decimal("1"), max_value=Decimal("100"), places=2)


@st.composite
def policies(draw: st.DrawFn) -> NegotiationRules:
    tiers = draw(st.lists(st.integers(1, 1500), unique=True, max_size=4))
    floors = [SettlementFloor(min_days_past_due=0, floor_pct=draw(percent))]
    floors += [SettlementFloor(min_days_past_due=days, floor_pct=draw(percent)) for days in tiers]
    hardship = draw(
        st.none()
        | st.builds(
            HardshipRules,
            max_installments=st.integers(1, 120),
            min_installment_amount=st.decimals(min_value=Decimal("0"), max_value=Decimal("500"), places=2),
            max_days_to_first_payment=st.integers(0, 120),
        )
    )
    return NegotiationRules(
        settlement_floors=floors,
        allow_settlement=draw(st.booleans()),
        min_down_payment_pct=draw(st.decimals(min_value=Decimal("0"), max_value=Decimal("100"), places=2)),
        max_installments=draw(st.integers(1, 120)),
        min_installment_amount=draw(st.decimals(min_value=Decimal("0"), max_value=Decimal("500"), places=2)),
        max_days_to_first_payment=draw(st.integers(0, 120)),
        hardship=hardship,
    )


accounts = st.builds(
    AccountTerms,
    balance=money,
    days_past_due=st.integers(0, 2000),
    minimum_payment=st.none() | money,
)
counter_offers = st.builds(
    CounterOffer,
    kind=st.none() | st.sampled_from(OfferKind),
    lump_sum_amount=st.none() | st.decimals(min_value=Decimal("-100"), max_value=Decimal("80000"), places=2),
    installment_amount=st.none() | st.decimals(min_value=Decimal("-10"), max_value=Decimal("9000"), places=2),
    installments_count=st.none() | st.integers(-5, 500),
    down_payment_amount=st.none()
    | st.decimals(min_value=Decimal("-10"), max_value=Decimal("80000"), places=2),
    first_payment_date=st.none()
    | st.dates(min_value=TODAY - timedelta(days=30), max_value=TODAY + timedelta(days=400)),
)


def assert_inside_bounds(rules: NegotiationRules, account: AccountTerms, offer: Offer) -> None:
    """The bounds, restated independently of the engine's own check."""
    use_hardship = offer.hardship
    assert not use_hardship or rules.hardship is not None
    plan_rules = rules.hardship if use_hardship and rules.hardship else rules
    amounts = [item.amount for item in offer.schedule]
    assert amounts and all(amount > 0 for amount in amounts)
    assert sum(amounts) == offer.total_amount
    assert offer.schedule[0].due_date == offer.first_payment_date
    assert TODAY <= offer.first_payment_date <= TODAY + timedelta(days=plan_rules.max_days_to_first_payment)
    if offer.kind is OfferKind.PAY_IN_FULL:
        assert offer.total_amount == account.balance and len(amounts) == 1
    elif offer.kind is OfferKind.SETTLEMENT:
        eligible = [f for f in rules.settlement_floors if f.min_days_past_due <= account.days_past_due]
        floor_pct = max(eligible, key=lambda f: f.min_days_past_due).floor_pct
        assert rules.allow_settlement
        assert offer.total_amount * 100 >= account.balance * floor_pct
        assert offer.total_amount < account.balance and len(amounts) == 1
    else:
        assert offer.total_amount == account.balance
        down = offer.down_payment_amount
        assert down * 100 >= account.balance * rules.min_down_payment_pct
        installments = amounts[1:] if down > 0 else amounts
        assert 1 <= len(installments) <= plan_rules.max_installments
        assert all(amount >= plan_rules.min_installment_amount for amount in installments)
    assert offer_violations(rules, account, offer) == []


@settings(max_examples=400, deadline=None)
@given(rules=policies(), account=accounts, proposal=counter_offers, hardship=st.booleans())
def test_every_offer_made_or_accepted_is_inside_the_policy(
    rules: NegotiationRules, account: AccountTerms, proposal: CounterOffer, hardship: bool
) -> None:
    """For any policy, account and customer counter-offer, every offer listed, accepted or countered is
    inside the bounds (down payment, installments, minimum installment, first date, settlement floor)."""
    options = payment_options(rules, account, as_of=TODAY, hardship=hardship)
    for offer in options.offers:
        assert_inside_bounds(rules, account, offer)
    result = evaluate_counter_offer(rules, account, proposal, as_of=TODAY, hardship=hardship)
    if result.offer is not None:
        assert_inside_bounds(rules, account, result.offer)
    else:
        assert result.decision is Decision.REJECT
