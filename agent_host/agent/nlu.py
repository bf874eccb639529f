"""The scripted brain's understanding of what the customer said: intents (yes/no, wrong person, voicemail
greeting, stop calling, dispute, hardship, a person, a plan, a settlement, ...) and slots (digits for last 4
and postal code, amounts, dates). Keyword and pattern rules: deterministic, fast, explainable."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from shared.policy.legal_events import LegalEventKind, recognize
from shared.policy.spoken import digit_groups, extract_amounts, extract_numbers, parse_date


class Intent(StrEnum):
    YES = "yes"
    NO = "no"
    WRONG_PERSON = "wrong_person"
    NOT_AVAILABLE = "not_available"
    VOICEMAIL = "voicemail"
    STOP_CALLING = "stop_calling"
    ATTORNEY = "attorney"
    DISPUTE = "dispute"
    HUMAN = "human"
    HARDSHIP = "hardship"
    REFUSE = "refuse"
    CALLBACK = "callback"
    PLAN = "plan"
    SETTLE = "settle"
    PAY_IN_FULL = "pay_in_full"
    PAY_NOW = "pay_now"
    INJECTION = "injection"
    QUESTION_WHO = "question_who"
    DONE = "done"
    UNSURE = "unsure"
    TIME_NOTED = "time_noted"  # times not to call, already acknowledged by code (`agent_host.obligations`)


def _rx(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


_RULES: tuple[tuple[Intent, re.Pattern[str]], ...] = (
    (
        Intent.VOICEMAIL,
        _rx(
            r"leave (?:a|your) (?:message|name)",
            r"after the (?:tone|beep)",
            r"\bvoice ?mail\b",
            r"\bmailbox\b",
            r"not available to take your call",
            r"record your message",
            r"at the tone",
        ),
    ),
    (
        Intent.INJECTION,
        _rx(
            r"ignore (?:all |any |the |your )?(?:previous|prior|above|earlier|your|all)? ?(?:instructions|rules|prompt)",
            r"system prompt",
            r"(?:developer|debug|admin|god|maintenance) mode",
            r"you are now",
            r"\bjailbreak",
            r"disregard (?:your|the|all)",
            r"override",
            r"pretend (?:you|to be|that)",
            r"as an ai",
            r"reveal (?:your|the)",
            r"new instructions",
        ),
    ),
    (
        Intent.WRONG_PERSON,
        _rx(
            r"(?<!thought this was a )(?<!thought it was a )wrong (?:number|person|guy|lady)",
            r"(?:doesn'?t|does not|don'?t|no longer) live(?:s)? here",
            r"no one (?:here )?(?:by|with|named) that name",
            r"nobody (?:here )?(?:by|with|named) that name",
            r"never heard of",
            r"(?:i'?m|i am|this is) not (?:him|her|them|who you)",
            r"don'?t know (?:him|her|them|who that is|anyone)",
            r"you have the wrong",
            r"not (?:me|my name)",
        ),
    ),
    (
        Intent.NOT_AVAILABLE,
        _rx(
            r"(?:he|she|they)(?:'s|'re| is| are) not (?:here|home|in|available)",
            r"(?:he|she|they)(?:'s|'re| is| are) (?:out|away|at work|sleeping|busy)",
            r"can'?t come to the phone",
            r"not (?:here|home) right now",
            r"take a message",
        ),
    ),
    (
        Intent.DISPUTE,
        _rx(
            r"(?:not|isn'?t|ain'?t) my (?:debt|account|card|loan|bill)",
            r"\bdon'?t owe",
            r"\bdo not owe",
            r"\bdisput",
            r"never (?:had|opened|owned) (?:an?|this|that|the)",
            r"(?:that'?s|it'?s|this is) not mine",
            r"already paid (?:this|that|it)",
            r"identity theft",
            r"\bfraud",
            r"don'?t recognize",
            r"(?:this|that) (?:is|'s) (?:wrong|a mistake|an error)",
        ),
    ),
    (
        Intent.HARDSHIP,
        _rx(
            r"lost my (?:job|work|income)",
            r"laid off",
            r"\bunemployed",
            r"out of work",
            r"\bmedical\b",
            r"\bhospital",
            r"\bdisabilit",
            r"can'?t afford",
            r"cannot afford",
            r"\bhardship",
            r"\bstruggling",
            r"fixed income",
            r"\bdivorce",
            r"passed away",
            r"no income",
            r"between jobs",
            r"barely (?:getting by|making ends meet)",
        ),
    ),
    (
        Intent.REFUSE,
        _rx(
            r"\b(?:not|never) (?:going to|gonna) pay",
            r"\bwon'?t pay",
            r"\brefuse",
            r"\bnot paying",
            r"\bno way\b",
            r"\bforget it\b",
            r"not interested",
            r"\bi'?m done\b",
            r"not giving you",
            r"not (?:paying|sending) (?:you )?(?:a|one) (?:dime|cent|penny)",
        ),
    ),
    (
        Intent.CALLBACK,
        _rx(
            r"call (?:me )?(?:back|again) (?:later|tomorrow|on|next|another|at|in)",
            r"\bcall back\b",
            r"\bcall me later",
            r"bad time",
            r"busy right now",
            r"can'?t talk (?:right )?now",
            r"another time",
        ),
    ),
    (
        Intent.PLAN,
        _rx(
            r"payment plan",
            r"\bplan\b",
            r"\binstall?ments?",
            r"\bmonthly\b",
            r"\b(?:a|per|each|every) month\b",
            r"\bspread",
            r"over time",
            r"can'?t pay (?:it |that |this )?all",
            r"in (?:parts|pieces|chunks)",
            r"\bsmaller payments",
        ),
    ),
    (
        Intent.SETTLE,
        _rx(
            r"\bsettle",
            r"\bsettlement",
            r"\bless\b",
            r"\bdiscount",
            r"\blower (?:amount|balance|number)",
            r"\breduc",
            r"lump sum",
            r"better (?:offer|deal)",
            r"do (?:any )?better",
            r"\bmake a deal\b",
        ),
    ),
    (
        Intent.PAY_IN_FULL,
        _rx(
            r"\bpay (?:it |this |that )?(?:all|in full|the full|the whole|everything|off|the entire)",
            r"\bfull (?:amount|balance)",
            r"\bwhole (?:thing|balance|amount)",
            r"\bentire (?:balance|amount)",
            r"\bin full\b",
        ),
    ),
    (
        Intent.PAY_NOW,
        _rx(
            r"\bpay (?:it |this |that )?(?:now|today|right now|right away)",
            r"\bby (?:card|credit card|debit card)",
            r"\bover the phone",
            r"\bwith (?:my|a) (?:card|credit card|debit card)",
            r"\bcard\b",
        ),
    ),
    (
        Intent.QUESTION_WHO,
        _rx(
            r"who (?:is (?:this|calling)|are you)",
            r"what(?:'s| is) (?:this|it) (?:about|regarding)",
            r"why are you calling",
            r"what do you want",
            r"what company",
        ),
    ),
    (
        Intent.DONE,
        _rx(
            r"\bthat'?s (?:all|it|everything)\b",
            r"\bnothing (?:else|more)\b",
            r"\bgood ?bye\b",
            r"\bbye\b",
            r"\bno,? thanks?\b",
            r"\bno,? thank you\b",
            r"\bi'?m (?:good|all set|fine)\b",
            r"\bwe'?re done\b",
        ),
    ),
    (
        Intent.UNSURE,
        _rx(r"\bi don'?t know\b", r"\bnot sure\b", r"\bmaybe\b", r"\bi'?ll think", r"\bneed to think"),
    ),
)

_LEGAL_INTENTS = {
    LegalEventKind.CEASE: Intent.STOP_CALLING,
    LegalEventKind.CEASE_NUMBER: Intent.STOP_CALLING,
    LegalEventKind.CEASE_CHANNEL: Intent.STOP_CALLING,
    LegalEventKind.ATTORNEY: Intent.ATTORNEY,
    LegalEventKind.HUMAN_REQUEST: Intent.HUMAN,
    LegalEventKind.INCONVENIENT_TIME: Intent.TIME_NOTED,
}

_YES = _rx(
    r"^\s*(?:yes|yeah|yep|yup|sure|correct|right|ok(?:ay)?|absolutely|definitely|of course|certainly|agreed|please|alright|all right|fine)\b",
    r"\bthat'?s (?:right|correct|me|fine|good)\b",
    r"\b(?:speaking|this is (?:she|he|him|her|me))\b",
    r"\bit'?s me\b",
    r"\bi (?:agree|accept|do|can do that|'?ll take it|'?ll do it)\b",
    r"\bsounds (?:good|great|fine)\b",
    r"\blet'?s do (?:it|that)\b",
    r"\bworks for me\b",
    r"\b(?:so|then|but) (?:yeah|yes|okay|ok|sure)\b(?:,? (?:okay|ok|yeah))?,? (?:that works|let'?s do (?:it|that)|i'?ll do it)\b",
    r"\bgo ahead\b",
)
_NO = _rx(
    r"^\s*(?:no|nope|nah|not really|negative)\b",
    r"\bi (?:don'?t|do not) (?:agree|accept|want)\b",
    r"\bthat (?:won'?t|doesn'?t|does not|will not) work\b",
    r"\bi can'?t do that\b",
    r"\bnot (?:right now|today)\b",
)


@dataclass(frozen=True)
class Reading:
    """What one customer turn says."""

    text: str
    intents: frozenset[Intent]
    digit_groups: tuple[str, ...] = ()
    amounts: tuple[Decimal, ...] = ()
    numbers: tuple[Decimal, ...] = ()
    when: date | None = None
    installments: int | None = None
    extras: dict[str, str] = field(default_factory=dict)

    def has(self, *intents: Intent) -> bool:
        return any(intent in self.intents for intent in intents)

    @property
    def last4(self) -> str | None:
        return next((group for group in self.digit_groups if len(group) == 4), None)

    @property
    def postal_code(self) -> str | None:
        return next((group[:5] for group in self.digit_groups if len(group) in {5, 9}), None)


_INSTALLMENTS = re.compile(
    r"\b(?:over|in|for)\s+(\w+(?:[\s-]\w+)?)\s+(?:months|monthly payments|payments|installments)\b",
    re.IGNORECASE,
)


def read(text: str, today: date) -> Reading:
    """Read one customer turn."""
    intents = {intent for intent, pattern in _RULES if pattern.search(text)}
    # Requests the law gives weight to are read by the one recognizer code honours (`shared.policy`), so the
    # brain never acts on a request that code did not hear ("don't call me before noon" is not a cease).
    heard = {event.kind for event in recognize(text, today=today)}
    intents |= {intent for kind, intent in _LEGAL_INTENTS.items() if kind in heard}
    if _YES.search(text):
        intents.add(Intent.YES)
    if _NO.search(text):
        intents.add(Intent.NO)
    if Intent.YES in intents and Intent.NO in intents:
        # "no, that's right" / "yes, no problem": the opening word decides.
        intents.discard(Intent.NO if _YES.match(text) else Intent.YES)
    if intents & {Intent.WRONG_PERSON, Intent.REFUSE, Intent.DISPUTE}:
        intents.discard(Intent.YES)
    installments = None
    match = _INSTALLMENTS.search(text)
    if match:
        numbers = extract_numbers(match.group(1))
        installments = int(numbers[0]) if numbers else None
    numbers = tuple(extract_numbers(text))
    amounts = tuple(extract_amounts(text, bare_separated=False))
    return Reading(
        text=text,
        intents=frozenset(intents),
        digit_groups=tuple(digit_groups(text)),
        amounts=amounts,
        numbers=numbers,
        when=parse_date(text, today),
        installments=installments,
    )


def money_said(reading: Reading) -> Decimal | None:
    """The amount of money the customer named: with a currency word, else the one plausible number
    ("I can do 150 a month")."""
    if reading.amounts:
        return reading.amounts[0]
    plausible = [n for n in reading.numbers if n >= 5 and n != reading.installments]
    return plausible[0] if len(plausible) == 1 else None
