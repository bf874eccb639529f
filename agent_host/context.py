"""The adapter between the Line harness and call setup: turns a `CallRequest` into the plain arguments of
`shared.services.call_setup.load_call_setup`. What a call is set up with, and the rules that decide it, live
in `shared` (`shared.services.call_setup`, `shared.policy.call_setup`); the agent host calls the result the
call's context."""

from __future__ import annotations

from datetime import datetime

from line import CallRequest
from sqlalchemy.orm import Session, sessionmaker

from shared.services.call_setup import (
    AGENT_PROMPT_NAME,
    DEFAULT_TACTIC,
    CallSetup,
    ConfigReads,
    DatabaseConfig,
    load_call_setup,
)

CallContext = CallSetup

__all__ = [
    "AGENT_PROMPT_NAME",
    "DEFAULT_TACTIC",
    "CallContext",
    "ConfigReads",
    "DatabaseConfig",
    "load_call_context",
]


def load_call_context(
    sessions: sessionmaker[Session],
    call_request: CallRequest,
    *,
    brain: str,
    now: datetime,
    config: ConfigReads | None = None,
) -> CallContext:
    """Set up the call the harness started (blocking: run it in a worker thread). Raises what
    `load_call_setup` raises (InvalidInput for malformed start metadata)."""
    return load_call_setup(
        sessions=sessions,
        metadata=call_request.metadata or {},
        harness_call_id=call_request.call_id,
        to_number=call_request.to,
        from_number=call_request.from_,
        brain=brain,
        now=now,
        config=config,
    )
