"""The output guard around either brain, and the call's record of what happened.

`GuardedAgent` is the agent the Line harness runs. In: it records what the customer said (masked; withheld
entirely while a card is being keyed) and keypad presses (masked during card capture), routes keypad input
to card capture, and ends the record when the websocket closes (a call dropped mid-way is finalized as
`abandoned`, its transcript saved). Out: every word either brain produces is checked by
`shared.policy.guard.review_agent_text` before the harness sees it; held-back words are replaced by the safe
line and a guard intervention is recorded. The recording notice always precedes anything else the agent says.
Streamed (LLM) text is checked sentence by sentence as it arrives."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from typing import Protocol

from line.agent import TurnEnv
from line.events import (
    AgentEndCall,
    AgentSendCustom,
    AgentSendText,
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

from agent_host.session import CallSession, mask_payload
from agent_host.tools import masked_arguments
from shared.domain import Speaker
from shared.policy.disclosure import DisclosureKind, recording_notice
from shared.policy.guard import review_agent_text
from shared.telemetry import SPAN_AGENT_TURN, record_guard_intervention, traced_stream

logger = logging.getLogger(__name__)

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
WITHHELD = "[withheld: spoken during card entry]"


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
    def __init__(self, brain: Brain, session: CallSession) -> None:
        self.brain = brain
        self.session = session
        self._buffer = ""
        self._heard: set[str] = set()

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
            self._hear(event)
            stream = self.brain.process(env, event)
        else:
            return
        async for output in self._guard(stream):
            yield output

    def _hear(self, event: UserTurnEnded) -> None:
        session = self.session
        self._heard.add(event.event_id)
        text = " ".join(item.content for item in event.content if isinstance(item, UserTextSent)).strip()
        session.turns += 1
        if text:
            session.record_speech(Speaker.CUSTOMER, WITHHELD if session.capture is not None else text)

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


def _merge(held: list[AgentSendText], message: AgentSendText) -> None:
    """Append to the last held message when its interruptibility is the same, else start a new one."""
    if held and held[-1].interruptible == message.interruptible:
        held[-1] = AgentSendText(text=f"{held[-1].text} {message.text}", interruptible=message.interruptible)
    else:
        held.append(message)
