"""What a caller's own words establish, read by code: who they say they are, the factors they said, their
answer to terms read back, and whether a read-back reached them. Inputs are written as speech recognition
delivers them: lower case, no punctuation, numbers as words, fillers and false starts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from shared.policy.heard import (
    Answer,
    IdentityClaim,
    Terms,
    heard_factors,
    heard_in_full,
    read_consent,
    read_identity_claim,
)

NAME = "Ari Lanternmoor"
TODAY = date(2026, 12, 2)  # a Wednesday
PLAN = Terms(
    amounts=frozenset({Decimal("200.00"), Decimal("1200.00")}),
    dates=frozenset({date(2026, 12, 15), date(2027, 1, 15)}),
    installments=6,
)


@pytest.mark.parametrize(
    "said",
    [
        "yes",
        "yeah",
        "yep that's me",
        "speaking",
        "this is she",
        "this is he",
        "yes this is ari",
        "this is ari lanternmoor",
        "ari lanternmoor",
        "um yeah this is ari",
        "uh huh",
        "mhm yeah",
        "you got him",
        "you've got her",
        "that's me what's this about",
        "yes it is",
        "it's me",
        "lanternmoor speaking",
        "yeah yeah go ahead",
        "well yes",
        "no this is ari",
        "ari here",
        "oh sorry i thought this was a wrong number yeah this is ari",
        "i thought it was a wrong number at first but yeah it's me",
        "hi i'm calling about my account ari lanternmoor",
    ],
)
def test_the_customer_saying_who_they_are_is_a_confirmation(said: str) -> None:
    """First name, full name, "speaking", "that's me", "you got him" and a plain yes all confirm."""
    assert read_identity_claim(said, NAME) is IdentityClaim.CUSTOMER


@pytest.mark.parametrize(
    "said",
    [
        "no",
        "nope",
        "wrong number",
        "you have the wrong number",
        "this is his wife",
        "i'm his wife but i can give you the numbers",
        "this is her daughter she's not home",
        "he's not here right now",
        "she's at work",
        "ari's not home",
        "ari isn't here can i take a message",
        "nobody by that name lives here",
        "he doesn't live here anymore",
        "i just got this number",
        "my name is john",
        "never heard of him",
        "uh uh",
        "he passed away last year",
        "this is his roommate",
        "no he's out",
        "hi um i'm calling about my husband's account ari lanternmoor",
        "i'm calling about my mom's credit card she's ari lanternmoor",
        "yeah i'm calling on behalf of my wife ari",
        "this is about my dad's bill ari lanternmoor",
    ],
)
def test_someone_else_on_the_line_is_not_the_customer(said: str) -> None:
    """A spouse, roommate or stranger — even one who knows the digits — is another person."""
    assert read_identity_claim(said, NAME) is IdentityClaim.OTHER_PERSON


@pytest.mark.parametrize(
    "said",
    [
        "hello",
        "who is this",
        "what's this about",
        "who's calling",
        "hold on",
        "i'm driving right now",
        "hmm",
        "",
        "what company did you say",
    ],
)
def test_a_question_or_greeting_says_nothing_about_identity(said: str) -> None:
    """Greetings and questions are neither a yes nor a no."""
    assert read_identity_claim(said, NAME) is IdentityClaim.UNSAID


@pytest.mark.parametrize(
    ("utterances", "expected"),
    [
        (["four three two one and eight five zero zero four"], ("4321", "85004")),
        (["uh four three two one", "and my zip is eight five oh oh four"], ("4321", "85004")),
        (["forty three twenty one", "eighty five thousand four"], ("4321", "85004")),
        (["four three two one eight five zero zero four"], ("4321", "85004")),
        (["zero zero zero zero", "zero zero zero zero zero"], ("0000", "00000")),
        (["4321 85004"], ("4321", "85004")),
        (["four three two one"], ("4321", None)),
        (["my zip code is eight five zero zero four"], (None, "85004")),
        (["four three two two", "sorry four three two one", "eight five zero zero four"], ("4321", "85004")),
        (["i don't know it off the top of my head"], (None, None)),
        ([], (None, None)),
    ],
)
def test_factors_are_read_from_what_the_caller_said(
    utterances: list[str], expected: tuple[str | None, str | None]
) -> None:
    """Digit words across turns, pairs, "oh" for zero; the caller's last correction wins."""
    assert heard_factors(utterances) == expected


@pytest.mark.parametrize(
    "said",
    [
        "yes",
        "yes i agree",
        "yeah that payment plan works for me",
        "sure",
        "okay",
        "um yeah okay",
        "yep sounds good",
        "that works",
        "yes go ahead",
        "i agree",
        "uh huh",
        "yes two hundred a month is fine",
        "sure the fifteenth works",
        "yeah let's do it",
        "absolutely",
        "yes six payments is fine",
        "alright set it up",
    ],
)
def test_an_unconditional_yes_is_acceptance(said: str) -> None:
    """A yes that adds nothing — repeating the terms' own figures is fine — accepts them."""
    assert read_consent(said, PLAN, today=TODAY).answer is Answer.ACCEPT


@pytest.mark.parametrize(
    "said",
    [
        "no",
        "no i don't agree",
        "nope",
        "that won't work",
        "i can't do that",
        "i can't afford that",
        "forget it",
        "i changed my mind",
        "never mind",
        "no way",
        "uh uh",
    ],
)
def test_a_no_declines(said: str) -> None:
    """A no, however it is said, stores nothing."""
    assert read_consent(said, PLAN, today=TODAY).answer is Answer.DECLINE


@pytest.mark.parametrize(
    ("said", "amount", "when", "count"),
    [
        ("yes i accept settle it for fifty dollars", Decimal("50.00"), None, None),
        ("yeah but can we make it the twentieth", None, date(2026, 12, 20), None),
        ("yes over twelve months", None, None, 12),
        ("okay but only a hundred a month", Decimal("100"), None, None),
        ("sure if i can pay on friday", None, date(2026, 12, 4), None),
        ("yes but i'll pay one hundred fifty dollars", Decimal("150.00"), None, None),
    ],
)
def test_new_terms_in_the_answer_are_a_counter_offer(
    said: str, amount: Decimal | None, when: date | None, count: int | None
) -> None:
    """Terms added to a yes are a counter-offer for the negotiation engine, not consent to the old ones."""
    reading = read_consent(said, PLAN, today=TODAY)
    assert reading.answer is Answer.COUNTER
    if amount is not None:
        assert amount in reading.amounts
    assert reading.when == when
    assert reading.installments == count


@pytest.mark.parametrize(
    "said", ["can you waive half", "could you knock some off", "i want to settle for less"]
)
def test_asking_to_pay_less_is_a_counter_offer(said: str) -> None:
    """ "Waive half", "settle for less": the caller wants other terms."""
    reading = read_consent(said, PLAN, today=TODAY)
    assert reading.answer is Answer.COUNTER and reading.settle


@pytest.mark.parametrize(
    "said",
    [
        "i guess",
        "maybe",
        "what",
        "sorry can you repeat that",
        "i'll have to think about it",
        "let me check with my wife",
        "yes but can i pay by check",
        "hold on",
        "yes no wait",
        "",
        "huh",
        "i think so",
    ],
)
def test_a_hedge_or_a_condition_without_terms_is_unclear(said: str) -> None:
    """Nothing is stored on "i guess", a question, or a yes with a condition; the agent asks once."""
    assert read_consent(said, PLAN, today=TODAY).answer is Answer.UNCLEAR


READ_BACK = (
    "To confirm: a payment plan of 6 monthly payments of $200.00, starting Tuesday, December 15, for a total "
    "of $1,200.00. Do you agree?"
)


def test_a_read_back_reported_spoken_in_full_was_heard() -> None:
    """The harness's speech reports, merged with other words and without punctuation, cover the terms."""
    assert heard_in_full(READ_BACK, ["Thank you.", READ_BACK])
    assert heard_in_full(READ_BACK, [READ_BACK.replace(",", "").replace(":", "")])


@pytest.mark.parametrize("cut", ["To confirm:", "To confirm: a payment plan of 6 monthly payments", ""])
def test_a_read_back_cut_off_by_a_barge_in_was_not_heard(cut: str) -> None:
    """A "yes" spoken over "To confirm:" is not an answer to terms the caller never heard."""
    assert not heard_in_full(READ_BACK, [cut] if cut else [])
