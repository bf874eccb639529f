"""Numbers, money and dates as people say them on the phone, and as an agent might write them.

The output guard uses these to find every amount and date in what the agent is about to say (so nothing the
negotiation engine did not approve gets out); the scripted brain uses them to understand the customer
("four three two one", "a hundred and fifty dollars", "next Friday"). Deterministic and dependency-free."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

UNITS = {
    "zero": 0, "oh": 0, "o": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}  # fmt: skip
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14,
    "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19,
    "twentieth": 20, "thirtieth": 30,
}  # fmt: skip
MULTIPLIERS = {"double": 2, "triple": 3}
MONTHS = {name.lower(): index for index, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): index for index, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9
WEEKDAYS = {name.lower(): index for index, name in enumerate(calendar.day_name)}

_TOKEN = re.compile(
    r"\$?\d+(?:,\d{3})*(?:\.\d+)?(?:st|nd|rd|th)?|[a-z]+(?:'[a-z]+)?|[$,.;:!?]", re.IGNORECASE
)
_PUNCTUATION = frozenset(",.;:!?")
_DIGIT = re.compile(r"\d")


def tokens(text: str) -> list[str]:
    """Lower-case word, number and punctuation tokens; hyphenated number words are split ("forty-three")."""
    return [token.lower() for token in _TOKEN.findall(text.replace("-", " "))]


def _is_number_word(token: str) -> bool:
    return token in UNITS or token in TENS or token in _SCALES


def words_to_number(words: list[str]) -> int | None:
    """The value of number words ("one thousand two hundred fifty", "twelve hundred", "a hundred and
    five"); None when they do not form a number."""
    total, current, seen = 0, 0, False
    for word in words:
        if word in {"and", "a"}:
            continue
        if word in UNITS:
            current += UNITS[word]
        elif word in TENS:
            current += TENS[word]
        elif word == "hundred":
            current = (current or 1) * 100
        elif word in {"thousand", "million"}:
            total += (current or 1) * _SCALES[word]
            current = 0
        else:
            return None
        seen = True
    return total + current if seen else None


# --- Digit strings (account last 4, postal codes, card numbers spoken aloud) --------------------------------


def digit_groups(text: str) -> list[str]:
    """The runs of digits said in `text`, in order: "four three two one and eight five zero zero four" →
    ["4321", "85004"]; "forty three twenty one" → ["4321"]; "double five" → ["55"]; "eighty five
    thousand four" → ["85004"]; numerals are taken as written ("4321, 85004"). Words that are not numbers
    end a run."""
    runs: list[list[str]] = []
    run: list[str] = []
    for word in tokens(text):
        plain = word.replace(",", "")
        numeric = plain.isdigit()
        if numeric and len(plain) >= 3:
            # A written-out number ("4321", "85004") stands alone; only short numerals join ("43 21").
            if run:
                runs.append(run)
            runs.append([plain])
            run = []
        elif numeric or word in UNITS or word in TENS or word in _SCALES or word in MULTIPLIERS:
            run.append(plain if numeric else word)
        elif word == "and" and any(item in _SCALES for item in run):
            run.append(word)
        else:
            if run:
                runs.append(run)
            run = []
    if run:
        runs.append(run)
    groups = [_run_digits(item) for item in runs]
    return [group for group in groups if group]


def _run_digits(run: list[str]) -> str:
    while run and run[-1] in {"and", *MULTIPLIERS}:
        run = run[:-1]
    if any(word in _SCALES for word in run) and not any(word.isdigit() for word in run):
        value = words_to_number(run)
        return "" if value is None else str(value)
    digits: list[str] = []
    multiplier = 1
    index = 0
    while index < len(run):
        word = run[index]
        if word.isdigit():
            digits.append(word)
        elif word in MULTIPLIERS:
            multiplier = MULTIPLIERS[word]
        elif word in TENS:
            following = run[index + 1] if index + 1 < len(run) else ""
            if following in UNITS and 0 < UNITS[following] < 10:
                digits.append(str(TENS[word] + UNITS[following]))
                index += 1
            else:
                digits.append(str(TENS[word]))
        elif word in UNITS:
            digits.append(str(UNITS[word]) * multiplier)
            multiplier = 1
        index += 1
    return "".join(digits)


# --- Money ------------------------------------------------------------------------------------------------

_CURRENCY_WORDS = {"dollar", "dollars", "bucks", "usd"}
_NUMERIC_MONEY = re.compile(
    r"(?<![\w.])\$\s?(\d{1,3}(?:,\d{3})+|\d+)(\.\d{1,2})?(?!\d)"
    r"|(?<![\w.$])(\d{1,3}(?:,\d{3})+|\d+)(\.\d{1,2})?\s*(?:dollars?|bucks|usd)\b",
    re.IGNORECASE,
)
_SEPARATED_NUMBER = re.compile(r"(?<![\w.$])(\d{1,3}(?:,\d{3})+(?:\.\d{2})?|\d+\.\d{2})(?![\d])")
_WORD_AMOUNT = re.compile(
    r"\b((?:(?:a|and|zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|"
    r"fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|"
    r"eighty|ninety|hundred|thousand|million)[\s-]+)+)(dollars?|bucks)"
    r"(?:\s+(?:and\s+)?((?:(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|"
    r"seventy|eighty|ninety)[\s-]*)+)cents?)?",
    re.IGNORECASE,
)


def _decimal(whole: str, fraction: str | None) -> Decimal | None:
    try:
        return Decimal(whole.replace(",", "") + (fraction or "")).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


def extract_amounts(text: str, *, bare_separated: bool = True) -> list[Decimal]:
    """Every money amount in `text`: "$1,200.50", "150 dollars", "a hundred and fifty bucks", "twelve
    hundred dollars and fifty cents". With `bare_separated`, numbers written like money without a currency
    word ("1,200", "89.50") count too: an agent quoting them is quoting an amount."""
    return [value for _, _, value in amount_spans(text, bare_separated=bare_separated)]


def amount_spans(text: str, *, bare_separated: bool = True) -> list[tuple[int, int, Decimal]]:
    """`extract_amounts` with where each amount is said: (start, end, value) in order."""
    found: list[tuple[int, int, Decimal]] = []
    lowered = text.lower()
    spoken_money = "dollar" in lowered or "buck" in lowered
    if not spoken_money and "$" not in text and not _DIGIT.search(text):
        return []  # no currency sign, no currency word, no digit: nothing to find (the common case)
    for match in _NUMERIC_MONEY.finditer(text):
        whole, fraction = (
            (match.group(1), match.group(2)) if match.group(1) else (match.group(3), match.group(4))
        )
        value = _decimal(whole, fraction)
        if value is not None:
            found.append((*match.span(), value))
    for match in _WORD_AMOUNT.finditer(text) if spoken_money else ():
        dollars = words_to_number(tokens(match.group(1)))
        if dollars is None:
            continue
        cents = words_to_number(tokens(match.group(3))) if match.group(3) else 0
        found.append((*match.span(), Decimal(dollars) + Decimal(cents or 0) / 100))
    if bare_separated:
        taken = [(start, end) for start, end, _ in found]
        for match in _SEPARATED_NUMBER.finditer(text):
            if any(start <= match.start() < end for start, end in taken):
                continue
            value = _decimal(match.group(1), None)
            if value is not None:
                found.append((*match.span(), value))
    return [(start, end, value.quantize(Decimal("0.01"))) for start, end, value in sorted(found)]


def extract_numbers(text: str) -> list[Decimal]:
    """Every number in `text` in order, numerals or words ("150", "one fifty" is two numbers, "a hundred
    and fifty" is one): the scripted brain's reading of "I can do 150 a month"."""
    values: list[Decimal] = []
    run: list[str] = []

    def close() -> None:
        if run:
            value = words_to_number(run)
            if value is not None:
                values.append(Decimal(value))
            run.clear()

    for word in tokens(text):
        plain = word.lstrip("$").replace(",", "")
        if re.fullmatch(r"\d+(\.\d+)?", plain):
            close()
            values.append(Decimal(plain))
        elif _is_number_word(word) or (word in {"and", "a"} and run) or (word == "a" and not run):
            run.append(word)
        else:
            if run and run[-1] in {"and", "a"}:
                run.pop()
            close()
    if run and run[-1] in {"and", "a"}:
        run.pop()
    close()
    return values


# --- Dates ------------------------------------------------------------------------------------------------

_MONTH_NAMES = "|".join(sorted(MONTHS, key=len, reverse=True))
_MONTH_DAY = re.compile(
    rf"\b({_MONTH_NAMES})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(\d{{4}}))?\b", re.IGNORECASE
)
_DAY_MONTH = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH_NAMES})\b(?:,?\s+(\d{{4}}))?", re.I
)
_NUMERIC_DATE = re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})(?:/(\d{2}|\d{4}))?(?![\d/])")
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


@dataclass(frozen=True)
class DateMention:
    """A calendar date written in text; `year` is None when the text left it out."""

    month: int
    day: int
    year: int | None

    def matches(self, value: date) -> bool:
        return (self.month, self.day) == (value.month, value.day) and self.year in {None, value.year}


def _mention(month: int, day: int, year: int | None) -> DateMention | None:
    if not 1 <= month <= 12 or not 1 <= day <= 31:
        return None
    return DateMention(month, day, year)


def extract_date_mentions(text: str) -> list[DateMention]:
    """Every absolute calendar date in `text` ("December 5th", "5 Dec 2026", "12/05", "2026-12-05").
    Weekday names alone ("Friday") are relative and not returned."""
    if not _DIGIT.search(text):
        return []  # every form of a calendar date has a digit
    mentions: list[DateMention | None] = []
    for match in _MONTH_DAY.finditer(text):
        year = int(match.group(3)) if match.group(3) else None
        mentions.append(_mention(MONTHS[match.group(1).lower()], int(match.group(2)), year))
    for match in _DAY_MONTH.finditer(text):
        year = int(match.group(3)) if match.group(3) else None
        mentions.append(_mention(MONTHS[match.group(2).lower()], int(match.group(1)), year))
    for match in _NUMERIC_DATE.finditer(text):
        year_text = match.group(3)
        year = None if year_text is None else int(year_text) + (2000 if len(year_text) == 2 else 0)
        mentions.append(_mention(int(match.group(1)), int(match.group(2)), year))
    for match in _ISO_DATE.finditer(text):
        mentions.append(_mention(int(match.group(2)), int(match.group(3)), int(match.group(1))))
    return [mention for mention in mentions if mention is not None]


def _next_on_or_after(today: date, month: int, day: int) -> date | None:
    for year in (today.year, today.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    return None


def _day_of_month(today: date, day: int) -> date | None:
    """The next date (today or later) that falls on `day` of a month."""
    month, year = today.month, today.year
    for _ in range(3):
        try:
            candidate = date(year, month, day)
        except ValueError:
            candidate = None
        if candidate is not None and candidate >= today:
            return candidate
        month, year = (1, year + 1) if month == 12 else (month + 1, year)
    return None


def _ordinal_day(words: list[str], index: int) -> int | None:
    """A day of the month said at `words[index]`: "15th", "fifteenth", "twenty first"."""
    word = words[index]
    match = re.fullmatch(r"(\d{1,2})(st|nd|rd|th)?", word)
    if match:
        return int(match.group(1))
    if word in _ORDINALS:
        return _ORDINALS[word]
    if word in TENS and index + 1 < len(words) and words[index + 1] in _ORDINALS:
        return TENS[word] + _ORDINALS[words[index + 1]]
    return None


def parse_date(text: str, today: date) -> date | None:
    """The date a customer means, relative to `today` (their local date): "today", "tomorrow", "Friday",
    "next Friday", "in two weeks", "in 10 days", "on the 15th", "December 5th", "12/5", "end of the month",
    "first of next month". None when no date is said."""
    for reader in (_named_day, _calendar_date, _days_from_now, _weekday, _day_of_month_said):
        found = reader(text, today)
        if found is not None:
            return found
    return None


def _month_after(today: date) -> tuple[int, int]:
    return (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)


def _named_day(text: str, today: date) -> date | None:
    lowered = text.lower()
    next_year, next_month = _month_after(today)
    patterns: tuple[tuple[str, date], ...] = (
        (r"\bday after tomorrow\b", today + timedelta(days=2)),
        (r"\btomorrow\b", today + timedelta(days=1)),
        (
            r"\b(end of (the |this )?month|last day of (the |this )?month)\b",
            _month_end(today.year, today.month),
        ),
        (r"\bend of next month\b", _month_end(next_year, next_month)),
        (r"\b(first of next month|beginning of next month|next month)\b", date(next_year, next_month, 1)),
    )
    for pattern, value in patterns:
        if re.search(pattern, lowered):
            return value
    if re.search(r"\b(today|right now|now)\b", lowered) and not re.search(r"\bnot (today|now)\b", lowered):
        return today
    return None


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _calendar_date(text: str, today: date) -> date | None:
    for mention in extract_date_mentions(text):
        if mention.year is None:
            found = _next_on_or_after(today, mention.month, mention.day)
        else:
            try:
                found = date(mention.year, mention.month, mention.day)
            except ValueError:
                found = None
        if found is not None:
            return found
    return None


def _days_from_now(text: str, today: date) -> date | None:
    relative = re.search(r"\bin\s+(\w+(?:\s+\w+)?)\s+(day|days|week|weeks)\b", text.lower())
    if not relative:
        return None
    said = tokens(relative.group(1))
    if said in (["a"], ["an"]):
        amount: int | None = 1
    elif said and said[0].isdigit():
        amount = int(said[0])
    else:
        amount = words_to_number(said)
    if amount is None:
        return None
    return today + timedelta(days=amount * (7 if relative.group(2).startswith("week") else 1))


def _weekday(text: str, today: date) -> date | None:
    words = tokens(text)
    for index, word in enumerate(words):
        if word in WEEKDAYS:
            ahead = (WEEKDAYS[word] - today.weekday()) % 7
            if index and words[index - 1] == "next":
                # "next Friday" said early in the week means the Friday of next week.
                ahead = (ahead + 7 if ahead < 3 else ahead) or 7
            return today + timedelta(days=ahead)
    return None


def _day_of_month_said(text: str, today: date) -> date | None:
    words = tokens(text)
    for index, word in enumerate(words):
        if word == "the" and index + 1 < len(words):
            day = _ordinal_day(words, index + 1)
            if day is not None:
                return _day_of_month(today, day)
        if re.fullmatch(r"\d{1,2}(st|nd|rd|th)", word):
            day = _ordinal_day(words, index)
            if day is not None:
                return _day_of_month(today, day)
    return None


SPANISH_WEEKDAYS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
SPANISH_MONTHS = (
    "enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
    "noviembre", "diciembre",
)  # fmt: skip


def spoken_date(value: date, language: str = "en") -> str:
    """How the agent says a date: "Friday, December 5"; in Spanish "viernes 5 de diciembre" (static names,
    not the process locale)."""
    if language == "es":
        return f"{SPANISH_WEEKDAYS[value.weekday()]} {value.day} de {SPANISH_MONTHS[value.month - 1]}"
    return f"{calendar.day_name[value.weekday()]}, {calendar.month_name[value.month]} {value.day}"


def spoken_amount(value: Decimal, language: str = "en") -> str:
    """How the agent says (writes) an amount: "$1,200.00". US Spanish writes dollars the same way (the
    voice reads "$1,200.00" as "mil doscientos dólares"), so the output guard finds the figure either way."""
    return f"${value:,.2f}"
