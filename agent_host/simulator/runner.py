"""Running simulated calls: one persona against an agent host over the real Line websocket protocol, and the
agent host served in-process on a loopback port for tests and the local campaign driver.

    async with serve_agent_host(runtime) as agent_url:
        result = await run_simulated_call(
            agent_url=agent_url, persona="cooperative_payer",
            metadata={"organization_id": str(org_id), "customer_id": str(customer_id)},
            sessions=runtime.sessions,   # read back the stored outcome, transcript and audit findings
        )
        result.outcome, result.findings, result.agent_messages

Without `sessions` the result carries what the wire said (the outcome from the agent's `custom`
`call_finished` frame) and no findings."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
import uvicorn
from sqlalchemy.orm import Session, sessionmaker

from agent_host.simulator.client import AgentTurn, HarnessClient
from agent_host.simulator.personas import HangUp, Identity, Keys, Persona, Say, make_persona
from shared.db.engine import transaction
from shared.db.tables import Call, Customer
from shared.domain import CallOutcome
from shared.integrations.payments import PaymentGateway
from shared.models.calls import TranscriptEntryPublic
from shared.models.findings import Finding
from shared.runtime import Runtime
from shared.services import call_review, calls


@dataclass(frozen=True)
class SimulatedLine:
    """One line of the call as the simulated customer experienced it."""

    speaker: str  # agent, customer, keys, tool
    text: str


@dataclass
class SimulationResult:
    persona: str
    expected_outcome: CallOutcome
    call_id: uuid.UUID
    outcome: CallOutcome | None
    ended_by: str  # agent, transfer, customer, closed
    transcript: list[SimulatedLine] = field(default_factory=list)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    stored_transcript: list[TranscriptEntryPublic] = field(default_factory=list)
    turns: int = 0
    latencies: list[float] = field(default_factory=list)  # user turn end → first agent message, seconds
    frames: list[dict[str, Any]] = field(default_factory=list)  # every frame the agent host sent, in order

    @property
    def agent_messages(self) -> list[str]:
        """Everything the agent said, in order (what the harness would speak)."""
        return [line.text for line in self.transcript if line.speaker == "agent"]

    @property
    def reached_expected(self) -> bool:
        return self.outcome is self.expected_outcome

    def as_dict(self) -> dict[str, Any]:
        return {
            "persona": self.persona,
            "call_id": str(self.call_id),
            "outcome": self.outcome.value if self.outcome else None,
            "expected_outcome": self.expected_outcome.value,
            "ended_by": self.ended_by,
            "turns": self.turns,
            "transcript": [{"speaker": line.speaker, "text": line.text} for line in self.transcript],
            "findings": [finding.model_dump(mode="json") for finding in self.findings],
        }


def load_identity(sessions: sessionmaker[Session], customer_id: uuid.UUID) -> Identity:
    """The simulated person's own facts, from the customer row (a test stand-in for their memory)."""
    with transaction(sessions) as session:
        row = session.get(Customer, customer_id)
        if row is None:
            raise LookupError(f"no customer {customer_id}")
        return Identity(name=row.name, account_last4=row.account_last_4, postal_code=row.postal_code)


def _identity_for(sessions: sessionmaker[Session], customer_id: Any, call_id: uuid.UUID) -> Identity | None:
    """The identity of the customer the call is for: from `metadata.customer_id`, else the existing call row."""
    if not customer_id:
        with transaction(sessions) as session:
            customer_id = session.scalar(sa.select(Call.customer_id).where(Call.id == call_id))
    if not customer_id:
        return None
    try:
        return load_identity(sessions, uuid.UUID(str(customer_id)))
    except (LookupError, ValueError):
        return None


def _record_turn(result: SimulationResult, turn: AgentTurn) -> None:
    result.transcript += [SimulatedLine(speaker, text) for speaker, text in turn.lines]
    result.tool_calls += [call for call in turn.tool_calls if call.get("result") is not None]
    for custom in turn.custom:
        if custom.get("event") == "call_finished" and custom.get("outcome"):
            result.outcome = CallOutcome(str(custom["outcome"]))


async def run_simulated_call(
    *,
    agent_url: str,
    persona: str | Persona,
    metadata: dict[str, Any] | None = None,
    identity: Identity | None = None,
    sessions: sessionmaker[Session] | None = None,
    timeout: float = 15.0,
    max_turns: int = 60,
    token: str | None = None,
) -> SimulationResult:
    """Play one call: `persona` (a name from PERSONAS, or an instance) against the agent host at
    `agent_url` (`ws://host:port/ws`, or an http base such as `http://127.0.0.1:7071/agent`).

    `metadata` is the harness `start` metadata (`organization_id`, `customer_id`, `tactic_name`,
    `direction`, `call_id`, ...); a `call_id` is made when absent. `identity` is what the person knows
    (name, last 4, ZIP); with `sessions` and no identity it is read from the customer row. With
    `sessions`, the result has the stored outcome, transcript and the auditor's findings. `token` is the
    agent host's ARCHER_AGENT_TOKEN when it requires one."""
    meta = dict(metadata or {})
    call_id = uuid.UUID(str(meta.get("call_id") or uuid.uuid4()))
    meta["call_id"] = str(call_id)
    if identity is None and sessions is not None:
        identity = await asyncio.to_thread(_identity_for, sessions, meta.get("customer_id"), call_id)
    player = persona if isinstance(persona, Persona) else make_persona(persona, identity)
    meta.setdefault("persona", player.name)
    result = SimulationResult(
        persona=player.name,
        expected_outcome=player.expected,
        call_id=call_id,
        outcome=None,
        ended_by="closed",
    )
    async with HarnessClient.open(agent_url, timeout=timeout, token=token) as client:
        await client.start(
            call_id=str(call_id),
            metadata=meta,
            from_number=str(meta.get("from") or "unknown"),
            to_number=str(meta.get("to") or "unknown"),
        )
        await _play(client, player, result, inbound=meta.get("direction") == "inbound", max_turns=max_turns)
        await client.close()
        result.latencies = client.latencies
        result.frames = client.frames
    if sessions is not None:
        await _read_back(result, sessions, timeout)
    elif result.outcome is None and result.ended_by in {"customer", "closed"}:
        result.outcome = CallOutcome.ABANDONED
    return result


async def _play(
    client: HarnessClient, player: Persona, result: SimulationResult, *, inbound: bool, max_turns: int
) -> None:
    """The conversation: the agent answers the start, the person picks up, then turn after turn."""
    turn = await client.read_turn()  # the agent's answer to the call starting
    _record_turn(result, turn)
    await client.acknowledge(turn.messages)
    opening = player.opening()
    if not turn.messages and not turn.finished and not inbound and isinstance(opening, Say):
        turn = await _say(client, result, opening.text)
    while not turn.finished and result.turns < max_turns:
        result.turns += 1
        for action in player.respond(turn.text):
            if isinstance(action, HangUp):
                result.ended_by = "customer"
                return
            if isinstance(action, Say):
                turn = await _say(client, result, action.text)
            elif isinstance(action, Keys):
                turn = await _press(client, result, action.buttons)
            if turn.finished:
                break
    result.ended_by = "agent" if turn.ended else "transfer" if turn.transferred_to else result.ended_by


async def _say(client: HarnessClient, result: SimulationResult, text: str) -> AgentTurn:
    result.transcript.append(SimulatedLine("customer", text))
    await client.say(text)
    turn = await client.read_turn()
    _record_turn(result, turn)
    await client.acknowledge(turn.messages)
    return turn


async def _press(client: HarnessClient, result: SimulationResult, buttons: str) -> AgentTurn:
    """Keys pressed one at a time, each answered (with nothing, mostly) before the next."""
    result.transcript.append(SimulatedLine("keys", "*" * len(buttons)))
    merged = AgentTurn()
    for button in buttons:
        await client.press(button)
        step = await client.read_turn()
        merged.messages += step.messages
        merged.tool_calls += step.tool_calls
        merged.lines += step.lines
        merged.custom += step.custom
        merged.ended, merged.transferred_to, merged.closed = step.ended, step.transferred_to, step.closed
        if step.finished:
            break
    _record_turn(result, merged)
    await client.acknowledge(merged.messages)
    return merged


async def _read_back(result: SimulationResult, sessions: sessionmaker[Session], timeout: float) -> None:
    """Wait for the host to finalize the call (it does so on its own after a hang-up), then read it."""
    deadline = time.monotonic() + timeout

    def load() -> tuple[CallOutcome | None, list[TranscriptEntryPublic], list[Finding]] | None:
        with transaction(sessions) as session:
            row = session.scalar(sa.select(Call).where(Call.id == result.call_id))
            if row is None or row.outcome is None:
                return None
            org_id = row.organization_id
            entries = calls.list_entries(session=session, org_id=org_id, call_id=row.id)
            review = call_review.review_call(session=session, org_id=org_id, call_id=row.id)
            return row.outcome, entries, review.findings

    while True:
        loaded = await asyncio.to_thread(load)
        if loaded is not None:
            result.outcome, result.stored_transcript, result.findings = loaded
            return
        if time.monotonic() > deadline:
            return  # not stored (no organization) or not finalized in time: keep what the wire said
        await asyncio.sleep(0.02)


@contextlib.asynccontextmanager
async def serve_app(app: Any, *, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
    """Serve an ASGI app on a loopback port inside the running event loop; yields `http://host:port` and
    stops the server on exit (no lifespan: whoever built the app owns its resources)."""
    config = uvicorn.Config(
        app, host=host, port=port, log_config=None, lifespan="off", ws="websockets-sansio"
    )
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("the server did not start")
        await asyncio.sleep(0.005)
    bound = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{bound}"
    finally:
        server.should_exit = True
        await task


@contextlib.asynccontextmanager
async def serve_agent_host(
    runtime: Runtime, *, gateway: PaymentGateway | None = None, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[str]:
    """Serve an agent host for `runtime` on a loopback port inside the running event loop; yields its
    websocket URL (`ws://127.0.0.1:<port>/ws`) and stops the server on exit. The runtime stays open."""
    from agent_host.app import AgentHost

    async with serve_app(AgentHost(runtime, gateway=gateway).fastapi_app, host=host, port=port) as base:
        yield base.replace("http://", "ws://", 1) + "/ws"
