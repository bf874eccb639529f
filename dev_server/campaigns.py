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
import logging
from collections.abc import AsyncIterator
from typing import Any

from functions.campaigns.activities import CampaignDeps, Clock, RealClock
from functions.campaigns.driver import LocalCampaignRuns, LocalDriver, Registry
from shared.errors import ExternalServiceError
from shared.models.campaigns import DialReceipt, DialRequest
from shared.runtime import Runtime

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


def make_simulated_dialer(runtime: Runtime, driver: LocalDriver) -> Any:
    """The simulated-customer dialer, or `SimulatorUnavailable` until the agent host's simulator ships."""
    try:
        import agent_host.simulator  # noqa: F401 - probing for the optional agent host
    except ImportError:
        logger.info("campaign calls: agent_host.simulator is not installed; simulated calls are refused")
        return SimulatorUnavailable()
    return SimulatorUnavailable()


def build_local_campaigns(
    runtime: Runtime, *, clock: Clock | None = None, threads: int = 4
) -> tuple[LocalDriver, LocalCampaignRuns]:
    """A driver over the runtime's database and event bus, dialing simulated customers."""
    clock = clock or RealClock()
    deps = CampaignDeps(
        sessions=runtime.sessions, dialer=SimulatorUnavailable(), clock=clock, bus=runtime.cache
    )
    driver = LocalDriver(
        sessions=runtime.sessions, registry=Registry.for_campaigns(deps), clock=clock, threads=threads
    )
    deps.dialer = make_simulated_dialer(runtime, driver)
    return driver, LocalCampaignRuns(driver)


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
