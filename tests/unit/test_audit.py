"""The compliance auditor finds each kind of violation in a call record, and nothing in a clean one."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from shared.domain import CallDirection, CallOutcome, CallStatus, CallType, Speaker, TranscriptEntryType
from shared.models.agent import AgentEvent, ToolName
from shared.models.calls import CallPublic, TranscriptEntryPublic
from shared.models.findings import FindingCode
from shared.policy.audit import AuditContext, audit_call
from shared.policy.disclosure import mini_miranda, recording_notice, voicemail_message
from shared.policy.guard import protected_terms_for
from shared.policy.negotiation import AccountTerms, payment_options
from shared.seed.catalog import DEFAULT_NEGOTIATION_RULES

T0 = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
ACCOUNT = AccountTerms(balance=Decimal("1200.00"), days_past_due=200)
PROTECTED = protected_terms_for(account_last4s=["4321"], amounts=[Decimal("1200.00")])


def _call(outcome: CallOutcome = CallOutcome.PROMISE_TO_PAY, **overrides: Any) -> CallPublic:
    values: dict[str, Any] = {
        "id": uuid.uuid4(), "organization_id": uuid.uuid4(), "call_sid": None, "customer_id": uuid.uuid4(),
        "account_id": uuid.uuid4(), "campaign_id": None, "campaign_target_id": None, "call_type": CallType.TEST,
        "direction": CallDirection.OUTBOUND, "status": CallStatus.COMPLETED, "outcome": outcome,
        "from_number": None, "to_number": None, "start_time": T0, "answered_at": T0, "end_time": T0,
        "duration_seconds": 60, "answered_by": None, "verified": True, "brain": "scripted",
        "behavioral_tactic_id": None, "system_prompt_id": None, "negotiation_policy_id": None,
        "recording_sid": None, "recording_url": None, "recording_duration_seconds": None, "metadata": {},
        "created_at": T0, "updated_at": T0,
    }  # fmt: skip
    values.update(overrides)
    return CallPublic.model_validate(values)


class Record:
    """Builds a transcript in order."""

    def __init__(self) -> None:
        self.entries: list[TranscriptEntryPublic] = []

    def add(self, entry_type: TranscriptEntryType, **values: Any) -> Record:
        defaults: dict[str, Any] = {
            "speaker": None, "text": None, "tool_name": None, "tool_request": None,
            "tool_response": None, "event_type": None,
        }  # fmt: skip
        defaults.update(values)
        self.entries.append(
            TranscriptEntryPublic(
                id=uuid.uuid4(),
                sequence=len(self.entries),
                timestamp=T0 + timedelta(seconds=len(self.entries)),
                entry_type=entry_type,
                **defaults,
            )
        )
        return self

    def event(self, event: AgentEvent, text: str | None = None) -> Record:
        return self.add(TranscriptEntryType.EVENT, event_type=event.value, text=text)

    def agent(self, text: str) -> Record:
        return self.add(TranscriptEntryType.TRANSCRIPT, speaker=Speaker.AGENT, text=text)

    def customer(self, text: str) -> Record:
        return self.add(TranscriptEntryType.TRANSCRIPT, speaker=Speaker.CUSTOMER, text=text)

    def tool(self, name: ToolName, request: dict[str, Any] | None, response: dict[str, Any] | None) -> Record:
        return self.add(
            TranscriptEntryType.TOOL, tool_name=name.value, tool_request=request, tool_response=response
        )


def _clean_call() -> Record:
    offers = payment_options(DEFAULT_NEGOTIATION_RULES, ACCOUNT, as_of=date(2026, 11, 25))
    return (
        Record()
        .customer("Hello?")
        .event(AgentEvent.DISCLOSURE, "recording_notice")
        .agent(
            f"Hi, this is Alex calling from Demo Bank. {recording_notice()} May I speak with Avery Ashgrove?"
        )
        .customer("Speaking.")
        .agent("Please tell me the last four digits of your account number and your ZIP code.")
        .customer("4321, 85004")
        .tool(ToolName.VERIFY_IDENTITY, {"account_last4": "***"}, {"outcome": "verified"})
        .event(AgentEvent.VERIFIED)
        .agent("Thank you, you're verified.")
        .event(AgentEvent.DISCLOSURE, "mini_miranda")
        .agent(mini_miranda(initial_communication=True))
        .tool(ToolName.GET_ACCOUNT_SUMMARY, {}, {"balance": "1200.00"})
        .agent("Your balance is $1,200.00.")
        .tool(ToolName.GET_PAYMENT_OPTIONS, {}, offers.model_dump(mode="json"))
    )


def _audit(record: Record, **context: Any) -> list[FindingCode]:
    call = context.pop("call", _call())
    findings = audit_call(
        AuditContext(
            call=call,
            transcript=record.entries,
            rules=DEFAULT_NEGOTIATION_RULES,
            account=ACCOUNT,
            protected_terms=PROTECTED,
            **context,
        )
    )
    return [finding.code for finding in findings]


def test_a_clean_call_has_no_findings() -> None:
    assert _audit(_clean_call()) == []


def test_disclosure_before_verification_is_found() -> None:
    record = (
        Record().event(AgentEvent.DISCLOSURE, "recording_notice").agent("You owe $1,200.00 on your account.")
    )
    assert _audit(record) == [FindingCode.DISCLOSURE_BEFORE_VERIFICATION]


def test_detail_before_the_mini_miranda_is_found() -> None:
    record = (
        Record()
        .event(AgentEvent.DISCLOSURE, "recording_notice")
        .agent("Hello.")
        .event(AgentEvent.VERIFIED)
        .agent("Your balance is $1,200.00.")
    )
    assert _audit(record) == [FindingCode.ACCOUNT_DETAIL_BEFORE_MINI_MIRANDA]


def test_missing_recording_notice_is_found() -> None:
    assert _audit(Record().agent("Hello, may I speak with Avery?")) == [FindingCode.NO_RECORDING_NOTICE]


def test_offer_outside_policy_is_found() -> None:
    offer = payment_options(DEFAULT_NEGOTIATION_RULES, ACCOUNT, as_of=date(2026, 11, 25)).offers[0]
    too_low = {
        **offer.model_dump(mode="json"),
        "kind": "settlement",
        "total_amount": "100.00",
        "installment_amount": "100.00",
        "schedule": [{"due_date": "2026-11-25", "amount": "100.00"}],
    }
    record = _clean_call().tool(ToolName.CONFIRM_ARRANGEMENT, {"offer": too_low}, {"ok": True})
    assert _audit(record) == [FindingCode.OFFER_OUTSIDE_POLICY]


def test_card_digits_anywhere_are_found() -> None:
    """A card number in speech or a keypad digit stored during capture is a finding."""
    record = (
        _clean_call()
        .customer("my card is 4242 4242 4242 4242")
        .event(AgentEvent.CARD_CAPTURE_STARTED)
        .add(TranscriptEntryType.DTMF, text="4")
        .add(TranscriptEntryType.DTMF, text="*")
        .event(AgentEvent.CARD_CAPTURE_ENDED)
        .add(TranscriptEntryType.DTMF, text="1")
    )
    assert _audit(record) == [FindingCode.CARD_DIGITS_IN_TRANSCRIPT, FindingCode.CARD_DIGITS_IN_TRANSCRIPT]


@pytest.mark.parametrize(
    ("said", "found"),
    [
        ("um it's four two four two four two four two four two four two four two four two", True),
        ("yeah the cvv is one two three", True),
        ("it expires twelve thirty", True),
        ("it's [card number removed] and it expires [expiry removed]", False),
        ("four three two one and eight five zero zero four", False),
        ("i can pay two hundred fifty dollars on the fifteenth", False),
    ],
)
def test_card_data_stored_in_words_is_found(said: str, found: bool) -> None:
    """A card number, expiry or security code stored as the customer said it in words is a finding."""
    codes = _audit(_clean_call().customer(said))
    assert (FindingCode.CARD_DIGITS_IN_TRANSCRIPT in codes) is found


def test_unverified_account_access_is_found() -> None:
    record = Record().tool(ToolName.GET_ACCOUNT_SUMMARY, {}, {"balance": "1200.00"})
    assert _audit(record) == [FindingCode.UNVERIFIED_ACCOUNT_ACCESS]
    refused = Record().tool(ToolName.GET_ACCOUNT_SUMMARY, {}, {"refused": True})
    assert _audit(refused) == []


def test_call_after_cease_is_found_for_outbound_calls_only() -> None:
    before = T0 - timedelta(days=1)
    assert _audit(_clean_call(), cease_effective_at=before) == [FindingCode.CALL_AFTER_CEASE]
    inbound = _call(direction=CallDirection.INBOUND)
    assert _audit(_clean_call(), cease_effective_at=before, call=inbound) == []


def test_voicemail_must_be_limited_content() -> None:
    """A compliant voicemail passes without a recording notice; debt wording in one is a finding."""
    settings = {"business_name": "Demo Bank", "callback_number": "+18005550100", "agent_name": "Alex"}
    good = voicemail_message(agent_name="Alex", business_name="Demo Bank", callback_number="+18005550100")
    call = _call(CallOutcome.VOICEMAIL, verified=False)
    assert _audit(Record().customer("Leave a message.").agent(good), call=call, **settings) == []
    bad = Record().agent(good + " It is about your overdue balance.")
    codes = _audit(bad, call=call, **settings)
    assert FindingCode.NONCOMPLIANT_VOICEMAIL in codes
    assert FindingCode.DISCLOSURE_BEFORE_VERIFICATION in codes


# --- The output guard's rules, replayed over what was said ---------------------------------------------------


def _verified_call() -> Record:
    """Verified, mini-Miranda given, account summary read (balance $1,200, past due $300, minimum $35)."""
    return (
        Record()
        .event(AgentEvent.DISCLOSURE, "recording_notice")
        .agent("Hi, this is Alex calling from Demo Bank. May I speak with Avery Ashgrove?")
        .customer("yeah this is avery")
        .event(AgentEvent.VERIFIED)
        .event(AgentEvent.DISCLOSURE, "mini_miranda")
        .agent(mini_miranda(initial_communication=True))
        .tool(
            ToolName.GET_ACCOUNT_SUMMARY,
            {},
            {"balance": "1200.00", "past_due_amount": "300.00", "minimum_payment": "35.00"},
        )
        .agent("The balance is $1,200.00, and $300.00 of it is past due.")
    )


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("settle for half of what you owe", FindingCode.UNAPPROVED_PERCENTAGE),
        ("we can settle for three hundred dollars", FindingCode.UNAPPROVED_AMOUNT),
        ("We will call your employer.", FindingCode.EMPLOYER_OR_FAMILY_CONTACT),
        ("if you don't pay we'll have to take this before a judge", FindingCode.LEGAL_ACTION),
        ("This offer expires at 5 pm.", FindingCode.FALSE_URGENCY),
        ("No, I'm a real person.", FindingCode.FALSE_IDENTITY),
        ("you'd pay over eighteen months", FindingCode.UNAPPROVED_COUNT),
        ("how about the fifteenth", FindingCode.UNAPPROVED_DATE),
        ("you're a deadbeat", FindingCode.ABUSIVE),
    ],
)
def test_the_auditor_reports_every_violation_it_is_shown(line: str, code: FindingCode) -> None:
    """Each line the guard would hold is a finding on the entry that said it, coded with the guard rule."""
    offers = payment_options(DEFAULT_NEGOTIATION_RULES, ACCOUNT, as_of=date(2026, 11, 25))
    record = (
        _verified_call()
        .tool(ToolName.GET_PAYMENT_OPTIONS, {}, offers.model_dump(mode="json"))
        .customer("i can't pay all that")
        .agent(line)
    )
    findings = audit_call(
        AuditContext(
            call=_call(), transcript=record.entries, rules=DEFAULT_NEGOTIATION_RULES, account=ACCOUNT
        )
    )
    assert code in {finding.code for finding in findings}
    assert all(finding.sequence == record.entries[-1].sequence for finding in findings)


def test_the_debt_in_words_before_verification_is_found() -> None:
    """ "The thirteen thousand six hundred you borrowed" to an unverified caller is a disclosure finding."""
    record = (
        Record()
        .event(AgentEvent.DISCLOSURE, "recording_notice")
        .agent("hi um is this about the thirteen thousand six hundred you borrowed")
    )
    assert _audit(record) == [FindingCode.DISCLOSURE_BEFORE_VERIFICATION]


def test_the_replay_approves_figures_only_from_when_they_were_approved() -> None:
    """An offer figure said before the engine made the offer is a finding; said after, it is not."""
    offers = payment_options(DEFAULT_NEGOTIATION_RULES, ACCOUNT, as_of=date(2026, 11, 25))
    settlement = next(offer for offer in offers.offers if offer.kind.value == "settlement")
    line = f"we can settle for ${settlement.total_amount:,.2f}"
    early = (
        _verified_call().agent(line).tool(ToolName.GET_PAYMENT_OPTIONS, {}, offers.model_dump(mode="json"))
    )
    assert FindingCode.UNAPPROVED_AMOUNT in _audit(early)
    late = _verified_call().tool(ToolName.GET_PAYMENT_OPTIONS, {}, offers.model_dump(mode="json")).agent(line)
    assert _audit(late) == []


def test_a_countered_offer_approves_its_figures() -> None:
    """An offer the engine returned for a counter-offer may be quoted, with its count of payments."""
    offers = payment_options(DEFAULT_NEGOTIATION_RULES, ACCOUNT, as_of=date(2026, 11, 25))
    plan = next(offer for offer in offers.offers if offer.kind.value == "payment_plan")
    line = f"that's {plan.installments_count} monthly payments of ${plan.installment_amount:,.2f}"
    record = _verified_call().tool(
        ToolName.EVALUATE_COUNTER_OFFER, {}, {"decision": "counter", "offer": plan.model_dump(mode="json")}
    )
    assert _audit(record.agent(line)) == []


@pytest.mark.parametrize(
    "line",
    [
        "we won't contact your employer",
        "you're not going to be sued, i'm here to help",
        "I'm an automated assistant calling on behalf of Demo Bank.",
        "I've scheduled a call back for Friday, December 18. Thank you, and goodbye.",
        "You can reach us at (800) 555-0100. Goodbye.",
    ],
)
def test_reassurances_and_approved_lines_are_not_findings(line: str) -> None:
    """What the guard lets through is not reported either."""
    record = _verified_call().tool(
        ToolName.SCHEDULE_CALLBACK, {"when": "december eighteenth"}, {"scheduled": True, "date": "2026-12-18"}
    )
    assert _audit(record.agent(line)) == []
