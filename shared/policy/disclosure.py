"""What must be said on a collection call, in which order, and what may never be said before it.

- The recording notice opens every call (before anything else the agent says).
- The mini-Miranda (FDCPA 807(11)) follows right-party verification and precedes any account detail. The
  first conversation with a consumer gets the full notice; later calls say the call is from a debt collector.
- A voicemail is a Regulation F limited-content message (12 CFR 1006.2(j)): a business name that does not
  indicate debt collection, a request to call back, a person's name and a callback number — nothing else.

The texts are fixed here, not left to a language model: the agent speaks them word for word."""

from __future__ import annotations

import re
from enum import StrEnum

from shared.policy.spoken import extract_amounts


class DisclosureKind(StrEnum):
    RECORDING_NOTICE = "recording_notice"
    MINI_MIRANDA = "mini_miranda"


def recording_notice() -> str:
    return "This call may be recorded for quality and compliance purposes."


def mini_miranda(*, initial_communication: bool) -> str:
    """The debt-collector notice. `initial_communication`: no earlier conversation with this consumer."""
    if initial_communication:
        return (
            "This communication is from a debt collector. This is an attempt to collect a debt, "
            "and any information obtained will be used for that purpose."
        )
    return "This call is from a debt collector."


# Words that tell a listener a debt exists. None of them may reach anyone before verification, and none may
# be in a voicemail. Matched on word boundaries, case-insensitively.
_DEBT_TERMS = (
    r"debts?",
    r"collect(?:s|ed|ing|ion|ions|or|ors)?",
    r"owe[sd]?",
    r"owing",
    r"borrow(?:s|ed|ing)?",
    r"lent",
    r"loaned",
    r"overdue",
    r"past[\s-]+due",
    r"late\s+(?:payments?|fees?)",
    r"delinquen(?:t|cy|cies)",
    r"arrears?",
    r"balances?",
    r"outstanding",
    r"unpaid",
    r"settle(?:s|d|ment|ments)?",
    r"pay(?:s|ing|ment|ments|off)?",
    r"paid",
    r"bills?",
    r"amounts?\s+(?:due|owed|outstanding)",
    r"payment\s+(?:plans?|arrangements?)",
    r"arrangements?",
    r"promises?\s+to\s+pay",
    r"installments?",
    r"minimum\s+payments?",
    r"charge[\s-]*offs?",
    r"charged\s+off",
    r"credit\s+(?:reports?|bureaus?|scores?|reporting)",
    r"default(?:ed|s)?",
    r"repossess\w*",
    r"garnish\w*",
    r"mini[\s-]*miranda",
)
DEBT_VOCABULARY = re.compile(r"\b(?:" + "|".join(_DEBT_TERMS) + r")\b", re.IGNORECASE)
# Saying an amount of money at all (before verification, or in a voicemail) discloses too much.
_MONEY_WORDS = re.compile(r"\$|\b(?:dollars?|bucks|cents?)\b", re.IGNORECASE)


def debt_terms(text: str) -> list[str]:
    """The debt vocabulary found in `text`, lower-cased, in order."""
    return [match.group(0).lower() for match in DEBT_VOCABULARY.finditer(text)]


def mentions_money(text: str) -> bool:
    return bool(_MONEY_WORDS.search(text)) or bool(extract_amounts(text))


def voicemail_message(*, agent_name: str, business_name: str, callback_number: str) -> str:
    """The Regulation F limited-content message, and nothing more."""
    return (
        f"Hello, this is {agent_name} calling from {business_name}. "
        f"Please call us back at {spoken_phone(callback_number)}. Thank you."
    )


def spoken_phone(number: str) -> str:
    """+18005550100 → "(800) 555-0100"."""
    digits = "".join(ch for ch in number if ch.isdigit())
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10:
        return number
    return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"


def business_name_violations(business_name: str) -> list[str]:
    """A voicemail's business name must not indicate debt collection."""
    return [f"business name uses debt wording: {term!r}" for term in debt_terms(business_name)]


def limited_content_violations(
    text: str, *, agent_name: str, business_name: str, callback_number: str
) -> list[str]:
    """Why `text` is not a compliant limited-content voicemail (empty when it is)."""
    problems = [f"debt wording {term!r}" for term in debt_terms(text)]
    if mentions_money(text):
        problems.append("mentions money")
    if business_name.lower() not in text.lower():
        problems.append("no business name")
    if agent_name.lower() not in text.lower():
        problems.append("no person's name")
    callback_digits = "".join(ch for ch in callback_number if ch.isdigit())[-10:]
    if not callback_digits or callback_digits not in "".join(ch for ch in text if ch.isdigit()):
        problems.append("no callback number")
    if not re.search(r"\b(call|reach|contact)\b", text, re.IGNORECASE):
        problems.append("no request to call back")
    return problems
