"""Every figure in a line the agent is about to say, and what kind of figure it is.

The output guard (`shared.policy.guard`) approves figures, not phrases: whatever the wording, an amount, a
percentage, a fraction of the debt, a count of payments or a date is found here and then checked against what
the policy approved for the call. Numbers the agent legitimately says — a callback phone number, "the card
ending in 4242", a confirmation code, "press 1", "within the next 30 days", a year in a date — are recognised
as such so that they pass.

Written for two kinds of input: what a language model writes ("$1,234.56", "40%", "12/15") and speech-shaped
text ("twelve hundred dollars", "forty percent", "the thirteen thousand six hundred you borrowed",
"eight hundred five five five zero one zero zero"). Every pattern is compiled once, at import."""

from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from shared.policy.spoken import MONTHS, WEEKDAYS, amount_spans, extract_date_mentions, words_to_number

_UNITS = (
    "zero|oh|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    "sixteen|seventeen|eighteen|nineteen"
)
_TENS = "twenty|thirty|forty|fourty|fifty|sixty|seventy|eighty|ninety"
_SCALES = "hundred|thousand|million"
_NUMBER_WORD = rf"(?:{_UNITS}|{_TENS}|{_SCALES})"
_DIGIT_WORDS = {
    "zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
    "seven": "7", "eight": "8", "nine": "9",
}  # fmt: skip
_ORDINAL_WORDS = (
    "first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth|"
    "fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|thirtieth"
)
_ORDINAL_VALUES = {word: index + 1 for index, word in enumerate(_ORDINAL_WORDS.split("|")[:19])}
_ORDINAL_VALUES.update({"twentieth": 20, "thirtieth": 30})
_TENS_VALUES = {"twenty": 20, "thirty": 30}

# A number said in words or digits: "one thousand two hundred and five", "1,200", "5".
_DIGIT_NUMBER = re.compile(r"(?<![\w$.,])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\w]|[.,]\d)")
_WORD_NUMBER = re.compile(
    rf"\b(?:a\s+)?{_NUMBER_WORD}(?:(?:[\s-]+|[\s-]+and[\s-]+|[\s-]+a[\s-]+){_NUMBER_WORD})*\b", re.IGNORECASE
)
# Things that look like numbers but are not figures: phone numbers, clock times, ISO dates.
_PHONE = re.compile(
    r"(?:\+?1[\s.-]*)?(?:\(\d{3}\)|\b\d{3})[\s.-]*\d{3}[\s.-]+\d{4}\b|\b\d{3}-\d{4}\b|(?<!\d)\+?1?\d{10}\b"
)
_TIME = re.compile(
    rf"\b(?:\d{{1,2}}(?::\d{{2}})?|{_UNITS}|{_TENS}(?:[\s-]+(?:{_UNITS}))?)\s*"
    r"(?:a\.?m\.?|p\.?m\.?|o'?clock)(?!\w)|\b\d{1,2}:\d{2}\b",
    re.IGNORECASE,
)
# A label that makes the number after it an identifier, not a figure.
_IDENTIFIED = re.compile(
    r"\b(?:ending\s+(?:in|with)|last\s+(?:four|4)(?:\s+digits)?(?:\s+(?:are|is|of))?|"
    r"(?:confirmation|reference|reservation)\s+(?:code|number)(?:\s+is)?|code\s+is|press(?:ing)?|"
    r"extension|ext\.?|option|apartment|apt\.?|suite|unit|zip(?:\s+code)?(?:\s+is)?|postal\s+code(?:\s+is)?|"
    r"call\s+(?:us\s+)?(?:back\s+)?at|reach\s+(?:us|me|a\s+person|someone)\s+at|number\s+is|line\s+is|"
    rf"dial)\s*:?\s*(\d[\d\s-]*\d|\d|{_NUMBER_WORD}(?:[\s-]+{_NUMBER_WORD})*)\b",
    re.IGNORECASE,
)
_IDENTIFIER_WORDS = frozenset(
    [
        "ending",
        "last",
        "confirmation",
        "reference",
        "reservation",
        "code",
        "press",
        "pressing",
        "extension",
        "ext",
        "option",
        "apartment",
        "apt",
        "suite",
        "unit",
        "zip",
        "postal",
        "call",
        "reach",
        "number",
        "line",
        "dial",
    ]
)
# A confirmation code read out character by character ("A B 1 2 3 4", "7 F 3 A 9 C").
_SPELLED_CODE = re.compile(r"\b(?:code|reference)\b(?:\s+(?:is|number))?\s*:?\s+((?:[A-Za-z0-9]\b\s*){3,})")
_ADDRESS = re.compile(
    r"\b(?:zip|postal|address|street|st\.|avenue|ave|road|rd|boulevard|blvd|lane|drive|apartment|suite)\b",
    re.IGNORECASE,
)
_DURATION = re.compile(
    r"^\s*(?:more\s+|business\s+|calendar\s+|full\s+)?(?:days?|hours?|minutes?|seconds?|weeks?|years?|"
    r"times?|rings?|digits?|characters?|letters?)\b",
    re.IGNORECASE,
)
_PERCENT_AFTER = re.compile(r"^\s*(?:%|percent\b|per\s+cent\b|pct\b)", re.IGNORECASE)
_COUNT_AFTER = re.compile(
    r"^\s*(?:(?:more|equal|even|monthly|weekly|bi-?weekly|regular|small(?:er)?|easy|separate|"
    r"additional|remaining|scheduled|consecutive)[\s-]+){0,3}(?:payments?|installments?|months?)\b",
    re.IGNORECASE,
)
# Words that make a bare number a sum of money ("the thirteen thousand six hundred you borrowed").
MONEY_CONTEXT = re.compile(
    r"\$|\b(?:dollars?|bucks|cents?|owe[sd]?|owing|borrow\w*|lent|loan\w*|balance|debt\w*|pay\w*|paid|"
    r"settle\w*|amount|total|credit|account|offer\w*|plan|installments?|discount\w*|off|save|saving|"
    r"savings|waive\w*|forgive\w*|reduc\w*|charge\w*|fees?|interest|principal|bill\w*|due|overdue|arrears|"
    r"accept\w*|take|give|send|cover|even|square|knock\w*)\b",
    re.IGNORECASE,
)
# Where an amount is an offer's figure: only the negotiation engine's offers may supply it.
_OFFER_BEFORE = re.compile(
    r"\b(?:settle\w*|accept\w*|a\s+payment\s+of|payments?\s+of|(?:first|down|final|monthly|one[\s-]+time|"
    r"single|lump[\s-]+sum|reduced|discounted)\s+payments?|down\s+payment|lump[\s-]+sum|installments?|"
    r"offer\w*|plan|instead|resolve\w*|close\s+(?:out\s+)?(?:the|your|this)\s+account|take\s+care\s+of\s+it\s+for|"
    r"for\s+(?:just|only)|give\s+us|send\s+us|just\s+pay)\b",
    re.IGNORECASE,
)
_OFFER_AFTER = re.compile(
    r"^\W*(?:(?:a|per|each|every)\s+(?:month|week)|monthly|weekly|instead|as\s+(?:a|your)\s+"
    r"(?:settlement|down\s+payment|payment)|to\s+(?:settle|resolve|close)|and\s+(?:we'll|we\s+will|we\s+can)\s+"
    r"call\s+it\s+(?:even|square|done|settled))\b",
    re.IGNORECASE,
)
_FRACTION = re.compile(
    r"\b(?:(?:one|a)\s+half|half|(?:one|a)\s+third|two\s+thirds|(?:one|a)\s+quarter|three\s+quarters|"
    r"(?:one|a)\s+fourth|three\s+fourths|(?:one|a)\s+fifth|(?:one|a)\s+tenth)\b(?!\s+(?:an?\s+hour|past|"
    r"to\s+(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\b|of\s+an\s+hour))",
    re.IGNORECASE,
)
_FRACTION_PERCENT = {
    "half": Decimal("50"), "third": Decimal("33.33"), "thirds": Decimal("66.67"), "quarter": Decimal("25"),
    "quarters": Decimal("75"), "fourth": Decimal("25"), "fourths": Decimal("75"), "fifth": Decimal("20"),
    "tenth": Decimal("10"),
}  # fmt: skip
_MONTH_NAMES = "|".join(sorted((m for m in MONTHS if len(m) > 3 or m == "may"), key=len, reverse=True))
# "may" leads a date only after the day ("the first of may"): "you may first want to" is not a date.
_LEADING_MONTH_NAMES = "|".join(sorted((m for m in MONTHS if len(m) > 3), key=len, reverse=True))
_DAY = rf"(?:\d{{1,2}}(?:st|nd|rd|th)?|(?:twenty|thirty)[\s-]+(?:{_ORDINAL_WORDS})|{_ORDINAL_WORDS})"
_WORD_DATE = re.compile(
    rf"\b(?P<m1>{_LEADING_MONTH_NAMES})\s+(?:the\s+)?(?P<d1>{_DAY})\b"
    rf"|\b(?:the\s+)?(?P<d2>{_DAY})\s+of\s+(?P<m2>{_MONTH_NAMES})\b"
    rf"|\b(?:on|by|before|until|after|from|starting|due|around)\s+the\s+(?P<d3>{_DAY})\b(?!\s+(?:payment|installment|time|one|step|call|thing|notice))"
    rf"|\bthe\s+(?P<d4>{_DAY})\b(?=\s*(?:[.,;?!]|$|\b(?:of\s+(?:the|this|next)\s+month|then|instead|works?|would|is|if|at|or|and)\b))",
    re.IGNORECASE,
)
# Dates said relative to the day of the call. Only in a line about paying (a payment "due tomorrow" is a
# date the policy must have approved; "thanks for your time today" and "within the next 30 days" are not).
_RELATIVE_DATE = re.compile(
    rf"\b(?P<after>(?:the\s+)?day\s+after\s+)?tomorrow\b"
    rf"|\b(?P<n>\d{{1,2}}|(?:{_UNITS}|{_TENS})(?:[\s-]+(?:{_UNITS}))?)\s+days?\s+from\s+(?:now|today)\b"
    rf"|\b(?P<week>a|one|two|2|1)\s+weeks?\s+from\s+(?:now|today)\b"
    r"|\bend\s+of\s+(?P<month>the|this|next)\s+month\b",
    re.IGNORECASE,
)
_PAYING = re.compile(
    r"\b(?:pay\w*|paid|due|deadline|installments?|settle\w*|charge\w*|draft\w*|debit\w*)\b", re.I
)
_WEEK_COUNTS = {"a": 1, "one": 1, "1": 1, "two": 2, "2": 2}
_WEEKDAY = re.compile(r"\b(?:this\s+|next\s+|on\s+)?(" + "|".join(WEEKDAYS) + r")\b", re.IGNORECASE)


class FigureKind(StrEnum):
    AMOUNT = "amount"  # a sum of money
    PERCENTAGE = "percentage"  # a percentage, or a fraction (of the debt) as a percentage
    COUNT = "count"  # a number of payments, installments or months
    NUMBER = "number"  # any other number that could be a debt figure (>= 100, or a digit string)


@dataclass(frozen=True)
class Figure:
    kind: FigureKind
    value: Decimal
    text: str
    offer_context: bool = False  # an amount said as an offer's figure ("settle for", "a month")
    money_context: bool = False  # the line talks about money


@dataclass(frozen=True)
class SpokenDate:
    """A date said in a line: a calendar date (month and day), a day of the month, or a weekday."""

    text: str
    month: int | None = None
    day: int | None = None
    year: int | None = None
    weekday: int | None = None
    days_from_today: int | None = None  # "tomorrow", "ten days from now": a date only the call's day fixes
    month_end: int | None = None  # "the end of the month" (0) or "of next month" (1)


@dataclass(frozen=True)
class Figures:
    figures: tuple[Figure, ...] = ()
    dates: tuple[SpokenDate, ...] = ()
    fractions: tuple[str, ...] = field(default=())  # every fraction word said, money context or not


_NO_FIGURES = Figures()
_SCALE_VALUES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
_SCALE_WORDS = frozenset(_SCALE_VALUES)
_MIXED_NUMBER = re.compile(r"(?<![\w$.,])(\d+)\s+(hundred|thousand|million)\b", re.IGNORECASE)


def _expand_mixed(match: re.Match[str]) -> str:
    return str(int(match.group(1)) * _SCALE_VALUES[match.group(2).lower()])


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` with the spans overwritten by spaces (positions stay where they were)."""
    if not spans:
        return text
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def _number_value(said: str) -> tuple[Decimal, str | None] | None:
    """The value of a number as said, and its digit string when it was read digit by digit
    ("five five five zero one zero zero" → 5550100, "5550100")."""
    plain = said.replace(",", "")
    if plain[0].isdigit():
        try:
            return Decimal(plain), None
        except ArithmeticError:
            return None
    words = [w for w in re.split(r"[\s-]+", said.lower()) if w]
    digit_run = any(a in _DIGIT_WORDS and b in _DIGIT_WORDS for a, b in itertools.pairwise(words))
    if digit_run:
        digits = []
        for index, word in enumerate(words):
            if word in _DIGIT_WORDS:
                digits.append(_DIGIT_WORDS[word])
            elif word == "hundred" and index:
                digits.append("00")  # "eight hundred" in a phone number is 8-0-0
            elif word == "thousand" and index:
                digits.append("000")
            elif word not in {"and", "a"}:
                value = words_to_number([word])
                digits.append(str(value) if value is not None else "")
        text = "".join(digits)
        return (Decimal(text), text) if text else None
    value = words_to_number(words)
    return None if value is None else (Decimal(value), None)


def _day_value(said: str) -> int | None:
    said = said.lower().replace("-", " ")
    match = re.match(r"(\d{1,2})", said)
    if match:
        return int(match.group(1))
    parts = said.split()
    if len(parts) == 2:
        return _TENS_VALUES.get(parts[0], 0) + _ORDINAL_VALUES.get(parts[1], 0)
    return _ORDINAL_VALUES.get(said)


_WORDS = re.compile(r"[a-z0-9']+")
_NUMBER_WORDS = frozenset(f"{_UNITS}|{_TENS}|{_SCALES}".split("|"))
_ORDINALS = frozenset(_ORDINAL_WORDS.split("|"))
_FRACTION_WORDS = frozenset(_FRACTION_PERCENT)
_NUMERIC_ORDINAL = re.compile(r"\d(?:st|nd|rd|th)\b")
_MONTH_WORDS = frozenset(MONTHS)
_CLOCK = re.compile(r":|\b(?:[ap]\.?m\b|o'?clock)")
_DIGITS = re.compile(r"\d")


@functools.lru_cache(maxsize=1024)
def find_figures(text: str) -> Figures:
    """Every figure and date in one line, each classified (see the module docstring).

    The guard runs on every sentence the agent says, so each pattern runs only when a cheap look at the
    line's words says it could match (most sentences have no figure at all)."""
    lower = text.lower()
    words = frozenset(_WORDS.findall(lower))
    digit_count = len(_DIGITS.findall(text))
    has_number_word = not words.isdisjoint(_NUMBER_WORDS)
    has_fraction = not words.isdisjoint(_FRACTION_WORDS)
    if not (
        digit_count
        or has_number_word
        or has_fraction
        or "day" in lower
        or "tomorrow" in lower
        or "end of" in lower
        or not words.isdisjoint(_ORDINALS)
    ):
        return _NO_FIGURES
    if digit_count and not words.isdisjoint(_SCALE_WORDS):
        text = _MIXED_NUMBER.sub(_expand_mixed, text)  # "3 hundred" → "300"
        lower = text.lower()
    dates, blanked = _dates(text, lower, words, digit_count)
    clean = _blank(text, blanked)
    figures: list[Figure] = []
    taken: list[tuple[int, int]] = []
    for start, end, value in (
        amount_spans(clean) if digit_count or "dollar" in lower or "buck" in lower else ()
    ):
        taken.append((start, end))
        figures.append(
            Figure(FigureKind.AMOUNT, value, text[start:end], _offer_context(clean, start, end), True)
        )
    fractions: list[str] = []
    numbers = [
        *(_DIGIT_NUMBER.finditer(clean) if digit_count else ()),
        *(_WORD_NUMBER.finditer(clean) if has_number_word else ()),
    ]
    money_context = bool((has_fraction or numbers) and MONEY_CONTEXT.search(clean))
    for match in _FRACTION.finditer(clean) if has_fraction else ():
        fractions.append(match.group(0))
        share = _FRACTION_PERCENT[match.group(0).lower().split()[-1]]
        figures.append(Figure(FigureKind.PERCENTAGE, share, match.group(0), money_context=money_context))
        taken.append(match.span())
    for match in numbers:
        start, end = match.span()
        if not any(s <= start < e or s < end <= e for s, e in taken):
            figure = _number_figure(clean, match.group(0), start, end, money_context)
            if figure is not None:
                figures.append(figure)
    return Figures(figures=tuple(figures), dates=tuple(dates), fractions=tuple(fractions))


def _dates(
    text: str, lower: str, words: frozenset[str], digit_count: int
) -> tuple[list[SpokenDate], list[tuple[int, int]]]:
    """The dates said in `text`, and the spans to blank out before looking for figures (dates, phone
    numbers, clock times, spelled-out codes)."""
    dates = [
        SpokenDate(text="", month=mention.month, day=mention.day, year=mention.year)
        for mention in extract_date_mentions(text)
    ]
    has_month = not words.isdisjoint(_MONTH_WORDS)
    patterns = (
        (_PHONE, digit_count >= 7),
        (_TIME, bool(_CLOCK.search(lower))),
        (_NUMERIC_OR_ISO_DATE, "/" in text or "-" in text),
        (_MONTH_DAY_YEAR, has_month and digit_count > 0),
    )
    blanked: list[tuple[int, int]] = []
    for pattern, could_match in patterns:
        if could_match:
            blanked += [match.span() for match in pattern.finditer(text)]
    if not words.isdisjoint(_ORDINALS) or _NUMERIC_ORDINAL.search(lower):
        for match in _WORD_DATE.finditer(text):
            month_name = match.group("m1") or match.group("m2")
            day_said = match.group("d1") or match.group("d2") or match.group("d3") or match.group("d4")
            day = _day_value(day_said)
            if day is None or not 1 <= day <= 31:
                continue
            month = MONTHS[month_name.lower()] if month_name else None
            if not (month and day_said[0].isdigit()):  # digit forms were found by extract_date_mentions
                dates.append(SpokenDate(text=match.group(0), month=month, day=day))
            blanked.append(match.span())
    if "day" in lower:  # every weekday's name ends in "day"
        dates += [
            SpokenDate(text=match.group(0), weekday=WEEKDAYS[match.group(1).lower()])
            for match in _WEEKDAY.finditer(text)
        ]
    if ("tomorrow" in lower or " from " in lower or "end of" in lower) and _PAYING.search(lower):
        for match in _RELATIVE_DATE.finditer(text):
            relative = _relative_date(match)
            if relative is not None:
                dates.append(relative)
                blanked.append(match.span())
    if "code" in lower or "reference" in lower:
        blanked += [match.span(1) for match in _SPELLED_CODE.finditer(text)]
    if not words.isdisjoint(_IDENTIFIER_WORDS):
        blanked += [match.span(1) for match in _IDENTIFIED.finditer(text)]
    return dates, blanked


def _relative_date(match: re.Match[str]) -> SpokenDate | None:
    said = match.group(0)
    if match.group("month"):
        return SpokenDate(text=said, month_end=1 if match.group("month").lower() == "next" else 0)
    if match.group("week"):
        return SpokenDate(text=said, days_from_today=7 * _WEEK_COUNTS[match.group("week").lower()])
    if match.group("n"):
        count = match.group("n")
        days = int(count) if count.isdigit() else words_to_number(count.lower().replace("-", " ").split())
        return SpokenDate(text=said, days_from_today=days) if days is not None else None
    return SpokenDate(text=said, days_from_today=2 if match.group("after") else 1)


def _number_figure(clean: str, said: str, start: int, end: int, money_context: bool) -> Figure | None:
    """What a number said at `start:end` is: a percentage, a count of payments, a figure that could be a
    debt's — or None for what is not a figure (a duration, an identifier, a phone number, a small number)."""
    if said.lower().startswith("a "):
        said, start = said[2:], start + 2
    parsed = None if said.lower() in {"a", "oh"} else _number_value(said)
    if parsed is None:
        return None
    value, digits = parsed
    after, before = clean[end : end + 40], clean[max(0, start - 60) : start]
    if _PERCENT_AFTER.match(after):
        return Figure(FigureKind.PERCENTAGE, value, said, money_context=True)
    if _COUNT_AFTER.match(after) or (_OVER.search(before) and "month" in after[:12]):
        return Figure(FigureKind.COUNT, value, said, money_context=money_context)
    if _DURATION.match(after):
        return None
    phone = digits is not None and len(digits) in {7, 10, 11}  # a phone number read digit by digit
    if not phone and ((digits is not None and len(digits) >= 3) or value >= 100):
        return Figure(FigureKind.NUMBER, value, said, _offer_context(clean, start, end), money_context)
    return None


_OVER = re.compile(r"\b(?:over|across)\s+$")


_CLAUSE = re.compile(r"[.;!?]|,\s+(?:and|but|or)\b")


def _offer_context(text: str, start: int, end: int) -> bool:
    before = text[max(0, start - 50) : start]
    # Only the clause the amount is in: "the balance is $1,200, and $300 of it is past due" has two.
    before = _CLAUSE.split(before)[-1]
    return bool(_OFFER_BEFORE.search(before) or _OFFER_AFTER.match(text[end : end + 30]))


_NUMERIC_OR_ISO_DATE = re.compile(r"(?<![\d/])\d{1,2}/\d{1,2}(?:/\d{2,4})?(?![\d/])|\b\d{4}-\d{2}-\d{2}\b")
_MONTH_DAY_YEAR = re.compile(
    rf"\b(?:{'|'.join(sorted(MONTHS, key=len, reverse=True))})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?\b"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{'|'.join(sorted(MONTHS, key=len, reverse=True))})\b(?:,?\s+\d{{4}})?",
    re.IGNORECASE,
)


def has_address_context(text: str) -> bool:
    """The line asks about (or confirms) a ZIP code or address, whose numbers are not debt figures."""
    return bool(_ADDRESS.search(text))
