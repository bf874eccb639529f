"""The agent's tools: the only way either brain can act. Built per call over its session (closures over
per-call state, as the Line examples do). Each tool checks what the call allows — verification, disclosures,
offers the engine made — by calling `shared.policy` and `shared.services`; the tools themselves hold no rule.

A tool is an async generator: it yields Line output events (words spoken verbatim, a transfer, the end of the
call) and at most one result dict. `invoke` runs a tool, records it (masked) and re-yields; the scripted
brain calls `invoke` directly, the LLM brain gets the same tools as Line `FunctionTool`s (`line_tools`),
where a result dict goes back to the model and output events go straight to the caller."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from line.events import AgentEndCall, AgentSendText, AgentToolCalled, AgentTransferCall, OutputEvent
from line.llm_agent import FunctionTool

from agent_host.agent import phrasing
from agent_host.session import CallSession, CardCapture
from agent_host.tool_specs import bind, function_tools
from shared.db.engine import transaction
from shared.domain import CallOutcome, PaymentStatus, PreferenceKind
from shared.errors import ArcherError, ExternalServiceError, InvalidInput, PolicyViolation
from shared.integrations.payments import PaymentGateway
from shared.models.agent import AgentEvent, ToolName
from shared.models.audit import Actor
from shared.models.customers import ContactPreferenceCreate
from shared.models.payments import CardDetails, CardToken, CounterOffer, Offer, OfferKind, PaymentPublic
from shared.policy.disclosure import (
    DisclosureKind,
    mini_miranda,
    recording_notice,
    spoken_phone,
    voicemail_message,
)
from shared.policy.heard import (
    Answer,
    ConsentReading,
    IdentityClaim,
    Terms,
    heard_factors,
    read_consent,
    read_identity_claim,
)
from shared.policy.legal_events import LegalEvent
from shared.policy.negotiation import evaluate_counter_offer, payment_options
from shared.policy.schedule import amount_due_now, apply_payment
from shared.policy.spoken import parse_date, spoken_amount
from shared.policy.verification import (
    VerificationOutcome,
    VerificationStage,
    check_factors,
    confirm_name,
)
from shared.services import arrangements, contact_preferences, legal_events
from shared.services import payments as payment_service
from shared.services.telephony import CallRecordings
from shared.telemetry import record_tool_latency

logger = logging.getLogger(__name__)

ToolItem = OutputEvent | dict[str, Any]
MAX_CALLBACK_DAYS = 30
_SENSITIVE_ARGUMENTS = {"account_last_4", "postal_code"}
KEYPAD_PROMPTS = {
    "number": "Please enter your card number on your phone's keypad, followed by the pound key.",
    "expiry": "Now enter the card's expiration date as four digits, month then year, followed by the pound key.",
    "security_code": "And the security code from the card, followed by the pound key.",
}


def masked_arguments(arguments: dict[str, Any]) -> dict[str, Any]:
    """Tool arguments fit for the record and the harness: verification answers are never kept."""
    return {
        key: ("***" if key in _SENSITIVE_ARGUMENTS and value else value) for key, value in arguments.items()
    }


def _say(text: str, *, interruptible: bool = True) -> AgentSendText:
    return AgentSendText(text=text, interruptible=interruptible)


def _amount(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


def _terms_of(offer: Offer) -> Terms:
    """The figures of an offer as read back: an answer that repeats them adds nothing."""
    amounts = {offer.total_amount, offer.balance, offer.installment_amount, offer.down_payment_amount}
    amounts |= {item.amount for item in offer.schedule}
    count = offer.installments_count if offer.kind is OfferKind.PAYMENT_PLAN else None
    return Terms(
        amounts=frozenset(a for a in amounts if a > 0),
        dates=frozenset(item.due_date for item in offer.schedule),
        installments=count,
    )


def _offer_document(offer_id: str, offer: Offer) -> dict[str, Any]:
    return {"id": offer_id, "summary": phrasing.describe(offer), **offer.model_dump(mode="json")}


_REFUSED_UNVERIFIED = {"refused": True, "reason": "the customer's identity is not verified"}


class AgentTools:
    """The tools of one call."""

    def __init__(
        self, session: CallSession, gateway: PaymentGateway, recordings: CallRecordings | None = None
    ) -> None:
        self.session = session
        self.gateway = gateway
        self.recordings = recordings  # Twilio's recording control; None for simulated calls
        # Told when a tool starts (True) and ends (False): the model's clock stops while the call's own
        # tools work (`agent_host.agent.fallback`).
        self.listeners: list[Callable[[bool], None]] = []
        self._tools: dict[str, Callable[..., AsyncIterator[ToolItem]]] = bind(self)

    async def invoke(self, name: str, **arguments: Any) -> AsyncIterator[ToolItem]:
        """Run tool `name`, record it with its (masked) result, and yield what it yields."""
        result: dict[str, Any] = {}
        started = time.perf_counter()
        outcome = "ok"
        self._tell(running=True)
        try:
            async for item in self._tools[name](**arguments):
                if isinstance(item, dict):
                    result = item
                yield item
        except BaseException:
            outcome = "error"
            raise
        finally:
            self._tell(running=False)
            outcome = "refused" if result.get("refused") else outcome
            record_tool_latency(name, time.perf_counter() - started, result=outcome)
        if not self.session.finished:
            self.session.record_tool(name, masked_arguments(arguments), result)

    def _refusal(self) -> dict[str, Any] | None:
        """Why the account may not be talked about now: not verified, or collection stopped on this call."""
        if not self.session.verification.verified:
            return _REFUSED_UNVERIFIED
        if self.session.collection_stopped is not None:
            return {
                "refused": True,
                "reason": f"collection stopped on this call ({self.session.collection_stopped}); "
                "do not discuss the account or payments",
            }
        return None

    def _tell(self, *, running: bool) -> None:
        for listener in self.listeners:
            listener(running)

    @property
    def _actor(self) -> Actor:
        return Actor.agent(self.session.call_id)

    async def _db(self, work: Callable[[Any], Any], then: Callable[[Any], None] | None = None) -> Any:
        """Run `work(session)` in one transaction in a worker thread, then `then(result)` on the call's
        state — both shielded, so a turn cancelled by a barge-in never leaves stored data and the call's
        state disagreeing."""
        sessions = self.session.runtime.sessions

        def run() -> Any:
            with transaction(sessions) as db:
                return work(db)

        async def complete() -> Any:
            result = await asyncio.to_thread(run)
            if then is not None:
                then(result)
            return result

        return await asyncio.shield(complete())

    # --- Verification and disclosures -------------------------------------------------------------------

    async def verify_identity(
        self,
        name_confirmed: bool,
        account_last_4: str = "",
        postal_code: str = "",
        count_incomplete: bool = False,
    ) -> AsyncIterator[ToolItem]:
        """Right-party verification decided from the caller's own words. The brain's arguments are hints:
        `name_confirmed=True` is checked against what the caller said (a person who said they are someone else
        is a wrong party, one who has not said who they are is not yet confirmed; `False` is always taken — it
        only ever discloses less); the digits checked are the ones the caller said since the last try, whatever
        the arguments hold. A wrong answer uses a try."""
        session = self.session
        facts = session.identity
        if facts is None:
            yield {"outcome": VerificationOutcome.NOT_APPLICABLE.value, "verified": False}
            return
        state = session.verification
        if state.stage is VerificationStage.AWAITING_NAME:
            claim = self._identity_claim()
            confirmed = name_confirmed and claim is IdentityClaim.CUSTOMER
            if claim is IdentityClaim.OTHER_PERSON or not name_confirmed:
                step = confirm_name(state, confirmed=False)
                session.verification = step.state
                session.record_event(AgentEvent.WRONG_PARTY)
                session.set_outcome(CallOutcome.WRONG_PARTY)
                yield {"outcome": step.outcome.value, "verified": False}
                return
            if not confirmed:
                yield {
                    "outcome": VerificationOutcome.NAME_NOT_CONFIRMED.value,
                    "verified": False,
                    "reason": "the caller has not said they are the customer; ask for them by name",
                }
                return
            state = confirm_name(state, confirmed=True).state
            session.verification = state
        last4, postal = heard_factors(session.answers_since(session.factors_from))
        hinted = bool(account_last_4 or postal_code)
        if not (last4 and postal) and not count_incomplete:
            yield {
                "outcome": (
                    VerificationOutcome.INCOMPLETE if hinted else VerificationOutcome.NAME_CONFIRMED
                ).value,
                "verified": False,
                "attempts_left": state.attempts_left,
                **(
                    {"reason": "the caller has not said both the last 4 digits and the ZIP code"}
                    if hinted
                    else {}
                ),
            }
            return
        step = check_factors(
            state,
            facts,
            account_last4=last4 or "",
            postal_code=postal or "",
            count_incomplete=count_incomplete,
        )
        session.verification = step.state
        session.factors_from = len(session.utterances)  # the next try needs new words
        if step.outcome is VerificationOutcome.VERIFIED:
            session.mark_verified()
        elif step.outcome is VerificationOutcome.MISMATCH:
            session.record_event(
                AgentEvent.VERIFICATION_FAILED, details={"attempts_left": step.attempts_left}
            )
        elif step.outcome is VerificationOutcome.LOCKED:
            session.record_event(AgentEvent.VERIFICATION_LOCKED)
            session.set_outcome(CallOutcome.FAILED_VERIFICATION)
        yield {
            "outcome": step.outcome.value,
            "verified": step.state.verified,
            "attempts_left": step.attempts_left,
        }

    def _identity_claim(self) -> IdentityClaim:
        """Who the caller said they are, across the call so far: the latest utterance that says either way."""
        customer = self.session.context.customer
        assert customer is not None
        for text in reversed(self.session.utterances):
            claim = read_identity_claim(text, customer.name)
            if claim is not IdentityClaim.UNSAID:
                return claim
        return IdentityClaim.UNSAID

    async def give_disclosures(self, kind: str) -> AsyncIterator[ToolItem]:
        session = self.session
        try:
            disclosure = DisclosureKind(kind)
        except ValueError:
            yield {"given": False, "reason": f"unknown disclosure {kind!r}"}
            return
        if disclosure is DisclosureKind.MINI_MIRANDA and not session.verification.verified:
            yield {"given": False, **_REFUSED_UNVERIFIED}
            return
        if disclosure in session.disclosed:
            yield {"given": True, "already": True}
            return
        session.disclose(disclosure)
        text = (
            recording_notice()
            if disclosure is DisclosureKind.RECORDING_NOTICE
            else mini_miranda(initial_communication=session.context.initial_communication)
        )
        yield _say(text, interruptible=False)
        yield {"given": True, "kind": disclosure.value}

    # --- Account and offers ------------------------------------------------------------------------------

    async def get_account_summary(self) -> AsyncIterator[ToolItem]:
        session = self.session
        account = session.context.account
        refusal = self._refusal()
        if refusal is not None:
            yield refusal
            return
        if account is None:
            yield {"refused": True, "reason": "no open account for this customer"}
            return
        if DisclosureKind.MINI_MIRANDA not in session.disclosed:
            async for item in self.give_disclosures(DisclosureKind.MINI_MIRANDA.value):
                if not isinstance(item, dict):
                    yield item
        session.approve(
            amounts=[a for a in (account.balance, account.past_due_amount, account.minimum_payment) if a]
        )
        yield {
            "account_last4": account.account_last_4,
            "product": account.product.replace("_", " "),
            "balance": f"{account.balance:.2f}",
            "past_due_amount": f"{account.past_due_amount:.2f}",
            "minimum_payment": None if account.minimum_payment is None else f"{account.minimum_payment:.2f}",
            "days_past_due": account.days_past_due,
            "currency": account.currency,
        }

    async def get_payment_options(self, hardship: bool = False) -> AsyncIterator[ToolItem]:
        session = self.session
        refusal = self._refusal()
        if refusal is not None:
            yield refusal
            return
        terms, policy = session.account_terms, session.context.policy
        if terms is None or policy is None:
            yield {"offers": [], "reason": "no offers are available on this call"}
            return
        if hardship:
            session.hardship = True
        tactic = session.context.tactic
        options = payment_options(
            policy.rules,
            terms,
            as_of=session.context.today,
            hardship=session.hardship,
            order=tactic.config.offer_order if tactic else None,
        )
        session.options = options
        session.approve(dates=[options.latest_first_payment_date, options.as_of])
        offers = [_offer_document(session.remember_offer(offer), offer) for offer in options.offers]
        yield {
            "as_of": options.as_of.isoformat(),
            "balance": f"{options.balance:.2f}",
            "hardship": options.hardship,
            "latest_first_payment_date": options.latest_first_payment_date.isoformat(),
            "offers": offers,
        }

    async def evaluate_counter_offer(
        self,
        *,
        kind: str = "",
        lump_sum_amount: Any = None,
        installment_amount: Any = None,
        installments_count: Any = None,
        down_payment_amount: Any = None,
        first_payment_date: str = "",
    ) -> AsyncIterator[ToolItem]:
        session = self.session
        refusal = self._refusal()
        if refusal is not None:
            yield refusal
            return
        terms, policy = session.account_terms, session.context.policy
        if terms is None or policy is None:
            yield {"decision": "reject", "reasons": ["no offers are available on this call"]}
            return
        when = _when(first_payment_date, session.context.today)
        try:
            count = int(installments_count) if installments_count not in (None, "") else None
        except (TypeError, ValueError):
            count = None
        proposal = CounterOffer(
            kind=OfferKind(kind) if kind in {k.value for k in OfferKind} else None,
            lump_sum_amount=_amount(lump_sum_amount),
            installment_amount=_amount(installment_amount),
            installments_count=count,
            down_payment_amount=_amount(down_payment_amount),
            first_payment_date=when,
        )
        result = evaluate_counter_offer(
            policy.rules, terms, proposal, as_of=session.context.today, hardship=session.hardship
        )
        document: dict[str, Any] = {"decision": result.decision.value, "reasons": list(result.reasons)}
        if result.offer is not None:
            document["offer"] = _offer_document(session.remember_offer(result.offer), result.offer)
        yield document

    async def confirm_arrangement(
        self, offer_id: str, customer_agreed: bool = False
    ) -> AsyncIterator[ToolItem]:
        """Read the exact terms back; store them once the caller's own answer, after hearing them in full, is
        an unconditional yes. `customer_agreed` is a hint: code reads the answer. An interrupted read-back is
        read again; an answer with new terms is a counter-offer for the negotiation engine (accepted ones are
        read back anew); an unclear answer is asked about once, then nothing is stored."""
        session = self.session
        context = session.context
        refusal = self._refusal()
        if refusal is not None:
            yield refusal
            return
        offer = session.offers.get(offer_id)
        if offer is None or context.customer is None or context.account is None or context.policy is None:
            yield {"confirmed": False, "reason": f"no offer {offer_id!r} was made on this call"}
            return
        if session.arrangement is not None:
            yield {"confirmed": True, "arrangement_id": str(session.arrangement.id), "already": True}
            return
        pending = session.read_back
        if pending is None or pending.offer_id != offer_id or pending.heard is False:
            again = pending is not None and pending.offer_id == offer_id
            async for item in self._read_terms_back(offer_id, offer, again=again):
                yield item
            return
        answers = session.answers_since(pending.at)
        reading = read_consent(answers[-1], _terms_of(offer), today=context.today) if answers else None
        if reading is None or reading.answer is not Answer.ACCEPT:
            async for item in self._not_accepted(offer_id, offer, reading):
                yield item
            return
        customer_id, account_id, policy_id = context.customer.id, context.account.id, context.policy.id
        org_id, call_id, actor = context.org_id, context.call_id, self._actor
        assert org_id is not None

        def stored(arrangement: Any) -> None:
            session.arrangement = arrangement
            session.read_back = None
            session.set_outcome(
                CallOutcome.PAYMENT_PLAN
                if offer.kind is OfferKind.PAYMENT_PLAN
                else CallOutcome.PROMISE_TO_PAY
            )

        try:
            arrangement = await self._db(
                lambda db: arrangements.confirm_arrangement(
                    session=db,
                    org_id=org_id,
                    customer_id=customer_id,
                    account_id=account_id,
                    offer=offer,
                    negotiation_policy_id=policy_id,
                    terms_read_back=pending.text,
                    idempotency_key=f"{call_id}:arrangement",
                    actor=actor,
                    call_id=call_id,
                ),
                then=stored,
            )
        except PolicyViolation as exc:
            yield {"confirmed": False, "reasons": exc.reasons}
            return
        yield {
            "confirmed": True,
            "arrangement_id": str(arrangement.id),
            "kind": arrangement.kind.value,
            "first_payment_date": offer.first_payment_date.isoformat(),
            "first_payment_amount": f"{phrasing.first_payment(offer):.2f}",
        }

    async def _not_accepted(
        self, offer_id: str, offer: Offer, reading: ConsentReading | None
    ) -> AsyncIterator[ToolItem]:
        """The caller's answer to a read-back is not an unconditional yes (or there is none yet)."""
        session = self.session
        pending = session.read_back
        assert pending is not None
        if reading is None:
            yield {
                "confirmed": False,
                "read_back": True,
                "offer_id": offer_id,
                "awaiting": "the customer's own answer to the terms read back",
            }
        elif reading.answer is Answer.DECLINE:
            session.read_back = None
            yield {"confirmed": False, "customer_declined": True, "offer_id": offer_id}
        elif reading.answer is Answer.COUNTER:
            session.read_back = None
            async for item in self._counter_during_read_back(offer, reading):
                yield item
        elif pending.asked_again:
            session.read_back = None
            yield {"confirmed": False, "reason": "no clear yes to the terms; nothing was stored"}
        else:
            pending.asked_again = True
            pending.at = len(session.utterances)
            yield _say("Just so I have it right: do you agree to those terms? Please say yes or no.")
            yield {"confirmed": False, "asked_again": True, "offer_id": offer_id}

    async def _read_terms_back(
        self, offer_id: str, offer: Offer, *, again: bool = False
    ) -> AsyncIterator[ToolItem]:
        text = f"To confirm: {phrasing.terms(offer)}. Do you agree?"
        self.session.read_terms(offer_id, text)
        yield _say(f"Let me read that again. {text}" if again else text)
        yield {
            "confirmed": False,
            "read_back": True,
            "offer_id": offer_id,
            "awaiting": "the customer's own answer to the terms read back",
            **({"reason": "the read-back was cut off before the caller heard all of it"} if again else {}),
        }

    async def _counter_during_read_back(
        self, offer: Offer, reading: ConsentReading
    ) -> AsyncIterator[ToolItem]:
        """New terms in the answer to a read-back: the negotiation engine decides; terms it accepts are read
        back anew (never stored on the old yes)."""
        session = self.session
        terms, policy = session.account_terms, session.context.policy
        assert terms is not None and policy is not None
        kind = (
            OfferKind.SETTLEMENT
            if reading.settle and offer.kind is not OfferKind.PAYMENT_PLAN
            else offer.kind
        )
        amount = reading.amounts[0] if reading.amounts else None
        proposal = CounterOffer(
            kind=kind,
            lump_sum_amount=amount if kind is not OfferKind.PAYMENT_PLAN else None,
            installment_amount=amount if kind is OfferKind.PAYMENT_PLAN else None,
            installments_count=reading.installments
            or (offer.installments_count if kind is OfferKind.PAYMENT_PLAN and amount is None else None),
            down_payment_amount=offer.down_payment_amount if kind is OfferKind.PAYMENT_PLAN else None,
            first_payment_date=reading.when or offer.first_payment_date,
        )
        result = evaluate_counter_offer(
            policy.rules, terms, proposal, as_of=session.context.today, hardship=session.hardship
        )
        document: dict[str, Any] = {
            "confirmed": False,
            "counter_offer": True,
            "decision": result.decision.value,
            "reasons": list(result.reasons),
        }
        if result.offer is None:
            yield document
            return
        new_id = session.remember_offer(result.offer)
        document["offer"] = _offer_document(new_id, result.offer)
        if result.decision.value == "accept":
            async for item in self._read_terms_back(new_id, result.offer):
                if isinstance(item, dict):
                    document["read_back"] = True
                    document["offer_id"] = new_id
                else:
                    yield item
        yield document

    # --- Payments ----------------------------------------------------------------------------------------

    async def take_payment(self, amount: Any = None) -> AsyncIterator[ToolItem]:
        """Start taking a card payment of the amount due now under the arrangement the caller confirmed on
        this call, said to them before the keypad prompt. `amount` is a hint: no other figure is charged.
        The card is keyed on the phone (DTMF), never spoken."""
        session = self.session
        refusal = self._refusal()
        if refusal is not None:
            yield refusal
            return
        arrangement, account = session.arrangement, session.context.account
        due = amount_due_now(arrangement.schedule) if arrangement is not None else None
        if arrangement is None or account is None or due is None:
            yield {
                "started": False,
                "reason": "no payment is due under an arrangement the customer confirmed on this call; "
                "read back and confirm an arrangement first",
            }
            return
        due = min(due, account.balance)
        said = session.utterances[-1] if session.utterances else ""
        if read_consent(
            said, Terms(amounts=frozenset(), dates=frozenset()), today=session.context.today
        ).answer is (Answer.DECLINE):
            # "no not right now": the caller's own words say no to paying now, whatever the model asked for.
            yield {
                "started": False,
                "reason": "the customer said no to paying now; confirm the due date instead",
            }
            return
        hint = _amount(amount)
        if not await self._pause_recording():
            yield {
                "started": False,
                "reason": "the call recording could not be paused for the card details; offer another way to pay",
            }
            return
        session.capture = CardCapture(amount=due)
        session.approve(amounts=[due])
        session.record_event(AgentEvent.CARD_CAPTURE_STARTED)
        yield _say(
            f"The payment today is {spoken_amount(due)}. {KEYPAD_PROMPTS['number']}", interruptible=False
        )
        result: dict[str, Any] = {
            "started": True,
            "amount": f"{due:.2f}",
            "next": "the customer keys the card on the keypad",
        }
        if hint is not None and hint != due:
            result["note"] = f"only the amount due now under the arrangement ({due:.2f}) can be charged"
        yield result

    async def _pause_recording(self) -> bool:
        """Pause the call's recording before any card digit is keyed; False when it could not be paused (the
        card is then not taken: its tones must never be recorded)."""
        context = self.session.context
        if self.recordings is None or context.org_id is None or self.session.recording_stopped:
            return True
        try:
            await self.recordings.pause(org_id=context.org_id, call_id=context.call_id)
        except ExternalServiceError as exc:
            logger.warning("call %s: recording not paused: %s", context.call_id, exc.message)
            return False
        return True

    async def _capture_ended(self, detail: str) -> None:
        """The card capture is over: record it and resume the recording."""
        self.session.record_event(AgentEvent.CARD_CAPTURE_ENDED, detail)
        context = self.session.context
        if self.recordings is None or context.org_id is None or self.session.recording_stopped:
            return
        try:
            await self.recordings.resume(org_id=context.org_id, call_id=context.call_id)
        except ExternalServiceError as exc:  # the rest of the call goes unrecorded; the payment goes on
            logger.warning("call %s: recording not resumed: %s", context.call_id, exc.message)

    async def handle_keypad(self, button: str) -> AsyncIterator[ToolItem]:
        """One key pressed while a card is being captured."""
        capture = self.session.capture
        if capture is None:
            return
        if button == "*":
            capture.digits = ""
            yield _say(KEYPAD_PROMPTS[capture.field], interruptible=False)
            return
        if button != "#":
            if button.isdigit() and len(capture.digits) < 19:
                capture.digits += button
            return
        entered, capture.digits = capture.digits, ""
        if capture.field == "number":
            if not 12 <= len(entered) <= 19:
                yield _say("That number is too short. " + KEYPAD_PROMPTS["number"], interruptible=False)
                return
            capture.number, capture.field = entered, "expiry"
            yield _say(KEYPAD_PROMPTS["expiry"], interruptible=False)
        elif capture.field == "expiry":
            if len(entered) != 4 or not 1 <= int(entered[:2]) <= 12:
                yield _say("That date isn't valid. " + KEYPAD_PROMPTS["expiry"], interruptible=False)
                return
            capture.expiry, capture.field = entered, "security_code"
            yield _say(KEYPAD_PROMPTS["security_code"], interruptible=False)
        else:
            yield _say("Thank you. One moment while I process that.", interruptible=False)
            yield AgentToolCalled(
                tool_call_id=f"keypad-{self.session.call_id}",
                tool_name=ToolName.TAKE_PAYMENT.value,
                tool_args={},
            )
            async for item in self._charge(capture, entered):
                yield item

    async def _charge(self, capture: CardCapture, security_code: str) -> AsyncIterator[ToolItem]:
        session, context = self.session, self.session.context
        number, expiry = capture.number, capture.expiry
        capture.clear()  # the digits leave the call's state before anything else happens
        try:
            card = CardDetails(
                number=number,
                exp_month=int(expiry[:2]),
                exp_year=2000 + int(expiry[2:]),
                security_code=security_code or None,
            )
            del number, security_code
            token = await asyncio.to_thread(self.gateway.tokenize, card)
            del card
        except (InvalidInput, ValueError) as exc:
            capture.attempts += 1
            reason = exc.message if isinstance(exc, ArcherError) else "the card details are not valid"
            if capture.attempts >= 3:
                session.capture = None
                await self._capture_ended("not completed")
                yield _say(
                    f"I'm sorry, that card couldn't be used: {reason}. Let's leave the payment for now."
                )
                yield {"payment": "not_taken", "reason": reason}
                return
            yield _say(
                f"I'm sorry, that card couldn't be used: {reason}. " + KEYPAD_PROMPTS["number"],
                interruptible=False,
            )
            return
        session.capture = None
        await self._capture_ended("card tokenized")
        amount = capture.amount
        try:
            payment = await self._settle_payment(amount, token)
        except ArcherError as exc:
            logger.warning("call %s: payment failed: %s", context.call_id, exc.message)
            session.record_tool(
                ToolName.TAKE_PAYMENT.value, {"amount": f"{amount:.2f}"}, {"status": "failed"}
            )
            yield _say("I'm sorry, I wasn't able to process the payment right now.")
            yield {"payment": "failed"}
            return
        if payment.status is PaymentStatus.SUCCEEDED:
            code = (payment.gateway_reference or "")[-6:].upper()
            yield _say(
                f"Thank you. Your payment of {spoken_amount(payment.amount)} with the card ending in "
                f"{payment.card_last4} was approved. Your confirmation code is {' '.join(code)}."
            )
        else:
            yield _say("I'm sorry, that card was declined.")
        yield {
            "payment": payment.status.value,
            "amount": f"{payment.amount:.2f}",
            "card_last4": payment.card_last4,
        }

    async def _settle_payment(self, amount: Decimal, token: CardToken) -> PaymentPublic:
        """Charge and record, shielded from a cancelled turn; the call's state learns the result either way."""
        session, context = self.session, self.session.context
        org_id, customer, account = context.org_id, context.customer, context.account
        assert org_id is not None and customer is not None and account is not None
        arrangement_id = session.arrangement.id if session.arrangement else None
        actor = self._actor

        def charge() -> PaymentPublic:
            return payment_service.take_card_payment(
                sessions=session.runtime.sessions,
                gateway=self.gateway,
                org_id=org_id,
                customer_id=customer.id,
                account_id=account.id,
                amount=amount,
                card=token,
                idempotency_key=f"{context.call_id}:payment:{amount}",
                actor=actor,
                call_id=context.call_id,
                arrangement_id=arrangement_id,
            )

        async def complete() -> PaymentPublic:
            payment = await asyncio.to_thread(charge)
            result = {
                "status": payment.status.value,
                "amount": f"{payment.amount:.2f}",
                "card_last4": payment.card_last4,
                "reference": payment.gateway_reference,
            }
            session.record_tool(ToolName.TAKE_PAYMENT.value, {"amount": f"{amount:.2f}"}, result)
            if payment.status is PaymentStatus.SUCCEEDED:
                session.payment = payment
                session.set_outcome(CallOutcome.PAYMENT)
                if session.arrangement is not None:  # as stored: the installments it paid are paid
                    paid = apply_payment(session.arrangement.schedule, payment.amount).schedule
                    session.arrangement = session.arrangement.model_copy(update={"schedule": paid})
            return payment

        return await asyncio.shield(complete())

    # --- Requests the customer makes ---------------------------------------------------------------------

    async def transfer_to_human(self, reason: str = "") -> AsyncIterator[ToolItem]:
        session = self.session
        number = session.context.settings.transfer_number
        if not number:
            yield {"transferred": False, "reason": "no transfer line is configured; offer a callback instead"}
            return
        session.set_outcome(CallOutcome.TRANSFERRED)
        session.record_tool(ToolName.TRANSFER_TO_HUMAN.value, {"reason": reason}, {"transferred": True})
        yield _say(
            "Of course. I'll transfer you to a member of our team now. Please hold.", interruptible=False
        )
        session.end_reason = f"transferred: {reason}"[:200]  # the guard finalizes the call as it transfers
        yield AgentTransferCall(target_phone_number=number, interruptible=False)

    async def schedule_callback(self, when: str, time_of_day: str = "") -> AsyncIterator[ToolItem]:
        session = self.session
        today = session.context.today
        day = _when(when, today)
        if day is None or not today <= day <= today + timedelta(days=MAX_CALLBACK_DAYS):
            yield {"scheduled": False, "reason": f"pick a day within {MAX_CALLBACK_DAYS} days"}
            return
        session.approve(dates=[day])
        session.note_metadata({"callback": {"date": day.isoformat(), "time_of_day": time_of_day[:40]}})
        session.set_outcome(CallOutcome.CALLBACK_SCHEDULED)
        yield {"scheduled": True, "date": day.isoformat(), "time_of_day": time_of_day[:40]}

    async def _add_preference(self, preference: ContactPreferenceCreate) -> None:
        context = self.session.context
        org_id, customer_id, call_id, actor = context.org_id, context.customer, context.call_id, self._actor
        assert org_id is not None and customer_id is not None
        await self._db(
            lambda db: contact_preferences.add_preference(
                session=db,
                org_id=org_id,
                customer_id=customer_id.id,
                preference_in=preference,
                actor=actor,
                call_id=call_id,
            )
        )

    async def record_dispute(self, reason: str = "") -> AsyncIterator[ToolItem]:
        session = self.session
        if not session.verification.verified or session.context.account is None:
            yield _REFUSED_UNVERIFIED
            return
        await self._add_preference(
            ContactPreferenceCreate(
                kind=PreferenceKind.DISPUTE,
                account_id=session.context.account.id,
                details={"reason": reason[:200]},
                source="agent",
            )
        )
        session.set_outcome(CallOutcome.DISPUTE)
        yield {"recorded": True}

    async def record_cease_request(
        self, attorney: bool = False, attorney_name: str = "", attorney_phone: str = ""
    ) -> AsyncIterator[ToolItem]:
        """Stop calling (or: represented by an attorney). From someone who has not confirmed being the
        customer, the number dialed stops being called (its consent is revoked) instead."""
        session = self.session
        context = session.context
        if context.customer is None or context.org_id is None:
            yield {"recorded": False, "reason": "no customer on this call"}
            return
        if session.verification.stage in {VerificationStage.AWAITING_NAME, VerificationStage.WRONG_PARTY}:
            number = context.customer.phone_number
            preference = ContactPreferenceCreate(
                kind=PreferenceKind.PHONE_CONSENT,
                phone_number=number,
                details={"status": "revoked", "reason": "asked not to be called, identity not confirmed"},
                source="agent",
            )
        elif attorney:
            details = {"attorney_name": attorney_name[:100], "phone": attorney_phone[:32]}
            preference = ContactPreferenceCreate(
                kind=PreferenceKind.ATTORNEY, details=details, source="agent"
            )
        else:
            preference = ContactPreferenceCreate(
                kind=PreferenceKind.CEASE_CONTACT, details={"channel": "phone"}, source="agent"
            )
        await self._add_preference(preference)
        session.set_outcome(CallOutcome.CEASE_REQUESTED)
        yield {"recorded": True, "kind": preference.kind.value}

    async def record_hardship(self, note: str = "") -> AsyncIterator[ToolItem]:
        session = self.session
        if not session.verification.verified:
            yield _REFUSED_UNVERIFIED
            return
        session.hardship = True
        session.note_metadata({"hardship": {"note": note[:200]}})
        session.set_outcome(CallOutcome.HARDSHIP)
        yield {"recorded": True, "hardship_options": True}

    async def record_legal_event(self, event: LegalEvent, *, verified: bool) -> list[str]:
        """Store what a legal event requires (contact preferences, legal hold); the kinds stored."""
        context = self.session.context
        org_id, customer, actor = context.org_id, context.customer, self._actor
        if org_id is None or customer is None:
            return []
        account_id = context.account.id if context.account else None
        stored = await self._db(
            lambda db: legal_events.record_legal_event(
                session=db,
                org_id=org_id,
                customer_id=customer.id,
                account_id=account_id,
                event=event,
                dialed_number=context.line_number,
                verified=verified,
                actor=actor,
                call_id=context.call_id,
            )
        )
        return [preference.kind.value for preference in stored]

    async def stop_recording(self) -> bool:
        """The caller objects to being recorded: stop the recording for the rest of the call, and note it."""
        session, context = self.session, self.session.context
        session.recording_stopped = True
        stopped = False
        if self.recordings is not None and context.org_id is not None:
            try:
                stopped = await self.recordings.stop(org_id=context.org_id, call_id=context.call_id)
            except ExternalServiceError as exc:
                logger.warning("call %s: recording not stopped: %s", context.call_id, exc.message)
        session.note_metadata({"recording": {"objection": True, "stopped": stopped}})
        return stopped

    # --- Ending ------------------------------------------------------------------------------------------

    async def leave_voicemail(self) -> AsyncIterator[ToolItem]:
        """The Regulation F limited-content message, then hang up."""
        session = self.session
        settings = session.context.settings
        session.voicemail = True
        session.set_outcome(CallOutcome.VOICEMAIL)
        callback = settings.callback_number
        if callback and session.context.business_name:
            message = voicemail_message(
                agent_name=settings.agent_name,
                business_name=session.context.business_name,
                callback_number=callback,
            )
            yield _say(message, interruptible=False)
        session.record_tool(ToolName.LEAVE_VOICEMAIL.value, {}, {"left": bool(callback)})
        session.end_reason = "voicemail"
        yield AgentEndCall(reason="voicemail_detected", interruptible=False)

    async def end_call(self, reason: str = "") -> AsyncIterator[ToolItem]:
        session = self.session
        session.record_tool(
            ToolName.END_CALL.value,
            {"reason": reason[:200]},
            {"outcome": session.final_outcome(abandoned=False).value},
        )
        session.end_reason = f"agent ended: {reason}"[:200]  # the guard finalizes the call as it hangs up
        yield AgentEndCall(interruptible=False)

    # --- The same tools for the LLM brain ----------------------------------------------------------------

    def line_tools(self) -> list[FunctionTool]:
        """Line tools over this call's tools, with the schemas the model sees (`agent_host.tool_specs`)."""
        return function_tools(self._tools, self.invoke)


def _when(text: str | None, today: date) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return parse_date(text, today)


def callback_number_spoken(session: CallSession) -> str | None:
    number = session.context.settings.callback_number
    return spoken_phone(number) if number else None
