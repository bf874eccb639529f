"""What the caller's own words establish, read by code — never by the model.

A tool call from a language model is a *request* for code to check; its arguments are hints at most. The facts
that carry legal or money weight are read here from the caller's utterances as speech recognition delivers them
(lower case, no punctuation, numbers as words, fillers, false starts):

- who the person says they are (`read_identity_claim`): the customer, someone else, or not yet said;
- the verification factors they said (`heard_factors`): the last 4 digits and the ZIP code;
- their answer to a read-back of terms (`read_consent`): an unconditional yes, a no, a counter-offer (new terms
  in the answer), or unclear;
- whether a read-back was heard in full (`heard_in_full`), from what the telephony harness reports was spoken.

Pure functions over text; the agent host keeps the utterances and asks."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from shared.policy.spoken import digit_groups, extract_amounts, extract_numbers, parse_date, tokens

# --- Identity ------------------------------------------------------------------------------------------------


class IdentityClaim(StrEnum):
    CUSTOMER = "customer"  # says they are the person the call is for
    OTHER_PERSON = "other_person"  # says they are someone else (spouse, roommate, wrong number)
    UNSAID = "unsaid"  # neither (a question, a greeting, silence)


def _rx(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


_FILLERS = re.compile(
    r"(?<![\w'])(?:u+m+|u+h+|e+r+m*|h+m+|m{2,}|you know|i mean)(?![\w'])[\s,]*", re.IGNORECASE
)
# Said for yes and no without a yes or no word (recognizers write them several ways).
_GRUNT_YES = re.compile(r"(?<![\w'])(?:uh[ -]?huh|mm[ -]?hmm+|m+hm+|yeah yeah)(?![\w'])", re.IGNORECASE)
_GRUNT_NO = re.compile(r"(?<![\w'])(?:uh[ -]?uh|unh[ -]?unh|nuh[ -]?uh)(?![\w'])", re.IGNORECASE)
_LEADING = re.compile(r"^(?:(?:well|so|oh|like|okay so|ok so|look|listen)\b[\s,]*)+", re.IGNORECASE)

_OTHER_PERSON = _rx(
    r"(?<!thought this was a )(?<!thought it was a )\bwrong (?:number|person|guy|lady|house)\b",
    r"\b[a-z]+(?:'s| is|'re| are) not (?:here|home|in|around|available)\b",
    r"\b[a-z]+ (?:isn'?t|aren'?t|ain'?t) (?:here|home|in|around|available)\b",
    r"\b(?:he|she|they)(?:'s| is|'re| are) (?:at work|out|away|asleep|sleeping|busy|in the shower)\b",
    r"\bthis is (?:his|her|their) (?:wife|husband|spouse|partner|son|daughter|mother|mom|father|dad|"
    r"brother|sister|roommate|friend|girlfriend|boyfriend|kid|child|caregiver|neighbor)\b",
    r"\bi'?m (?:his|her|their) (?:wife|husband|spouse|partner|son|daughter|mother|mom|father|dad|brother|"
    r"sister|roommate|friend|girlfriend|boyfriend|kid|child|caregiver|neighbor)\b",
    r"\b(?:no one|nobody|no body) (?:here )?(?:by|with|named|called) that name\b",
    r"\b(?:doesn'?t|does not|don'?t|no longer) live(?:s)? here\b",
    r"\bnever heard of (?:him|her|them)\b",
    r"\b(?:i'?m|i am|this is|it'?s) not (?:him|her|them|he|she|who you)\b",
    r"\bnot (?:me|my name)\b",
    r"\byou have the wrong\b",
    r"\bi just got this (?:number|phone)\b",
    r"\bcan i take a message\b",
    r"\b(?:he|she) (?:passed away|died|is deceased|passed)\b",
    # Calling about someone else's account: "i'm calling about my husband's account avery ashgrove".
    r"\b(?:my|our) (?:wife|husband|spouse|partner|son|daughter|mother|mom|father|dad|brother|sister|roommate|"
    r"friend|girlfriend|boyfriend|kid|child|grandmother|grandma|grandfather|grandpa|aunt|uncle|client|"
    r"tenant|patient)(?:'s|s) (?:account|card|credit card|bill|loan|debt|balance)\b",
    r"\b(?:calling|call|here) (?:for|on behalf of) my (?:wife|husband|spouse|partner|son|daughter|mother|mom|"
    r"father|dad|brother|sister|friend|client)\b",
)
_NEGATION_START = re.compile(r"^(?:no|nope|nah|negative)\b(?! problem| worries)", re.IGNORECASE)
_CONFIRMS = _rx(
    r"^(?:yes|yeah|yep|yup|ya|yah|sure|correct|speaking|affirmative|that'?s right|that is right)\b",
    r"\b(?:this is|it'?s|it is) (?:she|he|him|her|me)\b",
    r"\b(?:yes|yeah|yep|yup|speaking)\b",
    r"\bthat'?s me\b",
    r"\bthat is me\b",
    r"\bit'?s me\b",
    r"\byou(?:'ve| have)? got (?:him|her|me|them)\b",
    r"\byou(?:'re| are) (?:talking|speaking) (?:to|with) (?:him|her|me)\b",
    r"\bi am\b$",
    r"\byes (?:it is|i am|this is)\b",
)
# A name the person gives for themselves: only forms that cannot be something else ("i'm driving").
_SELF_NAMING = re.compile(
    r"\b(?:my name is|my name'?s|you'?re (?:speaking|talking) (?:to|with)|this is) ([a-z']+(?: [a-z']+)?) speaking\b"
    r"|\b(?:my name is|my name'?s|you'?re (?:speaking|talking) (?:to|with)) ([a-z']+(?: [a-z']+)?)",
    re.IGNORECASE,
)
_NOT_NAMES = frozenset(
    [
        "she",
        "he",
        "him",
        "her",
        "me",
        "it",
        "the",
        "a",
        "an",
        "just",
        "calling",
        "here",
        "speaking",
        "good",
        "fine",
        "busy",
        "not",
        "sorry",
        "who",
        "what",
        "why",
        "yes",
        "yeah",
        "ok",
        "okay",
        "so",
        "um",
        "uh",
        "driving",
        "working",
        "at",
        "in",
        "on",
    ]
)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _name_parts(name: str) -> list[str]:
    return [part for part in re.split(r"[^a-z']+", _fold(name)) if part]


def clean(text: str) -> str:
    """An utterance without fillers and punctuation, lower case: what the rules read."""
    folded = _fold(text.replace("\u2019", "'"))
    folded = _GRUNT_NO.sub(" no ", _GRUNT_YES.sub(" yes ", folded))
    folded = re.sub(r"[^\w\s'$.,/-]", " ", folded)
    folded = re.sub(r"[,.;!?]+(?=\s|$)", " ", folded)
    return _LEADING.sub("", re.sub(r"\s+", " ", _FILLERS.sub(" ", folded)).strip()).strip()


def read_identity_claim(text: str, customer_name: str) -> IdentityClaim:
    """Whether the person says they are the customer `customer_name`. A name said that is not the customer's
    ("this is john") is another person; the customer's first or full name ("this is ari", "ari lanternmoor")
    is the customer; "speaking", "that's me", "you got him", a plain "yes" to "may I speak with ..." too."""
    said = clean(text)
    if not said:
        return IdentityClaim.UNSAID
    if _OTHER_PERSON.search(said):
        return IdentityClaim.OTHER_PERSON
    parts = _name_parts(customer_name)
    words = set(re.findall(r"[a-z']+", said))
    names_customer = bool(parts) and (parts[0] in words or (len(parts) > 1 and parts[-1] in words))
    for match in _SELF_NAMING.finditer(said):
        named = [w for w in (match.group(1) or match.group(2) or "").split() if w not in _NOT_NAMES]
        if named and not names_customer and not any(w in parts for w in named):
            return IdentityClaim.OTHER_PERSON
    if _NEGATION_START.match(said) and not names_customer:
        return IdentityClaim.OTHER_PERSON
    if names_customer or _CONFIRMS.search(said):
        return IdentityClaim.CUSTOMER
    return IdentityClaim.UNSAID


def heard_factors(utterances: Iterable[str]) -> tuple[str | None, str | None]:
    """The last 4 digits and the 5-digit ZIP code the caller said across `utterances` (the latest of each
    wins: a caller who corrects themselves is taken at their last word). A nine-digit run with neither said
    separately is last 4 then ZIP ("four three two one eight five zero zero four")."""
    last4: str | None = None
    postal: str | None = None
    for text in utterances:
        groups = digit_groups(text)
        fours = [g for g in groups if len(g) == 4]
        fives = [g[:5] for g in groups if len(g) in {5, 9}]
        nine = next((g for g in groups if len(g) == 9), None)
        if nine and not fours and len(fives) == 1:
            last4, postal = nine[:4], nine[4:]
            continue
        if fours:
            last4 = fours[-1]
        if fives:
            postal = fives[-1]
    return last4, postal


# --- Consent to read-back terms --------------------------------------------------------------------------------


class Answer(StrEnum):
    ACCEPT = "accept"  # an unconditional yes to the terms as read
    DECLINE = "decline"
    COUNTER = "counter"  # new or different terms in the answer: a counter-offer for the negotiation engine
    UNCLEAR = "unclear"  # neither (a question, "i guess", a yes with a condition and no terms)


@dataclass(frozen=True)
class Terms:
    """The figures of the terms that were read back: what an answer may repeat without changing them."""

    amounts: frozenset[Decimal]
    dates: frozenset[date]
    installments: int | None = None


@dataclass(frozen=True)
class ConsentReading:
    answer: Answer
    amounts: tuple[Decimal, ...] = ()  # amounts named that differ from the terms
    when: date | None = None  # a day named that differs from the terms
    installments: int | None = None  # a count named that differs from the terms
    settle: bool = False  # asks to pay less than the balance


_YES = _rx(
    r"^(?:yes|yeah|yep|yup|ya|yah|sure|ok|okay|alright|all right|correct|absolutely|definitely|of course|certainly|"
    r"agreed|fine|deal|perfect|sounds good|that works|let'?s do it|do it|go ahead|please do)\b",
    r"\bi (?:agree|accept|do|will|can do that|'?ll take it|'?ll do it|'?m in|'?m okay with (?:that|it|this))\b",
    r"\b(?:that|this|it) (?:works|sounds (?:good|great|fine|right)|is fine|'?s fine|is good|'?s good|is correct|"
    r"'?s correct|is right|'?s right)\b",
    r"\bsounds (?:good|great|fine|right)\b",
    r"\blet'?s do (?:it|that|this)\b",
    r"\b(?:works|fine) (?:for|with) me\b",
    r"\byou got it\b",
    r"\bgo ahead\b",
    r"\bset it up\b",
    r"\bsign me up\b",
)
_NO = _rx(
    r"^(?:no|nope|nah|negative|not really)\b(?! problem| worries| doubt)",
    r"\bi (?:don'?t|do not|can'?t|cannot|won'?t|will not) (?:agree|accept|do (?:that|it|this)|afford (?:that|it|this)|"
    r"pay (?:that|it|this))\b",
    r"\b(?:that|this|it) (?:won'?t|doesn'?t|does not|will not|isn'?t going to|is not going to) work\b",
    r"\bnot (?:agreeing|accepting|interested)\b",
    r"\bno way\b",
    r"\bforget (?:it|that)\b",
    r"\b(?:don'?t|do not) set (?:it|that) up\b",
    r"\bi (?:changed|change) my mind\b",
    r"\bnever ?mind\b",
)
_CONDITION = _rx(
    r"\bbut\b",
    r"\b(?:only )?if\b",
    r"\bas long as\b",
    r"\bunless\b",
    r"\bexcept\b",
    r"\bprovided\b",
    r"\binstead\b",
    r"\bmake it\b",
    r"\bcan (?:we|you|i) (?:make|do|change|move|push|switch)\b",
    r"\bhow about\b",
    r"\bwhat about\b",
    r"\brather\b",
)
_HEDGE = _rx(
    r"\bi guess\b",
    r"\bmaybe\b",
    r"\bi suppose\b",
    r"\bprobably\b",
    r"\bi think so\b",
    r"\bnot sure\b",
    r"\bi don'?t know\b",
    r"\bhold on\b",
    r"\bwait\b",
    r"\blet me (?:think|check|see|talk|ask)\b",
    r"\bi(?:'ll| will) (?:think|have to think|need to think|call back|check)\b",
    r"^(?:what|huh|sorry|pardon|excuse me)\b",
    r"\bsay (?:that|it) again\b",
    r"\brepeat\b",
    r"\bwhat was (?:that|it)\b",
)
_SETTLE = _rx(
    r"\bsettle",
    r"\bsettlement\b",
    r"\b(?:less|lower|cheaper|discount|reduce)\b",
    r"\bknock\b(?: \w+){0,2} (?:off|down)\b",
    r"\bwaive\b",
    r"\bcut (?:it|that) (?:down|in half)\b",
    r"\bhalf\b",
)
_INSTALLMENTS = re.compile(
    r"\b(?:(?:over|in|for)\s+)?(\w+(?:[\s-]\w+)?)\s+(?:months|monthly payments|payments|installments)\b",
    re.IGNORECASE,
)


def read_consent(text: str, terms: Terms, *, today: date) -> ConsentReading:
    """The caller's answer to a read-back of `terms`. Only a yes with nothing added is acceptance: new figures
    (an amount, a day, a number of payments the terms do not have) or a request to pay less make the answer a
    counter-offer; a no, or a yes taken back ("yes... no wait"), declines; a hedge or a condition without terms
    is unclear."""
    said = clean(text)
    if not said:
        return ConsentReading(Answer.UNCLEAR)
    installments = None
    match = _INSTALLMENTS.search(said)
    if match:
        counted = extract_numbers(match.group(1))
        installments = int(counted[0]) if counted else None
    counted_as_money = {Decimal(installments)} if installments is not None else set()
    amounts = tuple(
        a
        for a in (*extract_amounts(said, bare_separated=False), *_bare_money(said, counted_as_money))
        if a not in terms.amounts
    )
    when = parse_date(said, today)
    new_when = when if when is not None and when not in terms.dates else None
    new_count = installments if installments is not None and installments != terms.installments else None
    settle = bool(_SETTLE.search(said))
    if amounts or new_when is not None or new_count is not None or settle:
        return ConsentReading(
            Answer.COUNTER,
            amounts=tuple(dict.fromkeys(amounts)),
            when=new_when,
            installments=new_count,
            settle=settle,
        )
    declines = bool(_NO.search(said))
    accepts = bool(_YES.search(said))
    if declines:
        return ConsentReading(Answer.DECLINE)
    if accepts and not _CONDITION.search(said) and not _HEDGE.search(said):
        return ConsentReading(Answer.ACCEPT)
    return ConsentReading(Answer.UNCLEAR)


def _bare_money(said: str, exclude: set[Decimal]) -> list[Decimal]:
    """Numbers that can only be money in an answer to terms ("i can do one fifty"): five or more, not a day
    of the month said with a date word, not the count of payments."""
    if parse_date(said, date(2000, 1, 1)) is not None and not re.search(r"\b(?:dollars?|bucks)\b", said):
        return []
    return [n for n in extract_numbers(said) if n >= 5 and n not in exclude]


# --- What the caller heard ------------------------------------------------------------------------------------

_WORDS = re.compile(r"[a-z0-9$]+")


def _words(text: str) -> list[str]:
    return _WORDS.findall(_fold(text).replace(",", ""))


def heard_in_full(spoken: str, heard: Sequence[str]) -> bool:
    """Whether the words of `spoken` all reached the caller: `heard` is what the telephony harness reported as
    spoken (its acknowledgements, possibly cut short by a barge-in). Compared word by word, ignoring case and
    punctuation (text-to-speech reports drop both)."""
    wanted = _words(spoken)
    if not wanted:
        return True
    got = _words(" ".join(heard))
    width = len(wanted)
    return any(got[start : start + width] == wanted for start in range(len(got) - width + 1))


__all__ = [
    "Answer",
    "ConsentReading",
    "IdentityClaim",
    "Terms",
    "clean",
    "heard_factors",
    "heard_in_full",
    "read_consent",
    "read_identity_claim",
    "tokens",
]
