"""The two ports of campaign orchestration.

- `Dialer`: places one campaign call. Twilio in Azure (a small class over the Twilio adapter), the simulated
  customer locally (`dev_server`), a recording fake in tests. It only *places* the call; whoever learns the
  call's end (Twilio's status webhook, the simulator) writes it on the call row and raises `call_completed`
  on the orchestration instance named in the call's metadata.
- `CampaignRuns`: what the API, the CLI and the scheduler need of the orchestration engine: start a run,
  pause, resume, cancel, status. `DurableCampaignRuns` drives Azure Durable Functions through the Durable
  client of the current invocation; `functions.campaigns.driver.LocalCampaignRuns` drives the local driver.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any, Literal, Protocol

from pydantic import BaseModel

from functions.campaigns.orchestrator import CAMPAIGN_ORCHESTRATOR, CONTROL_EVENT, RunInput
from shared.errors import ExternalServiceError
from shared.models.campaigns import DialReceipt, DialRequest

logger = logging.getLogger(__name__)

ControlAction = Literal["pause", "resume", "cancel"]


class Dialer(Protocol):
    async def dial(self, request: DialRequest) -> DialReceipt:
        """Place the call. Raise `ExternalServiceError(is_transient=True)` only when the call was certainly
        not placed (it is then safe to dial again), `is_transient=False` when it never will be (an invalid
        number). Any other exception is taken as "may have been placed": the attempt counts and is never
        redialed."""
        ...


class RunStatus(BaseModel):
    """An orchestration instance as the engine reports it."""

    instance_id: str
    runtime_status: str  # Pending, Running, Completed, ContinuedAsNew, Failed, Terminated, ...
    created_at: datetime | None = None
    last_updated_at: datetime | None = None
    output: Any = None
    custom_status: Any = None


ACTIVE_RUNTIME_STATUSES = frozenset({"Pending", "Running", "ContinuedAsNew", "Suspended"})


class CampaignRuns(Protocol):
    async def start_run(self, *, org_id: uuid.UUID, campaign_id: uuid.UUID, instance_id: str) -> None:
        """Start the run's orchestration under `instance_id`; a no-op when that instance is already active."""
        ...

    async def control(self, instance_id: str, action: ControlAction) -> None:
        """Wake the run up to obey a pause, resume or cancel already written to the database."""
        ...

    async def status(self, instance_id: str) -> RunStatus | None: ...

    async def raise_event(self, instance_id: str, event_name: str, payload: dict[str, Any]) -> None:
        """Raise an external event (the Twilio status webhook's `call_completed`)."""
        ...


def run_input(org_id: uuid.UUID, campaign_id: uuid.UUID) -> dict[str, Any]:
    return RunInput(organization_id=org_id, campaign_id=campaign_id).model_dump(mode="json")


class DurableCampaignRuns:
    """`CampaignRuns` over the Durable Functions client (`DurableOrchestrationClient`) of an invocation."""

    def __init__(self, client: Any) -> None:
        self._client = client

    async def status(self, instance_id: str) -> RunStatus | None:
        try:
            found = await self._client.get_status(instance_id)
        except Exception as exc:
            raise ExternalServiceError(
                f"orchestration status unavailable: {exc}", service="durable-functions", is_transient=True
            ) from exc
        runtime = getattr(found, "runtime_status", None)
        if found is None or runtime is None:
            return None
        return RunStatus(
            instance_id=instance_id,
            runtime_status=getattr(runtime, "value", str(runtime)),
            created_at=getattr(found, "created_time", None),
            last_updated_at=getattr(found, "last_updated_time", None),
            output=getattr(found, "output", None),
            custom_status=getattr(found, "custom_status", None),
        )

    async def start_run(self, *, org_id: uuid.UUID, campaign_id: uuid.UUID, instance_id: str) -> None:
        # start_new replaces an existing instance of the same id, so look first: a run starts once.
        current = await self.status(instance_id)
        if current is not None and current.runtime_status in ACTIVE_RUNTIME_STATUSES:
            return
        try:
            await self._client.start_new(CAMPAIGN_ORCHESTRATOR, instance_id, run_input(org_id, campaign_id))
        except Exception as exc:
            raise ExternalServiceError(
                f"the campaign run could not start: {exc}", service="durable-functions", is_transient=True
            ) from exc

    async def raise_event(self, instance_id: str, event_name: str, payload: dict[str, Any]) -> None:
        try:
            await self._client.raise_event(instance_id, event_name, payload)
        except Exception as exc:
            raise ExternalServiceError(
                f"event {event_name} not delivered to {instance_id}: {exc}",
                service="durable-functions",
                is_transient=True,
            ) from exc

    async def control(self, instance_id: str, action: ControlAction) -> None:
        try:
            await self._client.raise_event(instance_id, CONTROL_EVENT, {"action": action})
        except Exception as exc:
            logger.warning("control event %s for %s not delivered: %s", action, instance_id, exc)
