"""The output guard's rules and the fixed disclosure texts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from shared.policy.disclosure import (
    DisclosureKind,
    business_name_violations,
    limited_content_violations,
    mini_miranda,
    recording_notice,
    voicemail_message,
)
from shared.policy.guard import GuardContext, GuardRule, protected_terms_for, review_agent_text

PROTECTED = protected_terms_for(
    account_last4s=["4321"],
    amounts=[Decimal("1200.00"), Decimal("300.00")],
    names=["Demo Bank Card Services"],
)
UNVERIFIED = GuardContext(verified=False, protected_terms=PROTECTED)
VERIFIED_NO_NOTICE = GuardContext(verified=True, protected_terms=PROTECTED)
READY = GuardContext(
    verified=True,
    disclosed=frozenset({DisclosureKind.RECORDING_NOTICE, DisclosureKind.MINI_MIRANDA}),
    approved_amounts=frozenset({Decimal("1200.00")}),
    offer_amounts=frozenset({Decimal("1200.00"), Decimal("120.00"), Decimal("90.00")}),
    approved_dates=frozenset({date(2026, 12, 4)}),
    protected_terms=PROTECTED,
)


@pytest.mark.parametrize(
    "text",
    [
        "I'm calling about a debt you owe.",
        "Your balance is $1,200.00.",
        "It's about your account ending in 4321.",
        "This is about your credit card.",
        "You have twelve hundred dollars to take care of.",
        "It's regarding Demo Bank Card Services.",
        "The amount is 1,200.",
        "Can you pay today?",
    ],
)
def test_nothing_about_the_debt_before_verification(text: str) -> None:
    """Debt words, amounts, products and account facts are all held back before verification."""
    verdict = review_agent_text(text, UNVERIFIED)
    assert not verdict.allowed
    assert {v.rule for v in verdict.violations} == {GuardRule.DISCLOSURE_BEFORE_VERIFICATION}
    assert verdict.replacement is not None and "debt" not in verdict.replacement.lower()


@pytest.mark.parametrize(
    "text",
    [
        f"Hi, this is Alex calling from Demo Bank. {recording_notice()} May I speak with Avery Ashgrove?",
        "For your security, please tell me the last four digits of your account number and your ZIP code.",
        "I'm sorry, that doesn't match what I have. Let's try once more.",
    ],
)
def test_the_verification_dialogue_itself_passes(text: str) -> None:
    assert review_agent_text(text, UNVERIFIED).allowed


def test_account_details_wait_for_the_mini_miranda() -> None:
    """After verification, details are held until the mini-Miranda has been given."""
    verdict = review_agent_text("Your balance is $1,200.00.", VERIFIED_NO_NOTICE)
    assert {v.rule for v in verdict.violations} == {GuardRule.DETAIL_BEFORE_MINI_MIRANDA}
    assert review_agent_text("Thank you, Avery, you're verified.", VERIFIED_NO_NOTICE).allowed
    assert review_agent_text("Your balance is $1,200.00.", READY).allowed


def test_only_approved_amounts_and_dates() -> None:
    """Figures and calendar dates the engine did not approve are held, approved ones pass."""
    assert review_agent_text(
        "A down payment of $120.00 on Friday, December 4, then $90.00 a month.", READY
    ).allowed
    amount = review_agent_text("I can take $500.00 today.", READY)
    assert [v.rule for v in amount.violations] == [GuardRule.UNAPPROVED_AMOUNT]
    when = review_agent_text("Your first payment would be December 20.", READY)
    assert [v.rule for v in when.violations] == [GuardRule.UNAPPROVED_DATE]


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("If you don't pay we will take legal action.", GuardRule.LEGAL_ACTION),
        ("You could be arrested.", GuardRule.ARREST),
        ("We'll tell your employer.", GuardRule.EMPLOYER_OR_FAMILY_CONTACT),
        ("Pay up or else.", GuardRule.THREAT),
        ("This is your final notice, act now.", GuardRule.FALSE_URGENCY),
        ("Please read me your card number.", GuardRule.CARD_DATA),
        ("I have 4242 4242 4242 4242 on file.", GuardRule.CARD_DATA),
    ],
)
def test_threats_false_urgency_and_card_data_are_always_held(text: str, rule: GuardRule) -> None:
    verdict = review_agent_text(text, READY)
    assert rule in {v.rule for v in verdict.violations}


def test_asking_for_the_card_on_the_keypad_is_fine() -> None:
    assert review_agent_text(
        "Please enter your card number on your phone's keypad, then press pound.", READY
    ).allowed


def test_mini_miranda_texts() -> None:
    assert "attempt to collect a debt" in mini_miranda(initial_communication=True)
    assert mini_miranda(initial_communication=False) == "This call is from a debt collector."


def test_voicemail_is_a_limited_content_message() -> None:
    """The voicemail has the business, a name, the callback number and nothing about a debt."""
    message = voicemail_message(agent_name="Alex", business_name="Demo Bank", callback_number="+18005550100")
    assert (
        message
        == "Hello, this is Alex calling from Demo Bank. Please call us back at (800) 555-0100. Thank you."
    )
    kwargs = {"agent_name": "Alex", "business_name": "Demo Bank", "callback_number": "+18005550100"}
    assert limited_content_violations(message, **kwargs) == []
    problems = limited_content_violations(message + " It's about your overdue balance of $300.", **kwargs)
    assert "debt wording 'overdue'" in problems and "mentions money" in problems
    assert "no callback number" in limited_content_violations(
        "This is Alex from Demo Bank, call us.", **kwargs
    )
    assert business_name_violations("Acme Debt Collection") != []
