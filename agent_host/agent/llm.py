"""The LLM brain: the Line SDK's `LlmAgent` (LiteLLM underneath) on an OpenAI chat model, with the system
prompt rendered from the organization's prompt template, the call's tactic and the customer's name — and no
account facts: those reach the model only through `get_account_summary` after verification. It acts only
through the call's tools and everything it says passes the output guard.

Settings: `ARCHER_LLM_MODEL` (default gpt-4o-mini), `OPENAI_API_KEY` (selects this brain),
`OPENAI_BASE_URL` (any OpenAI-compatible server; the tests use a local fake), `ARCHER_LLM_TIMEOUT_SECONDS`
(each request). What happens when the model fails is `agent_host.agent.fallback`'s business."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import litellm
from line.agent import TurnEnv
from line.events import InputEvent, OutputEvent, UserTextSent, UserTurnEnded
from line.llm_agent import LlmAgent, LlmConfig

from agent_host.session import CallSession
from agent_host.tools import AgentTools
from shared.config import Settings
from shared.domain import CallDirection
from shared.policy.card_data import redact_card_data
from shared.services import prompts

# LiteLLM prints a help banner to stdout on every failed request; `FallbackBrain` logs each failure once.
litellm.suppress_debug_info = True


def system_prompt(session: CallSession) -> str:
    """The organization's `collections_agent` template filled in for this call (the same values and renderer
    as the API's prompt preview: `shared.services.prompts`)."""
    context = session.context
    values = prompts.agent_prompt_values(
        agent_name=context.settings.agent_name,
        organization_name=context.business_name,
        customer_name=context.customer.name if context.customer else None,
        tactic=context.tactic,
        today=context.today,
    )
    return prompts.render_system_prompt(context.prompt, values)


def _without_card_numbers(event: InputEvent, *, expecting_card: bool = False) -> InputEvent:
    """The event as the model may see it: card data the customer said aloud (a card number in any spoken
    form, an expiry, a security code) never reaches the model, in this turn or any earlier one. Each
    utterance is read the way the transcript reads it (`CallSession.redact_customer_text`): one right after
    an utterance with card data, or the current one while a card is being captured (`expecting_card`), may
    hold a bare expiry or security code."""
    heard = False

    def clean(item: Any) -> Any:
        nonlocal heard
        if isinstance(item, UserTurnEnded):
            parts = [part for part in item.content if isinstance(part, UserTextSent)]
            text = " ".join(part.content for part in parts).strip()
            expecting = heard or (expecting_card and item.event_id == event.event_id)
            redaction = redact_card_data(text, expecting_card=expecting)
            heard = bool(redaction.found)
            if not redaction.found:
                return item
            spoken = parts[0].model_copy(update={"content": redaction.text})
            kept = [part for part in item.content if not isinstance(part, UserTextSent)]
            return item.model_copy(update={"content": [spoken, *kept]})
        if isinstance(item, UserTextSent):
            redaction = redact_card_data(item.content, expecting_card=heard or expecting_card)
            if not redaction.found:
                return item
            heard = True  # the rest of a number may follow in the turn's next piece
            return item.model_copy(update={"content": redaction.text})
        return item

    if event.history is None:
        return clean(event)  # type: ignore[no-any-return]
    cleaned = [clean(item) for item in event.history]
    this = next((item for item in reversed(cleaned) if item.event_id == event.event_id), None)
    return (this or clean(event)).model_copy(update={"history": cleaned})  # type: ignore[no-any-return]


class LlmBrain:
    name = "llm"
    streaming = True

    def __init__(self, session: CallSession, tools: AgentTools, settings: Settings) -> None:
        if settings.openai_api_key is None:
            raise ValueError("the LLM brain needs OPENAI_API_KEY")
        self.session = session
        self.tools = tools
        context = session.context
        introduction = None
        if context.direction is CallDirection.INBOUND and context.customer is not None:
            introduction = (
                f"Thank you for calling {context.business_name}, this is {context.settings.agent_name}. "
                "May I have your full name, please?"
            )
        # LiteLLM's own retries are off (`num_retries` for its wrapper, `max_retries` for the OpenAI client):
        # `FallbackBrain` retries within the caller's turn budget and honours Retry-After, which they do not.
        extra: dict[str, Any] = {
            "timeout": settings.llm_timeout_seconds,
            "num_retries": 0,
            "max_retries": 0,
        }
        if settings.openai_base_url:
            extra["api_base"] = settings.openai_base_url
        self.agent = LlmAgent(
            model=settings.llm_model,
            api_key=settings.openai_api_key.get_secret_value(),
            tools=list(tools.line_tools()),
            config=LlmConfig(
                system_prompt=system_prompt(session),
                introduction=introduction or "",
                temperature=0.2,
                extra=extra,
            ),
        )

    async def process(self, env: TurnEnv, event: InputEvent) -> AsyncIterator[OutputEvent]:
        seen = _without_card_numbers(event, expecting_card=self.session.capture is not None)
        async for output in self.agent.process(env, seen):
            yield output

    async def on_keypad(self, env: TurnEnv, button: str) -> AsyncIterator[OutputEvent]:
        """Keypad entry is handled by the tools, out of the model's sight; the model learns the result."""
        async for item in self.tools.handle_keypad(button):
            if isinstance(item, dict):
                self._note(f"Card payment result: {json.dumps(item)}")
            else:
                yield item

    def note_guard(self, held: str, replacement: str, rules: list[str]) -> None:
        self._note(
            "Compliance guard: a message of yours was not spoken because it broke these rules: "
            f"{', '.join(rules)}. The customer heard instead: {replacement!r}. Follow the rules: verify first, "
            "give the mini-Miranda before account details, quote only figures your tools returned."
        )

    def note_obligation(self, instruction: str) -> None:
        """A legal event the caller raised, recorded by code: what the model must and must not do now."""
        self._note(f"Obligation (recorded by the system; follow it): {instruction}")

    def _note(self, text: str) -> None:
        """A system note for the model. Anchored at the start of the history: the SDK drops unacknowledged
        agent text from it later, so an anchor at the end could vanish."""
        history = self.agent.history
        first = next(iter(history), None)
        if first is None:
            history.add_entry(text, role="system")
        else:
            history.add_entry(text, role="system", before=first)
