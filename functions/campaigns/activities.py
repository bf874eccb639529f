"""The campaign activities: the orchestrators' only way to touch the world. Each is a thin adapter from a
JSON payload to one `shared.services.campaigns` step in its own transaction, and back to JSON.

They get their clients from `CampaignDeps` (sessions, dialer, clock, event bus), handed in by the function
app (`functions.campaigns.blueprint`) or the local driver — never from module globals. Their clock is the
deps' clock, so the local driver's virtual time is the time every rule is checked against. A permanent
failure is returned as a result; only transient failures raise (and so are retried by the orchestrator)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from opentelemetry.trace import SpanKind
from sqlalchemy.orm import Session, sessionmaker

from functions.campaigns.orchestrator import (
    CLAIM_ACTIVITY,
    FINISH_ACTIVITY,
    PLACE_CALL_ACTIVITY,
    PLAN_ACTIVITY,
    PROGRESS_ACTIVITY,
    RECORD_ACTIVITY,
)
from functions.campaigns.ports import Dialer
from shared import telemetry
from shared.db.engine import transaction
from shared.errors import ExternalServiceError
from shared.integrations.cache import EventBus
from shared.models.campaigns import AttemptGate, CallCompleted, DialReceipt
from shared.models.events import CampaignProgress
from shared.services import campaigns, live

logger = logging.getLogger(__name__)


class Clock(Protocol):
    def now(self) -> datetime: ...


class RealClock:
    virtual = False

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class CampaignDeps:
    sessions: sessionmaker[Session]
    dialer: Dialer
    clock: Clock = field(default_factory=RealClock)
    bus: EventBus | None = None
    # Live progress after each call is throttled to one event per campaign per this many (real) seconds;
    # settling a target and the run's own progress steps always publish.
    progress_every: float = 1.0
    _published: dict[str, tuple[float, int, int]] = field(default_factory=dict)  # when, finished, total


def _payload(value: Any) -> dict[str, Any]:
    """Activities receive a dict from the local driver and, depending on the worker, a dict or JSON text
    from the Functions host."""
    if isinstance(value, str | bytes):
        loaded = json.loads(value)
        return loaded if isinstance(loaded, dict) else {}
    return dict(value or {})


def _ids(payload: dict[str, Any]) -> tuple[uuid.UUID, uuid.UUID]:
    return uuid.UUID(payload["organization_id"]), uuid.UUID(payload["campaign_id"])


def plan(value: Any, deps: CampaignDeps) -> dict[str, Any]:
    payload = _payload(value)
    org_id, campaign_id = _ids(payload)
    with transaction(deps.sessions) as session:
        report = campaigns.plan_targets(session=session, org_id=org_id, campaign_id=campaign_id)
    return report.model_dump(mode="json")


def claim_wave(value: Any, deps: CampaignDeps) -> dict[str, Any]:
    payload = _payload(value)
    org_id, campaign_id = _ids(payload)
    with transaction(deps.sessions) as session:
        wave = campaigns.claim_wave(
            session=session,
            org_id=org_id,
            campaign_id=campaign_id,
            instance_id=payload["instance_id"],
            at=deps.clock.now(),
            exclude=[uuid.UUID(target_id) for target_id in payload.get("exclude") or []],
            limit=payload.get("limit"),
        )
    return wave.model_dump(mode="json")


def _open(payload: dict[str, Any], deps: CampaignDeps) -> AttemptGate:
    org_id, campaign_id = _ids(payload)
    with transaction(deps.sessions) as session:
        return campaigns.open_attempt(
            session=session,
            org_id=org_id,
            campaign_id=campaign_id,
            target_id=uuid.UUID(payload["target_id"]),
            attempt_instance_id=payload["attempt_instance_id"],
            run_instance_id=payload["run_instance_id"],
            at=deps.clock.now(),
        )


def _dialed(
    org_id: uuid.UUID, call_id: uuid.UUID, receipt: DialReceipt, traceparent: str | None, deps: CampaignDeps
) -> None:
    with transaction(deps.sessions) as session:
        campaigns.mark_dialed(
            session=session, org_id=org_id, call_id=call_id, receipt=receipt, traceparent=traceparent
        )


def _not_placed(
    org_id: uuid.UUID, call_id: uuid.UUID, error: ExternalServiceError, deps: CampaignDeps
) -> AttemptGate | None:
    with transaction(deps.sessions) as session:
        return campaigns.mark_not_placed(
            session=session,
            org_id=org_id,
            call_id=call_id,
            reason=error.message,
            permanent=not error.is_transient,
        )


async def place_call(value: Any, deps: CampaignDeps) -> dict[str, Any]:
    """The gate, then the dial. A transient dialer refusal raises after noting that the call was not placed
    (the retry dials again); a permanent one blocks the target; anything else leaves the attempt marked as
    possibly dialed, which a retry counts and never redials."""
    payload = _payload(value)
    gate = await asyncio.to_thread(_open, payload, deps)
    if gate.action != "dial" or gate.placed or gate.request is None:
        return gate.model_dump(mode="json")
    request = gate.request
    # The call's trace starts here: a new trace per call (linked to whatever invoked the activity). The
    # dialer runs inside the `call.dial` span, so it hands the call's traceparent on with the call
    # (`telemetry.inject_traceparent`: the agent's start metadata, TwiML parameters); the call row keeps it
    # for the status callback and the disposition.
    with telemetry.span(
        telemetry.SPAN_CALL_DIAL,
        root=True,
        kind=SpanKind.CLIENT,
        call_id=request.call_id,
        organization_id=request.organization_id,
        campaign_id=request.campaign_id,
        campaign_target_id=request.campaign_target_id,
        attempt_number=request.attempt_number,
    ):
        try:
            receipt = await deps.dialer.dial(request)
        except ExternalServiceError as exc:
            telemetry.set_span_attributes(result="refused", transient=exc.is_transient)
            refused = await asyncio.to_thread(
                _not_placed, request.organization_id, request.call_id, exc, deps
            )
            if refused is None:
                raise
            return refused.model_dump(mode="json")
        telemetry.set_span_attributes(result="placed", call_status=receipt.status)
        traceparent = telemetry.current_traceparent()
        await asyncio.to_thread(_dialed, request.organization_id, request.call_id, receipt, traceparent, deps)
    return gate.model_copy(update={"placed": True}).model_dump(mode="json")


def _record(payload: dict[str, Any], deps: CampaignDeps) -> dict[str, Any]:
    org_id, campaign_id = _ids(payload)
    completed = payload.get("completed")
    if payload.get("error"):
        logger.warning(
            "attempt %s settled after a failure: %s", payload["attempt_instance_id"], payload["error"]
        )
    with transaction(deps.sessions) as session:
        # In the call's trace: the traceparent its dial left on the call row.
        parent = campaigns.attempt_traceparent(
            session=session, org_id=org_id, attempt_instance_id=payload["attempt_instance_id"]
        )
        with telemetry.span(
            telemetry.SPAN_CALL_DISPOSITION,
            parent=parent,
            organization_id=org_id,
            campaign_id=campaign_id,
            campaign_target_id=payload["target_id"],
            completed=completed is not None,
        ):
            outcome = campaigns.record_disposition(
                session=session,
                org_id=org_id,
                campaign_id=campaign_id,
                target_id=uuid.UUID(payload["target_id"]),
                attempt_instance_id=payload["attempt_instance_id"],
                completed=None if completed is None else CallCompleted.model_validate(completed),
                at=deps.clock.now(),
            )
            telemetry.set_span_attributes(target_status=outcome.status, attempt_result=outcome.attempt_result)
    return outcome.model_dump(mode="json")


async def record_disposition(value: Any, deps: CampaignDeps) -> dict[str, Any]:
    payload = _payload(value)
    outcome = await asyncio.to_thread(_record, payload, deps)
    settled = outcome["status"] in {status.value for status in campaigns.TERMINAL_TARGET_STATUSES}
    campaign_id = payload["campaign_id"]
    published_at, finished, total = deps._published.get(campaign_id, (0.0, 0, 0))
    if time.monotonic() - published_at >= deps.progress_every:
        progress = await _publish(payload, deps)
        finished = sum(progress["counts"][status.value] for status in campaigns.TERMINAL_TARGET_STATUSES)
        deps._published[campaign_id] = (time.monotonic(), finished, progress["total"])
    elif settled:  # between events, the last known figures and this target
        finished += 1
        deps._published[campaign_id] = (published_at, finished, total)
    if settled:
        telemetry.record_campaign_progress(
            campaign_id, finished=finished, total=total, status=outcome["status"]
        )
    return outcome


def finish(value: Any, deps: CampaignDeps) -> dict[str, Any]:
    payload = _payload(value)
    org_id, campaign_id = _ids(payload)
    with transaction(deps.sessions) as session:
        campaign = campaigns.finish_run(
            session=session,
            org_id=org_id,
            campaign_id=campaign_id,
            instance_id=payload["instance_id"],
            at=deps.clock.now(),
        )
    return {"status": campaign.status.value, "run_number": campaign.run_number}


def _progress(payload: dict[str, Any], deps: CampaignDeps) -> dict[str, Any]:
    org_id, campaign_id = _ids(payload)
    with transaction(deps.sessions) as session:
        return campaigns.get_progress(session=session, org_id=org_id, campaign_id=campaign_id).model_dump(
            mode="json"
        )


async def _publish(payload: dict[str, Any], deps: CampaignDeps) -> dict[str, Any]:
    """The campaign's progress as a live event and as the `archer.campaign.progress` gauge."""
    progress = await asyncio.to_thread(_progress, payload, deps)
    settled = sum(progress["counts"][status.value] for status in campaigns.TERMINAL_TARGET_STATUSES)
    telemetry.record_campaign_progress(payload["campaign_id"], finished=settled, total=progress["total"])
    if deps.bus is not None:
        counts = {**progress["counts"], **{f"outcome:{k}": v for k, v in progress["outcomes"].items()}}
        await live.publish(
            deps.bus,
            CampaignProgress(
                organization_id=uuid.UUID(payload["organization_id"]),
                at=deps.clock.now(),
                campaign_id=uuid.UUID(payload["campaign_id"]),
                total=progress["total"],
                counts=counts,
                percent_done=progress["percent_done"],
            ),
        )
    return progress


async def progress(value: Any, deps: CampaignDeps) -> dict[str, Any]:
    """Publish the campaign's progress as a live event and return it (the run's summary at the end)."""
    return await _publish(_payload(value), deps)


ActivityFn = Callable[[Any, CampaignDeps], Any | Awaitable[Any]]

ACTIVITIES: dict[str, ActivityFn] = {
    PLAN_ACTIVITY: plan,
    CLAIM_ACTIVITY: claim_wave,
    PLACE_CALL_ACTIVITY: place_call,
    RECORD_ACTIVITY: record_disposition,
    PROGRESS_ACTIVITY: progress,
    FINISH_ACTIVITY: finish,
}
