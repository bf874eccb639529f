"""The agent host application: a Line `VoiceAgentApp` (`/chats`, `/ws`, `/status`) whose `get_agent` builds
one agent per call — its context, session, tools, brain and output guard — from the harness's `start`
message.

Standalone: `python -m agent_host` serves `create_app()` (port from `PORT`). Locally, `archer serve` mounts
`AgentHost(runtime).fastapi_app` under `/agent`. Mounted apps get no lifespan, so nothing here depends on
startup or shutdown events: everything per call is created in `get_agent` and closed when the call ends,
and the runtime belongs to whoever built it. The one process-wide task, the configuration cache's
invalidation listener, starts in the lifespan where there is one and on the first call otherwise; it stops
with the runtime."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

from fastapi import FastAPI
from line import AgentEnv, CallRequest, VoiceAgentApp
from line.events import UserTurnStarted

from agent_host.access import AgentAccess, required_token
from agent_host.agent.fallback import FallbackBrain
from agent_host.agent.llm import LlmBrain
from agent_host.agent.scripted import ScriptedBrain
from agent_host.context import CallContext, load_call_context
from agent_host.guard import Brain, GuardedAgent, run_filter
from agent_host.live_events import mount_live_events
from agent_host.logs import install_sdk_log_redaction
from agent_host.obligations import Obligations
from agent_host.recorder import CallRecorder
from agent_host.session import CallSession
from agent_host.tools import AgentTools
from shared.db.base import utcnow
from shared.integrations.payments import PaymentGateway, make_gateway
from shared.runtime import Runtime, build_runtime
from shared.services.telephony import CallRecordings
from shared.telemetry import (
    SPAN_AGENT_SETUP,
    current_traceparent,
    register_settings_secrets,
    set_span_attributes,
    span,
    traceparent_from,
)

logger = logging.getLogger(__name__)

BRAINS = ("scripted", "llm")


class AgentHost:
    """Builds agents for calls. One per process; `fastapi_app` is the ASGI app to serve or mount."""

    def __init__(self, runtime: Runtime, *, gateway: PaymentGateway | None = None) -> None:
        self.runtime = runtime
        self.gateway = gateway or make_gateway(runtime.settings)
        # Real (Twilio) calls pause their recording while card digits are keyed; simulated ones have none.
        self.recordings = CallRecordings.from_settings(runtime.settings, runtime.sessions)
        required_token(runtime.settings)  # production without ARCHER_AGENT_TOKEN stops here, at startup
        register_settings_secrets(runtime.settings)  # the token, API keys: masked in every log record
        self.voice_app = VoiceAgentApp(get_agent=self.get_agent)
        self.voice_app.fastapi_app.add_middleware(AgentAccess, runtime=runtime)
        install_sdk_log_redaction()

    @property
    def fastapi_app(self) -> FastAPI:
        app: FastAPI = self.voice_app.fastapi_app
        return app

    def brain_for(self, call_request: CallRequest) -> str:
        """The LLM brain when OPENAI_API_KEY is set, else the scripted one; `metadata.brain` may ask for the
        scripted brain (test calls, benchmarks) but never for an LLM that is not configured."""
        requested = str((call_request.metadata or {}).get("brain") or "")
        if requested == "scripted" or self.runtime.settings.openai_api_key is None:
            return "scripted"
        return "llm"

    async def get_agent(self, env: AgentEnv, call_request: CallRequest) -> Any:
        brain_name = self.brain_for(call_request)
        # The configuration cache runs its shared-cache calls on this loop (the cache client's) and, where
        # the host got no lifespan (mounted), starts its invalidation listener here.
        self.runtime.config.bind_loop()
        self.runtime.config.ensure_started()
        traceparent = traceparent_from(call_request.metadata)
        context = await asyncio.to_thread(self._load, call_request, brain_name, traceparent)

        recorder = CallRecorder(
            self.runtime, context.org_id, context.call_id, first_sequence=context.next_sequence
        )
        session = CallSession(runtime=self.runtime, context=context, recorder=recorder)
        tools = AgentTools(session, self.gateway, self.recordings)
        brain: Brain = ScriptedBrain(session, tools)  # unknown parties always get the fixed greeting
        if brain_name == "llm" and context.customer is not None:
            settings = self.runtime.settings
            try:
                brain = FallbackBrain(
                    LlmBrain(session, tools, settings),
                    lambda: ScriptedBrain(session, tools),
                    timeout=settings.llm_timeout_seconds,
                    max_retries=settings.llm_max_retries,
                    turn_budget=settings.llm_turn_budget_seconds,
                )
            except Exception:  # a misconfigured model must not leave a started call without an agent
                logger.exception(
                    "call %s: the LLM brain could not start; using the scripted brain", context.call_id
                )
        logger.info("call %s: %s brain, direction %s", context.call_id, brain.name, context.direction.value)
        obligations = Obligations(session, tools, note=getattr(brain, "note_obligation", None))
        return (GuardedAgent(brain, session, obligations), run_filter, [UserTurnStarted])

    def _load(self, call_request: CallRequest, brain: str, traceparent: str | None) -> CallContext:
        """The call's context, in a span that continues the call's trace (its `traceparent` travels in the
        start metadata from the dial or webhook that placed or answered the call). The turns continue the
        same trace — this span's own when the call came without one, so a call is one trace either way."""
        with span(SPAN_AGENT_SETUP, parent=traceparent, brain=brain):
            context = load_call_context(
                self.runtime.sessions, call_request, brain=brain, now=utcnow(), config=self.runtime.config
            )
            set_span_attributes(call_id=context.call_id, organization_id=context.org_id)
            return replace(context, traceparent=traceparent or current_traceparent())


def create_app(runtime: Runtime | None = None, *, gateway: PaymentGateway | None = None) -> FastAPI:
    """The standalone agent host: `/chats`, `/ws`, `/status`; closes the runtime on shutdown."""
    runtime = runtime or build_runtime()
    host = AgentHost(runtime, gateway=gateway)
    app = host.fastapi_app
    app.state.agent_host = host

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await runtime.config.start()  # configuration edits drop this process's cached copies at once
        yield
        await live.aclose()
        await runtime.aclose()

    app.router.lifespan_context = lifespan
    live = mount_live_events(app, runtime)  # Socket.IO at /socket.io: replicas share events through Redis
    return app
