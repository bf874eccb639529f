"""Starting and steering campaign runs: the database transition (a `shared.services.campaigns` step in its own
transaction, committed first so the orchestration sees it) and then the orchestration port. Used by the API
routes, the CLI and the scheduler timer, whichever engine is behind the port."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from functions.campaigns.ports import CampaignRuns, ControlAction
from shared.db.engine import transaction
from shared.errors import Conflict, ExternalServiceError
from shared.models.audit import Actor
from shared.models.campaigns import CampaignProgressPublic, CampaignPublic, CampaignRunPublic
from shared.services import audit, campaigns

logger = logging.getLogger(__name__)


class OrchestrationUnavailable(ExternalServiceError):
    """No orchestration engine is reachable from here (503)."""

    code = "unavailable"
    status = 503

    def __init__(self, message: str) -> None:
        super().__init__(message, service="orchestration", is_transient=True)


async def start_campaign(
    *,
    sessions: sessionmaker[Session],
    runs: CampaignRuns,
    org_id: uuid.UUID,
    campaign_id: uuid.UUID,
    actor: Actor,
    at: datetime | None = None,
    scheduled_slot: datetime | None = None,
) -> CampaignRunPublic:
    """Begin the next run and start its orchestration. Should the orchestration refuse to start, the run is
    canceled (and audited as such) and the error raised: the campaign never shows a run that is not there."""
    moment = at or datetime.now(UTC)

    def begin() -> CampaignPublic:
        with transaction(sessions) as session:
            return campaigns.begin_run(
                session=session,
                org_id=org_id,
                campaign_id=campaign_id,
                actor=actor,
                at=moment,
                scheduled_slot=scheduled_slot,
            )

    campaign = await asyncio.to_thread(begin)
    assert campaign.instance_id is not None
    try:
        await runs.start_run(org_id=org_id, campaign_id=campaign_id, instance_id=campaign.instance_id)
    except Exception as exc:
        await asyncio.to_thread(_abandon, sessions, org_id, campaign_id, str(exc))
        if isinstance(exc, ExternalServiceError):
            raise
        raise OrchestrationUnavailable(f"the campaign run could not start: {exc}") from exc
    return CampaignRunPublic(
        campaign=campaign,
        instance_id=campaign.instance_id,
        runtime=_dump(await runs.status(campaign.instance_id)),
    )


def _abandon(sessions: sessionmaker[Session], org_id: uuid.UUID, campaign_id: uuid.UUID, why: str) -> None:
    with transaction(sessions) as session:
        campaigns.control_run(
            session=session, org_id=org_id, campaign_id=campaign_id, action="cancel", actor=Actor.system(),
            at=datetime.now(UTC),
        )  # fmt: skip
        audit.record(
            session=session,
            org_id=org_id,
            actor=Actor.system(),
            action="campaign.run.abandon",
            entity_type="campaign",
            entity_id=campaign_id,
            reason=f"the orchestration did not start: {why[:300]}",
        )


async def control_campaign(
    *,
    sessions: sessionmaker[Session],
    runs: CampaignRuns,
    org_id: uuid.UUID,
    campaign_id: uuid.UUID,
    action: ControlAction,
    actor: Actor,
) -> CampaignRunPublic:
    """Pause, resume or cancel the current run: written (and audited) first, then the orchestration woken."""

    def write() -> CampaignPublic:
        with transaction(sessions) as session:
            return campaigns.control_run(
                session=session,
                org_id=org_id,
                campaign_id=campaign_id,
                action=action,
                actor=actor,
                at=datetime.now(UTC),
            )

    campaign = await asyncio.to_thread(write)
    if campaign.instance_id is not None:
        await runs.control(campaign.instance_id, action)
    runtime = None if campaign.instance_id is None else await runs.status(campaign.instance_id)
    return CampaignRunPublic(campaign=campaign, instance_id=campaign.instance_id, runtime=_dump(runtime))


async def campaign_progress(
    *, sessions: sessionmaker[Session], runs: CampaignRuns | None, org_id: uuid.UUID, campaign_id: uuid.UUID
) -> CampaignProgressPublic:
    """The database's progress, with the orchestration's own status when an engine is reachable."""

    def read() -> CampaignProgressPublic:
        with sessions() as session:
            return campaigns.get_progress(session=session, org_id=org_id, campaign_id=campaign_id)

    progress = await asyncio.to_thread(read)
    if runs is not None and progress.instance_id is not None:
        try:
            progress = progress.model_copy(update={"runtime": _dump(await runs.status(progress.instance_id))})
        except ExternalServiceError as exc:
            logger.warning("orchestration status unavailable: %s", exc.message)
    return progress


async def start_due_campaigns(
    *, sessions: sessionmaker[Session], runs: CampaignRuns, at: datetime
) -> list[str]:
    """Start a run of every scheduled campaign whose cron fired since its last run. A firing starts one
    run even if two schedulers race (the database decides); the instance ids started are returned."""

    def due() -> list[tuple[uuid.UUID, uuid.UUID, datetime]]:
        with sessions() as session:
            return campaigns.due_schedules(session=session, at=at)

    started = []
    for org_id, campaign_id, firing in await asyncio.to_thread(due):
        try:
            run = await start_campaign(
                sessions=sessions, runs=runs, org_id=org_id, campaign_id=campaign_id, actor=Actor.system(), at=at,
                scheduled_slot=firing,
            )  # fmt: skip
        except Conflict as exc:
            logger.info("campaign %s not started: %s", campaign_id, exc.message)
            continue
        if run.instance_id:
            started.append(run.instance_id)
    return started


def _dump(status: object) -> dict[str, object] | None:
    dump = getattr(status, "model_dump", None)
    return None if dump is None else dump(mode="json")  # type: ignore[no-any-return]
