"""One call's live state and how it is recorded: verification, disclosures given, the figures and dates
approved on the call (the guard's allow-list), offers made, the outcome, card capture. Built per call by
`get_agent`; the tools and the guard read and change it; the recorder keeps it."""

from __future__ import annotations

import functools
import logging
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from agent_host.context import CallContext
from agent_host.recorder import CallRecorder
from shared.db.base import utcnow
from shared.domain import CallOutcome, CallStatus, Speaker, TranscriptEntryType
from shared.models.agent import AgentEvent, SessionState
from shared.models.calls import TranscriptEntryCreate
from shared.models.events import CallEnded, CallStarted, CallTool, CallTranscript
from shared.models.payments import ArrangementPublic, Offer, PaymentOptions, PaymentPublic
from shared.policy.card_data import CardRedaction, redact_card_data
from shared.policy.disclosure import DisclosureKind
from shared.policy.guard import GuardContext, offer_approvals
from shared.policy.heard import heard_in_full
from shared.policy.negotiation import AccountTerms
from shared.policy.outcome import final_outcome, prefer
from shared.policy.verification import IdentityFacts, VerificationState
from shared.runtime import Runtime
from shared.services import calls
from shared.telemetry import mask_text, record_call_outcome

logger = logging.getLogger(__name__)

# Strings that cannot hold personal data (amounts, ISO dates, ids and enum words) skip the masking regexes.
_PLAIN = re.compile(
    r"\d{1,9}\.\d{2}|\d{4}-\d{2}-\d{2}|[a-z_]+|offer-\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
)


def mask_payload(value: Any) -> Any:
    """`mask_value` for tool payloads, fast on the amounts, dates and ids they are mostly made of."""
    if isinstance(value, str):
        return value if _PLAIN.fullmatch(value) else mask_text(value)
    if isinstance(value, dict):
        return {key: mask_payload(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [mask_payload(item) for item in value]
    return value


MASKED_KEY = "*"  # how any keypad press is stored, served and shown
_CARD_NUMBER = re.compile(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])")


@dataclass
class CardCapture:
    """Keypad entry of a card: number, expiry (MMYY), security code, each ended by '#'. Digits live here
    only until they reach the gateway."""

    amount: Decimal
    field: str = "number"  # number, expiry, security_code
    digits: str = ""
    number: str = ""
    expiry: str = ""
    attempts: int = 0

    def clear(self) -> None:
        self.digits = self.number = self.expiry = ""
        self.field = "number"


@dataclass
class ReadBack:
    """Terms read back to the caller, awaiting their answer. `at`: how many utterances the caller had made when
    the terms were read — the answer is what they say after. `heard`: whether the harness reported the whole
    read-back as spoken (None until the caller's next turn tells; a barge-in cuts it short)."""

    offer_id: str
    text: str
    at: int
    heard: bool | None = None
    asked_again: bool = False


@dataclass
class CallSession:
    runtime: Runtime
    context: CallContext
    recorder: CallRecorder
    verification: VerificationState = field(default_factory=VerificationState)
    disclosed: set[DisclosureKind] = field(default_factory=set)
    approved_amounts: set[Decimal] = field(default_factory=set)
    approved_dates: set[date] = field(default_factory=set)
    options: PaymentOptions | None = None
    offers: dict[str, Offer] = field(default_factory=dict)  # offer id -> offer, as quoted on this call
    read_back: ReadBack | None = None  # terms read back, awaiting the caller's own yes
    # What the caller said, in order (kept in memory for the call only: code reads facts from it — identity,
    # factors, consent — instead of trusting a model's tool arguments).
    utterances: list[str] = field(default_factory=list)
    factors_from: int = 0  # verification answers are read from this utterance on
    acknowledged: bool = False  # the harness reports what was spoken (Line `agent_speech`)
    collection_stopped: str | None = None  # the legal event after which no collection talk is allowed
    recording_stopped: bool = False  # the caller objected to being recorded
    _guard_key: tuple[Any, ...] | None = field(default=None, repr=False)
    _guard_context: GuardContext | None = field(default=None, repr=False)
    arrangement: ArrangementPublic | None = None
    payment: PaymentPublic | None = None
    hardship: bool = False
    outcome: CallOutcome | None = None
    capture: CardCapture | None = None
    voicemail: bool = False
    end_reason: str | None = None  # set by the tool that ends or transfers the call
    finished: bool = False
    turns: int = 0
    # Whether the customer's latest utterance held card data (a card number, expiry or security code said
    # aloud): the agent should ask for the keypad, and the next utterance is read as card details too.
    card_data_heard: bool = False
    started_at: datetime = field(default_factory=utcnow)

    # --- Facts -------------------------------------------------------------------------------------------

    @property
    def org_id(self) -> uuid.UUID | None:
        return self.context.org_id

    @property
    def call_id(self) -> uuid.UUID:
        return self.context.call_id

    @property
    def identity(self) -> IdentityFacts | None:
        customer = self.context.customer
        if customer is None:
            return None
        return IdentityFacts(
            name=customer.name,
            account_last4s=self.context.account_last4s | {customer.account_last_4},
            postal_code=customer.postal_code,
        )

    @property
    def account_terms(self) -> AccountTerms | None:
        account = self.context.account
        if account is None:
            return None
        return AccountTerms(
            balance=account.balance,
            days_past_due=account.days_past_due,
            minimum_payment=account.minimum_payment,
        )

    def guard_context(self) -> GuardContext:
        """The guard's view of the call: account facts approved as balances (`approve`), the offers made on
        the call as the only source of offer figures, counts and percentages (`remember_offer`). Built again
        only when one of those changed (the guard asks for it for every sentence)."""
        key = (
            self.verification.verified,
            self.collection_stopped,
            len(self.disclosed),
            len(self.approved_amounts),
            len(self.approved_dates),
            len(self.offers),
        )
        if self._guard_key == key and self._guard_context is not None:
            return self._guard_context
        offered = offer_approvals(self.offers.values())
        self._guard_key, self._guard_context = (
            key,
            GuardContext(
                # After a cease, dispute, bankruptcy, ... the debt is as unspeakable as before verification.
                verified=self.verification.verified and self.collection_stopped is None,
                disclosed=frozenset(self.disclosed),
                approved_amounts=frozenset(self.approved_amounts),
                approved_dates=frozenset(self.approved_dates) | offered.dates,
                protected_terms=self.context.protected_terms,
                offer_amounts=offered.amounts,
                approved_percentages=offered.percentages,
                approved_counts=offered.counts,
                business_name=self.context.business_name,
                names=self._names,
                today=self.context.today,
            ),
        )
        return self._guard_context

    @functools.cached_property
    def _names(self) -> frozenset[str]:
        context = self.context
        customer = context.customer.name if context.customer else ""
        return frozenset(n for n in (customer, context.business_name, context.settings.agent_name) if n)

    def approve(self, *, amounts: Any = (), dates: Any = ()) -> None:
        """Approve account facts (said as balances, never as an offer) and dates."""
        self.approved_amounts.update(amounts)
        self.approved_dates.update(dates)

    def remember_offer(self, offer: Offer) -> str:
        """Give an offer quoted on this call an id (the same offer keeps its id); its figures are approved."""
        for offer_id, known in self.offers.items():
            if known == offer:
                return offer_id
        offer_id = f"offer-{len(self.offers) + 1}"
        self.offers[offer_id] = offer  # its figures become offer approvals (`guard_context`)
        return offer_id

    # --- What the caller said and heard ----------------------------------------------------------------

    def hear(self, text: str) -> None:
        """A customer utterance, as recognized."""
        self.utterances.append(text)

    def answers_since(self, index: int) -> list[str]:
        return self.utterances[index:]

    def heard_agent(self, spoken: list[str]) -> None:
        """What the harness reported as spoken in the agent's last turn, before the caller's new turn. Decides
        whether a pending read-back reached the caller in full. A harness that never reports speech (some
        test clients) leaves every read-back taken as heard."""
        if spoken:
            self.acknowledged = True
        pending = self.read_back
        if pending is not None and pending.heard is None:
            pending.heard = heard_in_full(pending.text, spoken) if self.acknowledged else True

    def stop_collection(self, reason: str) -> None:
        """No more talk about the debt on this call (a cease, a dispute, a bankruptcy, ...): the guard holds
        it as it would before verification, and the tools refuse account and payment requests."""
        if self.collection_stopped is None:
            self.collection_stopped = reason

    def read_terms(self, offer_id: str, text: str) -> None:
        self.read_back = ReadBack(offer_id=offer_id, text=text, at=len(self.utterances))

    def set_outcome(self, outcome: CallOutcome) -> None:
        """Something decisive happened; the call keeps the weightiest outcome (`shared.policy.outcome`)."""
        self.outcome = prefer(self.outcome, outcome)

    # --- Recording ---------------------------------------------------------------------------------------

    def _now(self) -> datetime:
        return utcnow()

    def redact_customer_text(self, text: str) -> CardRedaction:
        """What the customer said with card data removed (`shared.policy.card_data`), parsed once per
        utterance: everything downstream (transcript, live event, model) gets this text. A bare expiry or
        security code counts as card data while a card is being captured or right after an utterance that
        held card data ("four two four two ..." then "twelve thirty one two three")."""
        redaction = redact_card_data(text, expecting_card=self.capture is not None or self.card_data_heard)
        self.card_data_heard = bool(redaction.found)
        return redaction

    def record_speech(self, speaker: Speaker, text: str) -> None:
        """What was said. The customer's words are masked like logs are (phone, account and card numbers,
        card data said in words — pass them through `redact_customer_text` first for the context-aware
        pass); the agent's words are the record of what the caller heard (callback numbers, amounts, dates)
        and are stored verbatim, card-length numbers excepted."""
        masked = (
            mask_text(text)
            if speaker is Speaker.CUSTOMER
            else _CARD_NUMBER.sub("[card number removed]", text)
        )
        sequence = self.recorder.next_sequence
        event = None
        if self.org_id is not None:
            event = CallTranscript(
                organization_id=self.org_id,
                at=self._now(),
                call_id=self.call_id,
                sequence=sequence,
                speaker=speaker,
                text=masked,
            )
        self.recorder.entry(
            TranscriptEntryCreate(entry_type=TranscriptEntryType.TRANSCRIPT, speaker=speaker, text=masked),
            event,
        )

    def record_event(
        self, event_type: AgentEvent, text: str | None = None, details: dict[str, Any] | None = None
    ) -> None:
        self.recorder.entry(
            TranscriptEntryCreate(
                entry_type=TranscriptEntryType.EVENT,
                speaker=Speaker.SYSTEM,
                event_type=event_type.value,
                text=text,
                tool_response=details,
            )
        )

    def record_tool(self, name: str, arguments: dict[str, Any], result: dict[str, Any]) -> None:
        arguments, result = mask_payload(arguments), mask_payload(result)
        sequence = self.recorder.next_sequence
        event = None
        if self.org_id is not None:
            event = CallTool(
                organization_id=self.org_id,
                at=self._now(),
                call_id=self.call_id,
                sequence=sequence,
                tool_name=name,
                arguments=arguments,
                result=result,
            )
        self.recorder.entry(
            TranscriptEntryCreate(
                entry_type=TranscriptEntryType.TOOL,
                tool_name=name,
                tool_request=arguments,
                tool_response=result,
            ),
            event,
        )

    def record_dtmf(self, button: str) -> None:
        """Keypad input, masked: every key is stored as "*" whether or not a card is being captured (Archer
        has no keypad menus, so any digit may be a card digit; "#" is masked too, as it would show where a
        card number ends and so its length)."""
        text = MASKED_KEY
        self.recorder.entry(
            TranscriptEntryCreate(entry_type=TranscriptEntryType.DTMF, speaker=Speaker.CUSTOMER, text=text)
        )

    def record_guard(self, held_text: str, rules: list[str], replacement: str) -> None:
        self.recorder.entry(
            TranscriptEntryCreate(
                entry_type=TranscriptEntryType.GUARD,
                speaker=Speaker.SYSTEM,
                event_type=AgentEvent.GUARD_INTERVENTION.value,
                text=f"held back: {', '.join(rules)}",
                tool_request={"held_text": mask_text(held_text), "rules": rules},
                tool_response={"replacement": replacement},
            )
        )

    def disclose(self, kind: DisclosureKind) -> None:
        """Mark a disclosure as given (before its words are spoken, so the guard lets them through)."""
        if kind not in self.disclosed:
            self.disclosed.add(kind)
            self.record_event(AgentEvent.DISCLOSURE, kind.value)

    def mark_verified(self) -> None:
        """Right-party verification succeeded. Stored with the turn's batch (within the recorder's window,
        and always before the call ends): the campaign compliance engine counts a verified call as a
        conversation about the debt (Regulation F's 7-day rule)."""
        self.record_event(AgentEvent.VERIFIED)
        org_id, call_id, at = self.org_id, self.call_id, self._now()
        if org_id is not None:
            self.recorder.operation(
                lambda s: calls.mark_verified(session=s, org_id=org_id, call_id=call_id, at=at)
            )

    def note_metadata(self, values: dict[str, Any]) -> None:
        org_id, call_id = self.org_id, self.call_id
        if org_id is not None:
            self.recorder.operation(
                lambda s: calls.update_metadata(session=s, org_id=org_id, call_id=call_id, values=values)
            )

    def snapshot(self) -> None:
        if self.org_id is None:
            return
        customer = self.context.customer
        self.recorder.state(
            SessionState(
                call_id=self.call_id,
                organization_id=self.org_id,
                customer_id=customer.id if customer else None,
                brain=self.context.brain,
                stage=self.verification.stage.value,
                verified=self.verification.verified,
                failed_verification_attempts=self.verification.failed_attempts,
                disclosures=sorted(kind.value for kind in self.disclosed),
                turns=self.turns,
                outcome=self.outcome,
                card_capture=self.capture is not None,
                updated_at=self._now(),
            )
        )

    # --- Start and end -----------------------------------------------------------------------------------

    def start(self) -> None:
        customer = self.context.customer
        self.record_event(AgentEvent.CALL_STARTED, self.context.direction.value)
        if self.org_id is not None:
            self.recorder.publish(
                CallStarted(
                    organization_id=self.org_id,
                    at=self._now(),
                    call_id=self.call_id,
                    customer_id=customer.id if customer else None,
                    customer_name=customer.name if customer else None,
                    direction=self.context.direction,
                    campaign_id=_uuid_or_none(self.context.metadata.get("campaign_id")),
                )
            )
        self.snapshot()

    def final_outcome(self, *, abandoned: bool) -> CallOutcome:
        """The one outcome the call ends with. A call dropped before anything decisive is abandoned."""
        return final_outcome(
            self.outcome, customer_known=self.context.customer is not None, abandoned=abandoned
        )

    async def finish(self, *, reason: str, abandoned: bool = False) -> CallOutcome:
        """Give the call its outcome, store everything and close the record. Idempotent."""
        outcome = self.final_outcome(abandoned=abandoned)
        if self.finished:
            return outcome
        self.finished = True
        self.capture = None
        self.outcome = outcome
        ended = self._now()
        self.record_event(AgentEvent.DISPOSITION, outcome.value)
        self.record_event(AgentEvent.CALL_ENDED, reason)
        org_id, call_id = self.org_id, self.call_id
        status = CallStatus.COMPLETED
        if org_id is not None:
            self.recorder.operation(
                lambda s: calls.finalize_call(
                    session=s, org_id=org_id, call_id=call_id, outcome=outcome, ended_at=ended, status=status
                )
            )
            duration = max(0, round((ended - self.started_at).total_seconds()))
            self.recorder.publish(
                CallEnded(
                    organization_id=org_id,
                    at=ended,
                    call_id=call_id,
                    outcome=outcome,
                    duration_seconds=duration,
                )
            )
        self.snapshot()
        await self.recorder.close()
        record_call_outcome(outcome.value, direction=self.context.direction.value, brain=self.context.brain)
        return outcome


def _uuid_or_none(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None
