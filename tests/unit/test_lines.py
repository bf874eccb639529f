"""The scripted brain's wording catalogue: every sentence exists in English and Spanish with the same
placeholders, so switching the call's language can never drop a figure or a name."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from string import Formatter

from agent_host.agent.lines import LINES, line
from shared.policy.spoken import spoken_amount, spoken_date


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name}


def test_every_english_line_has_a_spanish_line_with_the_same_placeholders() -> None:
    english, spanish = LINES["en"], LINES["es"]
    assert set(english) == set(spanish)
    for key, text in english.items():
        assert _fields(text) == _fields(spanish[key]), key


def test_lines_are_filled_in_the_language_asked() -> None:
    assert line("en", "is_this", first="Ari") == "Is this Ari?"
    assert line("es", "is_this", first="Ari") == "¿Hablo con Ari?"


def test_spanish_dates_and_amounts_are_spoken_with_static_names() -> None:
    assert spoken_date(date(2026, 12, 4), language="es") == "viernes 4 de diciembre"
    assert spoken_date(date(2026, 12, 4)) == "Friday, December 4"
    assert spoken_amount(Decimal("1200"), language="es") == "$1,200.00"
