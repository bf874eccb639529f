"""The local server's test calls: each one a simulated customer playing the chosen persona against the real
agent over its websocket (with the agent token), run in the background of the server's event loop. The API
route (`functions.api.routes.testcalls`) finds this runner on `app.state.test_calls`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from dev_server.campaigns import AgentUrl
from shared.db.engine import transaction
from shared.runtime import Runtime
from shared.services import testcalls
from shared.services.testcalls import TestCallPlan

logger = logging.getLogger(__name__)


class SimulatedTestCalls:
    """Runs test calls with the agent host's simulated personas; `aclose` cancels those still running."""

    def __init__(self, runtime: Runtime, agent_url: AgentUrl, *, timeout: float = 30.0) -> None:
        from agent_host.simulator import PERSONAS

        self._runtime, self._agent_url, self._timeout = runtime, agent_url, timeout
        self._personas = sorted(PERSONAS)
        self._token = (
            runtime.settings.agent_token.get_secret_value() if runtime.settings.agent_token else None
        )
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def personas(self) -> Sequence[str]:
        return self._personas

    def start(self, plan: TestCallPlan) -> None:
        task = asyncio.get_running_loop().create_task(self._run(plan))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, plan: TestCallPlan) -> None:
        from agent_host.simulator import load_identity, run_simulated_call

        try:
            url = self._agent_url if isinstance(self._agent_url, str) else await self._agent_url()
            identity = await asyncio.to_thread(load_identity, self._runtime.sessions, plan.customer_id)
            metadata = {
                "organization_id": str(plan.organization_id),
                "customer_id": str(plan.customer_id),
                "call_id": str(plan.call_id),
                "call_type": "test",
                "direction": "outbound",
                "to": plan.to_number,
            }
            if plan.account_id is not None:
                metadata["account_id"] = str(plan.account_id)
            if plan.tactic_name is not None:
                metadata["tactic_name"] = plan.tactic_name
            await run_simulated_call(
                agent_url=url,
                persona=plan.persona,
                identity=identity,
                metadata=metadata,
                timeout=self._timeout,
                token=self._token,
            )
        except asyncio.CancelledError:
            await asyncio.shield(asyncio.to_thread(self._fail, plan))
            raise
        except Exception as exc:  # a broken simulated call ends failed, never stays queued
            logger.warning("test call %s failed: %s", plan.call_id, exc)
            await asyncio.to_thread(self._fail, plan)

    def _fail(self, plan: TestCallPlan) -> None:
        with transaction(self._runtime.sessions) as session:
            testcalls.record_failed(session=session, org_id=plan.organization_id, call_id=plan.call_id)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
