"""The compliance auditor: reads a finished call's record and reports every violation it can see.

It is independent of how the call was conducted — it trusts only the ordered transcript (what the agent said,
the tools it used and their results, the events it recorded) and re-checks it against the rules:

- no recording notice before the agent first spoke (voicemails excepted: they are limited-content only);
- anything about the debt said before right-party verification;
- account details said after verification but before the mini-Miranda;
- account data fetched before verification;
- any offer quoted, countered or confirmed outside the negotiation policy;
- everything the output guard would have held in what the agent said: the call is replayed in order, the
  guard's context rebuilt as the call went (verification, disclosures, the account summary's figures, the
  offers made), and every agent line goes through `review_agent_text` — one finding per violation, coded
  with the guard rule (a figure nobody approved, a threat, false urgency, a claim to be human, ...);
- card digits anywhere in the record (text, tool payloads, keypad entries during card capture);
- an outbound call placed after a cease request;
- a voicemail that is not a Regulation F limited-content message.

Pure: the caller loads the call, its transcript and the context (`shared.services.call_review`)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from shared.domain import CallDirection, CallOutcome, Speaker, TranscriptEntryType
from shared.models.agent import AgentEvent, ToolName
from shared.models.calls import CallPublic, TranscriptEntryPublic
from shared.models.configuration import NegotiationRules
from shared.models.findings import Finding, FindingCode
from shared.models.payments import Offer
from shared.policy.card_data import mentions_card_data
from shared.policy.disclosure import DisclosureKind, limited_content_violations
from shared.policy.guard import (
    GuardContext,
    GuardRule,
    GuardViolation,
    account_detail_findings,
    offer_approvals,
    review_agent_text,
    without_names,
)
from shared.policy.negotiation import AccountTerms, offer_violations

_CARD_DIGITS = re.compile(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])")


@dataclass(frozen=True)
class AuditContext:
    """A finished call and what the rules need to judge it."""

    call: CallPublic
    transcript: Sequence[TranscriptEntryPublic]
    rules: NegotiationRules | None = None
    account: AccountTerms | None = None
    protected_terms: frozenset[str] = frozenset()
    cease_effective_at: datetime | None = None
    agent_name: str = "Alex"
    business_name: str | None = None
    callback_number: str | None = None
    customer_name: str = ""


def _is_agent_speech(entry: TranscriptEntryPublic) -> bool:
    return entry.entry_type is TranscriptEntryType.TRANSCRIPT and entry.speaker is Speaker.AGENT


def _event_sequence(
    transcript: Sequence[TranscriptEntryPublic], event: AgentEvent, text: str | None = None
) -> int | None:
    for entry in transcript:
        if (
            entry.entry_type is TranscriptEntryType.EVENT
            and entry.event_type == event.value
            and (text is None or entry.text == text)
        ):
            return entry.sequence
    return None


def _offers_in(entry: TranscriptEntryPublic) -> Iterator[dict[str, Any]]:
    """The offer documents a tool entry quoted, countered or confirmed."""
    response, request = entry.tool_response or {}, entry.tool_request or {}
    if entry.tool_name == ToolName.GET_PAYMENT_OPTIONS.value:
        yield from response.get("offers") or []
    elif entry.tool_name == ToolName.EVALUATE_COUNTER_OFFER.value and response.get("offer"):
        yield response["offer"]
    elif entry.tool_name == ToolName.CONFIRM_ARRANGEMENT.value and request.get("offer"):
        yield request["offer"]


def _card_digit_places(entry: TranscriptEntryPublic) -> list[str]:
    places = []
    if entry.text and (
        _CARD_DIGITS.search(entry.text)
        or (
            entry.speaker is Speaker.CUSTOMER
            and entry.entry_type is TranscriptEntryType.TRANSCRIPT
            and mentions_card_data(entry.text)
        )  # said aloud in words: digits, pairs, "oh", expiry, code
    ):
        places.append("text")
    for name, payload in (("tool request", entry.tool_request), ("tool response", entry.tool_response)):
        if payload and _CARD_DIGITS.search(json.dumps(payload, default=str)):
            places.append(name)
    return places


def audit_call(context: AuditContext) -> list[Finding]:
    """Every violation found in the call, in transcript order (call-level findings first)."""
    transcript = sorted(context.transcript, key=lambda entry: entry.sequence)
    findings = [
        *_cease_findings(context),
        *_recording_notice_findings(context, transcript),
        *_disclosure_findings(context, transcript),
        *_card_findings(transcript),
        *_access_findings(transcript),
        *_offer_findings(context, transcript),
        *_guard_findings(context, transcript),
    ]
    if context.call.outcome is CallOutcome.VOICEMAIL:
        findings += _voicemail_findings(context, [entry for entry in transcript if _is_agent_speech(entry)])
    return sorted(findings, key=lambda finding: (finding.sequence is not None, finding.sequence or 0))


def _cease_findings(context: AuditContext) -> list[Finding]:
    call = context.call
    if (
        context.cease_effective_at is None
        or call.direction is not CallDirection.OUTBOUND
        or context.cease_effective_at > call.start_time
    ):
        return []
    return [
        Finding(
            code=FindingCode.CALL_AFTER_CEASE,
            message="an outbound call was placed after the customer asked not to be called",
        )
    ]


def _recording_notice_findings(
    context: AuditContext, transcript: list[TranscriptEntryPublic]
) -> list[Finding]:
    agent_speech = [entry for entry in transcript if _is_agent_speech(entry)]
    if not agent_speech or context.call.outcome is CallOutcome.VOICEMAIL:
        return []
    notice = _event_sequence(transcript, AgentEvent.DISCLOSURE, DisclosureKind.RECORDING_NOTICE.value)
    if notice is not None and notice < agent_speech[0].sequence:
        return []
    return [
        Finding(
            code=FindingCode.NO_RECORDING_NOTICE,
            message="the agent spoke before giving the recording notice",
            sequence=agent_speech[0].sequence,
        )
    ]


def _disclosure_findings(context: AuditContext, transcript: list[TranscriptEntryPublic]) -> list[Finding]:
    verified_at = _event_sequence(transcript, AgentEvent.VERIFIED)
    miranda_at = _event_sequence(transcript, AgentEvent.DISCLOSURE, DisclosureKind.MINI_MIRANDA.value)
    findings = []
    for entry in transcript:
        if not _is_agent_speech(entry):
            continue
        names = frozenset(n for n in (context.customer_name, context.business_name, context.agent_name) if n)
        said = without_names(entry.text or "", names)
        details = ", ".join(sorted(set(account_detail_findings(said, context.protected_terms))))
        if not details:
            continue
        if verified_at is None or entry.sequence < verified_at:
            code, message = FindingCode.DISCLOSURE_BEFORE_VERIFICATION, "said before right-party verification"
        elif miranda_at is None or entry.sequence < miranda_at:
            code, message = (
                FindingCode.ACCOUNT_DETAIL_BEFORE_MINI_MIRANDA,
                "account detail before the mini-Miranda",
            )
        else:
            continue
        findings.append(Finding(code=code, message=f"{message}: {details}", sequence=entry.sequence))
    return findings


def _card_findings(transcript: list[TranscriptEntryPublic]) -> list[Finding]:
    findings = []
    capturing = False
    for entry in transcript:
        if entry.entry_type is TranscriptEntryType.EVENT and entry.event_type in _CAPTURE_EVENTS:
            capturing = entry.event_type == AgentEvent.CARD_CAPTURE_STARTED.value
        places = _card_digit_places(entry)
        keyed = entry.entry_type is TranscriptEntryType.DTMF and any(ch.isdigit() for ch in entry.text or "")
        if keyed and capturing:
            places.append("keypad entry during card capture")
        if places:
            findings.append(
                Finding(
                    code=FindingCode.CARD_DIGITS_IN_TRANSCRIPT,
                    message=f"card digits stored in the {', '.join(places)}",
                    sequence=entry.sequence,
                )
            )
    return findings


_CAPTURE_EVENTS = {AgentEvent.CARD_CAPTURE_STARTED.value, AgentEvent.CARD_CAPTURE_ENDED.value}
_ACCOUNT_TOOLS = {ToolName.GET_ACCOUNT_SUMMARY.value, ToolName.GET_PAYMENT_OPTIONS.value}


def _access_findings(transcript: list[TranscriptEntryPublic]) -> list[Finding]:
    verified_at = _event_sequence(transcript, AgentEvent.VERIFIED)
    return [
        Finding(
            code=FindingCode.UNVERIFIED_ACCOUNT_ACCESS,
            message=f"{entry.tool_name} returned account data before verification",
            sequence=entry.sequence,
        )
        for entry in transcript
        if entry.entry_type is TranscriptEntryType.TOOL
        and entry.tool_name in _ACCOUNT_TOOLS
        and (verified_at is None or entry.sequence < verified_at)
        and entry.tool_response is not None
        and not entry.tool_response.get("refused")
    ]


def _offer_findings(context: AuditContext, transcript: list[TranscriptEntryPublic]) -> list[Finding]:
    if context.rules is None or context.account is None:
        return []
    findings = []
    for entry in transcript:
        if entry.entry_type is not TranscriptEntryType.TOOL:
            continue
        for document in _offers_in(entry):
            try:
                offer = Offer.model_validate(document)
            except ValidationError:
                message = f"{entry.tool_name} recorded an offer that is not a valid offer"
            else:
                problems = offer_violations(context.rules, context.account, offer)
                if not problems:
                    continue
                message = f"{offer.kind.value} outside policy: {'; '.join(problems)}"
            findings.append(
                Finding(code=FindingCode.OFFER_OUTSIDE_POLICY, message=message, sequence=entry.sequence)
            )
    return findings


def _voicemail_findings(context: AuditContext, agent_speech: list[TranscriptEntryPublic]) -> list[Finding]:
    if not agent_speech:
        return []  # the agent hung up without leaving a message
    if not context.business_name or not context.callback_number:
        return [
            Finding(
                code=FindingCode.NONCOMPLIANT_VOICEMAIL,
                message="a voicemail was left without a configured business name and callback number",
            )
        ]
    message = " ".join(entry.text or "" for entry in agent_speech)
    problems = limited_content_violations(
        message,
        agent_name=context.agent_name,
        business_name=context.business_name,
        callback_number=context.callback_number,
    )
    if not problems:
        return []
    return [
        Finding(
            code=FindingCode.NONCOMPLIANT_VOICEMAIL,
            message=f"not a limited-content message: {'; '.join(problems)}",
            sequence=agent_speech[0].sequence if agent_speech else None,
        )
    ]


# Reported by their own, older checks (`_disclosure_findings`, `_card_findings`): not twice.
_REPORTED_ELSEWHERE = {GuardRule.DISCLOSURE_BEFORE_VERIFICATION, GuardRule.DETAIL_BEFORE_MINI_MIRANDA}
_OFFER_TOOLS = {ToolName.GET_PAYMENT_OPTIONS.value, ToolName.EVALUATE_COUNTER_OFFER.value}


class _Replay:
    """The guard's context as the call went: what had been established when each line was said."""

    def __init__(self, context: AuditContext) -> None:
        self.audit = context
        self.verified = False
        self.disclosed: set[DisclosureKind] = set()
        self.amounts: set[Decimal] = set()
        self.dates: set[date] = set()
        self.offers: list[Offer] = []
        self.today: date | None = None  # the call's date, as the payment options gave it ("as_of")

    def see(self, entry: TranscriptEntryPublic) -> None:
        if entry.entry_type is TranscriptEntryType.EVENT:
            if entry.event_type == AgentEvent.VERIFIED.value:
                self.verified = True
            elif entry.event_type == AgentEvent.DISCLOSURE.value and entry.text in _DISCLOSURE_KINDS:
                self.disclosed.add(DisclosureKind(entry.text))
        elif entry.entry_type is TranscriptEntryType.TOOL:
            self._see_tool(entry)

    def _see_tool(self, entry: TranscriptEntryPublic) -> None:
        response = entry.tool_response or {}
        if response.get("refused"):
            return
        if entry.tool_name == ToolName.GET_ACCOUNT_SUMMARY.value:
            for key in ("balance", "past_due_amount", "minimum_payment"):
                value = _decimal(response.get(key))
                if value is not None and value > 0:
                    self.amounts.add(value)
        if entry.tool_name == ToolName.GET_PAYMENT_OPTIONS.value:
            self.today = _date(response.get("as_of")) or self.today
            self.dates |= {
                d for d in map(_date, (response.get("latest_first_payment_date"), response.get("as_of"))) if d
            }
        if entry.tool_name in _OFFER_TOOLS:
            for document in _offers_in(entry):
                try:
                    self.offers.append(Offer.model_validate(document))
                except ValidationError:
                    continue  # reported by `_offer_findings`
        if response.get("scheduled"):
            callback = _date(response.get("date"))
            if callback is not None:
                self.dates.add(callback)

    def guard_context(self) -> GuardContext:
        offered = offer_approvals(self.offers)
        return GuardContext(
            verified=self.verified,
            disclosed=frozenset(self.disclosed),
            approved_amounts=frozenset(self.amounts),
            approved_dates=frozenset(self.dates) | offered.dates,
            protected_terms=self.audit.protected_terms,
            offer_amounts=offered.amounts,
            approved_percentages=offered.percentages,
            approved_counts=offered.counts,
            business_name=self.audit.business_name or "",
            names=frozenset(
                n for n in (self.audit.customer_name, self.audit.business_name, self.audit.agent_name) if n
            ),
            today=self.today,
        )


_DISCLOSURE_KINDS = {kind.value for kind in DisclosureKind}


def _decimal(value: Any) -> Decimal | None:
    try:
        return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return None


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _guard_findings(context: AuditContext, transcript: list[TranscriptEntryPublic]) -> list[Finding]:
    """The output guard's rules applied to what was said, line by line, in the context of the moment."""
    replay = _Replay(context)
    findings = []
    for entry in transcript:
        if not _is_agent_speech(entry):
            replay.see(entry)
            continue
        text = entry.text or ""
        verdict = review_agent_text(text, replay.guard_context())
        findings += [
            _guard_finding(violation, entry.sequence)
            for violation in verdict.violations
            if violation.rule not in _REPORTED_ELSEWHERE
            and not (violation.rule is GuardRule.CARD_DATA and _CARD_DIGITS.search(text))
        ]
    return findings


def _guard_finding(violation: GuardViolation, sequence: int) -> Finding:
    label = violation.rule.value.replace("_", " ")
    return Finding(
        code=FindingCode(violation.rule.value), message=f"{label}: {violation.detail}", sequence=sequence
    )
