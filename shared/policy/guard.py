"""The output guard's rules: what the agent may say right now, whatever produced the words.

Both brains' text passes through `review_agent_text` before it is spoken. It holds back
- anything that discloses the debt before right-party verification: debt wording, money, an account fact,
  any number that could be a debt figure, a share of the debt;
- account details after verification but before the mini-Miranda;
- any figure the call did not approve — it approves figures, not phrases: every amount, percentage, fraction,
  count of payments and date (`shared.policy.figures` finds them in digits or words) must be an account fact
  said as a balance, or an offer's figure (only those may be said as an offer: "settle for", "a month");
- the FDCPA 806/807 lexicon, one `GuardRule` per category (legal action, arrest, employer or family contact,
  wage or property, credit, other threats, false urgency, false identity — an authority, or a human — and
  abuse), where a negation governing the phrase makes it a reassurance that passes;
- card numbers, and requests to say card data aloud (PCI: card data is keyed, never spoken).

A held-back message is replaced by a safe line; the agent host records a guard intervention, and the auditor
(`shared.policy.audit`) replays finished calls through the same rules. Pure functions over an explicit
context, so the rules are tested without any agent."""

from __future__ import annotations

import calendar
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from shared.models.payments import Offer, OfferKind
from shared.policy.disclosure import DisclosureKind, debt_terms, mentions_money
from shared.policy.figures import FigureKind, SpokenDate, find_figures, has_address_context
from shared.policy.spoken import digit_groups


class GuardRule(StrEnum):
    DISCLOSURE_BEFORE_VERIFICATION = "disclosure_before_verification"
    DETAIL_BEFORE_MINI_MIRANDA = "detail_before_mini_miranda"
    UNAPPROVED_AMOUNT = "unapproved_amount"
    UNAPPROVED_PERCENTAGE = "unapproved_percentage"  # a percentage, or a fraction of the debt ("half")
    UNAPPROVED_COUNT = "unapproved_count"  # a number of payments, installments or months
    UNAPPROVED_DATE = "unapproved_date"
    # FDCPA 806 (harassment or abuse) and 807 (false or misleading representations):
    THREAT = "threat"  # any other threat ("or else", "you'll regret it")
    LEGAL_ACTION = "legal_action"
    ARREST = "arrest"
    EMPLOYER_OR_FAMILY_CONTACT = "employer_or_family_contact"
    WAGE_OR_PROPERTY = "wage_or_property"
    CREDIT_THREAT = "credit_threat"
    FALSE_URGENCY = "false_urgency"
    FALSE_IDENTITY = "false_identity"  # an attorney, the police, the government — or a human
    ABUSIVE = "abusive"
    CARD_DATA = "card_data"


_HELP = "I'm here to help you find an option that works for you."
_FIGURES = "Let me make sure I only give you figures I can confirm. I'll check the options available to you."
SAFE_LINES = {
    GuardRule.DISCLOSURE_BEFORE_VERIFICATION: (
        "I'm sorry, I can only discuss the reason for my call with the person I'm calling for, "
        "once I've confirmed who I'm speaking with."
    ),
    GuardRule.DETAIL_BEFORE_MINI_MIRANDA: "Before I share any details, I need to read you a required notice.",
    GuardRule.UNAPPROVED_AMOUNT: _FIGURES,
    GuardRule.UNAPPROVED_PERCENTAGE: _FIGURES,
    GuardRule.UNAPPROVED_COUNT: _FIGURES,
    GuardRule.UNAPPROVED_DATE: (
        "Let me make sure I only give you dates I can confirm. I'll check the options available to you."
    ),
    GuardRule.THREAT: _HELP,
    GuardRule.LEGAL_ACTION: _HELP,
    GuardRule.ARREST: _HELP,
    GuardRule.EMPLOYER_OR_FAMILY_CONTACT: f"This is private, and I'll only discuss it with you. {_HELP}",
    GuardRule.WAGE_OR_PROPERTY: _HELP,
    GuardRule.CREDIT_THREAT: _HELP,
    GuardRule.FALSE_URGENCY: f"There's no pressure; {_HELP[0].lower()}{_HELP[1:]}",
    GuardRule.FALSE_IDENTITY: "I'm an automated assistant.",  # with the business name: `safe_line`
    GuardRule.ABUSIVE: f"I apologize. {_HELP}",
    GuardRule.CARD_DATA: (
        "For your security, please don't say card numbers out loud; I'll ask you to use your phone's keypad."
    ),
}

# The order in which a safe line is chosen when several rules fire: the most serious first.
_PRIORITY = (
    GuardRule.DISCLOSURE_BEFORE_VERIFICATION,
    GuardRule.CARD_DATA,
    GuardRule.FALSE_IDENTITY,
    GuardRule.ARREST,
    GuardRule.LEGAL_ACTION,
    GuardRule.WAGE_OR_PROPERTY,
    GuardRule.EMPLOYER_OR_FAMILY_CONTACT,
    GuardRule.CREDIT_THREAT,
    GuardRule.THREAT,
    GuardRule.ABUSIVE,
    GuardRule.DETAIL_BEFORE_MINI_MIRANDA,
    GuardRule.FALSE_URGENCY,
    GuardRule.UNAPPROVED_AMOUNT,
    GuardRule.UNAPPROVED_PERCENTAGE,
    GuardRule.UNAPPROVED_COUNT,
    GuardRule.UNAPPROVED_DATE,
)


def safe_line(rule: GuardRule, business_name: str = "") -> str:
    """What the agent says instead of a held line. A claim to be human (or an authority) is answered with the
    truth: "I'm an automated assistant calling on behalf of <business>."."""
    if rule is GuardRule.FALSE_IDENTITY and business_name:
        return f"I'm an automated assistant calling on behalf of {business_name}."
    return SAFE_LINES[rule]


# --- The conduct lexicon (FDCPA 806/807) --------------------------------------------------------------------
# Each entry: (rule, pattern, negatable). A negatable phrase does not fire when a negation governs it in its
# own clause — "we won't contact your employer" is a reassurance, "if you don't pay we'll contact your
# employer" is a threat (the "we'll" after the "don't" starts the clause that matters).

_PEOPLE = (
    r"(?:employer|boss|manager|supervisor|work|workplace|job|office|hr|human\s+resources|co-?workers?|"
    r"colleagues?|family|relatives?|wife|husband|spouse|partner|girlfriend|boyfriend|parents?|mother|father|"
    r"mom|dad|kids|children|son|daughter|brother|sister|neighbou?rs?|friends?|references?|landlord|church|"
    r"pastor)"
)
_IDENTITY_LEAD = (
    r"(?:(?:i\s+am|i'm|im|this\s+is|we\s+are|we're|were)(?:\s+(?:calling|contacting\s+you))?"
    r"(?:\s+(?:from|with|on\s+behalf\s+of))?|calling\s+(?:from|on\s+behalf\s+of))"
)
_MACHINE = (
    r"(?:robot|bot|machine|computer|recording|recorded\s+message|recorded\s+voice|ai|a\.i\.|artificial|"
    r"automated|automatic|program|virtual|chat\s*bot|voice\s+assistant|auto\s*dialer)"
)
_HUMAN_NOUN = (
    r"(?:person|human|human\s+being|agent|representative|rep|operator|people|individual|woman|man|lady|guy)"
)
_SELF = r"(?:i\s+am|i'm|im|this\s+is|you\s+are|you're|youre|you\s+have|you've|you\s+got|you're\s+(?:talking|speaking)\s+(?:to|with)|you\s+are\s+(?:talking|speaking)\s+(?:to|with))"

# Each entry also names the word stems without which its pattern cannot match: the guard runs on every
# sentence, and a set of stems is checked far faster than a dozen patterns are run.
_LEXICON: tuple[tuple[GuardRule, tuple[str, ...], str, bool], ...] = (
    (
        GuardRule.LEGAL_ACTION,
        ("sue", "sui", "law", "legal", "litigat", "court", "judg", "attorney", "lawyer", "counsel", "file"),
        r"\b(?:sue|sued|suing|lawsuits?|law\s+suits?|legal\s+(?:action|proceedings?|steps|measures|department|"
        r"team|process|recourse)|litigat\w*|courts?|courthouse|courtroom|judges?|judge?ments?|"
        r"(?:take|taking|took|bring|bringing|brought|put|putting)\s+(?:this|it|you|your\s+(?:account|case|debt))"
        r"\s+(?:before|in\s+front\s+of|to)\s+(?:a|the)\s+(?:judge|court)|"
        r"(?:our|the|an?)\s+(?:attorneys?|lawyers?|legal\s+counsel)\s+(?:will|would|is\s+going\s+to|"
        r"are\s+going\s+to|may|might|could|can)\s+(?:contact|call|be\s+in\s+touch|reach\s+out|handle|pursue|"
        r"take|file|get\s+involved|come\s+after)|"
        r"(?:refer|referr(?:ed|ing)|send|sent|sending|turn(?:ed|ing)?\s+over|hand(?:ed|ing)?\s+(?:over|off))"
        r"\s+(?:this|it|you|your\s+(?:account|file|case|debt))\s+(?:over\s+)?to\s+(?:an?|our|the)\s+"
        r"(?:attorneys?|lawyers?|legal|collections?\s+attorneys?|law\s+firm)|"
        r"file\s+(?:a\s+)?(?:suit|claim|case)\s+against)\b",
        True,
    ),
    (
        GuardRule.ARREST,
        (
            "arrest",
            "jail",
            "prison",
            "impris",
            "police",
            "cop",
            "sheriff",
            "warrant",
            "crim",
            "prosecut",
            "lock",
            "handcuff",
            "law",
            "fraud",
            "press",
        ),
        r"\b(?:arrest\w*|jail\w*|prison|imprison\w*|police|cops?|sheriff\w*|warrants?|criminal\w*|crimes?|"
        r"prosecut\w*|locked\s+up|lock\s+you\s+up|handcuff\w*|law\s+enforcement|fraud\s+charges?|"
        r"press(?:ing)?\s+charges)\b",
        True,
    ),
    (
        GuardRule.EMPLOYER_OR_FAMILY_CONTACT,
        (
            "employer",
            "boss",
            "manager",
            "supervisor",
            "work",
            "job",
            "office",
            "hr",
            "human",
            "colleague",
            "famil",
            "relative",
            "wife",
            "husband",
            "spouse",
            "partner",
            "girlfriend",
            "boyfriend",
            "parent",
            "mother",
            "father",
            "mom",
            "dad",
            "kids",
            "child",
            "son",
            "daughter",
            "brother",
            "sister",
            "neighb",
            "friend",
            "reference",
            "landlord",
            "church",
            "pastor",
        ),
        r"\b(?:call(?:s|ed|ing)?|phon(?:e|ed|ing)|contact(?:s|ed|ing)?|tell(?:s|ing)?|told|notify(?:ing)?|"
        r"notified|inform(?:s|ed|ing)?|alert(?:ed|ing)?|reach(?:ing)?\s+out\s+to|speak(?:ing)?\s+(?:to|with)|"
        r"talk(?:ing)?\s+(?:to|with)|visit(?:s|ed|ing)?|let|letting|show(?:ing)?\s+up\s+at|come\s+to|"
        r"coming\s+(?:to|by)|stop(?:ping)?\s+by|discuss\w*\s+(?:this|it|your\s+\w+)\s+with|email(?:ing)?|"
        r"text(?:ing)?|writ(?:e|ing)\s+to|send\s+(?:a\s+)?letters?\s+to|get\s+in\s+touch\s+with)"
        rf"\s+(?:(?:your|ur)\s+(?:\w+\s+)?{_PEOPLE}|(?:the\s+)?(?:employer|boss|family|relatives|neighbou?rs|"
        r"co-?workers|wife|husband|spouse|parents))\b",
        True,
    ),
    (
        GuardRule.WAGE_OR_PROPERTY,
        ("garnish", "seiz", "repo", "lev", "lien", "foreclos", "tak", "took", "freez", "attach", "dock"),
        r"\b(?:garnish\w*|seiz(?:e|ed|es|ing|ure)|repossess\w*|repo|levy|levies|levied|liens?|foreclos\w*|"
        r"(?:take|taking|took)\s+(?:away\s+)?your\s+(?:house|home|car|truck|vehicle|property|paycheck|"
        r"pay\s*check|wages|salary|belongings|stuff|assets|tax\s+refund|benefits)|freez\w*\s+your\s+"
        r"(?:bank\s+)?(?:accounts?|assets|wages)|attach\s+your\s+wages|dock(?:ing)?\s+your\s+(?:pay|wages))\b",
        True,
    ),
    (
        GuardRule.CREDIT_THREAT,
        ("credit",),
        r"\b(?:ruin\w*|destroy\w*|wreck\w*|tank\w*|trash\w*|damag\w*|hurt\w*|kill\w*|mess\w*\s+up|"
        r"tarnish\w*|blacklist\w*)\s+(?:your\s+)?credit\b|"
        r"\bcredit(?:\s+score)?\s+(?:will|is\s+going\s+to|gonna)\s+(?:be\s+)?(?:ruined|destroyed|wrecked|"
        r"tank|plummet|drop|suffer|take\s+a\s+hit)\b",
        True,
    ),
    (
        GuardRule.CREDIT_THREAT,
        ("loan", "mortgage", "credit", "car", "house", "apartment", "blacklist"),
        r"\b(?:never|won't|will\s+not)\s+(?:be\s+able\s+to\s+)?(?:get|qualify\s+for|be\s+approved\s+for)\s+"
        r"(?:a\s+|another\s+)?(?:loan|mortgage|credit|car|house|apartment)\b|\bblacklist\w*\b",
        False,
    ),
    (
        GuardRule.THREAT,
        ("else", "regret", "sorry", "know", "find", "life", "consequence", "deport"),
        r"\b(?:or\s+else|you(?:'ll|\s+will)\s+regret|you(?:'ll|\s+will)\s+be\s+sorry|"
        r"(?:we|i)\s+know\s+where\s+you\s+(?:live|work)|we(?:'ll|\s+will)\s+find\s+you|"
        r"make\s+your\s+life\s+(?:difficult|hard|miserable|hell)|serious\s+consequences|deport\w*)\b",
        True,
    ),
    (
        GuardRule.FALSE_URGENCY,
        (
            "final",
            "last",
            "act",
            "today",
            "tonight",
            "immediately",
            "now",
            "before",
            "limited",
            "only",
            "must",
            "within",
            "time",
            "expir",
            "end",
            "offer",
            "deal",
            "option",
            "discount",
            "price",
            "rate",
            "settlement",
            "won't",
            "one",
            "once",
        ),
        r"\b(?:final\s+(?:notice|warning|chance|offer)|last\s+chance|act\s+(?:now|immediately|fast)|"
        r"today\s+only|tonight\s+only|immediately\s+or|right\s+now\s+or|before\s+it'?s\s+too\s+late|"
        r"limited[\s-]+time|only\s+(?:today|now|tonight)|"
        r"must\s+pay\s+(?:today|now|immediately|right\s+now)|within\s+the\s+(?:hour|next\s+hour)|"
        r"time\s+is\s+running\s+out|expir\w*\s+(?:at|by|on|tonight|today|tomorrow|soon|shortly|in|after|"
        r"end|midnight|this)|(?:offer|deal|option|discount|price|rate|settlement)\s+(?:\w+\s+)?"
        r"(?:ends?|expires?|goes\s+away|disappears?|is\s+(?:only\s+)?(?:good|valid|available)\s+"
        r"(?:until|till|for|through|today))|(?:by|before)\s+(?:the\s+)?end\s+of\s+(?:the\s+)?"
        r"(?:day|business)\s*,?\s*(?:or|otherwise)|now\s+or\s+never|(?:one|once)[\s-]+time\s+(?:only\s+)?"
        r"(?:offer|deal)|won't\s+(?:be\s+)?(?:available|last|around)\s+(?:after|past|beyond)\s+"
        r"(?:today|tonight|tomorrow)|only\s+(?:good|valid|available)\s+(?:today|tonight|until|till|"
        r"for\s+(?:the\s+next|a\s+few)))\b",
        True,
    ),
    (GuardRule.FALSE_URGENCY, ("hurry", "wait"), r"\b(?:hurry|don't\s+wait|do\s+not\s+wait)\b", False),
    (
        GuardRule.FALSE_IDENTITY,
        (
            "attorney",
            "lawyer",
            "law",
            "legal",
            "police",
            "sheriff",
            "officer",
            "detective",
            "marshal",
            "court",
            "government",
            "federal",
            "irs",
            "fbi",
            "department",
            "district",
            "state",
        ),
        rf"\b{_IDENTITY_LEAD}\s+(?:an?\s+|the\s+|your\s+)?(?:attorney|lawyer|law\s+office|law\s+firm|"
        r"legal\s+(?:department|office)|police|sheriff|officer|detective|marshal|court|government|"
        r"federal\s+agent|irs|fbi|department\s+of\s+justice|district\s+attorney|state\s+attorney|"
        r"attorney\s+general|law\s+enforcement)\b",
        True,
    ),
    (
        # Claims to be human, in all the ways a model or a script might put it: never true of this agent.
        GuardRule.FALSE_IDENTITY,
        (
            "real",
            "live",
            "actual",
            "genuine",
            "human",
            "flesh",
            "person",
            "robot",
            "bot",
            "machine",
            "computer",
            "record",
            "ai",
            "artificial",
            "automat",
            "program",
            "virtual",
            "chat",
            "voice",
            "auto",
        ),
        rf"\b(?=[ity]){_SELF}\s+(?:(?:a|an|the)\s+)?(?:real|live|actual|genuine|human|flesh\s+and\s+blood)\s+"
        rf"{_HUMAN_NOUN}\b|\b(?=[ity]){_SELF}\s+(?:an?\s+)?human(?:\s+being)?\b|\b(?:i\s+am|i'm|im)\s+(?:(?:a|an)\s+)?(?:human(?:\s+being)?|person|real|"
        rf"flesh\s+and\s+blood|not\s+automated)\b|"
        rf"\b(?:i\s+am|i'm|im|this\s+is|it's|it\s+is|you're|you\s+are|you're\s+not)\s+(?:definitely\s+|"
        rf"certainly\s+|really\s+|honestly\s+)?(?:not|n't)\s+(?:talking\s+to\s+|speaking\s+(?:to|with)\s+)?"
        rf"(?:an?\s+)?{_MACHINE}\b|\b(?:this\s+isn't|this\s+is\s+not|it\s+isn't|it's\s+not|i'm\s+not|"
        rf"i\s+am\s+not)\s+(?:an?\s+)?{_MACHINE}\b",
        False,
    ),
    (
        GuardRule.ABUSIVE,
        (
            "dead",
            "liar",
            "lying",
            "irresponsible",
            "loser",
            "idiot",
            "stupid",
            "dumb",
            "moron",
            "pathetic",
            "lazy",
            "scum",
            "worthless",
            "freeloader",
            "bum",
            "crook",
            "thie",
            "cheat",
            "shame",
            "ashamed",
            "fuck",
            "shit",
            "bitch",
            "bastard",
            "ass",
            "damn",
            "crap",
            "hell",
            "piss",
            "jerk",
        ),
        r"\b(?:dead\s*beats?|liars?|lying|irresponsible|losers?|idiot\w*|stupid|dumb|moron\w*|pathetic|lazy|"
        r"scum\w*|worthless|freeloader\w*|bums?|crooks?|thie(?:f|ves)|cheat(?:er|ers|ing)?|"
        r"shame\s+on\s+you|ashamed\s+of\s+yourself|fuck\w*|shit\w*|bitch\w*|bastard\w*|ass|asshole\w*|"
        r"damn\w*|crap|hell|piss\w*|jerk)\b",
        False,
    ),
)
_CONDUCT = tuple(
    (rule, stems, re.compile(pattern, re.IGNORECASE), negatable)
    for rule, stems, pattern, negatable in _LEXICON
)
_ALL_STEMS = tuple(sorted({stem for _, stems, _, _ in _LEXICON for stem in stems}))
_NEGATION = re.compile(
    r"\b(?:not|no|never|nobody|none|neither|nor|without|won't|wont|wouldn't|wouldnt|don't|dont|doesn't|"
    r"doesnt|didn't|didnt|can't|cant|cannot|isn't|isnt|aren't|arent|wasn't|shouldn't|ain't|n't)\b"
)
# A clause ends at punctuation or a conjunction; a new subject after the negation starts a new clause.
_CLAUSE_BREAK = re.compile(r"[,;:.!?()\u2014]|\s-\s|\b(?:if|unless|but|or|because|so|then|otherwise|until)\b")
_SUBJECT = re.compile(
    r"\b(?:i|i'm|im|i'll|i've|we|we'll|we're|we've|you|you'll|you're|you've|they|they'll|they're|he|she|"
    r"he'll|she'll|it'll|someone|somebody)\b"
)
_WORD = re.compile(r"[a-z']+")
_YOU_KNOW = re.compile(r"\byou\s+know\b")  # a filler, not the listener as a subject


def _negated(text: str, start: int, end: int) -> bool:
    """Whether a negation in the phrase's own clause (before it, up to eight words, or inside it) governs it."""
    clause = _CLAUSE_BREAK.split(text[max(0, start - 80) : start].lower())[-1]
    for word in reversed(_WORD.findall(clause)[-8:]):
        if _NEGATION.fullmatch(word):
            return True
        if _SUBJECT.fullmatch(word):
            return False
    return bool(_NEGATION.search(text[start:end].lower()))


def _addressed_to_listener(text: str, start: int) -> bool:
    """ "you can talk with your family first" is the customer's choice, not the agent's contact."""
    clause = _CLAUSE_BREAK.split(text[max(0, start - 80) : start].lower())[-1]
    subjects = _SUBJECT.findall(_YOU_KNOW.sub(" ", clause))
    return bool(subjects) and subjects[-1].startswith("you")


def conduct_violations(text: str) -> list[GuardViolation]:
    """The lexicon's hits in one line (FDCPA 806/807): threats, false urgency, false identity, abuse."""
    text = text.replace("\u2019", "'")
    words = [word for word in _WORD.findall(text.lower()) if word.startswith(_ALL_STEMS)]
    violations: list[GuardViolation] = []
    if not words:
        return violations
    for rule, stems, pattern, negatable in _CONDUCT:
        if not any(word.startswith(stems) for word in words):
            continue
        for match in pattern.finditer(text):
            if negatable and _negated(text, *match.span()):
                continue
            if rule is GuardRule.EMPLOYER_OR_FAMILY_CONTACT and _addressed_to_listener(text, match.start()):
                continue
            violations.append(GuardViolation(rule, match.group(0)))
    return violations


_CARD_NUMBER = re.compile(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])")
_SPEAK_CARD_DATA = re.compile(
    r"\b(?:tell|say|read|give|speak)\b[^.?!]{0,40}\b(?:card\s+number|security\s+code|cvv|cvc|pin)\b",
    re.IGNORECASE,
)
_KEYPAD = re.compile(r"\b(?:keypad|key\s+pad|dial\s*pad|touch[\s-]*tone|buttons?)\b", re.IGNORECASE)
# Account products reveal that an account exists; creditor names are passed in as protected terms.
_ACCOUNT_PRODUCTS = re.compile(
    r"\b(?:credit\s+card|card\s+account|auto\s+loan|car\s+loan|personal\s+loan|overdraft|line\s+of\s+credit|"
    r"loan)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class GuardContext:
    """What the call has established so far.

    `protected_terms`: account facts that must never be said before verification (last 4 digits, balance
    figures, creditor names). The approvals are typed, because where a figure may be said depends on where
    it came from:
    - `approved_amounts`: facts the account summary gave (balance, past due, minimum) — said as balances;
    - `offer_amounts`: figures of offers the negotiation engine made — the only amounts that may be said as
      an offer ("settle for", "a payment of", "per month", "down payment", "lump sum", ...);
    - `approved_percentages`: an offer's settlement percentage (a fraction such as "half" needs it too);
    - `approved_counts`: the installment counts of offers made ("six monthly payments");
    - `approved_dates`: offer dates, the latest first-payment date, a scheduled callback.
    `business_name`: who the agent calls for, for the truthful answer to "am I talking to a machine?"."""

    verified: bool
    disclosed: frozenset[DisclosureKind] = frozenset()
    approved_amounts: frozenset[Decimal] = frozenset()
    approved_dates: frozenset[date] = frozenset()
    protected_terms: frozenset[str] = frozenset()
    offer_amounts: frozenset[Decimal] = frozenset()
    approved_percentages: frozenset[Decimal] = frozenset()
    approved_counts: frozenset[int] = frozenset()
    business_name: str = ""
    # Names the agent says as names (the customer's, its own, the business's): never read as figures, even
    # when they hold digits ("Avery Ashgrove 3rd", a test customer's numbered name).
    names: frozenset[str] = frozenset()
    # The customer's date on the call: what "tomorrow" or "the end of the month" means (None: not checked).
    today: date | None = None


@dataclass(frozen=True)
class GuardViolation:
    rule: GuardRule
    detail: str


@dataclass(frozen=True)
class GuardVerdict:
    violations: tuple[GuardViolation, ...] = ()
    replacement: str | None = None

    @property
    def allowed(self) -> bool:
        return not self.violations

    @property
    def rules(self) -> list[str]:
        return sorted({violation.rule.value for violation in self.violations})


@dataclass(frozen=True)
class OfferApprovals:
    """What quoting offers approves: their amounts, settlement percentages, installment counts and dates."""

    amounts: frozenset[Decimal] = frozenset()
    percentages: frozenset[Decimal] = frozenset()
    counts: frozenset[int] = frozenset()
    dates: frozenset[date] = frozenset()


_CENT = Decimal("0.01")


def offer_approvals(offers: Iterable[Offer]) -> OfferApprovals:
    """The approvals for offers made on a call (the agent host and the auditor use the same).

    A settlement's percentage of the balance is approved exact to the cent and as a whole percent (how
    anyone says it: "sixty percent"), and so is the discount it gives ("forty percent off"): both describe
    the same offer truthfully. Counts are the installments as `agent_host.agent.phrasing` says them: all of
    them, and all but the last when the final payment differs ("5 monthly payments of $90.00 and a final
    payment of $80.00")."""
    amounts: set[Decimal] = set()
    percentages: set[Decimal] = set()
    counts: set[int] = set()
    dates: set[date] = set()
    for offer in offers:
        amounts |= offer.amounts
        dates |= offer.dates
        if offer.kind is OfferKind.SETTLEMENT and offer.balance > 0:
            share = (offer.total_amount / offer.balance * 100).quantize(_CENT)
            whole = share.quantize(Decimal(1), rounding=ROUND_HALF_UP)
            percentages |= {share, whole, Decimal(100) - share, Decimal(100) - whole}
        if offer.kind is OfferKind.PAYMENT_PLAN:
            installments = offer.schedule[1:] if offer.down_payment_amount > 0 else offer.schedule
            counts |= {offer.installments_count, len(installments)}
            if len(installments) > 1 and installments[-1].amount != installments[0].amount:
                counts.add(len(installments) - 1)
    return OfferApprovals(
        amounts=frozenset(amounts),
        percentages=frozenset(percentages),
        counts=frozenset(counts),
        dates=frozenset(dates),
    )


def protected_terms_for(
    *, account_last4s: Iterable[str], amounts: Iterable[Decimal], names: Iterable[str] = ()
) -> frozenset[str]:
    """The literal strings that identify an account: its last 4 digits, its money figures written the ways
    an agent might write them, and names such as the original creditor."""
    terms: set[str] = {last4 for last4 in account_last4s if last4}
    for amount in amounts:
        if amount <= 0:
            continue
        terms |= {f"{amount:,.2f}", f"{amount:.2f}"}
        if amount == amount.to_integral_value():
            terms |= {f"{int(amount):,}", f"{int(amount)}"} if amount >= 100 else set()
    terms |= {name.strip() for name in names if name and name.strip()}
    return frozenset(terms)


@functools.lru_cache(maxsize=1024)
def protected_pattern(terms: frozenset[str]) -> re.Pattern[str] | None:
    """One pattern for a call's protected terms (compiled once per call, not once per message; callers may
    warm it up ahead of the conversation). A number counts only standing alone — not inside a longer
    number, an amount or a phone number (555-0100)."""
    parts = []
    for term in sorted(terms, key=len, reverse=True):
        if not term:
            continue
        if term[0].isdigit():
            parts.append(rf"(?<![\d,.\-()]){re.escape(term)}(?![\d\-]|[.,]\d)")
        else:
            parts.append(rf"\b{re.escape(term)}\b")
    return re.compile("|".join(parts), re.IGNORECASE) if parts else None


def account_detail_findings(text: str, protected_terms: Iterable[str]) -> list[str]:
    """Everything in `text` that would tell a listener about a debt or an account: debt wording, money, an
    account product, a protected fact (in digits or words: "four three two one"), any number that could be a
    debt figure (100 or more, or a string of digits — not a phone number, a clock time, or a ZIP code or
    address the agent is asking about), a percentage or a fraction ("half of it")."""
    found = [f"debt wording {term!r}" for term in debt_terms(text)]
    if mentions_money(text):
        found.append("money amount")
    found += [f"account product {m.group(0)!r}" for m in _ACCOUNT_PRODUCTS.finditer(text)]
    terms = frozenset(protected_terms)
    pattern = protected_pattern(terms)
    if pattern is not None:
        found += ["account fact" for _ in pattern.finditer(text)]
    digits = _protected_digits(terms)
    if digits and any(group in digits for group in digit_groups(text)):
        found.append("account fact in words")
    figures = find_figures(text)
    address = has_address_context(text)
    for figure in figures.figures:
        if figure.kind is FigureKind.NUMBER and not address:
            found.append(f"number {figure.text!r}")
        elif figure.kind is FigureKind.PERCENTAGE:
            found.append(f"share {figure.text!r}")
    found += [f"fraction {said!r}" for said in figures.fractions if f"share {said!r}" not in found]
    return found


@functools.lru_cache(maxsize=1024)
def _protected_digits(terms: frozenset[str]) -> frozenset[str]:
    return frozenset(term.replace(",", "") for term in terms if term.replace(",", "").isdigit())


def review_agent_text(text: str, context: GuardContext) -> GuardVerdict:
    """Check one message the agent is about to say. Allowed text comes back with no violations."""
    violations = [
        *_disclosure_violations(without_names(text, context.names), context),
        *_conduct_violations(text),
    ]
    if not violations:
        return GuardVerdict()
    rules = {violation.rule for violation in violations}
    first = next(rule for rule in _PRIORITY if rule in rules)
    return GuardVerdict(violations=tuple(violations), replacement=safe_line(first, context.business_name))


def without_names(text: str, names: frozenset[str]) -> str:
    """`text` with the known names blanked (a name is who someone is, not a figure)."""
    for name in sorted(names, key=len, reverse=True):
        if name and any(ch.isdigit() for ch in name):
            text = text.replace(name, " ")
    return text


def _disclosure_violations(text: str, context: GuardContext) -> list[GuardViolation]:
    """What the call's progress (verification, mini-Miranda, approved figures) does not yet allow."""
    if not context.verified:
        details = account_detail_findings(text, context.protected_terms)
        return [GuardViolation(GuardRule.DISCLOSURE_BEFORE_VERIFICATION, detail) for detail in details]
    if DisclosureKind.MINI_MIRANDA not in context.disclosed:
        # The notice itself is marked given before it is spoken, so it never trips this rule.
        details = account_detail_findings(text, context.protected_terms)
        return [GuardViolation(GuardRule.DETAIL_BEFORE_MINI_MIRANDA, detail) for detail in details]
    return figure_violations(text, context)


def figure_violations(text: str, context: GuardContext) -> list[GuardViolation]:
    """Every figure in `text` that the policy did not approve for this call (after the mini-Miranda)."""
    figures = find_figures(text)
    violations = []
    any_amount = context.approved_amounts | context.offer_amounts
    for figure in figures.figures:
        if figure.kind is FigureKind.NUMBER and not figure.money_context:
            continue  # "within the next 30 days" is not a figure of the debt
        if figure.kind in {FigureKind.AMOUNT, FigureKind.NUMBER}:
            value = figure.value.quantize(_CENT)
            allowed = context.offer_amounts if figure.offer_context else any_amount
            if value not in allowed:
                said = "as an offer " if figure.offer_context else ""
                violations.append(
                    GuardViolation(
                        GuardRule.UNAPPROVED_AMOUNT, f"${value:,.2f} {said}was not approved on this call"
                    )
                )
        elif figure.kind is FigureKind.PERCENTAGE:
            if not figure.money_context:
                continue  # "half an hour", "a quarter of the way through the call"
            if not any(abs(figure.value - p) <= Decimal("0.5") for p in context.approved_percentages):
                violations.append(
                    GuardViolation(
                        GuardRule.UNAPPROVED_PERCENTAGE, f"{figure.text!r} was not approved on this call"
                    )
                )
        elif figure.kind is FigureKind.COUNT and figure.value not in context.approved_counts:
            violations.append(
                GuardViolation(GuardRule.UNAPPROVED_COUNT, f"{figure.text!r} was not approved on this call")
            )
    for spoken in figures.dates:
        relative = spoken.days_from_today is not None or spoken.month_end is not None
        if relative and context.today is None:
            continue
        if not any(_date_matches(spoken, value, context.today) for value in context.approved_dates):
            violations.append(
                GuardViolation(
                    GuardRule.UNAPPROVED_DATE, f"{_date_label(spoken)} was not approved on this call"
                )
            )
    return violations


def _date_matches(spoken: SpokenDate, value: date, today: date | None) -> bool:
    if today is not None and spoken.days_from_today is not None:
        return value == today + timedelta(days=spoken.days_from_today)
    if today is not None and spoken.month_end is not None:
        year, month = divmod(today.year * 12 + today.month - 1 + spoken.month_end, 12)
        return value == date(year, month + 1, calendar.monthrange(year, month + 1)[1])
    if spoken.weekday is not None:
        return value.weekday() == spoken.weekday
    if spoken.month is not None and spoken.month != value.month:
        return False
    return spoken.day == value.day and spoken.year in {None, value.year}


def _date_label(spoken: SpokenDate) -> str:
    if spoken.text:
        return repr(spoken.text)
    return f"{spoken.month}/{spoken.day}"


def _conduct_violations(text: str) -> list[GuardViolation]:
    """What is never allowed: the conduct lexicon, and card data."""
    violations = conduct_violations(text)
    if _CARD_NUMBER.search(text):
        violations.append(GuardViolation(GuardRule.CARD_DATA, "a card-length number"))
    if _SPEAK_CARD_DATA.search(text) and not _KEYPAD.search(text):
        violations.append(GuardViolation(GuardRule.CARD_DATA, "asks for card data by voice"))
    return violations
