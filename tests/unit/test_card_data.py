"""Spoken card data (PCI DSS 3.3: no sensitive authentication data stored; card numbers never in the clear):
card numbers, expiry dates and security codes said aloud, as speech recognition writes them, are removed;
amounts, ordinary dates, last-4 and ZIP answers, phone and case numbers stay."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.policy.card_data import luhn_valid, mentions_card_data, redact_card_data

_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
_TENS = {2: "twenty", 3: "thirty", 4: "forty", 5: "fifty", 6: "sixty", 7: "seventy", 8: "eighty", 9: "ninety"}
_TEENS = ["ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen"]
_TEENS.append("nineteen")


@pytest.mark.parametrize(
    "said",
    [
        "my card number is four two four two four two four two four two four two four two four two",
        "um yeah it's forty two forty two forty two forty two forty two forty two forty two forty two",
        "four two four two dash four two four two uh four two four two four two four two",
        "4242 4242 4242 4242",
        "4242-4242-4242-4242",
        "okay so it's four oh oh oh double one two three four five six seven eight nine oh one",
        "uh the number is forty two forty two four two four two like forty two forty two four two four two",
        "it's a visa three seven eight two eight two two four six three one oh oh oh five",
        "five five five five five five five five four four four four four four four four and thats it",
        "i got it right here four one one one one one one one one one one one one one one one",
        "four two four two four two four two four two four two four two four two expires twelve thirty",
    ],
)
def test_card_numbers_said_any_way_are_removed(said: str) -> None:
    """A 13 to 19 digit card number in digits, digit words, pairs, "oh" and "double" is removed."""
    redaction = redact_card_data(said)
    assert "card_number" in redaction.found
    assert "[card number removed]" in redaction.text
    assert not any(ch.isdigit() for ch in redaction.text)
    assert "four two four two four two" not in redaction.text


@pytest.mark.parametrize(
    "said",
    [
        "my card is four two four two four two four two",
        "i have a visa card uh it's four two four two four two four two",
        "the debit card number um forty two forty two forty two",
    ],
)
def test_part_of_a_card_number_after_a_card_cue_is_removed(said: str) -> None:
    """Half a card number said after the word card (the rest may come in the next turn) is removed."""
    assert redact_card_data(said).found == {"card_number"}


@pytest.mark.parametrize(
    "said",
    [
        "expires twelve thirty",
        "exp one two three zero",
        "the expiration date is december twenty thirty",
        "expiration date uh december of twenty thirty",
        "it expires in oh four twenty nine",
        "expiry is 12/30",
        "valid thru twelve slash thirty",
        "um the expiration is like march two thousand twenty eight",
        "expiring 1230",
    ],
)
def test_expiry_with_a_cue_is_removed(said: str) -> None:
    """An expiry said after expires, exp, expiration, expiry or valid thru is removed, in any form."""
    redaction = redact_card_data(said)
    assert redaction.found == {"expiry"}, redaction
    assert "[expiry removed]" in redaction.text
    for leak in ("twelve thirty", "thirty", "1230", "12/30", "twenty nine", "twenty eight", "zero"):
        assert leak not in redaction.text


@pytest.mark.parametrize(
    "said",
    [
        "cvv is one two three",
        "the three digits on the back are four five six",
        "security code seven seven seven",
        "uh the c v v um one two three",
        "cvc 123",
        "the code on the back is like four five six",
        "the security code is double seven three",
        "amex so the four digit code is one two three four",
    ],
)
def test_security_code_with_a_cue_is_removed(said: str) -> None:
    """A security code said after cvv, cvc, security code or the digits on the back is removed."""
    redaction = redact_card_data(said)
    assert redaction.found == {"security_code"}, redaction
    assert "[security code removed]" in redaction.text
    assert "123" not in redaction.text and "one two three" not in redaction.text


@pytest.mark.parametrize(
    ("said", "found"),
    [
        ("twelve thirty", {"expiry"}),
        ("uh one two three zero", {"expiry"}),
        ("december twenty thirty", {"expiry"}),
        ("12/30", {"expiry"}),
        ("one two three", {"security_code"}),
        ("twelve thirty and then one two three", {"expiry", "security_code"}),
        ("four two four two four two four two", {"card_number"}),
    ],
)
def test_card_details_without_cues_are_removed_when_a_card_is_expected(said: str, found: set[str]) -> None:
    """Right after a card number or while card details are asked for, a bare expiry or code is removed."""
    redaction = redact_card_data(said, expecting_card=True)
    assert redaction.found == found, redaction
    assert not any(ch.isdigit() for ch in redaction.text)


@pytest.mark.parametrize(
    "said",
    [
        "i can do two thousand four hundred dollars",
        "two thousand four hundred dollars on the fifteenth of december",
        "four three two one and eight five zero zero four",
        "last four is forty three twenty one zip is eight five zero zero four",
        "my number is six oh two five five five oh one four two",
        "call me back at one six oh two five five five oh one four two",
        "my case number is one two three four five six seven eight nine one two three four",
        "reference number one two three four five six seven eight nine zero one two three",
        "i'm not bankrupt yet but it's tight",
        "i get paid on the fifteenth",
        "can we do like twelve hundred fifty bucks",
        "the card ending in four two four two",
        "i was born in nineteen eighty five",
        "i'll pay one fifty on december twentieth",
        "my security is that i pay on time",
        "",
    ],
)
def test_everyday_numbers_are_kept(said: str) -> None:
    """Amounts, ordinary dates, verification answers, phone and case numbers are not card data."""
    redaction = redact_card_data(said)
    assert redaction.found == frozenset(), redaction
    assert redaction.text == said
    assert not mentions_card_data(said)


@pytest.mark.parametrize(
    "said",
    ["i'll pay one fifty dollars", "the fifteenth of december", "okay two thousand four hundred dollars"],
)
def test_amounts_and_dates_survive_even_when_a_card_is_expected(said: str) -> None:
    """Expecting a card does not turn an amount or an ordinary date into card data."""
    assert redact_card_data(said, expecting_card=True).found == frozenset()


def _spoken(digits: str, style: list[int]) -> str:
    """`digits` spoken: per group of two, a style — digit words, a pair ("forty two"), "oh" for zero,
    numerals, or "double" for a repeated digit."""
    words: list[str] = []
    for index in range(0, len(digits), 2):
        pair = digits[index : index + 2]
        kind = style[(index // 2) % len(style)]
        first, second = int(pair[0]), int(pair[1])
        if kind == 1 and first >= 2:
            words += [_TENS[first]] + ([_WORDS[second]] if second else [])
        elif kind == 1 and first == 1:
            words.append(_TEENS[second])
        elif kind == 2:
            words += ["oh" if d == "0" else _WORDS[int(d)] for d in pair]
        elif kind == 3:
            words.append(pair)
        elif kind == 4 and first == second:
            words += ["double", _WORDS[first]]
        else:
            words += [_WORDS[int(d)] for d in pair]
    return " ".join(words)


def _luhn_complete(body: str) -> str:
    for check in "0123456789":
        if luhn_valid(body + check):
            return body + check
    raise AssertionError("unreachable")


@settings(max_examples=300, deadline=None)
@given(
    body=st.text(alphabet="0123456789", min_size=15, max_size=15),
    style=st.lists(st.integers(min_value=0, max_value=4), min_size=1, max_size=8),
    prefix=st.sampled_from(["", "um ", "my card number is ", "okay so it's ", "yeah uh "]),
    suffix=st.sampled_from(["", " okay", " and that's it", " uh did you get that"]),
    separator=st.sampled_from([" ", " - ", " um ", ", ", " uh like "]),
)
def test_no_luhn_valid_card_number_survives(
    body: str, style: list[int], prefix: str, suffix: str, separator: str
) -> None:
    """A Luhn-valid 16-digit number said in any supported mix of forms, in groups of four with dashes,
    commas or fillers between them, never survives redaction."""
    number = _luhn_complete(body)
    groups = [_spoken(number[index : index + 4], style) for index in range(0, 16, 4)]
    said = prefix + separator.join(groups) + suffix
    redaction = redact_card_data(said)
    assert "card_number" in redaction.found, said
    assert not any(ch.isdigit() for ch in redaction.text)
    assert _spoken(number, [0]) not in redaction.text
