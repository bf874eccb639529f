"""Numbers, money and dates as said on the phone."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from shared.policy.spoken import (
    DateMention,
    digit_groups,
    extract_amounts,
    extract_date_mentions,
    extract_numbers,
    parse_date,
    spoken_amount,
    spoken_date,
)

WEDNESDAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    ("said", "groups"),
    [
        ("four three two one and eight five zero zero four", ["4321", "85004"]),
        ("forty three twenty one, 85004", ["4321", "85004"]),
        ("4321 85004", ["4321", "85004"]),
        ("4 3 2 1", ["4321"]),
        ("double five one two", ["5512"]),
        ("oh nine one one", ["0911"]),
        ("eighty five thousand and four", ["85004"]),
        ("the last four are 4321", ["4", "4321"]),
        ("no numbers here", []),
    ],
)
def test_digit_groups_read_spoken_and_written_digits(said: str, groups: list[str]) -> None:
    """Digits said as words, pairs or numerals come back as the runs the speaker meant."""
    assert digit_groups(said) == groups


def test_amounts_in_numerals_and_words() -> None:
    """Amounts with a currency marker, money-shaped numbers and spoken amounts are all found; years are not."""
    text = "Pay $1,200.50 or 150 dollars, a hundred and fifty bucks, twelve hundred dollars and fifty cents, 89.50 in 2026"
    assert extract_amounts(text) == [
        Decimal("1200.50"),
        Decimal("150.00"),
        Decimal("150.00"),
        Decimal("1200.50"),
        Decimal("89.50"),
    ]
    assert extract_amounts("89.50 in 2026", bare_separated=False) == []


def test_numbers_without_currency() -> None:
    assert extract_numbers("I can do 150 a month, or a hundred and fifty, over twelve months") == [
        Decimal("150"),
        Decimal("150"),
        Decimal("12"),
    ]


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("today", date(2026, 11, 25)),
        ("tomorrow", date(2026, 11, 26)),
        ("Friday", date(2026, 11, 27)),
        ("next Friday", date(2026, 12, 4)),
        ("in two weeks", date(2026, 12, 9)),
        ("in 10 days", date(2026, 12, 5)),
        ("on the 15th", date(2026, 12, 15)),
        ("the twenty first", date(2026, 12, 21)),
        ("December 5th", date(2026, 12, 5)),
        ("12/5", date(2026, 12, 5)),
        ("January 3", date(2027, 1, 3)),
        ("end of the month", date(2026, 11, 30)),
        ("next month", date(2026, 12, 1)),
        ("whenever", None),
    ],
)
def test_dates_customers_say(said: str, expected: date | None) -> None:
    """Relative and absolute dates resolve against the customer's local today."""
    assert parse_date(said, WEDNESDAY) == expected


def test_date_mentions_in_agent_text() -> None:
    """The guard sees every absolute date an agent writes, with or without a year."""
    text = "Pay by Friday, December 5, 2026, or 12/19, or 2026-12-20, or the 3rd of January."
    assert extract_date_mentions(text) == [
        DateMention(12, 5, 2026),
        DateMention(1, 3, None),
        DateMention(12, 19, None),
        DateMention(12, 20, 2026),
    ]


def test_the_agent_speaks_dates_and_amounts_so_it_can_read_them_back() -> None:
    """What the agent says parses back to the same values (the guard relies on it)."""
    assert spoken_date(date(2026, 12, 4)) == "Friday, December 4"
    assert spoken_amount(Decimal("1234.5")) == "$1,234.50"
    assert extract_amounts(spoken_amount(Decimal("1234.5"))) == [Decimal("1234.50")]
    assert extract_date_mentions(spoken_date(date(2026, 12, 4)))[0].matches(date(2026, 12, 4))
