"""The output guard approves figures, not phrases: every amount, share, count and date the agent is about to
say must be one the policy approved for the call's state, and the FDCPA conduct lexicon holds threats, false
urgency, false identity and abuse whatever the wording — but not the agent's reassurances.

Inputs are written the way a model or a speech pipeline produces them (lower case, numbers in words, fillers),
from the rules themselves (FDCPA 806/807, Regulation F 1006.18, PCI DSS), never from the agent's own lines."""

from __future__ import annotations

import timeit
from datetime import date
from decimal import Decimal

import pytest

from shared.models.payments import OfferKind
from shared.policy.disclosure import DisclosureKind
from shared.policy.guard import (
    GuardContext,
    GuardRule,
    offer_approvals,
    protected_terms_for,
    review_agent_text,
)
from shared.policy.negotiation import AccountTerms, payment_options
from shared.seed.catalog import DEFAULT_NEGOTIATION_RULES

# Balance $1,200, past due $300, minimum $35 (the account summary); offers made: a $720 settlement (60%),
# a plan of $120 down then 6 monthly payments of $180; dates Friday Dec 4, Friday Dec 18, Monday Jan 4.
PROTECTED = protected_terms_for(
    account_last4s=["4321"],
    amounts=[Decimal("1200.00"), Decimal("300.00")],
    names=["Demo Bank Card Services"],
)
UNVERIFIED = GuardContext(verified=False, protected_terms=PROTECTED, business_name="Demo Bank")
READY = GuardContext(
    verified=True,
    disclosed=frozenset(DisclosureKind),
    protected_terms=PROTECTED,
    approved_amounts=frozenset({Decimal("1200.00"), Decimal("300.00"), Decimal("35.00")}),
    offer_amounts=frozenset({Decimal("1200.00"), Decimal("720.00"), Decimal("120.00"), Decimal("180.00")}),
    approved_percentages=frozenset({Decimal("60"), Decimal("40")}),
    approved_counts=frozenset({6}),
    approved_dates=frozenset({date(2026, 12, 4), date(2026, 12, 18), date(2027, 1, 4)}),
    business_name="Demo Bank",
)


def _rules(text: str, context: GuardContext = READY) -> set[GuardRule]:
    return {violation.rule for violation in review_agent_text(text, context).violations}


# --- Figures ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "we can settle for three hundred dollars",
        "um we could settle this for 300",
        "if you pay three hundred dollars instead we can close it out",
        "a payment of two hundred fifty dollars would take care of it",
        "so like a lump sum of nine hundred bucks and you're done",
        "you could do a down payment of fifty dollars",
        "that would be one hundred dollars per month",
        "we'd accept eight hundred dollars",
        "a one-time payment of $500.00 would resolve it",
        "we could take care of it for just six hundred dollars",
        "i can offer you a settlement of $650",
        "we can settle for the thirty five dollars",
        "how about we settle at 3 hundred",
        "just give us five hundred and we'll call it even",
        "we can accept fifteen hundred",
        "we'd settle for like three hundred bucks",
    ],
)
def test_an_amount_said_as_an_offer_must_be_an_offer_figure(text: str) -> None:
    """An amount in offer wording that no offer made on the call contains is held, even an account fact."""
    assert GuardRule.UNAPPROVED_AMOUNT in _rules(text)


@pytest.mark.parametrize(
    "text",
    [
        "the thirteen thousand six hundred you borrowed",
        "your balance is $1,234.56",
        "you owe one thousand two hundred thirty four dollars and fifty six cents",
        "it's about a thousand bucks",
        "uh the total is twelve hundred and fifty dollars",
        "there's 2,500 left on the account",
        "the balance is four hundred and twelve",
        "you still owe 1500",
    ],
)
def test_an_amount_nobody_approved_is_held(text: str) -> None:
    """Amounts in digits or words, with or without a currency word in money talk, must have been approved."""
    assert GuardRule.UNAPPROVED_AMOUNT in _rules(text)


@pytest.mark.parametrize(
    "text",
    [
        "your balance is twelve hundred dollars",
        "three hundred dollars of that is past due",
        "the minimum payment is thirty five dollars",
        "we can settle for seven hundred twenty dollars",
        "a payment of $180.00 per month",
        "you could pay the full twelve hundred dollars",
        "that's one hundred twenty dollars down then one hundred eighty dollars a month",
        "the balance is $1,200.00, and $300.00 of it is past due.",
        "you could resolve the account with a one-time payment of $720.00 instead of the full $1,200.00",
    ],
)
def test_approved_amounts_pass_where_they_belong(text: str) -> None:
    """Account facts pass as balances; offer figures pass as offers."""
    assert review_agent_text(text, READY).allowed, review_agent_text(text, READY).violations


@pytest.mark.parametrize(
    "text",
    [
        "we can settle for half of what you owe",
        "just pay half and we'll call it even",
        "you could knock off fifty percent",
        "pay 50% of the balance and it's done",
        "two thirds of the balance would do it",
        "a quarter of what you owe up front",
        "how about thirty percent of the balance",
        "we can take a third off the balance",
    ],
)
def test_shares_of_the_debt_need_an_approved_percentage(text: str) -> None:
    """A percentage or a fraction of the debt is held unless an offer's settlement percentage is it."""
    assert GuardRule.UNAPPROVED_PERCENTAGE in _rules(text)


@pytest.mark.parametrize(
    "text",
    [
        "that's sixty percent of the balance",
        "you'd save forty percent",
        "the settlement is 60% of what you owe",
        "i'll call you back in half an hour",
        "we're about a quarter past the hour",
    ],
)
def test_approved_shares_and_non_money_fractions_pass(text: str) -> None:
    """The settlement percentage (and its discount) passes; "half an hour" is not a share of the debt."""
    assert review_agent_text(text, READY).allowed


def test_half_passes_only_when_fifty_percent_was_approved() -> None:
    """ "Half" is never approved unless 50% is."""
    half = GuardContext(**{**READY.__dict__, "approved_percentages": frozenset({Decimal("50")})})
    assert review_agent_text("we can settle for half of what you owe", half).allowed


@pytest.mark.parametrize(
    "text",
    [
        "you could spread it over twelve months",
        "three easy payments",
        "we can do it in 10 installments",
        "eighteen monthly payments would work",
        "um like twenty four monthly payments",
    ],
)
def test_counts_of_payments_must_be_an_offers_installment_count(text: str) -> None:
    """The number of payments, installments or months must be one an offer made."""
    assert GuardRule.UNAPPROVED_COUNT in _rules(text)


@pytest.mark.parametrize(
    "text",
    [
        "6 monthly payments of $180.00",
        "six monthly payments",
        "over six months",
        "one hundred eighty a month",
    ],
)
def test_approved_counts_pass(text: str) -> None:
    """The offer's installment count passes in digits or words."""
    assert review_agent_text(text, READY).allowed


@pytest.mark.parametrize(
    "text",
    [
        "how about the fifteenth",
        "december first works",
        "could you do next tuesday",
        "12/15 is fine",
        "january 10th then",
        "we can push it to the 20th",
        "the first of february",
        "by december twenty first",
    ],
)
def test_dates_nobody_approved_are_held(text: str) -> None:
    """Calendar dates, days of the month and weekdays must be approved dates."""
    assert GuardRule.UNAPPROVED_DATE in _rules(text)


@pytest.mark.parametrize(
    "text",
    [
        "friday december fourth",
        "Friday, December 4",
        "on the fourth",
        "monday january 4",
        "12/18",
        "by the eighteenth",
        "next friday",
    ],
)
def test_approved_dates_pass(text: str) -> None:
    """Approved dates pass however they are said."""
    assert review_agent_text(text, READY).allowed


# The call is on Thursday December 3, 2026: "tomorrow" is Friday December 4 (approved), "the end of the month"
# December 31 (not approved), "two weeks from today" December 17 (not approved).
ON_THE_DAY = GuardContext(**{**READY.__dict__, "today": date(2026, 12, 3)})


@pytest.mark.parametrize(
    "text",
    [
        "you'd need to pay the three hundred by the day after tomorrow",
        "the first payment would be due at the end of the month",
        "if you can pay two weeks from today we're all set",
        "we can settle if the payment comes in ten days from now",
        "your payment is due by the end of next month",
    ],
)
def test_relative_dates_nobody_approved_are_held(text: str) -> None:
    """A payment date said relative to the call's day is a date like any other: it must be approved."""
    assert GuardRule.UNAPPROVED_DATE in _rules(text, ON_THE_DAY)


@pytest.mark.parametrize(
    "text",
    [
        "the first payment of one hundred twenty dollars would be due tomorrow",
        "so you'd pay the seven hundred twenty tomorrow",
        "thanks for your time today",
        "we can talk again tomorrow if you like",  # not a payment date
        "i'll send the terms within the next thirty days",
    ],
)
def test_relative_dates_that_are_approved_or_not_payment_dates_pass(text: str) -> None:
    assert review_agent_text(text, ON_THE_DAY).allowed


def test_relative_dates_are_not_judged_without_the_calls_day() -> None:
    assert review_agent_text("the payment would be due at the end of the month", READY).allowed


# --- Before verification ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "the thirteen thousand six hundred you borrowed",
        "it's about the twelve hundred",
        "it's about your account ending in four three two one",
        "it's about half of what's left",
        "sixty percent would do it",
        "i'm calling about the 1,200",
        "is this about the one two zero zero",
        "it's regarding the loan",
        "um so you borrowed some money from us",
        "the 650 from last year",
    ],
)
def test_nothing_that_could_be_a_debt_figure_before_verification(text: str) -> None:
    """Any amount, number of 100 or more, digit string, share or debt wording is held before verification."""
    assert GuardRule.DISCLOSURE_BEFORE_VERIFICATION in _rules(text, UNVERIFIED)


@pytest.mark.parametrize(
    "text",
    [
        "please call us back at eight hundred five five five zero one zero zero",
        "you can reach us at +1 800 555 0100",
        "You can reach us at (800) 555-0100. Goodbye.",
        "call us at 800-555-0100",
        "what's your zip code",
        "is your zip code eight five zero zero four",
        "please tell me the last four digits of your account number and your ZIP code",
        "press 1 to continue",
        "i'll call back in half an hour",
        "we'll try you again in seven days",
        "may i speak with avery",
        "i'm an automated assistant calling on behalf of Demo Bank",
    ],
)
def test_safe_numbers_and_verification_lines_pass_before_verification(text: str) -> None:
    """Phone numbers, ZIP codes the agent asks about, keypad prompts and time spans are not debt figures."""
    assert review_agent_text(text, UNVERIFIED).allowed, review_agent_text(text, UNVERIFIED).violations


@pytest.mark.parametrize(
    "text",
    [
        "Thank you. Your payment of $120.00 with the card ending in 4242 was approved.",
        "Your confirmation code is A B 1 2 3 4.",
        "your confirmation code is seven F three A nine C",
        "I can schedule a call back within the next 30 days. Which day works for you?",
        "press 1 to hear the options again",
        "you'll get the letter in seven days",
        "you can reach a person at +1 800 555 0100",
        "you can reach a person at eight hundred five five five zero one zero zero",
        "I'm calling about your credit card account ending in 4321.",
    ],
)
def test_safe_numbers_pass_after_verification(text: str) -> None:
    """Card last four after a payment, confirmation codes, callback windows and phone numbers pass."""
    assert review_agent_text(text, READY).allowed, review_agent_text(text, READY).violations


# --- Conduct (FDCPA 806 / 807) ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("We could take this before a judge.", GuardRule.LEGAL_ACTION),
        ("um we might have to sue you", GuardRule.LEGAL_ACTION),
        ("our attorney will contact you", GuardRule.LEGAL_ACTION),
        ("this could end up in court", GuardRule.LEGAL_ACTION),
        ("we'll be forced to take legal action", GuardRule.LEGAL_ACTION),
        ("we can get a judgment against you", GuardRule.LEGAL_ACTION),
        ("i'm going to refer your account to our lawyers", GuardRule.LEGAL_ACTION),
        ("it goes to our legal department next", GuardRule.LEGAL_ACTION),
        ("they'll file a lawsuit", GuardRule.LEGAL_ACTION),
        ("you could be arrested", GuardRule.ARREST),
        ("not paying can land you in jail", GuardRule.ARREST),
        ("we'll send the police", GuardRule.ARREST),
        ("there's a warrant out", GuardRule.ARREST),
        ("this is a criminal matter now", GuardRule.ARREST),
        ("We will call your employer.", GuardRule.EMPLOYER_OR_FAMILY_CONTACT),
        ("we're gonna contact your boss", GuardRule.EMPLOYER_OR_FAMILY_CONTACT),
        ("i'll let your wife know", GuardRule.EMPLOYER_OR_FAMILY_CONTACT),
        ("we may reach out to your family", GuardRule.EMPLOYER_OR_FAMILY_CONTACT),
        ("someone will visit your workplace", GuardRule.EMPLOYER_OR_FAMILY_CONTACT),
        ("we'll talk to your neighbors", GuardRule.EMPLOYER_OR_FAMILY_CONTACT),
        ("we'll have to you know contact your boss about this", GuardRule.EMPLOYER_OR_FAMILY_CONTACT),
        ("we're gonna uh call your employer", GuardRule.EMPLOYER_OR_FAMILY_CONTACT),
        ("we'll contact family members", GuardRule.EMPLOYER_OR_FAMILY_CONTACT),
        ("look if you don't pay we'll have to call your employer", GuardRule.EMPLOYER_OR_FAMILY_CONTACT),
        ("we'll garnish your wages", GuardRule.WAGE_OR_PROPERTY),
        ("they'll repossess the car", GuardRule.WAGE_OR_PROPERTY),
        ("we can put a lien on your house", GuardRule.WAGE_OR_PROPERTY),
        ("we'll take your paycheck", GuardRule.WAGE_OR_PROPERTY),
        ("the bank can levy your account", GuardRule.WAGE_OR_PROPERTY),
        ("this will ruin your credit", GuardRule.CREDIT_THREAT),
        ("we'll destroy your credit", GuardRule.CREDIT_THREAT),
        ("your credit score is going to tank", GuardRule.CREDIT_THREAT),
        ("you'll never get a loan again", GuardRule.CREDIT_THREAT),
        ("This offer expires at 5 pm.", GuardRule.FALSE_URGENCY),
        ("the offer ends today", GuardRule.FALSE_URGENCY),
        ("today only", GuardRule.FALSE_URGENCY),
        ("this is your last chance", GuardRule.FALSE_URGENCY),
        ("you need to decide by end of day or we move forward", GuardRule.FALSE_URGENCY),
        ("the discount is only good until tonight", GuardRule.FALSE_URGENCY),
        ("you'd better hurry", GuardRule.FALSE_URGENCY),
        ("No, I'm a real person.", GuardRule.FALSE_IDENTITY),
        ("no i'm not a robot", GuardRule.FALSE_IDENTITY),
        ("i'm a human", GuardRule.FALSE_IDENTITY),
        ("this is a live agent", GuardRule.FALSE_IDENTITY),
        ("yes you're talking to a real person", GuardRule.FALSE_IDENTITY),
        ("i am not a recording", GuardRule.FALSE_IDENTITY),
        ("you're talking to a human", GuardRule.FALSE_IDENTITY),
        ("yeah i'm a real live person", GuardRule.FALSE_IDENTITY),
        ("i'm not an automated system", GuardRule.FALSE_IDENTITY),
        ("haha no i'm real", GuardRule.FALSE_IDENTITY),
        ("this is officer jenkins from the sheriff's office", GuardRule.FALSE_IDENTITY),
        ("i'm an attorney", GuardRule.FALSE_IDENTITY),
        ("we're calling from the court", GuardRule.FALSE_IDENTITY),
        ("you're a deadbeat", GuardRule.ABUSIVE),
        ("stop being a liar", GuardRule.ABUSIVE),
        ("that's pretty irresponsible", GuardRule.ABUSIVE),
        ("pay your damn bills", GuardRule.ABUSIVE),
        ("pay up or else", GuardRule.THREAT),
    ],
)
def test_the_conduct_lexicon_holds_each_category(text: str, rule: GuardRule) -> None:
    """Each FDCPA category fires on ASR-ish and model-ish phrasings, whatever the call's state."""
    assert rule in _rules(text)
    assert rule in _rules(text, UNVERIFIED)


@pytest.mark.parametrize(
    "text",
    [
        "we won't contact your employer",
        "we will not call your employer",
        "nobody is going to contact your family",
        "we never discuss this with your family",
        "you won't be arrested",
        "we're not going to sue you",
        "this won't go to court",
        "we will never garnish your wages",
        "there's no deadline and this offer doesn't expire today",
        "I'm an automated assistant.",
        "i'm an automated assistant, not a real person",
        "you can reach a person at eight hundred five five five zero one zero zero",
        "i can transfer you to a real person",
        "I've noted that you're represented by an attorney; we'll direct any contact to them.",
        "you can talk it over with your family first",
        "i'm not an attorney and i can't give legal advice",
        "no judgment here, i'm here to help",
        "This call may be recorded for quality and compliance purposes.",
        "Would you like to set that up today?",
        "take your time, there's no rush",
        "this won't hurt your credit",
        "we wont call your employer",
        "we won't be reaching out to your employer or your family",
        "you can call the office anytime",
        "Of course. I'll transfer you to a member of our team now. Please hold.",
    ],
)
def test_reassurances_and_legitimate_lines_pass(text: str) -> None:
    """A negation that makes the sentence a reassurance, and the agent's honest lines, do not fire."""
    assert review_agent_text(text, READY).allowed, review_agent_text(text, READY).violations


def test_a_claim_to_be_human_is_answered_with_the_truth() -> None:
    """The safe line for a claim to be human says the agent is automated and for whom it calls."""
    verdict = review_agent_text("No, I'm a real person.", READY)
    assert verdict.replacement == "I'm an automated assistant calling on behalf of Demo Bank."
    anonymous = GuardContext(verified=True, disclosed=frozenset(DisclosureKind))
    assert review_agent_text("no i'm not a robot", anonymous).replacement == "I'm an automated assistant."


@pytest.mark.parametrize(
    "text",
    [
        "the thirteen thousand six hundred you borrowed",
        "settle for half of what you owe",
        "we can settle for three hundred dollars",
        "We will call your employer.",
        "We could take this before a judge.",
        "This offer expires at 5 pm.",
        "No, I'm a real person.",
    ],
)
def test_every_line_that_got_through_before_is_held_now(text: str) -> None:
    """The lines issue 11 found spoken on calls are all held (verified or not)."""
    assert not review_agent_text(text, READY).allowed
    assert not review_agent_text(text, UNVERIFIED).allowed


# --- Approvals from offers ----------------------------------------------------------------------------------


def test_offer_approvals_come_from_the_engines_offers() -> None:
    """Offers approve their figures, the settlement percentage (and discount) and installment counts."""
    account = AccountTerms(balance=Decimal("1200.00"), days_past_due=200)
    options = payment_options(DEFAULT_NEGOTIATION_RULES, account, as_of=date(2026, 11, 25))
    approvals = offer_approvals(options.offers)
    for offer in options.offers:
        assert offer.amounts <= approvals.amounts
        assert offer.dates <= approvals.dates
        if offer.kind is OfferKind.PAYMENT_PLAN:
            assert offer.installments_count in approvals.counts
        if offer.kind is OfferKind.SETTLEMENT:
            share = (offer.total_amount / offer.balance * 100).quantize(Decimal(1))
            assert share in approvals.percentages and Decimal(100) - share in approvals.percentages
    assert offer_approvals([]).amounts == frozenset()


def test_the_guard_is_fast_enough_for_every_sentence() -> None:
    """A typical sentence is reviewed well inside the per-turn budget (patterns are compiled once)."""
    sentences = [
        "I'm calling about your credit card account ending in 4321. The balance is $1,200.00.",
        "You could set up a payment plan: $120.00 on Friday, December 4, then 6 monthly payments of $180.00.",
        "I understand. Would that work for you?",
        "You can reach us at (800) 555-0100. Goodbye.",
    ] * 25
    seconds = min(timeit.repeat(lambda: [review_agent_text(s, READY) for s in sentences], number=1, repeat=3))
    assert seconds / len(sentences) < 0.002  # generous: the machine is shared; measured ~0.1 ms


def test_a_name_with_digits_is_a_name_not_a_figure() -> None:
    """The customer's own name is said before verification even when it holds digits (a numbered test
    customer, "Avery Ashgrove 3rd"); the same digits elsewhere are still held."""
    from shared.policy.guard import GuardContext, review_agent_text

    context = GuardContext(verified=False, names=frozenset({"Avery Ashgrove 7e41"}))
    assert review_agent_text("May I please speak with Avery Ashgrove 7e41?", context).allowed
    assert not review_agent_text("You owe 7041 on the account.", context).allowed
