"""Outbound campaigns: CRUD, runs (start, pause, resume, cancel, finish), targeting and planning with a
stable weighted A/B tactic assignment, the attempt gate the orchestration passes before every dial, the
dispositions and retries after it, and progress.

The orchestration (Durable Functions in Azure, the local driver elsewhere) only sequences these steps; every
rule is here or in `shared.policy.compliance`. Each step is idempotent, because a Durable activity may run
more than once: an attempt is keyed in the ledger before it is dialed, a disposition is recorded once."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.dialects.postgresql
from cronsim import CronSim
from sqlalchemy.orm import Session

from shared import telemetry
from shared.db.base import UTCDateTime, utcnow
from shared.db.tables import (
    Account,
    BehavioralTactic,
    Call,
    CallAttempt,
    Campaign,
    CampaignTarget,
    Customer,
    NegotiationPolicy,
)
from shared.domain import (
    AccountStatus,
    AttemptResult,
    CallDirection,
    CallOutcome,
    CallStatus,
    CallType,
    CampaignStatus,
    TargetStatus,
)
from shared.errors import Conflict, InvalidInput, NotFound
from shared.models.audit import Actor
from shared.models.calls import CallCreate
from shared.models.campaigns import (
    ORCHESTRATION_INSTANCE_KEY,
    AttemptGate,
    CallCompleted,
    CampaignCreate,
    CampaignProgressPublic,
    CampaignPublic,
    CampaignSchedule,
    CampaignTargetPublic,
    CampaignUpdate,
    DialReceipt,
    DialRequest,
    PlanReport,
    RetryPolicy,
    TacticShare,
    Targeting,
    TargetOutcome,
    Wave,
    WaveTarget,
)
from shared.models.common import Page
from shared.models.compliance import CallAttemptPublic, ComplianceDecision
from shared.models.organizations import CallingWindow, OrganizationSettings
from shared.policy.compliance import CallingRules, Window
from shared.services import attempts, audit, calls, compliance, versions
from shared.services.pagination import clamp_limit, decode_cursor, encode_cursor

ACTIVE_TARGET_STATUSES = (
    TargetStatus.PENDING,
    TargetStatus.WAITING_WINDOW,
    TargetStatus.DIALING,
    TargetStatus.IN_CALL,
)
WAITING_TARGET_STATUSES = (TargetStatus.PENDING, TargetStatus.WAITING_WINDOW)
TERMINAL_TARGET_STATUSES = (
    TargetStatus.DONE,
    TargetStatus.BLOCKED,
    TargetStatus.EXHAUSTED,
    TargetStatus.CANCELED,
)
_STARTABLE = (
    CampaignStatus.DRAFT,
    CampaignStatus.SCHEDULED,
    CampaignStatus.COMPLETED,
    CampaignStatus.CANCELED,
)
_FINAL_CALL = (
    CallStatus.COMPLETED,
    CallStatus.BUSY,
    CallStatus.NO_ANSWER,
    CallStatus.FAILED,
    CallStatus.CANCELED,
)
# Dial states kept in the call's metadata: the gate writes `pending` before dialing, the dialer's answer
# moves it to `placed` or `not_placed`. A `pending` found later means a crash while dialing: never redialed.
DIAL_STATE = "dial_state"


# --- Campaigns ---------------------------------------------------------------------------------------------


def _get_row(session: Session, org_id: uuid.UUID, campaign_id: uuid.UUID) -> Campaign:
    row = session.scalar(
        sa.select(Campaign).where(Campaign.organization_id == org_id, Campaign.id == campaign_id)
    )
    if row is None:
        raise NotFound("campaign not found")
    return row


def _public(row: Campaign) -> CampaignPublic:
    return CampaignPublic.model_validate(row)


def run_instance_id(campaign_id: uuid.UUID, run_number: int) -> str:
    """The orchestration instance id of a campaign run: the same run always has the same id, so starting it
    twice finds the instance already there."""
    return f"campaign-{campaign_id}-run-{run_number}"


def _check_tactics(session: Session, org_id: uuid.UUID, shares: list[TacticShare]) -> None:
    for index, share in enumerate(shares):
        if versions.latest(session, BehavioralTactic, org_id, share.tactic_name, active_only=True) is None:
            raise InvalidInput(
                f"no active tactic named {share.tactic_name!r}", field=f"tactics[{index}].tactic_name"
            )


def _check_window(settings: OrganizationSettings, window: CallingWindow | None) -> None:
    if window is None:
        return
    narrowed = Window(settings.calling_window.start, settings.calling_window.end).narrowed(
        Window(window.start, window.end)
    )
    if narrowed.start >= narrowed.end:
        raise InvalidInput(
            "calling_window does not overlap the organization's calling window", field="calling_window"
        )


def create_campaign(
    *, session: Session, org_id: uuid.UUID, campaign_in: CampaignCreate, actor: Actor
) -> CampaignPublic:
    _check_tactics(session, org_id, campaign_in.tactics)
    _check_window(
        compliance.organization_settings(session=session, org_id=org_id), campaign_in.calling_window
    )
    if campaign_in.negotiation_policy_id is not None:
        policy = session.scalar(
            sa.select(NegotiationPolicy.id).where(
                NegotiationPolicy.organization_id == org_id,
                NegotiationPolicy.id == campaign_in.negotiation_policy_id,
            )
        )
        if policy is None:
            raise InvalidInput("negotiation policy not found", field="negotiation_policy_id")
    row = Campaign(
        organization_id=org_id,
        name=campaign_in.name,
        description=campaign_in.description,
        status=CampaignStatus.DRAFT,
        targeting=campaign_in.targeting.model_dump(mode="json"),
        tactic_split=[share.model_dump(mode="json") for share in campaign_in.tactics],
        schedule=campaign_in.schedule.model_dump(mode="json"),
        calling_window=None
        if campaign_in.calling_window is None
        else campaign_in.calling_window.model_dump(mode="json"),
        retry_policy=campaign_in.retry_policy.model_dump(mode="json"),
        max_concurrent_calls=campaign_in.max_concurrent_calls,
        max_attempts_per_target=campaign_in.max_attempts_per_target,
        negotiation_policy_id=campaign_in.negotiation_policy_id,
    )
    session.add(row)
    session.flush()
    public = _public(row)
    audit.record(
        session=session,
        org_id=org_id,
        actor=actor,
        action="campaign.create",
        entity_type="campaign",
        entity_id=row.id,
        after=audit.snapshot(public),
    )
    return public


def get_campaign(*, session: Session, org_id: uuid.UUID, campaign_id: uuid.UUID) -> CampaignPublic:
    return _public(_get_row(session, org_id, campaign_id))


def list_campaigns(
    *,
    session: Session,
    org_id: uuid.UUID,
    status: CampaignStatus | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> Page[CampaignPublic]:
    """Newest first, cursor-paginated."""
    limit = clamp_limit(limit)
    filters: list[sa.ColumnElement[bool]] = [Campaign.organization_id == org_id]
    if status is not None:
        filters.append(Campaign.status == status)
    count = session.scalar(sa.select(sa.func.count()).select_from(Campaign).where(*filters)) or 0
    query = sa.select(Campaign).where(*filters)
    if cursor:
        created, row_id = decode_cursor(cursor, parts=2)
        try:
            after, after_id = datetime.fromisoformat(created), uuid.UUID(row_id)
        except ValueError:
            raise InvalidInput(
                "cursor is not valid; use the next_cursor of a previous page", field="cursor"
            ) from None
        query = query.where(
            sa.or_(Campaign.created_at < after, sa.and_(Campaign.created_at == after, Campaign.id < after_id))
        )
    rows = session.scalars(
        query.order_by(Campaign.created_at.desc(), Campaign.id.desc()).limit(limit + 1)
    ).all()
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1].created_at.isoformat(), rows[-1].id)
    return Page[CampaignPublic](data=[_public(row) for row in rows], count=count, next_cursor=next_cursor)


_RUN_LOCKED_FIELDS = ("targeting", "tactics")


def update_campaign(
    *, session: Session, org_id: uuid.UUID, campaign_id: uuid.UUID, campaign_in: CampaignUpdate, actor: Actor
) -> CampaignPublic:
    row = _get_row(session, org_id, campaign_id)
    before = _public(row)
    changes = campaign_in.model_dump(exclude_unset=True)
    active = row.status in (CampaignStatus.RUNNING, CampaignStatus.PAUSED)
    for field in _RUN_LOCKED_FIELDS:
        if field in changes and active:
            raise Conflict(
                f"{field} cannot change while a run is {row.status.value}; cancel it first", field=field
            )
    for field in ("name", "targeting", "tactics", "schedule", "retry_policy", "max_concurrent_calls",
                  "max_attempts_per_target", "status"):  # fmt: skip
        if field in changes and changes[field] is None:
            raise InvalidInput(f"{field} cannot be null", field=field)
    if campaign_in.tactics is not None:
        _check_tactics(session, org_id, campaign_in.tactics)
        row.tactic_split = [share.model_dump(mode="json") for share in campaign_in.tactics]
    if "calling_window" in changes:
        _check_window(
            compliance.organization_settings(session=session, org_id=org_id), campaign_in.calling_window
        )
        row.calling_window = (
            None if campaign_in.calling_window is None else campaign_in.calling_window.model_dump(mode="json")
        )
    if campaign_in.targeting is not None:
        row.targeting = campaign_in.targeting.model_dump(mode="json")
    if campaign_in.schedule is not None:
        row.schedule = campaign_in.schedule.model_dump(mode="json")
    if campaign_in.retry_policy is not None:
        row.retry_policy = campaign_in.retry_policy.model_dump(mode="json")
    for field in ("name", "description", "max_concurrent_calls", "max_attempts_per_target"):
        if field in changes:
            setattr(row, field, changes[field])
    if campaign_in.status is not None and campaign_in.status is not row.status:
        _arm(row, campaign_in.status)
    session.flush()
    after = _public(row)
    audit.record(
        session=session,
        org_id=org_id,
        actor=actor,
        action="campaign.update",
        entity_type="campaign",
        entity_id=row.id,
        before=audit.snapshot(before),
        after=audit.snapshot(after),
    )
    return after


def _arm(row: Campaign, status: CampaignStatus) -> None:
    """Only `draft` <-> `scheduled` is set by hand; runs move the other states."""
    idle = (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED, CampaignStatus.COMPLETED, CampaignStatus.CANCELED)
    if status not in (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED) or row.status not in idle:
        raise Conflict(
            f"status can be set to draft or scheduled between runs; use start, pause, resume or cancel "
            f"for runs (the campaign is {row.status.value})",
            field="status",
        )
    if status is CampaignStatus.SCHEDULED and not CampaignSchedule.model_validate(row.schedule).cron:
        raise InvalidInput("a campaign needs schedule.cron to be scheduled", field="status")
    row.status = status


# --- Runs --------------------------------------------------------------------------------------------------


def begin_run(
    *,
    session: Session,
    org_id: uuid.UUID,
    campaign_id: uuid.UUID,
    actor: Actor,
    at: datetime,
    scheduled_slot: datetime | None = None,
) -> CampaignPublic:
    """Start the campaign's next run: number it, name its orchestration instance, and make every target
    that has not reached someone eligible again (the ledger still holds every past attempt, so the 7-in-7
    rule is unaffected). Refused while a run is running or paused. `scheduled_slot` is the cron firing a
    scheduler starts it for: a firing starts at most one run, whoever else tries."""
    row = _get_row(session, org_id, campaign_id)
    conditions = [
        Campaign.id == campaign_id,
        Campaign.organization_id == org_id,
        Campaign.status.in_(_STARTABLE),
    ]
    if scheduled_slot is not None:
        conditions += [
            Campaign.status == CampaignStatus.SCHEDULED,
            sa.or_(Campaign.last_scheduled_at.is_(None), Campaign.last_scheduled_at < scheduled_slot),
        ]
    values: dict[str, Any] = {
        "run_number": Campaign.run_number + 1,
        "status": CampaignStatus.RUNNING,
        "started_at": at,
        "completed_at": None,
        "updated_at": utcnow(),
    }
    if scheduled_slot is not None:
        values["last_scheduled_at"] = scheduled_slot
    updated = session.execute(sa.update(Campaign).where(*conditions).values(**values))
    if updated.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(row)
        if scheduled_slot is not None and row.status is CampaignStatus.SCHEDULED:
            raise Conflict("this schedule firing already started a run", field="schedule")
        raise Conflict(f"the campaign is {row.status.value}; a new run cannot start now", field="status")
    session.refresh(row)
    row.instance_id = run_instance_id(row.id, row.run_number)
    session.execute(
        sa.update(CampaignTarget)
        .where(CampaignTarget.campaign_id == row.id, CampaignTarget.status != TargetStatus.DONE)
        .values(
            status=TargetStatus.PENDING,
            attempts=0,
            next_attempt_at=None,
            blocked_reasons=[],
            updated_at=utcnow(),
        )
    )
    session.flush()
    public = _public(row)
    audit.record(
        session=session,
        org_id=org_id,
        actor=actor,
        action="campaign.run.start",
        entity_type="campaign",
        entity_id=row.id,
        after={"run_number": row.run_number, "instance_id": row.instance_id},
        reason=None if scheduled_slot is None else f"schedule firing {scheduled_slot.isoformat()}",
    )
    return public


_CONTROL = {
    "pause": ((CampaignStatus.RUNNING,), CampaignStatus.PAUSED),
    "resume": ((CampaignStatus.PAUSED,), CampaignStatus.RUNNING),
    "cancel": ((CampaignStatus.RUNNING, CampaignStatus.PAUSED), CampaignStatus.CANCELED),
}


def control_run(
    *, session: Session, org_id: uuid.UUID, campaign_id: uuid.UUID, action: str, actor: Actor, at: datetime
) -> CampaignPublic:
    """Pause, resume or cancel the current run. The database state is what the orchestration obeys (every
    dial checks it); the orchestration port's event only wakes the orchestrator up."""
    if action not in _CONTROL:
        raise InvalidInput(f"unknown run action {action!r}", field="action")
    allowed, new_status = _CONTROL[action]
    row = _get_row(session, org_id, campaign_id)
    if row.status not in allowed:
        raise Conflict(f"cannot {action} a campaign that is {row.status.value}", field="status")
    before = row.status
    row.status = new_status
    if new_status is CampaignStatus.CANCELED:
        row.completed_at = at
        _close_targets(session, row.id, "campaign_canceled: the run was canceled")
    session.flush()
    audit.record(
        session=session,
        org_id=org_id,
        actor=actor,
        action=f"campaign.run.{action}",
        entity_type="campaign",
        entity_id=row.id,
        before={"status": before.value},
        after={"status": new_status.value, "instance_id": row.instance_id},
    )
    return _public(row)


def _close_targets(session: Session, campaign_id: uuid.UUID, reason: str) -> None:
    session.execute(
        sa.update(CampaignTarget)
        .where(CampaignTarget.campaign_id == campaign_id, CampaignTarget.status.in_(WAITING_TARGET_STATUSES))
        .values(
            status=TargetStatus.CANCELED, blocked_reasons=[reason], next_attempt_at=None, updated_at=utcnow()
        )
    )


def finish_run(
    *, session: Session, org_id: uuid.UUID, campaign_id: uuid.UUID, instance_id: str, at: datetime
) -> CampaignPublic:
    """The run's orchestration is done: a running campaign completes (or goes back to `scheduled` when its
    schedule has more firings); a canceled one stays canceled. A superseded run changes nothing."""
    row = _get_row(session, org_id, campaign_id)
    if row.instance_id != instance_id:
        return _public(row)
    if row.status is CampaignStatus.RUNNING:
        schedule = CampaignSchedule.model_validate(row.schedule)
        settings = compliance.organization_settings(session=session, org_id=org_id)
        today = at.astimezone(ZoneInfo(settings.timezone)).date()
        more = schedule.cron is not None and (schedule.end_date is None or today < schedule.end_date)
        row.status = CampaignStatus.SCHEDULED if more else CampaignStatus.COMPLETED
    if row.status is CampaignStatus.CANCELED:
        _close_targets(session, row.id, "campaign_canceled: the run was canceled")
    if row.completed_at is None or row.status is not CampaignStatus.CANCELED:
        row.completed_at = at
    session.flush()
    audit.record(
        session=session,
        org_id=org_id,
        actor=Actor.system(),
        action="campaign.run.finish",
        entity_type="campaign",
        entity_id=row.id,
        after={"status": row.status.value, "instance_id": instance_id, "progress": _counts(session, row.id)},
    )
    return _public(row)


def due_schedules(*, session: Session, at: datetime) -> list[tuple[uuid.UUID, uuid.UUID, datetime]]:
    """(organization, campaign, cron firing) for every scheduled campaign whose latest firing at or before
    `at` has not started a run yet, within its start and end dates (in the organization's time zone)."""
    from shared.db.tables import Organization

    rows = session.execute(
        sa.select(Campaign, Organization.settings)
        .join(Organization, Organization.id == Campaign.organization_id)
        .where(Campaign.status == CampaignStatus.SCHEDULED)
    ).all()
    due: list[tuple[uuid.UUID, uuid.UUID, datetime]] = []
    for campaign, org_settings in rows:
        schedule = CampaignSchedule.model_validate(campaign.schedule)
        if schedule.cron is None:
            continue
        zone = ZoneInfo(OrganizationSettings.model_validate(org_settings or {}).timezone)
        firing = next(CronSim(schedule.cron, at.astimezone(zone), reverse=True)).astimezone(UTC)
        since = campaign.last_scheduled_at or campaign.created_at
        day = firing.astimezone(zone).date()
        if firing <= since or (schedule.start_date and day < schedule.start_date):
            continue
        if schedule.end_date and day > schedule.end_date:
            continue
        due.append((campaign.organization_id, campaign.id, firing))
    return due


# --- Targeting and planning --------------------------------------------------------------------------------


def arm_point(campaign_id: uuid.UUID, account_id: uuid.UUID) -> int:
    """Where an account falls in a campaign's split: the first 60 bits of md5("<campaign>:<account>"), as
    PostgreSQL computes it too when it plans in SQL (`_sql_arm_point`). Not a security use of md5."""
    digest = hashlib.md5(f"{campaign_id}:{account_id}".encode(), usedforsecurity=False).hexdigest()
    return int(digest[:15], 16)


def _sql_arm_point(campaign_id: uuid.UUID, account_id: sa.ColumnElement[uuid.UUID]) -> sa.ColumnElement[int]:
    text = sa.literal(f"{campaign_id}:") + sa.cast(account_id, sa.Text)
    hexdigits = sa.func.substr(sa.func.md5(text), 1, 15)
    return sa.cast(sa.cast(sa.literal("x") + hexdigits, sa.dialects.postgresql.BIT(60)), sa.BigInteger)


def assign_tactic(campaign_id: uuid.UUID, account_id: uuid.UUID, shares: list[TacticShare]) -> str:
    """The tactic arm of an account: its point (`arm_point`) in the weighted split. The same account always
    lands in the same arm of the same split, and a target keeps the arm it was planned with."""
    point = arm_point(campaign_id, account_id) % sum(share.weight for share in shares)
    for share in shares:
        if point < share.weight:
            return share.tactic_name
        point -= share.weight
    raise AssertionError("unreachable: the point is below the total weight")


def _targeting_query(org_id: uuid.UUID, targeting: Targeting) -> sa.Select[uuid.UUID, uuid.UUID]:
    query = (
        sa.select(Account.id, Account.customer_id)
        .join(Customer, Customer.id == Account.customer_id)
        .where(Account.organization_id == org_id, Account.status == AccountStatus.ACTIVE)
    )
    if targeting.segments:
        query = query.where(Customer.segment.in_(targeting.segments))
    if targeting.days_past_due_min is not None:
        query = query.where(Account.days_past_due >= targeting.days_past_due_min)
    if targeting.days_past_due_max is not None:
        query = query.where(Account.days_past_due <= targeting.days_past_due_max)
    if targeting.balance_min is not None:
        query = query.where(Account.balance >= targeting.balance_min)
    if targeting.balance_max is not None:
        query = query.where(Account.balance <= targeting.balance_max)
    if targeting.states:
        query = query.where(Customer.state.in_(targeting.states))
    if targeting.account_ids:
        query = query.where(Account.id.in_(targeting.account_ids))
    if targeting.customer_ids:
        query = query.where(Account.customer_id.in_(targeting.customer_ids))
    return query


def plan_targets(*, session: Session, org_id: uuid.UUID, campaign_id: uuid.UUID) -> PlanReport:
    """Add a target for every account the targeting matches that the campaign does not have yet, each with
    its A/B tactic (the arm's current version). Existing targets keep their tactic. Idempotent.

    PostgreSQL plans in one INSERT ... SELECT (the arm computed in SQL by the same rule); elsewhere the rows
    are built here."""
    row = _get_row(session, org_id, campaign_id)
    shares = [TacticShare.model_validate(share) for share in row.tactic_split]
    tactic_ids: dict[str, uuid.UUID | None] = {}
    for share in shares:
        tactic = versions.latest(session, BehavioralTactic, org_id, share.tactic_name, active_only=True)
        tactic_ids[share.tactic_name] = None if tactic is None else tactic.id
    targeted = _targeting_query(org_id, Targeting.model_validate(row.targeting)).subquery()
    if session.get_bind().dialect.name == "postgresql":
        added = _plan_in_sql(session, org_id, row.id, new=targeted, shares=shares, tactic_ids=tactic_ids)
    else:
        unplanned = (
            sa.select(targeted.c.id, targeted.c.customer_id)
            .outerjoin(
                CampaignTarget,
                sa.and_(CampaignTarget.campaign_id == row.id, CampaignTarget.account_id == targeted.c.id),
            )
            .where(CampaignTarget.id.is_(None))
        )
        accounts = [(account_id, customer_id) for account_id, customer_id in session.execute(unplanned)]
        added = _plan_in_python(
            session, org_id, row.id, new_accounts=accounts, shares=shares, tactic_ids=tactic_ids
        )
    total = session.scalar(sa.select(sa.func.count()).where(CampaignTarget.campaign_id == row.id)) or 0
    return PlanReport(total=total, added=added)


def _plan_in_sql(
    session: Session,
    org_id: uuid.UUID,
    campaign_id: uuid.UUID,
    *,
    new: sa.Subquery,
    shares: list[TacticShare],
    tactic_ids: dict[str, uuid.UUID | None],
) -> int:
    point = _sql_arm_point(campaign_id, new.c.id) % sum(share.weight for share in shares)
    arms, bound = [], 0
    for share in shares:
        bound += share.weight
        arms.append((point < bound, sa.literal(tactic_ids[share.tactic_name], sa.Uuid())))
    now = utcnow()
    columns = ["id", "organization_id", "campaign_id", "customer_id", "account_id", "behavioral_tactic_id",
               "status", "attempts", "blocked_reasons", "created_at", "updated_at"]  # fmt: skip
    select = sa.select(
        sa.func.gen_random_uuid(),
        sa.literal(org_id, sa.Uuid()),
        sa.literal(campaign_id, sa.Uuid()),
        new.c.customer_id,
        new.c.id,
        sa.case(*arms),
        sa.literal(TargetStatus.PENDING.value),
        sa.literal(0),
        sa.cast(sa.literal("[]"), sa.dialects.postgresql.JSONB),
        sa.literal(now, UTCDateTime()),
        sa.literal(now, UTCDateTime()),
    )
    before = session.scalar(sa.select(sa.func.count()).where(CampaignTarget.campaign_id == campaign_id)) or 0
    # ON CONFLICT rather than an anti-join: the unique (campaign, account) index skips what is planned, and
    # no plan ever scans the table it is filling.
    insert = sa.dialects.postgresql.insert(CampaignTarget).from_select(columns, select)
    session.execute(insert.on_conflict_do_nothing(index_elements=["campaign_id", "account_id"]))
    after = session.scalar(sa.select(sa.func.count()).where(CampaignTarget.campaign_id == campaign_id)) or 0
    return after - before


def _plan_in_python(
    session: Session,
    org_id: uuid.UUID,
    campaign_id: uuid.UUID,
    *,
    new_accounts: Sequence[tuple[uuid.UUID, uuid.UUID]],
    shares: list[TacticShare],
    tactic_ids: dict[str, uuid.UUID | None],
) -> int:
    now = utcnow()
    values: list[dict[str, Any]] = [
        {
            "id": uuid.uuid4(),
            "organization_id": org_id,
            "campaign_id": campaign_id,
            "customer_id": customer_id,
            "account_id": account_id,
            "behavioral_tactic_id": tactic_ids[assign_tactic(campaign_id, account_id, shares)],
            "status": TargetStatus.PENDING,
            "attempts": 0,
            "blocked_reasons": [],
            "created_at": now,
            "updated_at": now,
        }
        for account_id, customer_id in new_accounts
    ]
    for start in range(0, len(values), 20_000):
        session.execute(sa.insert(CampaignTarget), values[start : start + 20_000])
    return len(values)


def _check_target(
    session: Session,
    org_id: uuid.UUID,
    campaign: Campaign,
    target: CampaignTarget,
    *,
    at: datetime,
    purpose: str,
) -> ComplianceDecision:
    """The compliance engine's decision on calling `target` at `at` under the campaign's rules, audited with
    the campaign, the target's tactic and `purpose` (`dial` or `retry`)."""
    return compliance.check_customer(
        session=session,
        org_id=org_id,
        customer_id=target.customer_id,
        at=at,
        account_id=target.account_id,
        rules=campaign_rules(session, org_id, campaign),
        context=_audit_context(campaign, target, purpose=purpose),
    )


def campaign_rules(session: Session, org_id: uuid.UUID, campaign: Campaign) -> CallingRules:
    """The organization's rules narrowed by the campaign's window and dialing days."""
    settings = compliance.organization_settings(session=session, org_id=org_id)
    window = None
    if campaign.calling_window:
        narrow = CallingWindow.model_validate(campaign.calling_window)
        window = Window(narrow.start, narrow.end)
    weekdays = CampaignSchedule.model_validate(campaign.schedule).weekdays
    return CallingRules.for_organization(
        settings, window=window, weekdays=None if len(weekdays) == 7 else weekdays
    )


def claim_wave(
    *,
    session: Session,
    org_id: uuid.UUID,
    campaign_id: uuid.UUID,
    instance_id: str,
    at: datetime,
    exclude: list[uuid.UUID] | None = None,
    limit: int | None = None,
    lookahead: timedelta = timedelta(minutes=5),
) -> Wave:
    """The targets due by `at + lookahead`, soonest first: at most `limit` (default: the campaign's
    concurrency), none of `exclude` (the attempts the run has in flight). A pure read — the run never claims
    a target it has in flight — except that a campaign past its end date cancels what is left."""
    row = _get_row(session, org_id, campaign_id)
    capacity = row.max_concurrent_calls
    if row.instance_id != instance_id:
        return Wave(status="superseded", capacity=capacity)
    if row.status is CampaignStatus.PAUSED:
        return Wave(status="paused", capacity=capacity)
    if row.status is CampaignStatus.CANCELED:
        return Wave(status="canceled", capacity=capacity)
    if row.status is not CampaignStatus.RUNNING:
        return Wave(status="superseded", capacity=capacity)
    schedule = CampaignSchedule.model_validate(row.schedule)
    zone = ZoneInfo(compliance.organization_settings(session=session, org_id=org_id).timezone)
    today = at.astimezone(zone).date()
    if schedule.end_date is not None and today > schedule.end_date:
        _close_targets(session, row.id, f"campaign_ended: the campaign ended on {schedule.end_date}")
    remaining = (
        session.scalar(
            sa.select(sa.func.count()).where(
                CampaignTarget.campaign_id == row.id, CampaignTarget.status.in_(ACTIVE_TARGET_STATUSES)
            )
        )
        or 0
    )
    if schedule.start_date is not None and today < schedule.start_date:
        opens = datetime.combine(schedule.start_date, time(0), tzinfo=zone).astimezone(UTC)
        return Wave(status="running", remaining=remaining, next_due_at=opens, capacity=capacity)
    waiting = sa.and_(
        CampaignTarget.campaign_id == row.id,
        CampaignTarget.status.in_(WAITING_TARGET_STATUSES),
        CampaignTarget.id.not_in(exclude or []),
    )
    due = session.execute(
        sa.select(CampaignTarget.id, CampaignTarget.attempts)
        .where(
            waiting,
            sa.or_(
                CampaignTarget.next_attempt_at.is_(None), CampaignTarget.next_attempt_at <= at + lookahead
            ),
        )
        .order_by(
            sa.case((CampaignTarget.next_attempt_at.is_(None), 0), else_=1),
            CampaignTarget.next_attempt_at,
            CampaignTarget.id,
        )
        .limit(capacity if limit is None else max(0, min(limit, capacity)))
    ).all()
    targets = [WaveTarget(target_id=target_id, attempts=tried) for target_id, tried in due]
    claimed = [target.target_id for target in targets]
    next_due = session.scalar(
        sa.select(sa.func.min(CampaignTarget.next_attempt_at)).where(
            waiting, CampaignTarget.id.not_in(claimed)
        )
    )
    return Wave(
        status="running", targets=targets, remaining=remaining, next_due_at=next_due, capacity=capacity
    )


# --- The attempt gate, dialing and dispositions ------------------------------------------------------------


def _target_row(
    session: Session, org_id: uuid.UUID, campaign_id: uuid.UUID, target_id: uuid.UUID
) -> CampaignTarget:
    row = session.scalar(
        sa.select(CampaignTarget).where(
            CampaignTarget.organization_id == org_id,
            CampaignTarget.campaign_id == campaign_id,
            CampaignTarget.id == target_id,
        )
    )
    if row is None:
        raise NotFound("campaign target not found")
    return row


def _set_metadata(call: Call, **values: Any) -> None:
    call.call_metadata = {**(call.call_metadata or {}), **values}


def open_attempt(
    *,
    session: Session,
    org_id: uuid.UUID,
    campaign_id: uuid.UUID,
    target_id: uuid.UUID,
    attempt_instance_id: str,
    run_instance_id: str,
    at: datetime,
) -> AttemptGate:
    """The gate before a dial. Asks the compliance engine (audited) whether the target may be called at
    `at`; when it may, creates the call row and the ledger entry under the attempt's idempotency key (from
    `attempt_instance_id`, the attempt's orchestration) and returns what to dial. Safe to repeat: an attempt
    already opened is returned, never opened twice, and one whose dialing was interrupted is counted, never
    redialed."""
    campaign = _get_row(session, org_id, campaign_id)
    target = _target_row(session, org_id, campaign_id, target_id)
    key = attempts.attempt_key(attempt_instance_id)
    active = campaign.instance_id == run_instance_id and campaign.status is CampaignStatus.RUNNING
    existing = attempts.get_by_key(session=session, org_id=org_id, idempotency_key=key)
    if existing is not None:
        reopened = _reopen(session, org_id, campaign, target, existing, key=key, active=active, at=at)
        if reopened is not None:
            return reopened
    refused = _refuse(session, org_id, campaign, target, active=active, at=at)
    if refused is not None:
        return refused
    customer = session.get(Customer, target.customer_id)
    assert customer is not None  # the foreign key guarantees it
    settings = compliance.organization_settings(session=session, org_id=org_id)
    created = calls.create_call(
        session=session,
        org_id=org_id,
        call_in=CallCreate(
            call_type=CallType.CAMPAIGN,
            direction=CallDirection.OUTBOUND,
            customer_id=customer.id,
            account_id=target.account_id,
            campaign_id=campaign.id,
            campaign_target_id=target.id,
            from_number=settings.caller_id_number,
            to_number=customer.phone_number,
            status=CallStatus.QUEUED,
            start_time=at,
            behavioral_tactic_id=target.behavioral_tactic_id,
            negotiation_policy_id=campaign.negotiation_policy_id,
            metadata={
                ORCHESTRATION_INSTANCE_KEY: attempt_instance_id,
                "attempt_key": key,
                "attempt_number": target.attempts + 1,
                DIAL_STATE: "pending",
            },
        ),
    )
    attempts.record_attempt(
        session=session,
        org_id=org_id,
        customer_id=customer.id,
        account_id=target.account_id,
        phone_number=customer.phone_number,
        idempotency_key=key,
        attempted_at=at,
        call_id=created.id,
        campaign_target_id=target.id,
        looked_up=existing is None,
    )
    target.status, target.last_call_id = TargetStatus.DIALING, created.id
    target.next_attempt_at, target.blocked_reasons = None, []
    session.flush()
    call = session.get(Call, created.id)
    assert call is not None
    return AttemptGate(action="dial", request=_dial_request(campaign, target, call, key))


def _reopen(
    session: Session,
    org_id: uuid.UUID,
    campaign: Campaign,
    target: CampaignTarget,
    existing: CallAttemptPublic,
    *,
    key: str,
    active: bool,
    at: datetime,
) -> AttemptGate | None:
    """An attempt this orchestration already opened (its activity runs again): carry on from where it was."""
    call = None if existing.call_id is None else session.get(Call, existing.call_id)
    state = None if call is None else (call.call_metadata or {}).get(DIAL_STATE)
    if call is None or existing.result is not AttemptResult.PENDING:
        return AttemptGate(action="skip", reasons=["attempt_settled: this attempt was already recorded"])
    if state == "placed":
        return AttemptGate(action="dial", placed=True, request=_dial_request(campaign, target, call, key))
    if state == "pending":
        # A crash between writing the attempt and hearing back from the dialer: it may have dialed.
        # Counting it and never redialing keeps both promises (no double dial, no undercount).
        attempts.set_result(
            session=session, org_id=org_id, attempt_id=existing.id, result=AttemptResult.FAILED
        )
        call.status = CallStatus.FAILED
        _set_metadata(call, **{DIAL_STATE: "unknown"})
        target.attempts += 1
        target.last_outcome = AttemptResult.FAILED.value
        outcome = _after_attempt(session, org_id, campaign, target, result=AttemptResult.FAILED, at=at)
        return AttemptGate(
            action="failed",
            reasons=["dial_interrupted: dialing was interrupted; counted as an attempt, not redialed",
                     *outcome.reasons],
        )  # fmt: skip
    if active:  # not placed: the dialer refused it transiently, so dialing again is safe
        return AttemptGate(action="dial", request=_dial_request(campaign, target, call, key))
    attempts.set_result(session=session, org_id=org_id, attempt_id=existing.id, result=AttemptResult.CANCELED)
    call.status = CallStatus.CANCELED
    return None


def _refuse(
    session: Session,
    org_id: uuid.UUID,
    campaign: Campaign,
    target: CampaignTarget,
    *,
    active: bool,
    at: datetime,
) -> AttemptGate | None:
    """Why no call may be opened for the target now (the run, the target, the attempt limit, compliance)."""
    skip = None
    if not active:
        if campaign.status is CampaignStatus.CANCELED and target.status in WAITING_TARGET_STATUSES:
            target.status = TargetStatus.CANCELED
        skip = f"run_not_active: the campaign is {campaign.status.value}"
    elif target.status in TERMINAL_TARGET_STATUSES:
        skip = f"target_settled: the target is {target.status.value}"
    elif target.status in (TargetStatus.DIALING, TargetStatus.IN_CALL):
        # Another attempt holds this target and settles it: never two calls to one target at once.
        skip = "target_in_call: another attempt is in progress"
    if skip is not None:
        return AttemptGate(action="skip", reasons=[skip])
    if target.attempts >= campaign.max_attempts_per_target:
        target.status = TargetStatus.EXHAUSTED
        return AttemptGate(action="exhausted")
    decision = _check_target(session, org_id, campaign, target, at=at, purpose="dial")
    if decision.allowed:
        return None
    for code in decision.codes:
        telemetry.record_compliance_block(code, campaign_id=campaign.id)
    target.blocked_reasons = decision.reasons
    if decision.next_allowed_at is None:
        target.status, target.next_attempt_at = TargetStatus.BLOCKED, None
        return AttemptGate(action="blocked", reasons=decision.reasons)
    target.status, target.next_attempt_at = TargetStatus.WAITING_WINDOW, decision.next_allowed_at
    return AttemptGate(action="wait", next_allowed_at=decision.next_allowed_at, reasons=decision.reasons)


def _audit_context(campaign: Campaign, target: CampaignTarget, *, purpose: str) -> dict[str, str | None]:
    """What the audited compliance decision was for (analytics counts `dial` refusals per campaign/tactic)."""
    tactic = target.behavioral_tactic_id
    return {
        "purpose": purpose,
        "campaign_id": str(campaign.id),
        "campaign_target_id": str(target.id),
        "behavioral_tactic_id": None if tactic is None else str(tactic),
    }


def _dial_request(campaign: Campaign, target: CampaignTarget, call: Call, key: str) -> DialRequest:
    metadata = call.call_metadata or {}
    return DialRequest(
        call_id=call.id,
        organization_id=campaign.organization_id,
        campaign_id=campaign.id,
        campaign_target_id=target.id,
        customer_id=target.customer_id,
        account_id=target.account_id,
        to_number=call.to_number or "",
        from_number=call.from_number,
        behavioral_tactic_id=call.behavioral_tactic_id,
        orchestration_instance_id=str(metadata.get(ORCHESTRATION_INSTANCE_KEY, "")),
        idempotency_key=key,
        attempt_number=int(metadata.get("attempt_number", 0)),
    )


def mark_dialed(
    *,
    session: Session,
    org_id: uuid.UUID,
    call_id: uuid.UUID,
    receipt: DialReceipt,
    traceparent: str | None = None,
) -> None:
    """The dialer placed the call: the attempt now counts for the target, which is in a call. `traceparent`
    (the call's trace) is kept in the call's metadata for the webhooks and the disposition."""
    call = calls_row(session, org_id, call_id)
    if (call.call_metadata or {}).get(DIAL_STATE) == "placed":
        return
    _set_metadata(call, **{DIAL_STATE: "placed"})
    if traceparent:
        _set_metadata(call, **{telemetry.TRACEPARENT: traceparent})
    call.call_sid = call.call_sid or receipt.call_sid
    if CallStatus(receipt.status).rank > CallStatus(call.status).rank:
        call.status = receipt.status  # a status callback that came first (ringing, ...) is not undone
    if call.campaign_target_id is not None:
        target = session.get(CampaignTarget, call.campaign_target_id)
        if target is not None:
            target.attempts += 1
            if target.status is TargetStatus.DIALING:
                target.status = TargetStatus.IN_CALL
    session.flush()


def mark_not_placed(
    *, session: Session, org_id: uuid.UUID, call_id: uuid.UUID, reason: str, permanent: bool
) -> AttemptGate | None:
    """The dialer refused the call; it was not placed. A transient refusal leaves the attempt open for the
    activity's retry; a permanent one cancels the attempt (it never rang) and blocks the target."""
    call = calls_row(session, org_id, call_id)
    _set_metadata(call, **{DIAL_STATE: "not_placed", "dial_error": reason[:300]})
    if not permanent:
        session.flush()
        return None
    call.status = CallStatus.FAILED
    key = str((call.call_metadata or {}).get("attempt_key", ""))
    attempt = attempts.get_by_key(session=session, org_id=org_id, idempotency_key=key)
    if attempt is not None and attempt.result is AttemptResult.PENDING:
        attempts.set_result(
            session=session, org_id=org_id, attempt_id=attempt.id, result=AttemptResult.CANCELED
        )
    reasons = [f"dial_failed: {reason}"]
    if call.campaign_target_id is not None:
        target = session.get(CampaignTarget, call.campaign_target_id)
        if target is not None:
            target.status, target.blocked_reasons, target.next_attempt_at = (
                TargetStatus.BLOCKED,
                reasons,
                None,
            )
    session.flush()
    return AttemptGate(action="blocked", reasons=reasons)


def attempt_traceparent(*, session: Session, org_id: uuid.UUID, attempt_instance_id: str) -> str | None:
    """The traceparent of the call an attempt placed (from the call's metadata), or None."""
    metadata = session.scalar(
        sa.select(Call.call_metadata)
        .join(CallAttempt, CallAttempt.call_id == Call.id)
        .where(
            CallAttempt.organization_id == org_id,
            CallAttempt.idempotency_key == attempts.attempt_key(attempt_instance_id),
        )
    )
    return telemetry.traceparent_from(metadata)


def calls_row(session: Session, org_id: uuid.UUID, call_id: uuid.UUID) -> Call:
    """The call row, locked for the transaction (PostgreSQL): the dialer, the webhooks and the agent host each
    rewrite its metadata, and without the lock one's write could drop another's keys."""
    row = session.scalar(
        sa.select(Call).where(Call.organization_id == org_id, Call.id == call_id).with_for_update()
    )
    if row is None:
        raise NotFound("call not found")
    return row


def attempt_result(status: CallStatus, outcome: CallOutcome | None, answered_by: str | None) -> AttemptResult:
    """How a finished call counts: answered by a person, a machine (voicemail), or not answered."""
    machine = answered_by is not None and answered_by.startswith(("machine", "fax"))
    if status is CallStatus.COMPLETED:
        return (
            AttemptResult.VOICEMAIL
            if machine or outcome is CallOutcome.VOICEMAIL
            else AttemptResult.CONNECTED
        )
    return {
        CallStatus.BUSY: AttemptResult.BUSY,
        CallStatus.NO_ANSWER: AttemptResult.NO_ANSWER,
        CallStatus.CANCELED: AttemptResult.FAILED,
    }.get(status, AttemptResult.FAILED)


def record_disposition(
    *,
    session: Session,
    org_id: uuid.UUID,
    campaign_id: uuid.UUID,
    target_id: uuid.UUID,
    attempt_instance_id: str,
    completed: CallCompleted | None,
    at: datetime,
) -> TargetOutcome:
    """Record how the attempt ended and decide the target's next step: done when a person answered,
    exhausted at the campaign's maximum, otherwise the next attempt after the disposition's backoff, no
    earlier than the compliance engine allows (or blocked when it never will). `completed` None means the
    call's completion never arrived (timeout) or dialing failed: the call row says what is known. Recording
    the same attempt twice changes nothing."""
    campaign = _get_row(session, org_id, campaign_id)
    target = _target_row(session, org_id, campaign_id, target_id)
    key = attempts.attempt_key(attempt_instance_id)
    attempt = attempts.get_by_key(session=session, org_id=org_id, idempotency_key=key)
    if attempt is None or attempt.call_id is None:
        if target.status in (TargetStatus.DIALING, TargetStatus.IN_CALL):
            return _after_attempt(session, org_id, campaign, target, result=AttemptResult.FAILED, at=at)
        return _current(target)
    if attempt.result is not AttemptResult.PENDING:
        return _current(target, attempt.result)
    call = calls_row(session, org_id, attempt.call_id)
    if (call.call_metadata or {}).get(DIAL_STATE) != "placed" and completed is None:
        # Never placed (the dialer refused it every time): not an attempt.
        attempts.set_result(
            session=session, org_id=org_id, attempt_id=attempt.id, result=AttemptResult.CANCELED
        )
        call.status = CallStatus.CANCELED
        return _after_attempt(
            session, org_id, campaign, target, result=AttemptResult.FAILED, at=at, counted=False
        )
    if completed is not None:
        # Twilio's completion knows nothing of the conversation: the outcome the agent wrote on the row
        # (and an AMD result stored first) fill in what the event lacks.
        status = completed.status
        outcome = completed.outcome or call.outcome
        answered_by = completed.answered_by or call.answered_by
    elif call.status in _FINAL_CALL:
        status, outcome, answered_by = call.status, call.outcome, call.answered_by
    else:
        status, outcome, answered_by = CallStatus.FAILED, None, call.answered_by
        _set_metadata(call, orchestration_timeout=True)
    result = attempt_result(status, outcome, answered_by)
    attempts.set_result(
        session=session, org_id=org_id, attempt_id=attempt.id, result=result, is_conversation=call.verified
    )
    target.last_outcome = outcome.value if outcome is not None else result.value
    return _after_attempt(session, org_id, campaign, target, result=result, at=at)


def _current(target: CampaignTarget, result: AttemptResult | None = None) -> TargetOutcome:
    return TargetOutcome(
        target_id=target.id,
        status=target.status,
        attempt_result=result,
        outcome=target.last_outcome,
        next_attempt_at=target.next_attempt_at,
        reasons=list(target.blocked_reasons or []),
    )


_BACKOFF = {
    AttemptResult.NO_ANSWER: "no_answer_minutes",
    AttemptResult.BUSY: "busy_minutes",
    AttemptResult.VOICEMAIL: "voicemail_minutes",
    AttemptResult.FAILED: "failed_minutes",
}


def _after_attempt(
    session: Session,
    org_id: uuid.UUID,
    campaign: Campaign,
    target: CampaignTarget,
    *,
    result: AttemptResult,
    at: datetime,
    counted: bool = True,
) -> TargetOutcome:
    if result is AttemptResult.CONNECTED:
        target.status, target.next_attempt_at, target.blocked_reasons = TargetStatus.DONE, None, []
    elif counted and target.attempts >= campaign.max_attempts_per_target:
        target.status, target.next_attempt_at = TargetStatus.EXHAUSTED, None
    else:
        policy = RetryPolicy.model_validate(campaign.retry_policy)
        earliest = at + timedelta(minutes=getattr(policy, _BACKOFF.get(result, "failed_minutes")))
        decision = _check_target(session, org_id, campaign, target, at=earliest, purpose="retry")
        target.blocked_reasons = decision.reasons
        if decision.next_allowed_at is None:
            target.status, target.next_attempt_at = TargetStatus.BLOCKED, None
        else:
            target.next_attempt_at = decision.next_allowed_at
            target.status = TargetStatus.PENDING if decision.allowed else TargetStatus.WAITING_WINDOW
    session.flush()
    return _current(target, result)


def record_call_end(
    *,
    session: Session,
    org_id: uuid.UUID,
    call_id: uuid.UUID,
    completed: CallCompleted,
    ended_at: datetime,
    verified: bool | None = None,
) -> None:
    """Write a finished call's final status onto its row, as the Twilio status callback does for real calls
    (simulated telephony and tests use this). The first outcome stays (see `calls.finalize_call`)."""
    call = calls_row(session, org_id, call_id)
    call.status = completed.status
    call.answered_by = completed.answered_by or call.answered_by
    if verified is not None:
        call.verified = call.verified or verified
    if completed.duration_seconds is not None and completed.status is CallStatus.COMPLETED:
        call.answered_at = call.answered_at or ended_at - timedelta(seconds=completed.duration_seconds)
    if completed.outcome is not None:
        calls.finalize_call(
            session=session, org_id=org_id, call_id=call_id, outcome=completed.outcome, ended_at=ended_at
        )
    elif call.end_time is None:
        call.end_time = ended_at
    if completed.duration_seconds is not None:
        call.duration_seconds = completed.duration_seconds
    session.flush()


# --- Progress and targets ----------------------------------------------------------------------------------


def _counts(session: Session, campaign_id: uuid.UUID) -> dict[str, int]:
    counts = {status.value: 0 for status in TargetStatus}
    for status, number in session.execute(
        sa.select(CampaignTarget.status, sa.func.count())
        .where(CampaignTarget.campaign_id == campaign_id)
        .group_by(CampaignTarget.status)
    ):
        counts[status.value] = number
    return counts


def get_progress(*, session: Session, org_id: uuid.UUID, campaign_id: uuid.UUID) -> CampaignProgressPublic:
    row = _get_row(session, org_id, campaign_id)
    counts = _counts(session, row.id)
    outcomes = {
        outcome: number
        for outcome, number in session.execute(
            sa.select(CampaignTarget.last_outcome, sa.func.count())
            .where(CampaignTarget.campaign_id == row.id, CampaignTarget.last_outcome.is_not(None))
            .group_by(CampaignTarget.last_outcome)
        )
    }
    total = sum(counts.values())
    tried = session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(CampaignTarget.attempts), 0)).where(
            CampaignTarget.campaign_id == row.id
        )
    )
    settled = sum(counts[status.value] for status in TERMINAL_TARGET_STATUSES)
    return CampaignProgressPublic(
        campaign_id=row.id,
        status=row.status,
        run_number=row.run_number,
        instance_id=row.instance_id,
        total=total,
        counts=counts,
        outcomes=dict(sorted(outcomes.items())),
        attempts=int(tried or 0),
        percent_done=round(100.0 * settled / total, 2) if total else 0.0,
    )


def list_targets(
    *,
    session: Session,
    org_id: uuid.UUID,
    campaign_id: uuid.UUID,
    status: TargetStatus | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> Page[CampaignTargetPublic]:
    """A campaign's targets with their tactic and progress, in a stable order (id), cursor-paginated."""
    _get_row(session, org_id, campaign_id)
    limit = clamp_limit(limit)
    filters: list[sa.ColumnElement[bool]] = [
        CampaignTarget.organization_id == org_id,
        CampaignTarget.campaign_id == campaign_id,
    ]
    if status is not None:
        filters.append(CampaignTarget.status == status)
    count = session.scalar(sa.select(sa.func.count()).select_from(CampaignTarget).where(*filters)) or 0
    query = (
        sa.select(CampaignTarget, BehavioralTactic.name)
        .outerjoin(BehavioralTactic, BehavioralTactic.id == CampaignTarget.behavioral_tactic_id)
        .where(*filters)
    )
    if cursor:
        (after,) = decode_cursor(cursor, parts=1)
        try:
            query = query.where(CampaignTarget.id > uuid.UUID(after))
        except ValueError:
            raise InvalidInput(
                "cursor is not valid; use the next_cursor of a previous page", field="cursor"
            ) from None
    rows = session.execute(query.order_by(CampaignTarget.id).limit(limit + 1)).all()
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1][0].id)
    data = [
        CampaignTargetPublic.model_validate(target).model_copy(update={"tactic_name": tactic_name})
        for target, tactic_name in rows
    ]
    return Page[CampaignTargetPublic](data=data, count=count, next_cursor=next_cursor)
