"""Card data said aloud: find a card number, an expiry date or a security code in what a customer said (as
speech recognition wrote it) and remove it, so it never reaches the model, the transcript, live events, the
API or the logs. Card data is only ever keyed on the keypad, straight to the gateway (PCI DSS 3.3: sensitive
authentication data, the security code above all, is never stored after authorization).

A card number is 13 to 19 digits said in any mix of numerals, digit words ("four two"), pairs ("forty
two"), "oh" for zero and "double four", with spaces, dashes or fillers between them. Fewer digits count as
a card number only after a card cue ("my card number is ...") or when a card is expected. An expiry and a
security code are recognised by their cue words ("expires", "cvv", "the three digits on the back"), or
without them when `expecting_card` (the customer was asked for card details or just read out a card
number). Amounts ("two thousand four hundred dollars"), dates that are no expiry ("the fifteenth of
december"), last-4 and ZIP answers, phone numbers and case numbers stay.

Pure and dependency-free; `mentions_card_data` is cheap enough for every log record."""

from __future__ import annotations

import re
from dataclasses import dataclass

from shared.policy.spoken import MONTHS, MULTIPLIERS, TENS, UNITS

CARD_NUMBER = "card_number"
EXPIRY = "expiry"
SECURITY_CODE = "security_code"

CARD_NUMBER_REMOVED = "[card number removed]"
EXPIRY_REMOVED = "[expiry removed]"
SECURITY_CODE_REMOVED = "[security code removed]"
_REPLACEMENT = {
    CARD_NUMBER: CARD_NUMBER_REMOVED,
    EXPIRY: EXPIRY_REMOVED,
    SECURITY_CODE: SECURITY_CODE_REMOVED,
}


@dataclass(frozen=True)
class CardRedaction:
    """`text` with card data replaced; `found`: which kinds were removed (a subset of card_number, expiry,
    security_code)."""

    text: str
    found: frozenset[str]


_UNITS, _TENS, _MULTIPLIERS, _MONTHS = UNITS, TENS, MULTIPLIERS, MONTHS  # the words people say numbers with
# Said between the digits of one number without ending it.
_FILLERS = {"um", "uh", "er", "erm", "ah", "hmm", "mm", "uhh", "umm", "like", "dash"}
_CURRENCY = {"dollar", "dollars", "bucks", "cents", "usd"}
# Words between a cue and its value: "the expiration date is um", "cvv on the back is".
_GLUE = {
    "is", "its", "it's", "it", "date", "on", "in", "of", "the", "a", "my", "that's", "thats", "be", "would",
    "will", "should", "are", "number", "code", "at", "end", "so", "and", "then", "uh", "um", "er", "ah",
    "like", "you", "know", "okay", "ok", "yeah", "thru", "through", "until", "card", "digits", "back", "says",
    "reads", "month", "year", "with", "there", "well", "sorry", "i", "think", "was", "for", "to", ":",
    "-", ",", ".", "/", "'s", "s",
}  # fmt: skip

_EXPIRY_CUES = (
    ("expires",), ("expire",), ("expiring",), ("expired",), ("expiry",), ("expiration",), ("exp",),
    ("valid", "thru"), ("valid", "through"), ("valid", "until"), ("good", "thru"), ("good", "through"),
    ("good", "until"), ("exp", "date"),
)  # fmt: skip
_SECURITY_CUES = (
    ("cvv",), ("cvv2",), ("cvc",), ("cvc2",), ("cid",), ("csc",), ("security", "code"),
    ("security", "number"), ("security", "digits"), ("verification", "code"), ("verification", "number"),
    ("three", "digits", "on", "the", "back"), ("four", "digits", "on", "the", "front"),
    ("three", "digit", "code"), ("four", "digit", "code"), ("code", "on", "the", "back"),
    ("number", "on", "the", "back"), ("digits", "on", "the", "back"), ("on", "the", "back"),
    ("c", "v", "v"), ("see", "vee", "vee"),
)  # fmt: skip
_CARD_CUES = {
    "card",
    "visa",
    "mastercard",
    "master",
    "amex",
    "american",
    "discover",
    "debit",
    "credit",
    "cc",
}
# A long number after one of these is a case or reference number, not a card (unless it passes Luhn).
_REFERENCE_CUES = {
    "case", "reference", "ref", "confirmation", "ticket", "claim", "docket", "order", "tracking", "invoice",
    "file", "complaint", "routing", "member", "policy",
}  # fmt: skip

# ISO dates, decimals and "12/30" are single tokens (never digits of a card number); letters glued to digits
# make an id ("CA12ab", "15th"), not a number.
_TOKEN = re.compile(r"\d{4}-\d{2}-\d{2}|\d+\.\d+|\d+/\d+|[a-z\d]+(?:'[a-z]+)?|[^\sa-z\d]", re.IGNORECASE)
_SLASH_DATE = re.compile(r"(\d{1,2})/(\d{2}|\d{4})")


@dataclass(frozen=True)
class _Token:
    word: str
    start: int
    end: int


@dataclass(frozen=True)
class _Run:
    """Consecutive digit tokens: indexes into the token list (end exclusive) and the digits they say."""

    first: int
    end: int
    digits: str


def _tokens(text: str) -> list[_Token]:
    return [_Token(m.group(0).lower(), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def _is_digit_word(word: str) -> bool:
    return word.isdigit() or word in _UNITS or word in _TENS or word in _MULTIPLIERS


def _runs(tokens: list[_Token]) -> list[_Run]:
    """Every run of digits said, joined across spaces, dashes, commas, periods and fillers."""
    runs: list[_Run] = []
    index = 0
    while index < len(tokens):
        word = tokens[index].word
        if not _is_digit_word(word) or (word in _MULTIPLIERS and not _next_unit(tokens, index)):
            index += 1
            continue
        run = _run_from(tokens, index)
        runs.append(run)
        index = run.end
    return runs


_SEPARATORS = {"-", ",", "."}


def _run_from(tokens: list[_Token], first: int) -> _Run:
    digits: list[str] = []
    multiplier, index, last = 1, first, first
    while index < len(tokens):
        word = tokens[index].word
        if word in _FILLERS or word in _SEPARATORS:
            # A filler or separator joins only when more digits follow it.
            ahead = index + 1
            while ahead < len(tokens) and (
                tokens[ahead].word in _FILLERS or tokens[ahead].word in _SEPARATORS
            ):
                ahead += 1
            if ahead < len(tokens) and _is_digit_word(tokens[ahead].word):
                index = ahead
                continue
            break
        if not _is_digit_word(word):
            break
        if word.isdigit():
            digits.append(word)
        elif word in _MULTIPLIERS:
            multiplier = _MULTIPLIERS[word]
        elif word in _TENS:
            following = tokens[index + 1].word if index + 1 < len(tokens) else ""
            if following in _UNITS and 0 < _UNITS[following] < 10:
                digits.append(str(_TENS[word] + _UNITS[following]))
                index += 1
            else:
                digits.append(str(_TENS[word]))
        else:
            digits.append(str(_UNITS[word]) * multiplier)
            multiplier = 1
        last = index
        index += 1
    return _Run(first, last + 1, "".join(digits))


def _next_unit(tokens: list[_Token], index: int) -> bool:
    return index + 1 < len(tokens) and tokens[index + 1].word in _UNITS


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum every payment card number satisfies."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _cue_index(cues: tuple[tuple[str, ...], ...]) -> dict[str, tuple[tuple[str, ...], ...]]:
    index: dict[str, list[tuple[str, ...]]] = {}
    for cue in cues:
        index.setdefault(cue[0], []).append(cue)
    return {first: tuple(found) for first, found in index.items()}


_SECURITY_INDEX = _cue_index(_SECURITY_CUES)
_EXPIRY_INDEX = _cue_index(_EXPIRY_CUES)


def _cue_ends(tokens: list[_Token], cues: dict[str, tuple[tuple[str, ...], ...]]) -> list[int]:
    """Index just past each cue phrase found in `tokens` (cues indexed by their first word)."""
    ends = []
    for index, token in enumerate(tokens):
        for cue in cues.get(token.word, ()):
            if all(
                index + offset < len(tokens) and tokens[index + offset].word == word
                for offset, word in enumerate(cue)
            ):
                ends.append(index + len(cue))
                break
    return ends


def _skip_glue(tokens: list[_Token], index: int, limit: int = 6) -> int:
    skipped = 0
    while index < len(tokens) and tokens[index].word in _GLUE and skipped < limit:
        index += 1
        skipped += 1
    return index


def _year_end(tokens: list[_Token], index: int) -> int | None:
    """Past a year said after a month ("thirty", "twenty thirty", "two thousand thirty", "2030", "30")."""
    if index < len(tokens) and tokens[index].word in {",", "of"}:
        index += 1
    if index >= len(tokens):
        return None
    word = tokens[index].word
    if word.isdigit() and len(word) in (2, 4):
        return index + 1
    if word == "two" and index + 1 < len(tokens) and tokens[index + 1].word == "thousand":
        index += 2
        if index < len(tokens) and tokens[index].word == "and":
            index += 1
        word = tokens[index].word if index < len(tokens) else ""
    elif word == "twenty" and index + 1 < len(tokens) and tokens[index + 1].word in _TENS:
        index += 1
        word = tokens[index].word
    if word in _TENS:
        if (
            index + 1 < len(tokens)
            and tokens[index + 1].word in _UNITS
            and _UNITS[tokens[index + 1].word] < 10
        ):
            return index + 2
        return index + 1
    if word in _UNITS and _UNITS[word] >= 10:
        return index + 1
    return None


def _month_year(tokens: list[_Token], index: int) -> int | None:
    """Past a month name and its year at `index` ("december twenty thirty", "dec 2030"), else None."""
    if index < len(tokens) and tokens[index].word in _MONTHS:
        return _year_end(tokens, index + 1)
    return None


def _valid_expiry_digits(digits: str) -> bool:
    if len(digits) == 3:
        digits = "0" + digits
    if len(digits) not in (4, 6):
        return False
    return 1 <= int(digits[:2]) <= 12


@dataclass
class _Finder:
    tokens: list[_Token]
    runs: list[_Run]
    spans: list[tuple[int, int, str]]  # token first, token end (exclusive), kind

    def run_at(self, index: int) -> _Run | None:
        for run in self.runs:
            if run.first == index:
                return run
        return None

    def covered(self, index: int) -> bool:
        return any(first <= index < end for first, end, _ in self.spans)

    def add(self, first: int, end: int, kind: str) -> None:
        self.spans.append((first, end, kind))

    def value_after(self, index: int, kind: str) -> bool:
        """Remove the expiry or security code said right after a cue ending at `index`."""
        start = _skip_glue(self.tokens, index)
        if start >= len(self.tokens) or self.covered(start):
            return False
        word = self.tokens[start].word
        if _SLASH_DATE.fullmatch(word):
            self.add(start, start + 1, EXPIRY)
            return True
        if kind == EXPIRY:
            end = _month_year(self.tokens, start)
            if end is not None:
                self.add(start, end, EXPIRY)
                return True
        run = self.run_at(start)
        if run is None or len(run.digits) < 2 or _followed_by_currency(self.tokens, run):
            return False
        found = kind
        if len(run.digits) >= 13:
            found = CARD_NUMBER
        self.add(run.first, _slash_continuation(self.tokens, self.runs, run), found)
        return True


def _slash_continuation(tokens: list[_Token], runs: list[_Run], run: _Run) -> int:
    """The end of a run, or of "twelve slash thirty" when the run is followed by slash and more digits."""
    if run.end < len(tokens) and tokens[run.end].word in {"slash", "/"}:
        for later in runs:
            if later.first == run.end + 1:
                return later.end
    return run.end


def _followed_by_currency(tokens: list[_Token], run: _Run) -> bool:
    return run.end < len(tokens) and tokens[run.end].word in _CURRENCY


def _preceded_by(tokens: list[_Token], run: _Run, cues: set[str], window: int) -> bool:
    return any(token.word in cues for token in tokens[max(0, run.first - window) : run.first])


def _bare_runs(finder: _Finder, *, expecting_card: bool) -> None:
    """Digit runs with no expiry or security-code cue: card numbers by their length (or after a card cue),
    and, when a card is expected, an expiry or a security code by theirs."""
    tokens = finder.tokens
    card_cued = any(token.word in _CARD_CUES for token in tokens)
    for run in finder.runs:
        if finder.covered(run.first):
            continue
        count = len(run.digits)
        if count >= 13:
            reference = _preceded_by(tokens, run, _REFERENCE_CUES, 4) and not _preceded_by(
                tokens, run, _CARD_CUES, 4
            )
            if not reference or (count <= 19 and luhn_valid(run.digits)):
                finder.add(run.first, run.end, CARD_NUMBER)
        elif _followed_by_currency(tokens, run) or _preceded_by(tokens, run, _REFERENCE_CUES, 4):
            continue
        elif count >= 6 and (expecting_card or (card_cued and _preceded_by(tokens, run, _CARD_CUES, 8))):
            finder.add(run.first, run.end, CARD_NUMBER)
        elif expecting_card:
            end = _slash_continuation(tokens, finder.runs, run)
            if end != run.end or (count == 4 and _valid_expiry_digits(run.digits)):
                finder.add(run.first, end, EXPIRY)  # "twelve slash thirty", "one two three zero"
            elif count in (3, 4):
                finder.add(run.first, run.end, SECURITY_CODE)


def _bare_dates(finder: _Finder) -> None:
    """When a card is expected: "12/30" and a month with a year ("december twenty thirty") are its expiry."""
    tokens = finder.tokens
    for index, token in enumerate(tokens):
        if finder.covered(index):
            continue
        end = index + 1 if _SLASH_DATE.fullmatch(token.word) else _month_year(tokens, index)
        if end is not None:
            finder.add(index, end, EXPIRY)


def redact_card_data(text: str, *, expecting_card: bool = False) -> CardRedaction:
    """`text` with every card number, expiry and security code said in it replaced by a marker."""
    tokens = _tokens(text)
    if not tokens:
        return CardRedaction(text, frozenset())
    finder = _Finder(tokens, _runs(tokens), [])
    for end in _cue_ends(tokens, _SECURITY_INDEX):
        finder.value_after(end, SECURITY_CODE)
    for end in _cue_ends(tokens, _EXPIRY_INDEX):
        finder.value_after(end, EXPIRY)
    _bare_runs(finder, expecting_card=expecting_card)
    if expecting_card:
        _bare_dates(finder)
    if not finder.spans:
        return CardRedaction(text, frozenset())
    return _apply(text, tokens, finder.spans)


def _apply(text: str, tokens: list[_Token], spans: list[tuple[int, int, str]]) -> CardRedaction:
    merged: list[tuple[int, int, str]] = []
    for first, end, kind in sorted(spans):
        if merged and first < merged[-1][1]:
            previous = merged[-1]
            # Overlapping finds become one: a card number wins over the parts it swallowed.
            winner = CARD_NUMBER if CARD_NUMBER in (kind, previous[2]) else previous[2]
            merged[-1] = (previous[0], max(previous[1], end), winner)
        else:
            merged.append((first, end, kind))
    pieces: list[str] = []
    cursor = 0
    for first, end, kind in merged:
        pieces.append(text[cursor : tokens[first].start])
        pieces.append(_REPLACEMENT[kind])
        cursor = tokens[end - 1].end
    pieces.append(text[cursor:])
    return CardRedaction("".join(pieces), frozenset(kind for _, _, kind in merged))


def mentions_card_data(text: str) -> bool:
    """Whether `text` says a card number, expiry or security code (with its cue words)."""
    return bool(redact_card_data(text).found)
