"""Model failures handled: the LLM brain, bounded in time and retries, with the scripted brain as its floor.

`FallbackBrain` runs the LLM brain turn by turn. The caller waits at most the turn budget for the first words
and at most the request timeout between two outputs after that; a request that failed with 429, 5xx or a
connection error before the caller heard anything is retried (`ARCHER_LLM_MAX_RETRIES`, waiting what
Retry-After asks, at most `RETRY_AFTER_CAP_SECONDS`). On a timeout, an HTTP error past the retries, a tool
call whose JSON arguments do not parse, or any other exception from the model path, the scripted brain takes
over for the rest of the call, resumed from the session's state (verification, offers, read-back,
arrangement, card capture), and answers the same customer turn. The switch is recorded (a `brain_fallback`
transcript event whose text is the reason code, the call's metadata, the `archer.brain.fallbacks` counter)
and logged as one warning line; no exception reaches the Line harness, so the caller never hears an error
frame and the call ends with what really happened on it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
from collections.abc import AsyncIterator, Callable
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import litellm.exceptions
from line.agent import TurnEnv
from line.events import AgentSendText, AgentToolReturned, CallEnded, InputEvent, OutputEvent, UserTurnEnded

from agent_host.agent.llm import LlmBrain
from agent_host.agent.scripted import ScriptedBrain
from agent_host.session import CallSession
from shared.db.base import utcnow
from shared.models.agent import AgentEvent, ToolName
from shared.policy.disclosure import recording_notice
from shared.telemetry import record_brain_fallback

logger = logging.getLogger(__name__)

APOLOGY = "Sorry about that — let me continue."
RETRY_AFTER_CAP_SECONDS = 2.0
# When the model names no wait: short, since the caller is on the line.
DEFAULT_RETRY_DELAY_SECONDS = 0.25

TIMEOUT = "timeout"
MALFORMED_TOOL_CALL = "malformed_tool_call"
ERROR = "error"

# Tools that only read or announce: a turn in which only these ran has not yet acted on what the customer
# said, so the scripted brain answers the customer's words itself.
_NOT_ACTING = frozenset(
    {ToolName.GIVE_DISCLOSURES, ToolName.GET_ACCOUNT_SUMMARY, ToolName.GET_PAYMENT_OPTIONS}
)


def failure_reason(exc: BaseException) -> str:
    """The reason code of a model failure: `timeout`, `http_<status>` (429 and 5xx), `malformed_tool_call`
    (tool-call arguments that are not JSON) or `error` (a connection error, anything else)."""
    if any(isinstance(link, _TIMEOUTS) for link in _chain(exc)):
        return TIMEOUT
    if isinstance(exc, json.JSONDecodeError):
        return MALFORMED_TOOL_CALL
    if isinstance(exc, litellm.exceptions.APIConnectionError):
        return ERROR  # no HTTP answer at all (LiteLLM gives it status 500 all the same)
    status = getattr(exc, "status_code", None)
    if isinstance(status, int) and (status == 429 or status >= 500):
        return f"http_{status}"
    return ERROR


# A timeout may arrive wrapped: LiteLLM reports a stream that stopped mid-way as a `MidStreamFallbackError`
# caused by httpx's read timeout.
_TIMEOUTS = (TimeoutError, litellm.exceptions.Timeout, httpx.TimeoutException)


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and what caused it, outermost first."""
    links: list[BaseException] = []
    link: BaseException | None = exc
    while link is not None and link not in links:
        links.append(link)
        link = link.__cause__ or link.__context__
    return links


def is_retryable(exc: BaseException) -> bool:
    """429, 5xx and connection errors may succeed on a second try; timeouts and bad output are not retried
    (the turn budget is already spent or the model misbehaved)."""
    reason = failure_reason(exc)
    if reason == TIMEOUT:
        return False
    return reason.startswith("http_") or isinstance(
        exc, litellm.exceptions.APIConnectionError | ConnectionError
    )


def _headers(exc: BaseException) -> dict[str, str]:
    found: dict[str, str] = {}
    response = getattr(exc, "response", None)
    for source in (getattr(response, "headers", None), getattr(exc, "litellm_response_headers", None)):
        if source:
            found.update({str(key).lower(): str(value) for key, value in dict(source).items()})
    return found


def retry_delay(exc: BaseException, *, cap: float = RETRY_AFTER_CAP_SECONDS) -> float:
    """How long to wait before retrying: the server's `retry-after-ms` or `Retry-After` (seconds or an HTTP
    date), at most `cap`; a short default when it names none."""
    headers = _headers(exc)
    delay: float | None = None
    try:
        if "retry-after-ms" in headers:
            delay = float(headers["retry-after-ms"]) / 1000
        elif "retry-after" in headers:
            value = headers["retry-after"].strip()
            try:
                delay = float(value)
            except ValueError:
                delay = (parsedate_to_datetime(value) - utcnow()).total_seconds()
    except (TypeError, ValueError, OverflowError):
        delay = None
    if delay is None or math.isnan(delay):  # absent or unparseable
        delay = DEFAULT_RETRY_DELAY_SECONDS
    return min(max(delay, 0.0), cap)


class ModelClock:
    """One model turn's deadlines: the first words by `deadline`, then no gap longer than `gap`. It stops
    while the call's own tools run — their time (a database write) is not the model's, and a deadline must
    never cancel a tool half-way."""

    def __init__(self, loop: asyncio.AbstractEventLoop, *, budget: float, gap: float) -> None:
        self.loop = loop
        self.deadline = loop.time() + budget
        self.gap = gap
        self.heard = False
        self.scope: asyncio.Timeout | None = None  # the wait on the model going on now
        self._tools = 0
        self._tool_started = 0.0

    def limit(self) -> float:
        limit = self.loop.time() + self.gap
        return limit if self.heard else min(limit, self.deadline)

    def tool(self, running: bool) -> None:
        if running:
            self._tools += 1
            if self._tools == 1:
                self._tool_started = self.loop.time()
                self._reschedule(None)
            return
        self._tools = max(0, self._tools - 1)
        if self._tools == 0:
            self.deadline += self.loop.time() - self._tool_started
            self._reschedule(self.limit())

    def _reschedule(self, when: float | None) -> None:
        if self.scope is not None and not self.scope.expired():
            with contextlib.suppress(RuntimeError):  # the wait is already over
                self.scope.reschedule(when)


class _ModelFailed(Exception):
    """The model path failed for good this turn; `reason` is its code."""

    def __init__(self, reason: str, cause: BaseException) -> None:
        super().__init__(reason)
        self.reason = reason
        self.cause = cause


class FallbackBrain:
    """The LLM brain, with the scripted brain taking over for the rest of the call when the model fails."""

    name = "llm"  # the call's brain stays "llm"; its metadata notes the fallback

    def __init__(
        self,
        llm: LlmBrain,
        scripted: Callable[[], ScriptedBrain],
        *,
        timeout: float,
        max_retries: int,
        turn_budget: float,
    ) -> None:
        self.llm = llm
        self.session: CallSession = llm.session
        self._make_scripted = scripted
        self.timeout = timeout
        self.max_retries = max_retries
        self.turn_budget = turn_budget
        self.scripted: ScriptedBrain | None = None
        self.fallback_reason: str | None = None
        self._spoke = False  # the model greeted the caller (said more than the recording notice) on this call
        self._offer_on_table: str | None = None
        self._offer_accepted = False  # the engine accepted the offer on the table as the customer put it
        self._clock: ModelClock | None = None  # set while a model turn runs
        llm.tools.listeners.append(self._tool_running)

    @property
    def streaming(self) -> bool:
        return self.scripted is None

    # --- Entry points ------------------------------------------------------------------------------------

    async def process(self, env: TurnEnv, event: InputEvent) -> AsyncIterator[OutputEvent]:
        if self.scripted is not None:
            async for output in self.scripted.process(env, event):
                yield output
            if isinstance(event, CallEnded):
                await self._close_llm(env, event)
            return
        if isinstance(event, CallEnded):
            await self._close_llm(env, event)
            return
        heard = acted = False
        try:
            async for output in self._bounded(env, event):
                if isinstance(output, AgentSendText) and output.text.strip():
                    heard = True
                    # The recording notice alone is not a greeting: the caller still needs one.
                    self._spoke = self._spoke or output.text.strip() != recording_notice()
                elif isinstance(output, AgentToolReturned):
                    acted = acted or self._note_tool(output)
                yield output
        except _ModelFailed as failed:
            async for output in self._take_over(env, event, failed, heard=heard, acted=acted):
                yield output

    def on_keypad(self, env: TurnEnv, button: str) -> AsyncIterator[OutputEvent]:
        """Keypad entry goes through the tools either way (no model call)."""
        brain = self.scripted or self.llm
        return brain.on_keypad(env, button)

    def note_guard(self, held: str, replacement: str, rules: list[str]) -> None:
        (self.scripted or self.llm).note_guard(held, replacement, rules)

    def note_obligation(self, instruction: str) -> None:
        """A legal event code recorded: the model is told (the scripted brain needs no telling)."""
        if self.scripted is None:
            self.llm.note_obligation(instruction)

    # --- The model, bounded --------------------------------------------------------------------------------

    async def _bounded(self, env: TurnEnv, event: InputEvent) -> AsyncIterator[OutputEvent]:
        """The LLM brain's turn with its deadlines: the first words within the turn budget, then no gap
        longer than the request timeout; retried while nothing was heard, the budget allows, and the
        failure is transient. Raises `_ModelFailed` when the model path is given up for this turn."""
        loop = asyncio.get_running_loop()
        clock = self._clock = ModelClock(loop, budget=self.turn_budget, gap=self.timeout)
        retries = 0
        stream = self.llm.process(env, event)
        try:
            while True:
                try:
                    async with asyncio.timeout_at(clock.limit()) as clock.scope:
                        output = await anext(stream)
                except StopAsyncIteration:
                    return
                except Exception as exc:  # every failure of the model path ends in the scripted brain
                    reason = failure_reason(exc)
                    if clock.heard or retries >= self.max_retries or not is_retryable(exc):
                        raise _ModelFailed(reason, exc) from exc
                    delay = retry_delay(exc)
                    if loop.time() + delay >= clock.deadline:
                        raise _ModelFailed(reason, exc) from exc
                    retries += 1
                    logger.info(
                        "call %s: model request failed (%s); retry %d in %.2f s",
                        self.session.call_id,
                        reason,
                        retries,
                        delay,
                    )
                    await _quietly_close(stream)
                    await asyncio.sleep(delay)
                    stream = self.llm.process(env, event)
                    continue
                finally:
                    clock.scope = None
                if isinstance(output, AgentSendText) and output.text.strip():
                    clock.heard = True
                yield output
        finally:
            self._clock = None
            await _quietly_close(stream)

    def _tool_running(self, running: bool) -> None:
        if self._clock is not None:
            self._clock.tool(running)

    def _note_tool(self, output: AgentToolReturned) -> bool:
        """Remember the offer on the table; whether the tool acted on what the customer said."""
        result = output.result if isinstance(output.result, dict) else {}
        name = output.tool_name
        if name == ToolName.EVALUATE_COUNTER_OFFER and isinstance(result.get("offer"), dict):
            self._offer_on_table = str(result["offer"].get("id") or "") or self._offer_on_table
            self._offer_accepted = result.get("decision") == "accept"
        elif name == ToolName.GET_PAYMENT_OPTIONS and result.get("offers"):
            self._offer_on_table = str(result["offers"][0].get("id") or "") or self._offer_on_table
            self._offer_accepted = False
        elif name == ToolName.CONFIRM_ARRANGEMENT and result.get("offer_id"):
            self._offer_on_table = str(result["offer_id"])
        return name not in _NOT_ACTING

    # --- The switch --------------------------------------------------------------------------------------

    async def _take_over(
        self, env: TurnEnv, event: InputEvent, failed: _ModelFailed, *, heard: bool, acted: bool
    ) -> AsyncIterator[OutputEvent]:
        session = self.session
        self.fallback_reason = failed.reason
        logger.warning(
            "call %s: the model failed (%s); the scripted brain continues the call",
            session.call_id,
            failed.reason,
        )
        logger.debug("call %s: model failure", session.call_id, exc_info=failed.cause)
        if session.finished:  # the call ended in this very turn: nothing left to continue or record
            return
        session.record_event(AgentEvent.BRAIN_FALLBACK, failed.reason)
        session.note_metadata({"brain_fallback": failed.reason})
        record_brain_fallback(failed.reason)
        scripted = self._make_scripted()
        scripted.resume(
            greeted=self._spoke, offer_id=self._offer_on_table, offer_accepted=self._offer_accepted
        )
        self.scripted = scripted
        if self._spoke and not heard and isinstance(event, UserTurnEnded) and not scripted.closing:
            yield AgentSendText(text=APOLOGY)
        async for output in scripted.resume_turn(env, event, answered=acted, heard=heard):
            yield output

    async def _close_llm(self, env: TurnEnv, event: CallEnded) -> None:
        """The model's own cleanup at the end of the call; its failure changes nothing for the call."""
        try:
            async for _ in self.llm.process(env, event):
                pass
        except Exception as exc:
            logger.warning("call %s: model cleanup failed (%s)", self.session.call_id, type(exc).__name__)


async def _quietly_close(stream: AsyncIterator[Any]) -> None:
    aclose = getattr(stream, "aclose", None)
    if aclose is None:
        return
    try:
        await aclose()
    except Exception:  # an abandoned model stream may fail as it closes; the turn is already decided
        logger.debug("closing the model stream failed", exc_info=True)
