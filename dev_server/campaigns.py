"""Local campaigns: the in-process driver wired with simulated customers, for `archer serve`, `archer campaign
run --simulate` and the benchmark. The composition root's corner that may import the agent host: the
driver itself (`functions.campaigns.driver`) never does.

The dialer places each campaign call as a simulated call — the agent host's simulator running a persona over
the real Line websocket protocol against the real agent — in the background; when it ends, its outcome is
written on the call row (as Twilio's status callback would) and `call_completed` raised on the attempt's
orchestration."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy.orm import Session, sessionmaker

from functions.campaigns.activities import CampaignDeps, Clock, RealClock
from functions.campaigns.driver import LocalCampaignRuns, LocalDriver, Registry, VirtualClock
from shared import telemetry
from shared.config import Settings
from shared.db.engine import transaction
from shared.domain import CallStatus
from shared.errors import ExternalServiceError
from shared.models.campaigns import CALL_COMPLETED_EVENT, CallCompleted, DialReceipt, DialRequest
from shared.runtime import Runtime
from shared.services import campaigns

AgentUrl = str | Callable[[], Awaitable[str]]

logger = logging.getLogger(__name__)


class SimulatorUnavailable:
    """The dialer when the agent host's simulator is not installed: every call is refused for good, with a
    reason that says so (targets end blocked rather than waiting forever)."""

    async def dial(self, request: DialRequest) -> DialReceipt:
        raise ExternalServiceError(
            "simulated customers are not available: the agent host's simulator (agent_host.simulator) is missing",
            service="simulator",
            is_transient=False,
        )


# Who answers a simulated campaign call. The carrier's side (no answer, busy) is decided here; whoever
# picks up is a persona of the agent host's simulator talking to the real agent over the Line protocol.
PICKUP = (("no_answer", 22), ("busy", 5), ("answered", 73))
PERSONA_MIX = (
    ("cooperative_payer", 22), ("needs_plan", 14), ("settlement_seeker", 9), ("hardship", 9),
    ("hostile_refuser", 8), ("voicemail", 16), ("busy_callback", 6), ("wrong_person", 4), ("disputes_debt", 4),
    ("asks_for_human", 3), ("stop_calling", 2), ("fails_verification", 3),
)  # fmt: skip


def _pick(choices: tuple[tuple[str, int], ...], *key: object) -> str:
    """A deterministic weighted choice: the same customer and attempt always get the same answer."""
    digest = hashlib.blake2b(":".join(str(part) for part in key).encode(), digest_size=8).digest()
    point = int.from_bytes(digest, "big") % sum(weight for _, weight in choices)
    for name, weight in choices:
        if point < weight:
            return name
        point -= weight
    raise AssertionError("unreachable")


class SimulatedCustomerDialer:
    """Places campaign calls with simulated customers: the call runs in the background on the driver (so the
    virtual clock waits for it), its end is written on the call row as Twilio's status callback would, and
    `call_completed` is raised on the attempt's orchestration."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        host: LocalDriver,
        agent_url: AgentUrl,
        token: str | None = None,
    ) -> None:
        self._sessions, self._host, self._agent_url, self._token = sessions, host, agent_url, token

    async def dial(self, request: DialRequest) -> DialReceipt:
        # Called inside the campaign's `call.dial` span: the call carries its trace to the agent (start
        # metadata) and to the end-of-call write, as the Twilio webhooks carry it for real calls.
        self._host.spawn(self._call(request, telemetry.current_traceparent()))
        return DialReceipt(call_sid=None, status=CallStatus.RINGING)

    async def _call(self, request: DialRequest, traceparent: str | None = None) -> None:
        from agent_host.simulator import load_identity, run_simulated_call

        fate = _pick(PICKUP, request.customer_id, request.attempt_number, "pickup")
        completed: CallCompleted
        if fate != "answered":
            await asyncio.sleep(0.05)
            status = CallStatus.NO_ANSWER if fate == "no_answer" else CallStatus.BUSY
            completed = CallCompleted(call_id=request.call_id, status=status)
        else:
            persona = _pick(PERSONA_MIX, request.customer_id, request.attempt_number, "persona")
            url = self._agent_url if isinstance(self._agent_url, str) else await self._agent_url()
            try:
                # What the person knows about themselves; the outcome comes back on the wire (the agent
                # stores the call itself), so the call is not read back here.
                identity = await asyncio.to_thread(load_identity, self._sessions, request.customer_id)
                result = await run_simulated_call(
                    agent_url=url,
                    persona=persona,
                    identity=identity,
                    metadata=telemetry.inject_traceparent(
                        {
                            "organization_id": str(request.organization_id),
                            "customer_id": str(request.customer_id),
                            "call_id": str(request.call_id),
                            "campaign_id": str(request.campaign_id),
                            "campaign_target_id": str(request.campaign_target_id),
                            "direction": "outbound",
                            "to": request.to_number,
                        },
                        traceparent=traceparent,
                    ),
                    timeout=30.0,
                    token=self._token,
                )
            except Exception as exc:  # a simulated call that breaks is a failed call, not a stuck one
                logger.warning("simulated call %s failed: %s", request.call_id, exc)
                completed = CallCompleted(call_id=request.call_id, status=CallStatus.FAILED)
            else:
                completed = CallCompleted(
                    call_id=request.call_id,
                    status=CallStatus.COMPLETED,
                    outcome=result.outcome,
                    answered_by="machine_end_beep" if persona == "voicemail" else "human",
                    duration_seconds=max(1, result.turns * 6),
                )
        ended = self._host.clock.now()

        def write() -> None:
            # What Twilio's status callback does for a real call, in the call's trace.
            with (
                telemetry.span(
                    telemetry.SPAN_CALL_STATUS, parent=traceparent, call_id=request.call_id,
                    organization_id=request.organization_id, status=completed.status, outcome=completed.outcome,
                    simulated=True,
                ),
                transaction(self._sessions) as session,
            ):  # fmt: skip
                campaigns.record_call_end(
                    session=session, org_id=request.organization_id, call_id=request.call_id, completed=completed,
                    ended_at=ended,
                )  # fmt: skip

        await asyncio.to_thread(write)
        await self._host.raise_event(
            request.orchestration_instance_id, CALL_COMPLETED_EVENT, completed.model_dump(mode="json")
        )


def simulator_available() -> bool:
    try:
        import agent_host.simulator  # noqa: F401 - probing for the agent host's simulator
    except ImportError:
        return False
    return True


class AgentUrlSlot:
    """The agent host's URL, known once the server's lifespan has started it (calls wait for it)."""

    def __init__(self) -> None:
        self._url: asyncio.Future[str] | None = None

    def _future(self) -> asyncio.Future[str]:
        if self._url is None:
            self._url = asyncio.get_running_loop().create_future()
        return self._url

    def set(self, url: str) -> None:
        if not self._future().done():
            self._future().set_result(url)

    async def __call__(self) -> str:
        return await self._future()


@contextlib.asynccontextmanager
async def agent_for_simulation(runtime: Runtime) -> AsyncIterator[str | None]:
    """Serve the agent host on a loopback port for simulated calls, yielding its URL (None without it)."""
    if not simulator_available():
        yield None
        return
    from agent_host.simulator import serve_agent_host

    async with serve_agent_host(runtime) as url:
        yield url


def make_simulated_dialer(runtime: Runtime, driver: LocalDriver, agent_url: AgentUrl | None) -> Any:
    """The simulated-customer dialer, or `SimulatorUnavailable` when the agent host's simulator is missing
    or no agent URL was given."""
    if agent_url is None or not simulator_available():
        logger.info("campaign calls: no simulated customers here (agent host simulator or URL missing)")
        return SimulatorUnavailable()
    token = runtime.settings.agent_token.get_secret_value() if runtime.settings.agent_token else None
    return SimulatedCustomerDialer(sessions=runtime.sessions, host=driver, agent_url=agent_url, token=token)


def server_clock(settings: Settings) -> Clock:
    """The local server's campaign clock (`ARCHER_CAMPAIGN_CLOCK`): virtual for simulated telephony, so a
    campaign started at night reaches its customers' windows in minutes; real for real calls."""
    choice = settings.campaign_clock
    if choice == "auto":
        choice = "virtual" if settings.describe_adapters()["telephony"] == "simulated" else "real"
    return VirtualClock(datetime.now(UTC)) if choice == "virtual" else RealClock()


class LocalCampaigns(NamedTuple):
    driver: LocalDriver
    runs: LocalCampaignRuns
    dialer: Any  # SimulatedCustomerDialer or SimulatorUnavailable


def build_local_campaigns(
    runtime: Runtime, *, clock: Clock | None = None, agent_url: AgentUrl | None = None, threads: int = 4
) -> LocalCampaigns:
    """A driver over the runtime's database and event bus, dialing simulated customers through the agent
    host at `agent_url` (a `ws://.../ws` URL, or an async function returning it once it serves)."""
    clock = clock or RealClock()
    deps = CampaignDeps(
        sessions=runtime.sessions, dialer=SimulatorUnavailable(), clock=clock, bus=runtime.cache
    )
    driver = LocalDriver(
        sessions=runtime.sessions, registry=Registry.for_campaigns(deps), clock=clock, threads=threads
    )
    deps.dialer = make_simulated_dialer(runtime, driver, agent_url)
    return LocalCampaigns(driver, LocalCampaignRuns(driver), deps.dialer)


@contextlib.asynccontextmanager
async def serving(driver: LocalDriver) -> AsyncIterator[None]:
    """Drive campaigns in the background for as long as the block runs (the local server's lifespan). A
    database that is not ready yet (not migrated) is retried, not fatal."""

    async def supervise() -> None:
        while True:
            try:
                await driver.serve()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # keep the server up; the driver retries
                logger.warning("campaign driver stopped: %s; retrying in 5 s", exc)
                await asyncio.sleep(5)

    task = asyncio.get_running_loop().create_task(supervise())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await driver.aclose()
