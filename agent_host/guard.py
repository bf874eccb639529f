"""The output guard around either brain, and the call's record of what happened.

`GuardedAgent` is the agent the Line harness runs. In: it records what the customer said (masked, card data
said aloud removed — and so removed for the brain too; withheld entirely while a card is being keyed) and
keypad presses (always masked), routes keypad input to card capture, and ends the record when the websocket closes (a call dropped mid-way is finalized as
`abandoned`, its transcript saved). Out: every word either brain produces is checked by
`shared.policy.guard.review_agent_text` before the harness sees it; held-back words are replaced by the safe
line and a guard intervention is recorded. The recording notice always precedes anything else the agent says.
Streamed (LLM) text is checked sentence by sentence as it arrives."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from typing import Any, Protocol

from line.agent import TurnEnv
from line.events import (
    AgentEndCall,
    AgentSendCustom,
    AgentSendText,
    AgentTextSent,
    AgentToolCalled,
    AgentToolReturned,
    AgentTransferCall,
    CallEnded,
    CallStarted,
    InputEvent,
    OutputEvent,
    UserDtmfSent,
    UserTextSent,
    UserTurnEnded,
)

from agent_host.obligations import Obligations, Turn
from agent_host.session import CallSession, mask_payload
from agent_host.tools import masked_arguments
from shared.domain import Speaker
from shared.models.agent import ToolName
from shared.policy.disclosure import DisclosureKind, recording_notice
from shared.policy.guard import review_agent_text
from shared.telemetry import SPAN_AGENT_TURN, record_guard_intervention, traced_stream

logger = logging.getLogger(__name__)

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_LAST_QUESTION = re.compile(r"[^.!?]*\?\s*$")
WITHHELD = "[withheld: spoken during card entry]"
LEGAL_RECORD = "record_legal_events"  # the tool frame the harness sees while code stores a legal event
_REMOVED = re.compile(r"\[(?:card number|expiry|security code) removed\]")
_ONLY_CARD_WORDS = 6  # words besides the card details: "here's my card number it's ..."
CARD_NOT_ALOUD = "For your security, please don't read card details out loud."
KEYPAD_ONLY = (
    f"{CARD_NOT_ALOUD} If you make a payment, I'll ask you to enter the card on your phone's keypad."
)


def card_warning(*, verified: bool) -> str:
    """What the agent says when card details are read aloud. Before right-party verification "payment" would
    tell whoever answered that a debt exists (FDCPA 805(b)), so only the warning is said."""
    return KEYPAD_ONLY if verified else CARD_NOT_ALOUD


class Brain(Protocol):
    name: str

    @property
    def streaming(self) -> bool:
        """Whether its words arrive as a stream (checked sentence by sentence) or as whole messages; a brain
        may change from one to the other between turns (`FallbackBrain`)."""
        ...

    def process(self, env: TurnEnv, event: InputEvent) -> AsyncIterator[OutputEvent]: ...

    def on_keypad(self, env: TurnEnv, button: str) -> AsyncIterator[OutputEvent]: ...

    def note_guard(self, held: str, replacement: str, rules: list[str]) -> None: ...


# What started a turn, as the `trigger` attribute of its span.
_TRIGGERS: dict[type, str] = {
    CallStarted: "call_started",
    UserTurnEnded: "user_turn_ended",
    UserDtmfSent: "dtmf",
    CallEnded: "call_ended",
}


def run_filter(event: InputEvent) -> bool:
    """Events that start an agent turn: the call's start and end, a finished user turn, a keypad press."""
    return isinstance(event, CallStarted | UserTurnEnded | CallEnded | UserDtmfSent)


class GuardedAgent:
    def __init__(self, brain: Brain, session: CallSession, obligations: Obligations | None = None) -> None:
        self.brain = brain
        self.session = session
        self.obligations = obligations
        self._buffer = ""
        self._heard: set[str] = set()
        self._last_question: str | None = None  # the agent's last question, asked again after an aside
        self._code_lines: list[str] = []  # words code said for an obligation: fixed, tested, never held

    def process(self, env: TurnEnv, event: InputEvent) -> AsyncIterator[OutputEvent]:
        """One agent turn, as an `agent.turn` span in the call's trace (current while the turn runs, so
        the tools' database and HTTP spans nest in it; ended when the turn ends or is interrupted)."""
        return traced_stream(
            SPAN_AGENT_TURN,
            self._turn(env, event),
            parent=self.session.context.traceparent,
            call_id=self.session.call_id,
            trigger=_TRIGGERS.get(type(event), "other"),
        )

    async def _turn(self, env: TurnEnv, event: InputEvent) -> AsyncIterator[OutputEvent]:
        session = self.session
        if isinstance(event, CallEnded):
            # A turn whose agent task was cancelled before it ran (the socket closed right after it) is
            # still in the history: record what the customer said before closing the record.
            for earlier in event.history or []:
                if isinstance(earlier, UserTurnEnded) and earlier.event_id not in self._heard:
                    self._hear(earlier)
            await self._drain(self.brain.process(env, event))
            if self.obligations is not None:
                await self.obligations.finish_pending()
            await session.finish(reason="websocket closed", abandoned=True)
            return
        if session.finished:
            return
        if isinstance(event, CallStarted):
            session.start()
            stream = self.brain.process(env, event)
        elif isinstance(event, UserDtmfSent):
            session.record_dtmf(event.button)
            if session.capture is None:
                return  # keypad input outside card entry means nothing to the agent
            stream = self.brain.on_keypad(env, event.button)
        elif isinstance(event, UserTurnEnded):
            session.heard_agent(spoken_since_last_turn(event))
            text, heard = self._hear(event)
            stream = await self._obliged(env, heard, text)
        else:
            return
        async for output in self._guard(stream):
            yield output

    def _hear(self, event: UserTurnEnded) -> tuple[str, UserTurnEnded]:
        """Record what the customer said (card data removed, everything withheld during card entry) and
        return it with the turn as the brain may read it: without the card data, so no tool stores it either
        (a dispute reason, a hardship note)."""
        session = self.session
        self._heard.add(event.event_id)
        text = " ".join(item.content for item in event.content if isinstance(item, UserTextSent)).strip()
        session.turns += 1
        if not text:
            return text, event
        redacted = session.redact_customer_text(text)  # card data said during entry still counts as heard
        # Kept in memory for the call: code reads identity, factors and consent from it (card data never).
        session.hear(redacted.text if redacted.found else text)
        session.record_speech(Speaker.CUSTOMER, WITHHELD if session.capture is not None else redacted.text)
        if not redacted.found:
            return text, event
        keys = [item for item in event.content if not isinstance(item, UserTextSent)]
        return redacted.text, event.model_copy(
            update={"content": [UserTextSent(content=redacted.text), *keys]}
        )

    async def _obliged(self, env: TurnEnv, event: UserTurnEnded, text: str) -> AsyncIterator[OutputEvent]:
        """The turn after code honoured the legal events in `text` (see `agent_host.obligations`): its
        words, then the end of the call, a transfer, the last question again, or the brain's turn."""
        if self.obligations is None or not text or self.session.capture is not None:
            return self.brain.process(env, event)
        card_read_aloud = self.session.card_data_heard
        warning = card_warning(verified=self.session.verification.verified)
        if card_read_aloud and len(_REMOVED.sub(" ", text).split()) <= _ONLY_CARD_WORDS:
            # Nothing but card details read aloud: stop them, point to the keypad, ask the question again.
            return self._after_obligations(
                env, event, Turn(say=[warning], repeat_question=True, run_brain=False)
            )
        turn = await self.obligations.read(text)
        if card_read_aloud:  # and more was said: the keypad first, then the rest of the turn as usual
            turn.say.insert(0, warning)
        if turn == Turn() and not self.obligations.to_record:
            return self.brain.process(env, event)
        return self._after_obligations(env, event, turn)

    async def _store_legal_events(self) -> AsyncIterator[OutputEvent]:
        """The words said so far go out first (the guard releases them at a tool call); then the legal events'
        records are written, before the call ends, transfers or goes on."""
        assert self.obligations is not None
        if not self.obligations.to_record:
            return
        kinds = [queued[0].kind.value for queued in self.obligations.to_record]
        call_id = f"legal-{self.session.call_id}-{self.session.turns}"
        yield AgentToolCalled(tool_call_id=call_id, tool_name=LEGAL_RECORD, tool_args={"events": kinds})
        stored = await asyncio.shield(self.obligations.store())
        yield AgentToolReturned(
            tool_call_id=call_id,
            tool_name=LEGAL_RECORD,
            tool_args={"events": kinds},
            result={"recorded": stored},
        )

    async def _after_obligations(
        self, env: TurnEnv, event: UserTurnEnded, turn: Turn
    ) -> AsyncIterator[OutputEvent]:
        assert self.obligations is not None
        tools = self.obligations.tools
        for line in turn.say:
            self._code_lines.append(line)
            yield AgentSendText(text=line)
        async for item in self._store_legal_events():
            yield item
        if turn.end:
            async for item in tools.invoke(ToolName.END_CALL.value, reason=turn.end):
                if not isinstance(item, dict):
                    yield item
            return
        if turn.transfer:
            outcome: dict[str, Any] = {}
            async for item in self._spoken(
                tools.invoke(ToolName.TRANSFER_TO_HUMAN.value, reason="the customer asked for a person"),
                outcome,
            ):
                yield item
            if outcome.get("transferred", True):
                return
        if turn.repeat_question and self._last_question:
            yield AgentSendText(text=self._last_question)
            return
        if turn.run_brain or turn.transfer:
            async for output in self.brain.process(env, event):
                yield output

    @staticmethod
    async def _spoken(
        stream: AsyncIterator[OutputEvent | dict[str, Any]], result: dict[str, Any]
    ) -> AsyncIterator[OutputEvent]:
        """A tool's output events; its result dict lands in `result`."""
        async for item in stream:
            if isinstance(item, dict):
                result.update(item)
            else:
                yield item

    async def _drain(self, stream: AsyncIterator[OutputEvent]) -> None:
        try:
            async for _ in stream:
                pass
        except Exception:  # cleanup after a dropped call must not stop the record from closing
            logger.exception("call %s: brain cleanup failed", self.session.call_id)

    async def _guard(self, stream: AsyncIterator[OutputEvent]) -> AsyncIterator[OutputEvent]:
        """Check and record what the brain says. A scripted turn's words go out as few messages as possible
        (runs with the same interruptibility merged) and before the turn's informational tool frames: every
        agent message costs the harness a round of acknowledgements, and the caller waits for words, not
        for tool reports. Streamed (LLM) words go out sentence by sentence, in order."""
        held: list[AgentSendText] = []
        reports: list[OutputEvent] = []
        async for output in stream:
            if isinstance(output, AgentSendText):
                async for checked in self._speak(output):
                    for ready in self._hold(checked, held, reports):
                        yield ready
                continue
            async for checked in self._flush():
                yield self._emit(checked)
            if isinstance(output, AgentToolReturned) and not self.brain.streaming:
                async for passed in self._pass(output):
                    reports.append(passed)
                continue
            if isinstance(output, AgentEndCall | AgentTransferCall | AgentToolCalled):
                # Said before the call ends or before a tool that takes its time: out now.
                for ready in self._release_held(held, reports):
                    yield ready
            async for passed in self._pass(output):
                yield passed
        async for checked in self._flush():
            held.append(checked)
        for ready in self._release_held(held, reports):
            yield ready
        self.session.snapshot()

    def _hold(
        self, checked: AgentSendText, held: list[AgentSendText], reports: list[OutputEvent]
    ) -> list[OutputEvent]:
        """Streamed words go out at once; a scripted turn's words join the run they belong to. A run that
        cannot grow any more (the next words differ in interruptibility) goes out now, ahead of the rest of
        the turn."""
        if self.brain.streaming:
            return [self._emit(checked)]
        if held and held[-1].interruptible != checked.interruptible:
            ready = self._release_held(held, reports)
            held.append(checked)
            return ready
        _merge(held, checked)
        return []

    def _release_held(self, held: list[AgentSendText], reports: list[OutputEvent]) -> list[OutputEvent]:
        """The held words (recorded as they go), then the tool reports; both lists are emptied."""
        ready: list[OutputEvent] = [self._emit(message) for message in held]
        ready += reports
        held.clear()
        reports.clear()
        return ready

    def _emit(self, message: AgentSendText) -> AgentSendText:
        """Record words as they go out to the caller."""
        self.session.record_speech(Speaker.AGENT, message.text)
        question = _LAST_QUESTION.search(message.text)
        if question:
            self._last_question = question.group(0).strip()
        return message

    async def _speak(self, output: AgentSendText) -> AsyncIterator[OutputEvent]:
        """Whole messages are checked as they come; streamed text sentence by sentence."""
        if not self.brain.streaming:
            # Streamed words still waiting for their sentence's end (a brain that switched mid-turn) go first.
            async for checked in self._flush():
                yield checked
            async for checked in self._release(output.text, output.interruptible):
                yield checked
            return
        self._buffer += output.text
        parts = _SENTENCE_END.split(self._buffer)
        self._buffer = parts.pop()
        for sentence in parts:
            async for checked in self._release(sentence, output.interruptible):
                yield checked

    async def _pass(self, output: OutputEvent) -> AsyncIterator[OutputEvent]:
        """A non-speech event: tool frames masked; the end of the call (or a transfer) finalizes it first."""
        if isinstance(output, AgentToolCalled | AgentToolReturned):
            output.tool_args = masked_arguments(output.tool_args)
            if isinstance(output, AgentToolReturned):
                output.result = mask_payload(output.result)
        elif isinstance(output, AgentEndCall | AgentTransferCall):
            if not self.session.finished:
                await self.session.finish(reason=self.session.end_reason or "agent ended the call")
            # The outcome on the wire too, for harness-side consumers (the simulator reads it).
            outcome = self.session.outcome.value if self.session.outcome else None
            yield AgentSendCustom(
                metadata={"event": "call_finished", "call_id": str(self.session.call_id), "outcome": outcome}
            )
        yield output

    async def _flush(self) -> AsyncIterator[OutputEvent]:
        if self._buffer.strip():
            text, self._buffer = self._buffer, ""
            async for checked in self._release(text, True):
                yield checked
        self._buffer = ""

    async def _release(self, text: str, interruptible: bool) -> AsyncIterator[OutputEvent]:
        session = self.session
        text = text.strip()
        if not text or session.finished:
            return
        if DisclosureKind.RECORDING_NOTICE not in session.disclosed and not session.voicemail:
            session.disclose(DisclosureKind.RECORDING_NOTICE)
            notice = recording_notice()
            yield AgentSendText(text=notice, interruptible=False)
            if text == notice:
                return
        if any(text in line for line in self._code_lines):
            yield AgentSendText(text=text, interruptible=interruptible)
            return
        verdict = review_agent_text(text, session.guard_context())
        if verdict.allowed:
            yield AgentSendText(text=text, interruptible=interruptible)
            return
        replacement = verdict.replacement or ""
        session.record_guard(text, verdict.rules, replacement)
        logger.warning("call %s: guard held back agent text (%s)", session.call_id, ", ".join(verdict.rules))
        for rule in verdict.rules:
            record_guard_intervention(rule, brain=self.brain.name)
        self.brain.note_guard(text, replacement, verdict.rules)
        yield AgentSendText(text=replacement, interruptible=interruptible)


def spoken_since_last_turn(event: UserTurnEnded) -> list[str]:
    """The agent's words the harness reported as spoken (`agent_speech`, in the history as `AgentTextSent`)
    since the caller's previous turn: what the caller heard before answering."""
    spoken: list[str] = []
    for item in event.history or []:
        if item.event_id == event.event_id:
            break
        if isinstance(item, UserTurnEnded):
            spoken = []
        elif isinstance(item, AgentTextSent):
            spoken.append(item.content)
    return spoken


def _merge(held: list[AgentSendText], message: AgentSendText) -> None:
    """Append to the last held message when its interruptibility is the same, else start a new one."""
    if held and held[-1].interruptible == message.interruptible:
        held[-1] = AgentSendText(text=f"{held[-1].text} {message.text}", interruptible=message.interruptible)
    else:
        held.append(message)
