"""Legal events heard on a call, honoured by code for either brain.

Every customer utterance, at every stage, is read by `shared.policy.legal_events.recognize` before the brain
sees it. For each event code records what the obligation table says (through `AgentTools.record_legal_event`),
notes it in the transcript, and decides the turn: an event that ends the call (cease, attorney, bankruptcy,
death, wrong number, a third party, a dispute, a bad time now) is answered with the table's words and the call
ends — the brain does not get the turn, so no model can talk past it; an attorney's or estate's contact is asked
for once first. A person asked for is transferred to when a line is configured. Questions code can answer
truthfully (is this a machine, an objection to recording) are answered, and the agent's last question is asked
again. Everything else goes on to the brain, the LLM with the obligation as an instruction; collection talk
forbidden by an event is held by the guard and refused by the tools for the rest of the call."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from agent_host.session import CallSession
from agent_host.tools import AgentTools, callback_number_spoken
from shared.domain import CallOutcome
from shared.models.agent import AgentEvent, ToolName
from shared.policy.legal_events import (
    Continuation,
    LegalEvent,
    LegalEventKind,
    Obligation,
    Topic,
    obligation_for,
    recognize,
)
from shared.policy.spoken import digit_groups, spoken_date

logger = logging.getLogger(__name__)

_K = LegalEventKind
OUTCOMES: dict[LegalEventKind, CallOutcome] = {
    _K.CEASE: CallOutcome.CEASE_REQUESTED,
    _K.CEASE_NUMBER: CallOutcome.CEASE_REQUESTED,
    _K.CEASE_CHANNEL: CallOutcome.CEASE_REQUESTED,
    _K.ATTORNEY: CallOutcome.CEASE_REQUESTED,
    _K.DISPUTE: CallOutcome.DISPUTE,
    _K.VALIDATION_REQUEST: CallOutcome.DISPUTE,
    _K.BANKRUPTCY: CallOutcome.BANKRUPTCY,
    _K.DECEASED: CallOutcome.DECEASED,
    _K.WRONG_NUMBER: CallOutcome.WRONG_PARTY,
    _K.THIRD_PARTY: CallOutcome.WRONG_PARTY,
    _K.INCONVENIENT_TIME: CallOutcome.INCONVENIENT_TIME,
    _K.HARDSHIP: CallOutcome.HARDSHIP,
}
# Said by anyone, these are honoured at once; the others concern the debt and count only from the verified
# customer (an unverified caller who says "i don't owe that" has not been told what "that" is).
_FROM_ANYONE = frozenset(
    {
        _K.CEASE,
        _K.CEASE_NUMBER,
        _K.CEASE_CHANNEL,
        _K.ATTORNEY,
        _K.BANKRUPTCY,
        _K.DECEASED,
        _K.WRONG_NUMBER,
        _K.THIRD_PARTY,
        _K.INCONVENIENT_TIME,
        _K.RECORDING_OBJECTION,
        _K.AI_QUESTION,
        _K.HUMAN_REQUEST,
        _K.CALLBACK_REQUEST,  # "call me back tomorrow": a time to call this number, nothing about a debt
    }
)
# Answered by code in full; the agent then repeats the question it had asked.
_ANSWERED_BY_CODE = frozenset({_K.AI_QUESTION, _K.RECORDING_OBJECTION})
# Left to the brain (it has the tools for them); code only records and instructs.
_BRAIN_HANDLES = frozenset({_K.HARDSHIP, _K.CALLBACK_REQUEST})
_SHORT = 14  # words: an utterance this short that is all question is answered without the brain


@dataclass
class Turn:
    """What code decided for one utterance."""

    say: list[str] = field(default_factory=list)
    end: str | None = None  # the reason, when the call ends now
    transfer: bool = False
    run_brain: bool = True
    repeat_question: bool = False


class Obligations:
    """The legal events of one call."""

    def __init__(
        self, session: CallSession, tools: AgentTools, note: Callable[[str], None] | None = None
    ) -> None:
        self.session = session
        self.tools = tools
        self.note = note  # tells the brain an obligation (the LLM brain's system note)
        self.pending: tuple[LegalEvent, Obligation] | None = None  # asked once for its details
        self.to_record: list[tuple[LegalEvent, Obligation, bool]] = []  # (event, obligation, verified then)
        self.heard: list[LegalEvent] = []

    def _format(self, template: str) -> str:
        context = self.session.context
        number = callback_number_spoken(self.session)
        return template.format(
            business_name=context.business_name,
            agent_name=context.settings.agent_name,
            callback_phrase=f" You can reach us at {number}." if number else "",
        )

    async def read(self, text: str) -> Turn:
        """Recognize and honour the events in one utterance."""
        session = self.session
        if session.context.customer is None or session.finished:
            return Turn()
        if self.pending is not None:
            return await self._answer_to_ask(text)
        verified = session.verification.verified
        events = [
            event
            for event in recognize(text, today=session.context.today)
            if event.kind in _FROM_ANYONE or verified
        ]
        turn = Turn()
        callback = next((e for e in events if e.kind is _K.CALLBACK_REQUEST and e.details.get("date")), None)
        for event in events:
            if callback is not None and event.kind in {_K.INCONVENIENT_TIME, _K.CALLBACK_REQUEST}:
                continue  # a bad time now with a day to call back: the call back is the answer
            self._merge(turn, await self._honour(event, verified=verified))
            if turn.end or self.pending is not None or turn.transfer:
                break
        if callback is not None and not (turn.end or turn.transfer or self.pending is not None):
            for event in events:
                if event.kind is _K.INCONVENIENT_TIME and event.details.get("period"):
                    await self._record(event, obligation_for(event, verified=verified))
            self._merge(turn, await self._schedule(callback))
        if turn.repeat_question and (
            len(text.split()) > _SHORT or any(e.kind not in _ANSWERED_BY_CODE for e in events)
        ):
            turn.repeat_question = False  # more was said than code answered: the brain takes the turn too
        return turn

    @staticmethod
    def _merge(turn: Turn, step: Turn) -> None:
        turn.say += step.say
        turn.end = turn.end or step.end
        turn.transfer = turn.transfer or step.transfer
        turn.run_brain = turn.run_brain and step.run_brain
        turn.repeat_question = turn.repeat_question or step.repeat_question

    async def _honour(self, event: LegalEvent, *, verified: bool) -> Turn:
        session = self.session
        obligation = obligation_for(event, verified=verified)
        kind = obligation.kind
        self.heard.append(event)
        if Topic.COLLECTION in obligation.forbidden_after:
            session.stop_collection(kind.value)
        missing = [key for key in obligation.ask_once if not event.details.get(key)]
        if obligation.continuation is Continuation.END and missing and obligation.ask:
            self.pending = (event, obligation)
            session.record_event(AgentEvent.LEGAL_EVENT, kind.value, {"asked": missing})
            return Turn(say=[obligation.ask], run_brain=False)
        await self._record(event, obligation)
        if kind in OUTCOMES and (kind is not _K.INCONVENIENT_TIME or event.details.get("now")):
            # Times stated for later are recorded and the call goes on: how it ends is its outcome.
            session.set_outcome(OUTCOMES[kind])
        if kind is _K.RECORDING_OBJECTION:
            await self.tools.stop_recording()
        self._instruct(obligation)
        if obligation.continuation is Continuation.END and (
            kind is not _K.INCONVENIENT_TIME or event.details.get("now")
        ):
            return Turn(say=[self._format(obligation.say)], end=kind.value, run_brain=False)
        if obligation.continuation is Continuation.TRANSFER:
            return Turn(transfer=True, run_brain=False)
        if kind in _ANSWERED_BY_CODE:
            return Turn(say=[self._format(obligation.say)], repeat_question=True)
        if kind in _BRAIN_HANDLES or not obligation.say:
            return Turn()
        return Turn(say=[self._format(obligation.say)])

    async def _schedule(self, event: LegalEvent) -> Turn:
        """A call back asked for on a named day: scheduled by code, and the call ends politely. A day the
        tool refuses (past the scheduling horizon) goes to the brain, which asks for another."""
        result: dict[str, Any] = {}
        async for item in self.tools.invoke(
            ToolName.SCHEDULE_CALLBACK.value,
            when=str(event.details["date"]),
            time_of_day=str(event.details.get("time_of_day") or ""),
        ):
            if isinstance(item, dict):
                result = item
        if not result.get("scheduled"):
            return Turn()
        day = spoken_date(date.fromisoformat(str(result["date"])))
        return Turn(
            say=[f"Of course. I've scheduled a call back for {day}. Thank you, and goodbye."],
            end="callback scheduled",
            run_brain=False,
        )

    async def _answer_to_ask(self, text: str) -> Turn:
        """The caller's answer to the one question about an attorney's or estate's contact."""
        assert self.pending is not None
        event, obligation = self.pending
        self.pending = None
        details = dict(event.details)
        for again in recognize(text, today=self.session.context.today):
            if again.kind is event.kind:
                details.update({k: v for k, v in again.details.items() if v})
        details.update(
            {k: v for k, v in contact_from_answer(text, obligation.ask_once).items() if not details.get(k)}
        )
        event = LegalEvent(kind=event.kind, details=details)
        await self._record(event, obligation)
        if obligation.kind in OUTCOMES:
            self.session.set_outcome(OUTCOMES[obligation.kind])
        return Turn(say=[self._format(obligation.say)], end=obligation.kind.value, run_brain=False)

    async def finish_pending(self) -> None:
        """The caller hung up before answering the one question: record what was heard."""
        if self.pending is not None:
            event, obligation = self.pending
            self.pending = None
            await self._record(event, obligation)
            if obligation.kind in OUTCOMES:
                self.session.set_outcome(OUTCOMES[obligation.kind])
        await self.store()

    async def _record(self, event: LegalEvent, obligation: Obligation) -> None:
        """Queue what the event requires for storing (`store`): the caller hears the answer first, and the
        records are written before the call goes on, ends or transfers."""
        self.to_record.append((event, obligation, self.session.verification.verified))

    async def store(self) -> list[str]:
        """Write the queued records (shielded: a barge-in never leaves them half-done); the kinds stored."""
        stored: list[str] = []
        queued, self.to_record = self.to_record, []
        for event, obligation, verified in queued:
            recorded = await self.tools.record_legal_event(event, verified=verified)
            stored += recorded
            self.session.record_event(
                AgentEvent.LEGAL_EVENT,
                event.kind.value,
                {"obligation": obligation.kind.value, "recorded": recorded, "records": obligation.records},
            )
        return stored

    def _instruct(self, obligation: Obligation) -> None:
        """The brain is told what it must and must not do from now on (the scripted brain ignores it)."""
        if self.note is not None:
            self.note(obligation.instruction)


_NAME_AFTER = re.compile(
    r"\b(?:name is|name's|it's|its|that's|that is|this is|he is|she is|her name is|his name is|call|contact|ask for)"
    r"\s+((?:mr|mrs|ms|miss|dr)?\s*[a-z']+(?:\s+[a-z']+){0,2})",
    re.IGNORECASE,
)
_NOT_NAME = re.compile(
    r"\b(?:number|phone|is|and|at|the|my|his|her|their|lawyer|attorney|office|firm|law|five|one|two|three|four|"
    r"six|seven|eight|nine|zero|oh)\b.*$",
    re.IGNORECASE,
)


def contact_from_answer(text: str, wanted: tuple[str, ...]) -> dict[str, Any]:
    """A name and a phone number from an answer to "could you give me their name and phone number?"."""
    found: dict[str, Any] = {}
    phone = next((g for g in digit_groups(text) if len(g) in {10, 11}), None)
    name_match = _NAME_AFTER.search(text)
    name = _NOT_NAME.sub("", name_match.group(1)).strip() if name_match else ""
    for key in wanted:
        if key.endswith("_phone") and phone:
            found[key] = "+1" + phone[-10:]
        elif key.endswith("_name") and name:
            found[key] = name.title()
    return found
