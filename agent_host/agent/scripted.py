"""The scripted brain: the offline default. Intent and slot rules (`nlu`) and a state machine decide what to
do each turn; everything it does goes through the call's tools, exactly as the LLM brain's would, and
everything it says passes the same output guard. Wording comes from `phrasing`, shaped by the tactic.

Outbound calls wait for the callee to speak first (a voicemail greeting then gets the limited-content
message and nothing else); inbound calls are greeted at once."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable
from enum import StrEnum
from typing import Any

from line.agent import TurnEnv
from line.events import (
    AgentSendText,
    AgentToolCalled,
    AgentToolReturned,
    CallStarted,
    InputEvent,
    OutputEvent,
    UserTextSent,
    UserTurnEnded,
)

from agent_host.agent import phrasing
from agent_host.agent.lines import line
from agent_host.agent.nlu import Intent, Reading, money_said, read
from agent_host.agent.phrasing import Voice
from agent_host.session import CallSession
from agent_host.tools import AgentTools, callback_number_spoken, masked_arguments
from shared.domain import CallDirection, CallOutcome
from shared.models.agent import ToolName
from shared.models.payments import Offer, OfferKind
from shared.policy.disclosure import DisclosureKind
from shared.policy.heard import IdentityClaim, heard_factors, read_identity_claim
from shared.policy.spoken import spoken_amount, spoken_date
from shared.policy.verification import VerificationOutcome, VerificationStage

_call_ids = itertools.count(1)


# Tools that wait on the database before they answer (the others decide in memory).
_STORING_TOOLS = frozenset(
    {ToolName.CONFIRM_ARRANGEMENT, ToolName.RECORD_DISPUTE, ToolName.RECORD_CEASE_REQUEST}
)


class Stage(StrEnum):
    OPENING = "opening"
    AWAITING_NAME = "awaiting_name"
    AWAITING_FACTORS = "awaiting_factors"
    NEGOTIATING = "negotiating"
    CONFIRMING = "confirming"
    PAYMENT_OFFER = "payment_offer"
    CARD_CAPTURE = "card_capture"
    PAYMENT_RETRY = "payment_retry"
    CALLBACK_DAY = "callback_day"
    WRAP_UP = "wrap_up"
    ENDED = "ended"


Handler = Callable[[Reading], AsyncIterator[OutputEvent]]


def _say(text: str) -> AgentSendText:
    return AgentSendText(text=text)


def _with_disclosure(text: str) -> AgentSendText:
    """Words said in one breath with a disclosure that must be heard in full (the recording notice, the
    debt-collector notice): one message with it, not interruptible either. One message fewer per turn is one
    acknowledgement round fewer for the harness and the SDK."""
    return AgentSendText(text=text, interruptible=False)


def _compact(result: dict[str, Any]) -> dict[str, Any]:
    """A tool result as the harness sees it: offers by id, kind and summary (the call's record in the
    database keeps every term)."""
    compact = dict(result)
    if "offers" in compact:
        compact["offers"] = [{k: o[k] for k in ("id", "kind", "summary")} for o in compact["offers"]]
    if isinstance(compact.get("offer"), dict):
        compact["offer"] = {k: compact["offer"][k] for k in ("id", "kind", "summary")}
    return compact


async def _words(text: str) -> AsyncIterator[OutputEvent]:
    yield _say(text)


def _iso(r: Reading) -> str:
    return r.when.isoformat() if r.when else ""


class ScriptedBrain:
    name = "scripted"
    streaming = False

    def __init__(self, session: CallSession, tools: AgentTools) -> None:
        self.session = session
        self.tools = tools
        self.voice = Voice.for_tactic(session.context.tactic)
        self.stage = Stage.OPENING
        self.last4: str | None = None
        self.postal: str | None = None
        self.pending: str | None = None  # the offer on the table
        self.presented: list[str] = []
        self.refusals = 0
        self.unclear = 0
        self.pay_now = False
        self.last_result: dict[str, Any] = {}
        self.read_back_next = False  # resumed right after the engine accepted the customer's proposal
        self.language = "en"  # the language the brain speaks: picks the wording in `lines`

    # --- Plumbing ----------------------------------------------------------------------------------------

    async def _tool(self, name: ToolName, **arguments: Any) -> AsyncIterator[OutputEvent]:
        """Run a tool; its result lands in `self.last_result`; the harness sees a tool_call frame. A tool
        that writes to the database first announces itself, so what the agent already said goes out
        while it works."""
        self.last_result = {}
        if name in _STORING_TOOLS:
            yield AgentToolCalled(
                tool_call_id=f"scripted-{next(_call_ids)}",
                tool_name=name.value,
                tool_args=masked_arguments(arguments),
            )
        async for item in self.tools.invoke(name.value, **arguments):
            if isinstance(item, dict):
                self.last_result = item
            else:
                yield item
        if not self.session.finished:
            yield AgentToolReturned(
                tool_call_id=f"scripted-{next(_call_ids)}",
                tool_name=name.value,
                tool_args=masked_arguments(arguments),
                result=_compact(self.last_result),
            )

    async def _end(self, words: str | None = None, reason: str = "") -> AsyncIterator[OutputEvent]:
        if words:
            yield _say(words)
        self.stage = Stage.ENDED
        async for event in self._tool(ToolName.END_CALL, reason=reason):
            yield event

    def _offer(self, offer_id: str | None) -> Offer | None:
        return self.session.offers.get(offer_id) if offer_id else None

    @property
    def _first(self) -> str:
        return self.session.context.first_name

    def _line(self, key: str, **values: object) -> str:
        """The sentence `key` in the language this call is held in."""
        return line(self.language, key, **values)

    def _reach_us(self) -> str:
        number = callback_number_spoken(self.session)
        return self._line("reach_us", number=number) if number else ""

    # --- Entry points ------------------------------------------------------------------------------------

    async def process(self, env: TurnEnv, event: InputEvent) -> AsyncIterator[OutputEvent]:
        if self.stage is Stage.ENDED or self.session.finished:
            return
        if isinstance(event, CallStarted):
            if self.session.context.direction is CallDirection.INBOUND:
                async for out in self._greet():
                    yield out
            return
        if isinstance(event, UserTurnEnded):
            text = " ".join(item.content for item in event.content if isinstance(item, UserTextSent)).strip()
            if text:
                async for out in self._turn(read(text, self.session.context.today)):
                    yield out

    async def on_keypad(self, env: TurnEnv, button: str) -> AsyncIterator[OutputEvent]:
        self.last_result = {}
        async for item in self.tools.handle_keypad(button):
            if isinstance(item, dict):
                self.last_result = item
            else:
                yield item
        outcome = self.last_result.get("payment")
        if outcome is None:
            return
        if outcome == "succeeded":
            self.stage = Stage.WRAP_UP
            yield _say(self._line("payment_succeeded"))
        elif outcome == "declined":
            self.stage = Stage.PAYMENT_RETRY
            yield _say(self._line("try_other_card"))
        else:
            async for out in self._after_payment_declined():
                yield out

    def note_guard(self, held: str, replacement: str, rules: list[str]) -> None:
        """The scripted brain's words never need holding back; if they ever are, the record shows it."""

    # --- Taking over a call another brain started --------------------------------------------------------

    def resume(self, *, greeted: bool, offer_id: str | None = None, offer_accepted: bool = False) -> None:
        """Pick up a call where the session's state says it is (another brain ran it so far): card capture,
        an arrangement stored, terms read back awaiting a yes, an offer on the table (`offer_id`, else the
        first quoted; `offer_accepted`: the engine accepted it as the customer proposed it, so its terms
        are read back next), the verification step; `greeted` says whether the caller has heard the agent."""
        session = self.session
        known = offer_id if offer_id in session.offers else None
        self.read_back_next = offer_accepted and known is not None and not session.read_back
        reading_back = session.read_back.offer_id if session.read_back is not None else None
        self.pending = reading_back or known or next(iter(session.offers), None)
        self.presented = [self.pending] if self.pending else []
        verification = session.verification.stage
        if session.finished:
            self.stage = Stage.ENDED
        elif session.capture is not None:
            self.stage = Stage.CARD_CAPTURE
        elif session.arrangement is not None or session.payment is not None:
            self.stage = Stage.WRAP_UP
        elif verification is VerificationStage.VERIFIED:
            self.stage = Stage.CONFIRMING if session.read_back else Stage.NEGOTIATING
        elif verification is VerificationStage.AWAITING_FACTORS:
            self.stage = Stage.AWAITING_FACTORS
        elif verification is VerificationStage.AWAITING_NAME:
            self.stage = Stage.AWAITING_NAME if greeted else Stage.OPENING
        else:  # wrong party or locked: nothing more to discuss (`resume_turn` ends the call)
            self.stage = Stage.WRAP_UP

    @property
    def closing(self) -> bool:
        """Taking over now only means saying goodbye: the person is not the customer, or verification is
        locked."""
        return self.session.verification.stage in {VerificationStage.WRONG_PARTY, VerificationStage.LOCKED}

    async def resume_turn(
        self, env: TurnEnv, event: InputEvent, *, answered: bool, heard: bool = False
    ) -> AsyncIterator[OutputEvent]:
        """Finish the turn another brain failed in. When its tools already acted on what the customer said
        (`answered`), carry on from the new state; otherwise answer the customer's words afresh. `heard`:
        the caller already heard words this turn (a keypad prompt then needs no repeating)."""
        if self.session.finished:
            return
        verification = self.session.verification.stage
        if verification is VerificationStage.LOCKED:
            stream = self._end(self._line("locked", reach_us=self._reach_us()), reason="verification locked")
        elif verification is VerificationStage.WRONG_PARTY:
            self.session.set_outcome(CallOutcome.WRONG_PARTY)
            stream = self._end(self._line("wrong_party_short"), reason="wrong party")
        elif answered and isinstance(event, UserTurnEnded):
            if heard and self.stage is Stage.CARD_CAPTURE:
                return  # the card capture's own keypad prompt was just spoken
            stream = self._carry_on()
        else:
            stream = self.process(env, event)
        async for out in stream:
            yield out

    async def _carry_on(self) -> AsyncIterator[OutputEvent]:
        """What the agent says next at the current stage, with no new words from the customer."""
        context = self.session.context
        stage = self.stage
        if stage is Stage.OPENING:
            stream = self._greet()
        elif stage is Stage.AWAITING_NAME:
            assert context.customer is not None
            inbound = context.direction is CallDirection.INBOUND
            ask = self._line("ask_full_name") if inbound else self._line("is_this", first=self._first)
            stream = _words(ask)
        elif stage is Stage.AWAITING_FACTORS:
            again = (
                self._line("factors_mismatch")
                if self.session.verification.failed_attempts
                else self._line("thanks_name", first=self._first)
            )
            stream = _words(self._line("ask_factors", lead=again))
        elif stage is Stage.NEGOTIATING and self.session.options is None:
            stream = self._verified()
        elif stage is Stage.NEGOTIATING and self.read_back_next:
            stream = self._read_back()
        elif stage is Stage.NEGOTIATING and self.pending is not None:
            stream = _words(f"{self._describe_pending()} {self.voice.ask()}")
        elif stage is Stage.NEGOTIATING:
            stream = self._present_options(first=True)
        elif stage is Stage.CONFIRMING:
            stream = self._read_back()
        elif stage is Stage.CARD_CAPTURE:
            stream = _words(self._line("enter_card"))
        elif stage is Stage.WRAP_UP and self.session.arrangement is not None:
            stream = _words(self._line("all_set_anything_else"))
        else:
            stream = _words(self._line("anything_else"))
        async for out in stream:
            yield out

    # --- Turns -------------------------------------------------------------------------------------------

    async def _turn(self, r: Reading) -> AsyncIterator[OutputEvent]:
        stage = self.stage
        if stage is Stage.OPENING:
            handler = self._voicemail if r.has(Intent.VOICEMAIL) else self._greet
            async for out in handler():
                yield out
            return
        if r.has(Intent.VOICEMAIL) and stage is Stage.AWAITING_NAME:
            async for out in self._voicemail():
                yield out
            return
        for intent, handler in (
            (Intent.STOP_CALLING, self._cease),
            (Intent.ATTORNEY, self._attorney),
            (Intent.HUMAN, self._human),
        ):
            if r.has(intent):
                async for out in handler(r):
                    yield out
                return
        handlers = {
            Stage.AWAITING_NAME: self._awaiting_name,
            Stage.AWAITING_FACTORS: self._awaiting_factors,
            Stage.NEGOTIATING: self._negotiating,
            Stage.CONFIRMING: self._confirming,
            Stage.PAYMENT_OFFER: self._payment_offer,
            Stage.PAYMENT_RETRY: self._payment_retry,
            Stage.CALLBACK_DAY: self._callback_day,
            Stage.WRAP_UP: self._wrap_up,
            Stage.CARD_CAPTURE: self._card_capture_speech,
        }
        handler_for_stage = handlers.get(stage)
        if handler_for_stage is not None:
            async for out in handler_for_stage(r):
                yield out

    async def _greet(self) -> AsyncIterator[OutputEvent]:
        context = self.session.context
        async for out in self._tool(ToolName.GIVE_DISCLOSURES, kind=DisclosureKind.RECORDING_NOTICE.value):
            yield out
        agent, business = context.settings.agent_name, context.business_name
        who = (
            self._line("who_from", agent=agent, business=business)
            if business
            else self._line("who", agent=agent)
        )
        if context.customer is None:
            async for out in self._end(self._line("unknown_party", who=who), reason="unknown party"):
                yield out
            return
        self.stage = Stage.AWAITING_NAME
        if context.direction is CallDirection.INBOUND:
            yield _with_disclosure(self._line("greet_inbound", business=business, agent=agent))
        else:
            yield _with_disclosure(self._line("greet_outbound", who=who, name=context.customer.name))

    async def _voicemail(self) -> AsyncIterator[OutputEvent]:
        self.stage = Stage.ENDED
        async for out in self._tool(ToolName.LEAVE_VOICEMAIL):
            yield out

    # --- Requests honored at any point -------------------------------------------------------------------

    async def _cease(self, r: Reading) -> AsyncIterator[OutputEvent]:
        yield _say(self._line("understood"))
        async for out in self._tool(ToolName.RECORD_CEASE_REQUEST):
            yield out
        words = self._line("cease_recorded")
        async for out in self._end(words, reason="cease requested"):
            yield out

    async def _attorney(self, r: Reading) -> AsyncIterator[OutputEvent]:
        yield _say(self._line("thanks_for_telling"))
        async for out in self._tool(ToolName.RECORD_CEASE_REQUEST, attorney=True):
            yield out
        words = self._line("attorney_noted")
        async for out in self._end(words, reason="attorney"):
            yield out

    async def _human(self, r: Reading) -> AsyncIterator[OutputEvent]:
        async for out in self._tool(ToolName.TRANSFER_TO_HUMAN, reason="the customer asked for a person"):
            yield out
        if self.last_result.get("transferred") is False:
            self.stage = Stage.CALLBACK_DAY
            yield _say(self._line("no_transfer_callback"))
        else:
            self.stage = Stage.ENDED

    # --- Verification ------------------------------------------------------------------------------------

    async def _wrong_party(self, words: str | None = None) -> AsyncIterator[OutputEvent]:
        async for out in self._tool(ToolName.VERIFY_IDENTITY, name_confirmed=False):
            yield out
        context = self.session.context
        text = words or self._line(
            "wrong_party_goodbye", agent=context.settings.agent_name, business=context.business_name
        )
        self.session.set_outcome(CallOutcome.WRONG_PARTY)
        async for out in self._end(text, reason="wrong party"):
            yield out

    async def _awaiting_name(self, r: Reading) -> AsyncIterator[OutputEvent]:
        """Who is on the line, read from their words by the same code the tools use ("this is ari
        lanternmoor", "speaking", "you got him" confirm; "this is his wife", "he's not home" do not)."""
        context = self.session.context
        assert context.customer is not None
        claim = read_identity_claim(r.text, context.customer.name)
        inbound = context.direction is CallDirection.INBOUND
        only_holder = self._line("only_holder")
        if claim is IdentityClaim.OTHER_PERSON or r.has(Intent.WRONG_PERSON, Intent.NOT_AVAILABLE):
            # A caller who rang us about someone else's account is not told we will call back.
            stream = self._wrong_party(only_holder if inbound else None)
        elif claim is IdentityClaim.CUSTOMER or (r.last4 and r.postal_code):
            stream = self._name_confirmed(r)
        elif inbound and len(r.text.split()) >= 2 and not r.has(Intent.QUESTION_WHO, Intent.INJECTION):
            stream = self._wrong_party(only_holder)
        else:
            stream = self._ask_for_customer()
        async for out in stream:
            yield out

    async def _ask_for_customer(self) -> AsyncIterator[OutputEvent]:
        context = self.session.context
        assert context.customer is not None
        self.unclear += 1
        if self.unclear > 2:
            async for out in self._wrong_party():
                yield out
            return
        agent, business = context.settings.agent_name, context.business_name
        yield _say(
            self._line(
                "ask_for_customer",
                agent=agent,
                business=business,
                name=context.customer.name,
                first=self._first,
            )
        )

    async def _name_confirmed(self, r: Reading) -> AsyncIterator[OutputEvent]:
        context = self.session.context
        assert context.customer is not None
        async for out in self._tool(ToolName.VERIFY_IDENTITY, name_confirmed=True):
            yield out
        outcome = self.last_result.get("outcome")
        if outcome == VerificationOutcome.NAME_NOT_CONFIRMED.value:
            # Digits alone are not the customer saying who they are (a spouse may know them).
            yield _say(self._line("confirm_name", name=context.customer.name))
            return
        self.stage = Stage.AWAITING_FACTORS
        if outcome != VerificationOutcome.NAME_CONFIRMED.value:
            stream = self._after_verification(answered=True)
        elif r.last4 or r.postal_code:
            stream = self._awaiting_factors(r)
        else:
            stream = self._ask_factors()
        async for out in stream:
            yield out

    async def _ask_factors(self) -> AsyncIterator[OutputEvent]:
        yield _say(self._line("ask_factors", lead=self._line("thanks_name", first=self._first)))

    async def _awaiting_factors(self, r: Reading) -> AsyncIterator[OutputEvent]:
        if r.has(Intent.WRONG_PERSON):
            self.session.set_outcome(CallOutcome.WRONG_PARTY)
            async for out in self._end(self._line("wrong_person_factors"), "wrong party"):
                yield out
            return
        self._fill_factors(r)
        if bool(self.last4) != bool(self.postal):
            missing = self._line("missing_zip") if self.last4 else self._line("missing_last4")
            yield _say(self._line("missing_factor", missing=missing))
            return
        if self.last4 and self.postal:
            arguments = {"account_last_4": self.last4, "postal_code": self.postal}
            self.last4 = self.postal = None
        else:
            arguments = {"count_incomplete": True}
        async for out in self._tool(ToolName.VERIFY_IDENTITY, name_confirmed=True, **arguments):
            yield out
        async for out in self._after_verification(answered="account_last_4" in arguments):
            yield out

    def _fill_factors(self, r: Reading) -> None:
        """Slot-fill last 4 and ZIP across turns, read as the verification tool reads them (a nine-digit run
        with neither said apart is last 4 then ZIP)."""
        last4, postal = heard_factors([r.text])
        self.last4 = last4 or self.last4
        self.postal = postal or self.postal

    async def _after_verification(self, *, answered: bool) -> AsyncIterator[OutputEvent]:
        outcome = self.last_result.get("outcome")
        if outcome == VerificationOutcome.WRONG_PARTY.value:
            context = self.session.context
            self.stage = Stage.ENDED
            async for out in self._end(
                self._line(
                    "wrong_party_goodbye", agent=context.settings.agent_name, business=context.business_name
                ),
                reason="wrong party",
            ):
                yield out
        elif outcome == VerificationOutcome.VERIFIED.value:
            async for out in self._verified():
                yield out
        elif outcome == VerificationOutcome.LOCKED.value:
            words = self._line("locked", reach_us=self._reach_us())
            async for out in self._end(words, reason="verification locked"):
                yield out
        elif answered:
            last_try = self.last_result.get("attempts_left") == 1
            yield _say(self._line("factors_retry_last" if last_try else "factors_retry"))
        else:
            yield _say(self._line("factors_required"))

    async def _verified(self) -> AsyncIterator[OutputEvent]:
        yield _with_disclosure(self._line("verified", first=self._first))
        async for out in self._tool(ToolName.GIVE_DISCLOSURES, kind=DisclosureKind.MINI_MIRANDA.value):
            yield out
        async for out in self._tool(ToolName.GET_ACCOUNT_SUMMARY):
            yield out
        summary = self.last_result
        if summary.get("refused"):
            async for out in self._end(self._line("no_balance"), "no account"):
                yield out
            return
        account = self.session.context.account
        assert account is not None
        about = {
            "product": summary["product"],
            "last4": summary["account_last4"],
            "balance": spoken_amount(account.balance, language=self.language),
        }
        if 0 < account.past_due_amount < account.balance:
            past_due = spoken_amount(account.past_due_amount, language=self.language)
            yield _say(self._line("account_intro_past_due", past_due=past_due, **about))
        else:
            yield _say(self._line("account_intro", **about))
        async for out in self._present_options(first=True):
            yield out

    # --- Negotiation -------------------------------------------------------------------------------------

    async def _present_options(self, *, first: bool) -> AsyncIterator[OutputEvent]:
        async for out in self._tool(ToolName.GET_PAYMENT_OPTIONS, hardship=self.session.hardship):
            yield out
        offers = self.last_result.get("offers") or []
        self.stage = Stage.NEGOTIATING
        if not offers:
            async for out in self._human_or_end():
                yield out
            return
        offer_id = offers[0]["id"]
        self.pending = offer_id
        self.presented = [offer_id]
        options, offer = self.session.options, self._offer(offer_id)
        assert options is not None and offer is not None
        if self.session.hardship:
            yield _say(
                self._line(
                    "hardship_offer",
                    understanding=self.voice.understanding(),
                    offer=phrasing.describe(offer, options),
                )
            )
        else:
            yield _say(self.voice.opening_offer(options, offer))

    async def _human_or_end(self) -> AsyncIterator[OutputEvent]:
        yield _say(self._line("specialists"))
        async for out in self._tool(ToolName.TRANSFER_TO_HUMAN, reason="no offers available"):
            yield out
        if self.last_result.get("transferred") is False:
            async for out in self._end(
                self._line("follow_up_writing", reach_us=self._reach_us()), "no offers"
            ):
                yield out

    async def _propose(self, **proposal: Any) -> AsyncIterator[OutputEvent]:
        """Check the customer's proposal with the engine; read back what it accepts, voice its counter."""
        async for out in self._tool(ToolName.EVALUATE_COUNTER_OFFER, **proposal):
            yield out
        result = self.last_result
        document = result.get("offer")
        if not document:
            yield _say(self._line("cannot_offer", ask=self.voice.ask()))
            return
        self.pending = document["id"]
        offer = self._offer(self.pending)
        assert offer is not None
        if result.get("decision") == "accept":
            async for out in self._read_back():
                yield out
            return
        async for out in self._voice_counter(offer):
            yield out

    async def _voice_counter(self, offer: Offer) -> AsyncIterator[OutputEvent]:
        """The engine's nearest allowed offer to what the customer proposed, put to them."""
        self.stage = Stage.NEGOTIATING
        if offer.kind is OfferKind.PAYMENT_PLAN:
            yield _say(self._line("closest_plan", terms=phrasing.plan_terms(offer)))
        elif offer.kind is OfferKind.SETTLEMENT:
            yield _say(
                self._line(
                    "lowest_settlement",
                    amount=spoken_amount(offer.total_amount, language=self.language),
                    date=spoken_date(offer.first_payment_date, language=self.language),
                )
            )
        else:
            yield _say(self._line("offer_would_work", offer=phrasing.describe(offer, self.session.options)))

    async def _read_back(self) -> AsyncIterator[OutputEvent]:
        self.stage = Stage.CONFIRMING
        async for out in self._tool(
            ToolName.CONFIRM_ARRANGEMENT, offer_id=self.pending, customer_agreed=False
        ):
            yield out

    def _kind_of_pending(self) -> str:
        offer = self._offer(self.pending)
        return offer.kind.value if offer else ""

    async def _negotiating(self, r: Reading) -> AsyncIterator[OutputEvent]:
        """The customer answers an offer: the first rule that applies decides."""
        for applies, handler in self._negotiation_rules():
            if applies(r):
                async for out in handler(r):
                    yield out
                return
        async for out in self._unclear():
            yield out

    def _negotiation_rules(self) -> tuple[tuple[Callable[[Reading], bool], Handler], ...]:
        def declines(r: Reading) -> bool:
            return r.has(Intent.NO, Intent.REFUSE)

        return (
            (lambda r: r.has(Intent.DISPUTE), self._dispute),
            (lambda r: r.has(Intent.HARDSHIP) and not self.session.hardship, self._hardship),
            (lambda r: r.has(Intent.CALLBACK), self._callback_day),
            (lambda r: r.has(Intent.INJECTION), self._deflect),
            (
                lambda r: (
                    r.has(Intent.PAY_IN_FULL, Intent.PAY_NOW) and not r.has(Intent.PLAN) and not declines(r)
                ),
                self._pay_in_full,
            ),
            (lambda r: r.has(Intent.SETTLE) and not declines(r), self._settle),
            (lambda r: r.has(Intent.PLAN) or (money_said(r) is not None and not declines(r)), self._plan),
            (lambda r: r.has(Intent.YES) and self.pending is not None, self._accept),
            (lambda r: r.when is not None and self.pending is not None and not declines(r), self._redate),
            (lambda r: r.has(Intent.REFUSE, Intent.NO, Intent.DONE), self._declined),
            (lambda r: r.has(Intent.TIME_NOTED) and self.pending is not None, self._ask_again),
        )

    async def _ask_again(self, r: Reading) -> AsyncIterator[OutputEvent]:
        """Times not to call, and nothing else: code has just said they are noted, so the offer is asked
        about again without claiming the customer was not understood."""
        yield _say(f"{self._describe_pending()} {self.voice.ask()}")

    async def _dispute(self, r: Reading) -> AsyncIterator[OutputEvent]:
        yield _say(self._line("dispute_ack"))
        async for out in self._tool(ToolName.RECORD_DISPUTE, reason=r.text[:200]):
            yield out
        self.stage = Stage.WRAP_UP
        yield _say(self._line("dispute_recorded"))

    async def _hardship(self, r: Reading) -> AsyncIterator[OutputEvent]:
        async for out in self._tool(ToolName.RECORD_HARDSHIP, note=r.text[:200]):
            yield out
        async for out in self._present_options(first=False):
            yield out

    async def _deflect(self, r: Reading) -> AsyncIterator[OutputEvent]:
        yield _say(self._line("deflect", offer=self._describe_pending(), ask=self.voice.ask()))

    async def _pay_in_full(self, r: Reading) -> AsyncIterator[OutputEvent]:
        self.pay_now = r.has(Intent.PAY_NOW) or (r.when is not None and r.when == self.session.context.today)
        async for out in self._propose(kind=OfferKind.PAY_IN_FULL.value, first_payment_date=_iso(r)):
            yield out

    async def _settle(self, r: Reading) -> AsyncIterator[OutputEvent]:
        amount = money_said(r)
        if amount is None and r.when is None:
            async for out in self._offer_kind(OfferKind.SETTLEMENT):
                yield out
            return
        proposal = {"kind": OfferKind.SETTLEMENT.value, "first_payment_date": _iso(r)}
        if amount is not None:
            proposal["lump_sum_amount"] = str(amount)
        async for out in self._propose(**proposal):
            yield out

    async def _plan(self, r: Reading) -> AsyncIterator[OutputEvent]:
        amount = money_said(r)
        if amount is None and r.installments is None and r.when is None:
            async for out in self._offer_kind(OfferKind.PAYMENT_PLAN):
                yield out
            return
        proposal = {"kind": OfferKind.PAYMENT_PLAN.value, "first_payment_date": _iso(r)}
        if amount is not None:
            proposal["installment_amount"] = str(amount)
        if r.installments is not None:
            proposal["installments_count"] = str(r.installments)
        async for out in self._propose(**proposal):
            yield out

    async def _accept(self, r: Reading) -> AsyncIterator[OutputEvent]:
        stream = self._redate(r) if r.when is not None else self._read_back()
        async for out in stream:
            yield out

    async def _redate(self, r: Reading) -> AsyncIterator[OutputEvent]:
        """The pending offer, on the day the customer named."""
        async for out in self._propose(
            kind=self._kind_of_pending(), first_payment_date=_iso(r), **self._pending_terms()
        ):
            yield out

    def _pending_terms(self) -> dict[str, str]:
        offer = self._offer(self.pending)
        if offer is None:
            return {}
        if offer.kind is OfferKind.SETTLEMENT:
            return {"lump_sum_amount": str(offer.total_amount)}
        if offer.kind is OfferKind.PAYMENT_PLAN:
            return {
                "installments_count": str(offer.installments_count),
                "down_payment_amount": str(offer.down_payment_amount),
            }
        return {}

    def _describe_pending(self) -> str:
        offer = self._offer(self.pending)
        return phrasing.describe(offer, self.session.options) if offer else ""

    async def _offer_kind(self, kind: OfferKind) -> AsyncIterator[OutputEvent]:
        options = self.session.options
        offer_id = next(
            (i for i, o in self.session.offers.items() if o.kind is kind and options and o in options.offers),
            None,
        )
        if offer_id is None:
            plan_id = next(
                (i for i, o in self.session.offers.items() if o.kind is OfferKind.PAYMENT_PLAN), None
            )
            self.pending = plan_id
            alternative = f" {self._describe_pending()}" if plan_id else ""
            yield _say(self._line("kind_unavailable", alternative=alternative, ask=self.voice.ask()))
            return
        self.pending = offer_id
        if offer_id not in self.presented:
            self.presented.append(offer_id)
        yield _say(f"{self._describe_pending()} {self.voice.ask()}")

    async def _declined(self, r: Reading) -> AsyncIterator[OutputEvent]:
        session = self.session
        self.refusals += 1
        if session.hardship:
            words = self._line("hardship_goodbye", reach_us=self._reach_us())
            async for out in self._end(words, reason="hardship noted"):
                yield out
            return
        remaining = [
            offer_id
            for offer_id, offer in session.offers.items()
            if offer_id not in self.presented
            and session.options is not None
            and offer in session.options.offers
        ]
        firm = r.has(Intent.REFUSE, Intent.DONE) and self.refusals > 1
        if remaining and not firm and self.refusals <= self.voice.retries_after_no:
            self.pending = remaining[0]
            self.presented.append(remaining[0])
            offer = self._offer(remaining[0])
            assert offer is not None and session.options is not None
            yield _say(self.voice.next_offer(session.options, offer))
            return
        session.set_outcome(CallOutcome.REFUSED)
        words = self._line("declined_goodbye", reach_us=self._reach_us())
        async for out in self._end(words, reason="customer declined"):
            yield out

    async def _unclear(self) -> AsyncIterator[OutputEvent]:
        self.unclear += 1
        if self.unclear > 2:
            self.session.set_outcome(CallOutcome.REFUSED)
            async for out in self._end(self._line("unclear_goodbye", reach_us=self._reach_us()), "unclear"):
                yield out
            return
        yield _say(self._line("unclear", offer=self._describe_pending(), ask=self.voice.ask()))

    async def _confirming(self, r: Reading) -> AsyncIterator[OutputEvent]:
        """The customer answers the read-back. Whether that answer is a yes is the tool's to read (code, from
        the customer's words); the brain voices what it decided."""
        if r.has(Intent.DISPUTE, Intent.HARDSHIP, Intent.CALLBACK):
            self.stage = Stage.NEGOTIATING
            async for out in self._negotiating(r):
                yield out
            return
        thanked = r.has(Intent.YES) and not r.has(Intent.NO)
        if thanked:  # said while the arrangement is stored: the caller never waits on the database in silence
            yield _say(self._line("thank_you"))
        async for out in self._tool(
            ToolName.CONFIRM_ARRANGEMENT, offer_id=self.pending, customer_agreed=True
        ):
            yield out
        result = self.last_result
        if result.get("confirmed"):
            async for out in self._arranged(thanked=thanked):
                yield out
            return
        if result.get("read_back") or result.get("asked_again"):
            # Read again (cut off, or the customer's new terms were accepted), or asked once more.
            self.pending = result.get("offer_id") or self.pending
            return
        self.stage = Stage.NEGOTIATING
        document = result.get("offer")
        if result.get("counter_offer") and isinstance(document, dict):
            self.pending = document["id"]
            offer = self._offer(self.pending)
            assert offer is not None
            async for out in self._voice_counter(offer):
                yield out
        elif result.get("counter_offer"):
            yield _say(self._line("cannot_offer", ask=self.voice.ask()))
        elif result.get("customer_declined"):
            yield _say(self._line("what_works_better"))
        else:
            yield _say(self._line("nothing_set_up", offer=self._describe_pending(), ask=self.voice.ask()))

    async def _arranged(self, *, thanked: bool = False) -> AsyncIterator[OutputEvent]:
        """The arrangement is stored: take the first payment now when the customer asked to pay now."""
        offer = self._offer(self.pending)
        assert offer is not None
        first = phrasing.first_payment(offer)
        all_set = self._line("all_set") if thanked else self._line("all_set_thanks")
        if self.pay_now:
            self.stage = Stage.CARD_CAPTURE
            if not thanked:
                yield _say(self._line("thank_you"))
            async for out in self._tool(ToolName.TAKE_PAYMENT):
                yield out
        elif offer.first_payment_date == self.session.context.today:
            self.stage = Stage.PAYMENT_OFFER
            amount = spoken_amount(first, language=self.language)
            yield _say(self._line("first_payment_now", all_set=all_set, amount=amount))
        else:
            self.stage = Stage.WRAP_UP
            yield _say(self._line("terms_in_writing", all_set=all_set))

    async def _payment_offer(self, r: Reading) -> AsyncIterator[OutputEvent]:
        offer = self._offer(self.pending)
        if r.has(Intent.YES, Intent.PAY_NOW) and not r.has(Intent.NO) and offer is not None:
            self.stage = Stage.CARD_CAPTURE
            async for out in self._tool(ToolName.TAKE_PAYMENT):
                yield out
            return
        self.stage = Stage.WRAP_UP
        due = (
            self._line(
                "first_payment_due", date=spoken_date(offer.first_payment_date, language=self.language)
            )
            if offer
            else ""
        )
        yield _say(self._line("no_problem_due", due=due))

    async def _card_capture_speech(self, r: Reading) -> AsyncIterator[OutputEvent]:
        yield _say(self._line("enter_card"))

    async def _payment_retry(self, r: Reading) -> AsyncIterator[OutputEvent]:
        offer = self._offer(self.pending)
        if r.has(Intent.YES) and not r.has(Intent.NO) and offer is not None:
            self.stage = Stage.CARD_CAPTURE
            async for out in self._tool(ToolName.TAKE_PAYMENT):
                yield out
            return
        async for out in self._after_payment_declined():
            yield out

    async def _after_payment_declined(self) -> AsyncIterator[OutputEvent]:
        self.stage = Stage.WRAP_UP
        offer = self._offer(self.pending)
        if self.session.arrangement is not None and offer is not None:
            due = spoken_date(offer.first_payment_date, language=self.language)
            yield _say(self._line("arrangement_in_place", date=due))
        else:
            yield _say(self._line("no_problem_anything_else"))

    async def _callback_day(self, r: Reading) -> AsyncIterator[OutputEvent]:
        if r.when is None:
            if self.stage is Stage.CALLBACK_DAY:
                async for out in self._end(
                    self._line("no_callback_day", reach_us=self._reach_us()), reason="no callback day"
                ):
                    yield out
                return
            self.stage = Stage.CALLBACK_DAY
            yield _say(self._line("ask_callback_day"))
            return
        time_of_day = next((w for w in ("morning", "afternoon", "evening") if w in r.text.lower()), "")
        async for out in self._tool(
            ToolName.SCHEDULE_CALLBACK, when=r.when.isoformat(), time_of_day=time_of_day
        ):
            yield out
        if self.last_result.get("scheduled"):
            words = self._line("callback_scheduled", date=spoken_date(r.when, language=self.language))
            async for out in self._end(words, reason="callback scheduled"):
                yield out
        else:
            self.stage = Stage.CALLBACK_DAY
            yield _say(self._line("callback_window"))

    async def _wrap_up(self, r: Reading) -> AsyncIterator[OutputEvent]:
        verified = self.session.verification.verified
        if r.has(Intent.DONE, Intent.NO) and not r.has(Intent.DISPUTE, Intent.PLAN, Intent.SETTLE):
            async for out in self._end(self._line("goodbye_first", first=self._first), reason="completed"):
                yield out
        elif verified and r.has(Intent.DISPUTE, Intent.HARDSHIP, Intent.CALLBACK):
            async for out in self._negotiating(r):
                yield out
        elif r.has(Intent.YES) and len(r.text.split()) <= 3:
            yield _say(self._line("what_else"))
        else:
            words = self._line("only_this_account", reach_us=self._reach_us())
            async for out in self._end(words, reason="completed"):
                yield out
