"""The negotiation engine: which offers the bank's policy allows for one account today, and what to answer a
customer's counter-offer. The language model (or the scripted brain) may phrase an offer; only this module
makes one. The tactic changes the order in which offers are presented, never the bounds.

The bounds (`NegotiationRules`, per organization):
- pay in full: the whole balance, first (only) payment within `max_days_to_first_payment`;
- settlement: one lump sum of at least the floor for the account's days past due (`settlement_floors`,
  the highest tier whose `min_days_past_due` the account has reached), only when `allow_settlement`;
- payment plan: the whole balance; a down payment of at least `min_down_payment_pct` of it; then at most
  `max_installments` monthly installments (the down payment is not counted), each at least
  `min_installment_amount`; the first payment within `max_days_to_first_payment`.
A customer who states hardship gets the `hardship` rules' installments, minimum and first-payment limit.

Money is rounded toward the bank's bounds (a floor amount up, an installment down with the remainder on the
last one), so rounding can never take an offer outside them. `offer_violations` is the single check every
stored arrangement and every audited offer passes through."""

from __future__ import annotations

import calendar
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from shared.models.configuration import NegotiationRules
from shared.models.payments import (
    CounterOffer,
    Decision,
    NegotiationResult,
    Offer,
    OfferKind,
    PaymentOptions,
    ScheduledPayment,
)

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)
DEFAULT_ORDER = (OfferKind.PAY_IN_FULL, OfferKind.SETTLEMENT, OfferKind.PAYMENT_PLAN)


@dataclass(frozen=True)
class AccountTerms:
    """The facts of one account the engine needs."""

    balance: Decimal
    days_past_due: int
    minimum_payment: Decimal | None = None


@dataclass(frozen=True)
class Bounds:
    """The effective limits for one account and situation (hardship or not)."""

    max_installments: int
    min_installment_amount: Decimal
    max_days_to_first_payment: int
    min_down_payment_pct: Decimal
    settlement_floor_pct: Decimal | None  # None: no settlement allowed


def ceil_cent(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_CEILING)


def floor_cent(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_FLOOR)


def settlement_floor_pct(rules: NegotiationRules, days_past_due: int) -> Decimal | None:
    """The settlement floor (percent of the balance) for `days_past_due`; None when settlements are off or
    the floor is the whole balance."""
    if not rules.allow_settlement:
        return None
    eligible = [floor for floor in rules.settlement_floors if floor.min_days_past_due <= days_past_due]
    if not eligible:
        return None
    pct = max(eligible, key=lambda floor: floor.min_days_past_due).floor_pct
    return pct if pct < HUNDRED else None


def bounds_for(rules: NegotiationRules, account: AccountTerms, *, hardship: bool) -> Bounds:
    """The limits that apply. Hardship rules replace the plan limits when the policy has them."""
    plan_rules = rules.hardship if hardship and rules.hardship is not None else rules
    return Bounds(
        max_installments=plan_rules.max_installments,
        min_installment_amount=plan_rules.min_installment_amount,
        max_days_to_first_payment=plan_rules.max_days_to_first_payment,
        min_down_payment_pct=rules.min_down_payment_pct,
        settlement_floor_pct=settlement_floor_pct(rules, account.days_past_due),
    )


def min_down_payment(bounds: Bounds, total: Decimal) -> Decimal:
    return ceil_cent(total * bounds.min_down_payment_pct / HUNDRED)


def settlement_floor_amount(bounds: Bounds, balance: Decimal) -> Decimal | None:
    """The lowest lump sum that settles `balance`; None when no settlement below the balance is allowed."""
    if bounds.settlement_floor_pct is None:
        return None
    floor = ceil_cent(balance * bounds.settlement_floor_pct / HUNDRED)
    return floor if ZERO < floor < balance else None


def add_months(start: date, months: int) -> date:
    """The same day `months` later, clipped to the end of a shorter month."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def _lump_sum(
    kind: OfferKind, balance: Decimal, amount: Decimal, *, due: date, as_of: date, hardship: bool
) -> Offer:
    return Offer(
        kind=kind,
        balance=balance,
        total_amount=amount,
        installment_amount=amount,
        installments_count=1,
        frequency="once",
        first_payment_date=due,
        schedule=(ScheduledPayment(due_date=due, amount=amount),),
        hardship=hardship,
        as_of=as_of,
    )


def _plan(balance: Decimal, down: Decimal, count: int, *, first: date, as_of: date, hardship: bool) -> Offer:
    remaining = balance - down
    installment = floor_cent(remaining / count)
    last = remaining - installment * (count - 1)  # the remainder cents go on the last installment
    schedule: list[ScheduledPayment] = []
    if down > ZERO:
        schedule.append(ScheduledPayment(due_date=first, amount=down))
    offset = 1 if down > ZERO else 0
    for index in range(count):
        amount = last if index == count - 1 else installment
        schedule.append(ScheduledPayment(due_date=add_months(first, index + offset), amount=amount))
    return Offer(
        kind=OfferKind.PAYMENT_PLAN,
        balance=balance,
        total_amount=balance,
        down_payment_amount=down,
        installment_amount=installment,
        installments_count=count,
        frequency="monthly",
        first_payment_date=first,
        schedule=tuple(schedule),
        hardship=hardship,
        as_of=as_of,
    )


def _fit_count(bounds: Bounds, remaining: Decimal, wanted: int) -> int | None:
    """The installment count nearest `wanted` (never above the maximum) whose installments all reach the
    minimum; None when even one installment would be below it."""
    minimum = max(bounds.min_installment_amount, CENT)  # a zero minimum still means a real payment
    count = max(1, min(wanted, bounds.max_installments))
    while count > 1 and floor_cent(remaining / count) < minimum:
        count -= 1
    return count if floor_cent(remaining / count) >= minimum else None


def _default_plan(
    bounds: Bounds, account: AccountTerms, *, first: date, as_of: date, hardship: bool
) -> Offer | None:
    balance = account.balance
    down = min_down_payment(bounds, balance)
    remaining = balance - down
    if remaining <= ZERO:
        return None
    if hardship:
        wanted = bounds.max_installments  # the gentlest plan: the most, smallest installments
    else:
        target = max(bounds.min_installment_amount, account.minimum_payment or ZERO, CENT)
        wanted = math.ceil(remaining / target)
    count = _fit_count(bounds, remaining, wanted)
    return None if count is None else _plan(balance, down, count, first=first, as_of=as_of, hardship=hardship)


def _order(order: Sequence[str] | None, hardship: bool) -> list[OfferKind]:
    kinds: list[OfferKind] = []
    for name in order or [kind.value for kind in DEFAULT_ORDER]:
        try:
            kind = OfferKind(name)
        except ValueError:
            continue
        if kind not in kinds:
            kinds.append(kind)
    kinds += [kind for kind in DEFAULT_ORDER if kind not in kinds]
    if hardship:  # a customer in hardship hears the plan first, whatever the tactic
        kinds.remove(OfferKind.PAYMENT_PLAN)
        kinds.insert(0, OfferKind.PAYMENT_PLAN)
    return kinds


def payment_options(
    rules: NegotiationRules,
    account: AccountTerms,
    *,
    as_of: date,
    hardship: bool = False,
    order: Sequence[str] | None = None,
) -> PaymentOptions:
    """The offers allowed for `account` today, in the tactic's `order`. A settlement opens halfway between
    the floor and the balance (the floor itself is the limit to negotiate down to)."""
    hardship = hardship and rules.hardship is not None
    bounds = bounds_for(rules, account, hardship=hardship)
    latest = as_of + timedelta(days=bounds.max_days_to_first_payment)
    balance = account.balance
    floor = settlement_floor_amount(bounds, balance)
    offers: dict[OfferKind, Offer] = {}
    if balance > ZERO:
        offers[OfferKind.PAY_IN_FULL] = _lump_sum(
            OfferKind.PAY_IN_FULL, balance, balance, due=as_of, as_of=as_of, hardship=hardship
        )
        if floor is not None and bounds.settlement_floor_pct is not None:
            opening_pct = bounds.settlement_floor_pct + (HUNDRED - bounds.settlement_floor_pct) / 2
            opening = max(floor, ceil_cent(balance * opening_pct / HUNDRED))
            if opening < balance:
                offers[OfferKind.SETTLEMENT] = _lump_sum(
                    OfferKind.SETTLEMENT, balance, opening, due=as_of, as_of=as_of, hardship=hardship
                )
        plan = _default_plan(
            bounds, account, first=latest if hardship else as_of, as_of=as_of, hardship=hardship
        )
        if plan is not None:
            offers[OfferKind.PAYMENT_PLAN] = plan
    ordered = tuple(offers[kind] for kind in _order(order, hardship) if kind in offers)
    return PaymentOptions(
        as_of=as_of,
        balance=balance,
        hardship=hardship,
        offers=ordered,
        latest_first_payment_date=latest,
        settlement_floor_amount=floor,
    )


def offer_violations(rules: NegotiationRules, account: AccountTerms, offer: Offer) -> list[str]:
    """Why `offer` is outside the policy for `account` (empty when it is inside). Dates are checked
    against the offer's own `as_of`."""
    problems: list[str] = []
    if offer.hardship and rules.hardship is None:
        problems.append("hardship terms offered but the policy has no hardship rules")
    if offer.balance != account.balance:
        problems.append(f"offer is for a balance of {offer.balance}, the account owes {account.balance}")
    if not offer.schedule:
        return [*problems, "offer has no payments"]
    bounds = bounds_for(rules, account, hardship=offer.hardship)
    problems += _schedule_problems(offer, bounds)
    if offer.kind is OfferKind.PAY_IN_FULL:
        if offer.total_amount != account.balance or len(offer.schedule) != 1:
            problems.append("pay in full is one payment of the whole balance")
    elif offer.kind is OfferKind.SETTLEMENT:
        problems += _settlement_problems(offer, bounds, account)
    else:
        problems += _plan_problems(offer, bounds, account)
    return problems


def _schedule_problems(offer: Offer, bounds: Bounds) -> list[str]:
    schedule = offer.schedule
    latest = offer.as_of + timedelta(days=bounds.max_days_to_first_payment)
    checks = (
        (any(item.amount <= ZERO for item in schedule), "every payment must be more than zero"),
        (any(item.amount != item.amount.quantize(CENT) for item in schedule), "payments must be whole cents"),
        (
            sum((i.amount for i in schedule), ZERO) != offer.total_amount,
            "payments do not add up to the total",
        ),
        (any(b.due_date < a.due_date for a, b in itertools.pairwise(schedule)), "payment dates go backwards"),
        (schedule[0].due_date != offer.first_payment_date, "first payment date does not match the schedule"),
        (offer.first_payment_date < offer.as_of, "first payment is in the past"),
        (offer.first_payment_date > latest, f"first payment must be on or before {latest.isoformat()}"),
    )
    return [message for failed, message in checks if failed]


def _settlement_problems(offer: Offer, bounds: Bounds, account: AccountTerms) -> list[str]:
    problems: list[str] = []
    floor_pct = bounds.settlement_floor_pct
    if floor_pct is None:
        problems.append("no settlement is allowed for this account")
    elif offer.total_amount * HUNDRED < account.balance * floor_pct:
        problems.append(f"settlement below the floor of {floor_pct}% of the balance")
    if offer.total_amount >= account.balance:
        problems.append("a settlement is less than the balance")
    if len(offer.schedule) != 1:
        problems.append("a settlement is one lump sum")
    return problems


def _plan_problems(offer: Offer, bounds: Bounds, account: AccountTerms) -> list[str]:
    down = offer.down_payment_amount
    installments = offer.schedule[1:] if down > ZERO else offer.schedule
    checks = (
        (offer.total_amount != account.balance, "a payment plan covers the whole balance"),
        (down > ZERO and offer.schedule[0].amount != down, "the down payment is not the first payment"),
        (
            down * HUNDRED < offer.total_amount * bounds.min_down_payment_pct,
            f"down payment below {bounds.min_down_payment_pct}% of the balance",
        ),
        (
            len(installments) != offer.installments_count or not installments,
            "installment count does not match the schedule",
        ),
        (len(installments) > bounds.max_installments, f"more than {bounds.max_installments} installments"),
        (
            any(item.amount < bounds.min_installment_amount for item in installments),
            f"an installment below {bounds.min_installment_amount}",
        ),
    )
    return [message for failed, message in checks if failed]


def evaluate_counter_offer(
    rules: NegotiationRules,
    account: AccountTerms,
    proposal: CounterOffer,
    *,
    as_of: date,
    hardship: bool = False,
) -> NegotiationResult:
    """Answer what the customer proposed: ACCEPT it as an offer when it is inside the policy, else COUNTER
    with the nearest allowed offer (and why), or REJECT when nothing allowed is near. Whatever comes back
    has passed `offer_violations`."""
    hardship = hardship and rules.hardship is not None
    bounds = bounds_for(rules, account, hardship=hardship)
    balance = account.balance
    if balance <= ZERO:
        return NegotiationResult(decision=Decision.REJECT, offer=None, reasons=("nothing is owed",))
    latest = as_of + timedelta(days=bounds.max_days_to_first_payment)
    reasons: list[str] = []
    first = max(proposal.first_payment_date or as_of, as_of)
    if first > latest:
        first = latest
        reasons.append(f"the first payment must be on or before {latest.isoformat()}")

    offer: Offer | None
    accepted = False
    wants_plan = proposal.kind is OfferKind.PAYMENT_PLAN or (
        proposal.lump_sum_amount is None
        and (proposal.installment_amount is not None or proposal.installments_count is not None)
    )
    if wants_plan:
        offer, accepted = _answer_plan(
            bounds, account, proposal, first=first, as_of=as_of, hardship=hardship, reasons=reasons
        )
    elif proposal.lump_sum_amount is not None:
        offer, accepted = _answer_lump_sum(
            bounds, account, proposal.lump_sum_amount, first=first, as_of=as_of, hardship=hardship
        )
        if not accepted:
            floor = settlement_floor_amount(bounds, balance)
            reasons.append(
                f"the lowest lump sum allowed is {floor}"
                if floor is not None
                else "only the full balance, or a payment plan, is allowed"
            )
    elif proposal.kind is OfferKind.SETTLEMENT:
        options = payment_options(rules, account, as_of=as_of, hardship=hardship)
        offer = next((o for o in options.offers if o.kind is OfferKind.SETTLEMENT), None)
        if offer is None:
            offer = _default_plan(bounds, account, first=first, as_of=as_of, hardship=hardship)
            reasons.append("no settlement is allowed for this account")
        else:
            offer = _lump_sum(
                OfferKind.SETTLEMENT, balance, offer.total_amount, due=first, as_of=as_of, hardship=hardship
            )
    else:
        offer = _lump_sum(OfferKind.PAY_IN_FULL, balance, balance, due=first, as_of=as_of, hardship=hardship)
        accepted = True
    if offer is None:
        return NegotiationResult(decision=Decision.REJECT, offer=None, reasons=tuple(reasons))
    problems = offer_violations(rules, account, offer)
    if problems:  # never hand out an offer outside the policy, whatever went wrong above
        return NegotiationResult(decision=Decision.REJECT, offer=None, reasons=tuple(problems))
    decision = Decision.ACCEPT if accepted and not reasons else Decision.COUNTER
    return NegotiationResult(decision=decision, offer=offer, reasons=tuple(reasons))


def _answer_lump_sum(
    bounds: Bounds, account: AccountTerms, amount: Decimal, *, first: date, as_of: date, hardship: bool
) -> tuple[Offer | None, bool]:
    balance = account.balance
    amount = floor_cent(amount)

    def lump(kind: OfferKind, total: Decimal) -> Offer:
        return _lump_sum(kind, balance, total, due=first, as_of=as_of, hardship=hardship)

    if amount >= balance:
        return lump(OfferKind.PAY_IN_FULL, balance), True
    floor = settlement_floor_amount(bounds, balance)
    if floor is not None and amount >= floor:
        return lump(OfferKind.SETTLEMENT, amount), True
    if floor is not None:
        return lump(OfferKind.SETTLEMENT, floor), False
    return _default_plan(bounds, account, first=first, as_of=as_of, hardship=hardship), False


def _answer_plan(
    bounds: Bounds,
    account: AccountTerms,
    proposal: CounterOffer,
    *,
    first: date,
    as_of: date,
    hardship: bool,
    reasons: list[str],
) -> tuple[Offer | None, bool]:
    balance = account.balance
    required_down = min_down_payment(bounds, balance)
    down = required_down
    if proposal.down_payment_amount is not None:
        asked = floor_cent(max(proposal.down_payment_amount, ZERO))
        if asked < required_down:
            reasons.append(f"the down payment must be at least {required_down}")
        down = max(asked, required_down)
    if down >= balance:
        return _lump_sum(
            OfferKind.PAY_IN_FULL, balance, balance, due=first, as_of=as_of, hardship=hardship
        ), True
    remaining = balance - down
    if proposal.installments_count is not None:
        wanted = max(1, proposal.installments_count)
        if wanted > bounds.max_installments:
            reasons.append(f"at most {bounds.max_installments} monthly installments")
    elif proposal.installment_amount is not None:
        per_month = floor_cent(max(proposal.installment_amount, ZERO))
        if per_month < bounds.min_installment_amount:
            reasons.append(f"each installment must be at least {bounds.min_installment_amount}")
            per_month = bounds.min_installment_amount
        wanted = math.ceil(remaining / max(per_month, CENT))
        if wanted > bounds.max_installments:
            reasons.append(f"at most {bounds.max_installments} monthly installments")
    else:
        return _default_plan(bounds, account, first=first, as_of=as_of, hardship=hardship), False
    count = _fit_count(bounds, remaining, wanted)
    if count is None:
        reasons.append(f"each installment must be at least {bounds.min_installment_amount}")
        return (
            _lump_sum(OfferKind.PAY_IN_FULL, balance, balance, due=first, as_of=as_of, hardship=hardship),
            False,
        )
    if count != min(wanted, bounds.max_installments):
        reasons.append(f"each installment must be at least {bounds.min_installment_amount}")
    return _plan(balance, down, count, first=first, as_of=as_of, hardship=hardship), True
