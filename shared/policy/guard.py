"""The output guard's rules: what the agent may say right now, whatever produced the words.

Both brains' text passes through `review_agent_text` before it is spoken. It holds back
- anything that discloses the debt, an amount or an account detail before right-party verification;
- account details after verification but before the mini-Miranda;
- any amount or calendar date the negotiation engine (or the account summary) did not approve;
- threats, impersonation of authorities and false urgency (FDCPA 806/807);
- card numbers, and requests to say card data aloud (PCI: card data is keyed, never spoken).

A held-back message is replaced by a safe line; the agent host records a guard intervention. Pure functions
over an explicit context, so the rules are tested without any agent."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from shared.policy.disclosure import DisclosureKind, debt_terms, mentions_money
from shared.policy.spoken import extract_amounts, extract_date_mentions


class GuardRule(StrEnum):
    DISCLOSURE_BEFORE_VERIFICATION = "disclosure_before_verification"
    DETAIL_BEFORE_MINI_MIRANDA = "detail_before_mini_miranda"
    UNAPPROVED_AMOUNT = "unapproved_amount"
    UNAPPROVED_DATE = "unapproved_date"
    THREAT = "threat"
    FALSE_URGENCY = "false_urgency"
    CARD_DATA = "card_data"


SAFE_LINES = {
    GuardRule.DISCLOSURE_BEFORE_VERIFICATION: (
        "I'm sorry, I can only discuss the reason for my call with the person I'm calling for, "
        "once I've confirmed who I'm speaking with."
    ),
    GuardRule.DETAIL_BEFORE_MINI_MIRANDA: "Before I share any details, I need to read you a required notice.",
    GuardRule.UNAPPROVED_AMOUNT: (
        "Let me make sure I only give you figures I can confirm. I'll check the options available to you."
    ),
    GuardRule.UNAPPROVED_DATE: (
        "Let me make sure I only give you dates I can confirm. I'll check the options available to you."
    ),
    GuardRule.THREAT: "I'm here to help you find an option that works for you.",
    GuardRule.FALSE_URGENCY: "There's no pressure; I'm here to help you find an option that works for you.",
    GuardRule.CARD_DATA: (
        "For your security, please don't say card numbers out loud; I'll ask you to use your phone's keypad."
    ),
}

# The order in which a safe line is chosen when several rules fire: the most serious first.
_PRIORITY = (
    GuardRule.DISCLOSURE_BEFORE_VERIFICATION,
    GuardRule.CARD_DATA,
    GuardRule.THREAT,
    GuardRule.DETAIL_BEFORE_MINI_MIRANDA,
    GuardRule.FALSE_URGENCY,
    GuardRule.UNAPPROVED_AMOUNT,
    GuardRule.UNAPPROVED_DATE,
)

_THREATS = re.compile(
    r"\b(?:arrest(?:ed)?|jail|prison|police|sheriff|criminal(?:ly)?|prosecut\w*|deport\w*|"
    r"sue\s+you|lawsuits?|legal\s+action|take\s+you\s+to\s+court|court\s+order|warrant|"
    r"garnish\w*|seize\w*|repossess\w*|ruin\s+your\s+credit|destroy\s+your\s+credit|"
    r"tell\s+your\s+(?:employer|boss|family|neighbou?rs?|friends)|contact\s+your\s+(?:employer|boss)|"
    r"or\s+else|you(?:'ll|\s+will)\s+regret|"
    r"(?:this\s+is|I\s+am|I'm)\s+(?:an?\s+)?(?:attorney|lawyer|officer|agent\s+of\s+the\s+government)|"
    r"law\s+enforcement|from\s+the\s+court)\b",
    re.IGNORECASE,
)
_FALSE_URGENCY = re.compile(
    r"\b(?:final\s+(?:notice|warning|chance)|last\s+chance|act\s+(?:now|immediately|fast)|today\s+only|"
    r"expires?\s+(?:today|tonight|in\s+(?:an?|one)\s+hour)|immediately\s+or|right\s+now\s+or|"
    r"before\s+it'?s\s+too\s+late|limited[\s-]+time|only\s+(?:today|now)|"
    r"must\s+pay\s+(?:today|now|immediately|right\s+now)|within\s+the\s+(?:hour|next\s+hour)|"
    r"time\s+is\s+running\s+out)\b",
    re.IGNORECASE,
)
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

    `protected_terms`: account facts that must never be said before verification (last 4 digits,
    balance figures, creditor names). `approved_amounts` / `approved_dates`: what the account summary and
    the negotiation engine produced on this call — the only figures the agent may quote."""

    verified: bool
    disclosed: frozenset[DisclosureKind] = frozenset()
    approved_amounts: frozenset[Decimal] = frozenset()
    approved_dates: frozenset[date] = frozenset()
    protected_terms: frozenset[str] = frozenset()


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
    """Everything in `text` that would tell a listener about a debt or an account."""
    found = [f"debt wording {term!r}" for term in debt_terms(text)]
    if mentions_money(text):
        found.append("money amount")
    found += [f"account product {m.group(0)!r}" for m in _ACCOUNT_PRODUCTS.finditer(text)]
    pattern = protected_pattern(frozenset(protected_terms))
    if pattern is not None:
        found += ["account fact" for _ in pattern.finditer(text)]
    return found


def review_agent_text(text: str, context: GuardContext) -> GuardVerdict:
    """Check one message the agent is about to say. Allowed text comes back with no violations."""
    violations = [*_disclosure_violations(text, context), *_conduct_violations(text)]
    if not violations:
        return GuardVerdict()
    rules = {violation.rule for violation in violations}
    first = next(rule for rule in _PRIORITY if rule in rules)
    return GuardVerdict(violations=tuple(violations), replacement=SAFE_LINES[first])


def _disclosure_violations(text: str, context: GuardContext) -> list[GuardViolation]:
    """What the call's progress (verification, mini-Miranda, approved figures) does not yet allow."""
    if not context.verified:
        details = account_detail_findings(text, context.protected_terms)
        return [GuardViolation(GuardRule.DISCLOSURE_BEFORE_VERIFICATION, detail) for detail in details]
    if DisclosureKind.MINI_MIRANDA not in context.disclosed:
        # The notice itself is marked given before it is spoken, so it never trips this rule.
        details = account_detail_findings(text, context.protected_terms)
        return [GuardViolation(GuardRule.DETAIL_BEFORE_MINI_MIRANDA, detail) for detail in details]
    violations = [
        GuardViolation(GuardRule.UNAPPROVED_AMOUNT, f"${amount:,.2f} was not approved on this call")
        for amount in extract_amounts(text)
        if amount not in context.approved_amounts
    ]
    violations += [
        GuardViolation(
            GuardRule.UNAPPROVED_DATE, f"{mention.month}/{mention.day} was not approved on this call"
        )
        for mention in extract_date_mentions(text)
        if not any(mention.matches(value) for value in context.approved_dates)
    ]
    return violations


def _conduct_violations(text: str) -> list[GuardViolation]:
    """What is never allowed: threats, false urgency, card data."""
    violations = [GuardViolation(GuardRule.THREAT, match.group(0)) for match in _THREATS.finditer(text)]
    violations += [GuardViolation(GuardRule.FALSE_URGENCY, m.group(0)) for m in _FALSE_URGENCY.finditer(text)]
    if _CARD_NUMBER.search(text):
        violations.append(GuardViolation(GuardRule.CARD_DATA, "a card-length number"))
    if _SPEAK_CARD_DATA.search(text) and not _KEYPAD.search(text):
        violations.append(GuardViolation(GuardRule.CARD_DATA, "asks for card data by voice"))
    return violations
