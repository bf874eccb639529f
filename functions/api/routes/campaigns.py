"""Campaigns (`/campaigns...`) and the compliance check (`/compliance/check`). Parsing and auth only: the
rules are `shared.services.campaigns` / `shared.services.compliance`, runs go through the orchestration port
(`CampaignRuns`): the Durable client of the invocation in Azure, the in-process driver locally."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status

from functions.api.deps import ActorDep, OperatorKey, OrgId, RuntimeDep, SessionDep, ViewerKey, durable_client
from functions.api.problem_docs import problem_responses
from functions.campaigns import control
from functions.campaigns.ports import CampaignRuns, ControlAction, DurableCampaignRuns
from shared.domain import CampaignStatus, TargetStatus
from shared.errors import InvalidInput
from shared.models.campaigns import (
    CampaignCreate,
    CampaignProgressPublic,
    CampaignPublic,
    CampaignRunPublic,
    CampaignsPublic,
    CampaignTargetsPublic,
    CampaignUpdate,
)
from shared.models.compliance import ComplianceDecision
from shared.services import campaigns, compliance

router = APIRouter(tags=["campaigns"])


def find_campaign_runs(request: Request) -> CampaignRuns | None:
    """The orchestration port of this request: the invocation's Durable client in the function app, the
    local driver the server was built with, or none."""
    client = durable_client.get()
    if client is not None:
        return DurableCampaignRuns(client)
    local: CampaignRuns | None = getattr(request.app.state, "orchestrations", None)
    return local


def get_campaign_runs(request: Request) -> CampaignRuns:
    runs = find_campaign_runs(request)
    if runs is None:
        raise control.OrchestrationUnavailable("no orchestration engine is available to run campaigns here")
    return runs


CampaignRunsDep = Annotated[CampaignRuns, Depends(get_campaign_runs)]
MaybeCampaignRunsDep = Annotated[CampaignRuns | None, Depends(find_campaign_runs)]


@router.get("/campaigns", response_model=CampaignsPublic)
def list_campaigns(
    *,
    session: SessionDep,
    org_id: OrgId,
    _key: ViewerKey,
    campaign_status: Annotated[CampaignStatus | None, Query(alias="status")] = None,
    limit: Annotated[int | None, Query()] = None,
    cursor: Annotated[str | None, Query()] = None,
) -> Any:
    return campaigns.list_campaigns(
        session=session, org_id=org_id, status=campaign_status, limit=limit, cursor=cursor
    )


@router.post("/campaigns", response_model=CampaignPublic, status_code=status.HTTP_201_CREATED)
def create_campaign(
    campaign_in: CampaignCreate, session: SessionDep, org_id: OrgId, actor: ActorDep, _key: OperatorKey
) -> Any:
    return campaigns.create_campaign(session=session, org_id=org_id, campaign_in=campaign_in, actor=actor)


@router.get("/campaigns/{campaign_id}", response_model=CampaignPublic)
def get_campaign(campaign_id: uuid.UUID, session: SessionDep, org_id: OrgId, _key: ViewerKey) -> Any:
    return campaigns.get_campaign(session=session, org_id=org_id, campaign_id=campaign_id)


@router.patch("/campaigns/{campaign_id}", response_model=CampaignPublic, responses=problem_responses(409))
def update_campaign(
    campaign_id: uuid.UUID,
    campaign_in: CampaignUpdate,
    session: SessionDep,
    org_id: OrgId,
    actor: ActorDep,
    _key: OperatorKey,
) -> Any:
    return campaigns.update_campaign(
        session=session, org_id=org_id, campaign_id=campaign_id, campaign_in=campaign_in, actor=actor
    )


@router.post(
    "/campaigns/{campaign_id}/start",
    response_model=CampaignRunPublic,
    responses=problem_responses(409, 503),
)
async def start_campaign(
    campaign_id: uuid.UUID,
    runtime: RuntimeDep,
    runs: CampaignRunsDep,
    org_id: OrgId,
    actor: ActorDep,
    _key: OperatorKey,
) -> Any:
    """Start the next run (409 while one is running or paused)."""
    return await control.start_campaign(
        sessions=runtime.sessions, runs=runs, org_id=org_id, campaign_id=campaign_id, actor=actor
    )


async def _control(
    action: ControlAction,
    *,
    campaign_id: uuid.UUID,
    runtime: Any,
    runs: CampaignRuns,
    org_id: uuid.UUID,
    actor: Any,
) -> CampaignRunPublic:
    return await control.control_campaign(
        sessions=runtime.sessions,
        runs=runs,
        org_id=org_id,
        campaign_id=campaign_id,
        action=action,
        actor=actor,
    )


@router.post(
    "/campaigns/{campaign_id}/pause",
    response_model=CampaignRunPublic,
    responses=problem_responses(409, 503),
)
async def pause_campaign(
    campaign_id: uuid.UUID,
    runtime: RuntimeDep,
    runs: CampaignRunsDep,
    org_id: OrgId,
    actor: ActorDep,
    _key: OperatorKey,
) -> Any:
    """Stop placing calls (calls in progress finish); 409 unless running."""
    return await _control(
        "pause", campaign_id=campaign_id, runtime=runtime, runs=runs, org_id=org_id, actor=actor
    )


@router.post(
    "/campaigns/{campaign_id}/resume",
    response_model=CampaignRunPublic,
    responses=problem_responses(409, 503),
)
async def resume_campaign(
    campaign_id: uuid.UUID,
    runtime: RuntimeDep,
    runs: CampaignRunsDep,
    org_id: OrgId,
    actor: ActorDep,
    _key: OperatorKey,
) -> Any:
    """Carry on a paused run; 409 unless paused."""
    return await _control(
        "resume", campaign_id=campaign_id, runtime=runtime, runs=runs, org_id=org_id, actor=actor
    )


@router.post(
    "/campaigns/{campaign_id}/cancel",
    response_model=CampaignRunPublic,
    responses=problem_responses(409, 503),
)
async def cancel_campaign(
    campaign_id: uuid.UUID,
    runtime: RuntimeDep,
    runs: CampaignRunsDep,
    org_id: OrgId,
    actor: ActorDep,
    _key: OperatorKey,
) -> Any:
    """End the run: no further calls; targets not yet settled are canceled. 409 unless running or paused."""
    return await _control(
        "cancel", campaign_id=campaign_id, runtime=runtime, runs=runs, org_id=org_id, actor=actor
    )


@router.get("/campaigns/{campaign_id}/progress", response_model=CampaignProgressPublic)
async def campaign_progress(
    campaign_id: uuid.UUID, runtime: RuntimeDep, runs: MaybeCampaignRunsDep, org_id: OrgId, _key: ViewerKey
) -> Any:
    return await control.campaign_progress(
        sessions=runtime.sessions, runs=runs, org_id=org_id, campaign_id=campaign_id
    )


@router.get("/campaigns/{campaign_id}/targets", response_model=CampaignTargetsPublic)
def campaign_targets(
    *,
    campaign_id: uuid.UUID,
    session: SessionDep,
    org_id: OrgId,
    _key: ViewerKey,
    target_status: Annotated[TargetStatus | None, Query(alias="status")] = None,
    limit: Annotated[int | None, Query()] = None,
    cursor: Annotated[str | None, Query()] = None,
) -> Any:
    return campaigns.list_targets(
        session=session,
        org_id=org_id,
        campaign_id=campaign_id,
        status=target_status,
        limit=limit,
        cursor=cursor,
    )


@router.get(
    "/compliance/check",
    response_model=ComplianceDecision,
    tags=["compliance"],
    responses=problem_responses(404),
)
def compliance_check(
    *,
    session: SessionDep,
    org_id: OrgId,
    actor: ActorDep,
    _key: ViewerKey,
    customer_id: Annotated[uuid.UUID, Query()],
    at: Annotated[datetime | None, Query(description="ISO-8601 with an offset; default now")] = None,
    phone_number: Annotated[str | None, Query(max_length=32)] = None,
    account_id: Annotated[uuid.UUID | None, Query()] = None,
) -> Any:
    """May the customer be called at `at` (default now) on `phone_number` (default: the primary number)?
    The decision, with its reasons, is audited."""
    if at is not None and at.tzinfo is None:
        raise InvalidInput("at needs a UTC offset, e.g. 2026-07-15T14:00:00Z", field="at")
    return compliance.check_customer(
        session=session,
        org_id=org_id,
        customer_id=customer_id,
        at=at or datetime.now(UTC),
        phone_number=phone_number,
        account_id=account_id,
        actor=actor,
    )
