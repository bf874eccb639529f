"""Outbound campaigns: targeting, tactic split, schedule, pacing and retry policy; their targets and live
progress; and `CallCompleted`, the event that tells a waiting orchestration how its call ended.

The contract with the Twilio status webhook (and the simulated telephony): the call row of a campaign attempt
carries `campaign_id`, `campaign_target_id` and `metadata["orchestration_instance_id"]`
(`ORCHESTRATION_INSTANCE_KEY`); when the call reaches a final status, raise the external event
`call_completed` (`CALL_COMPLETED_EVENT`) on that instance exactly once, with a `CallCompleted` as payload
(`CallCompleted(...).model_dump(mode="json")`)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any, Literal

from cronsim import CronSim, CronSimError
from pydantic import AliasChoices, Field, field_validator, model_validator

from shared.domain import AttemptResult, CallOutcome, CallStatus, CampaignStatus, TargetStatus
from shared.models.common import MoneyAmount, Page, PublicSchema, Schema, StateCode
from shared.models.organizations import CallingWindow

CALL_COMPLETED_EVENT = "call_completed"
ORCHESTRATION_INSTANCE_KEY = "orchestration_instance_id"


class CallCompleted(Schema):
    """A campaign call reached a final status. `outcome` is the agent's disposition when the call was
    answered; `answered_by` is Twilio's answering-machine detection (`human`, `machine_start`, ...)."""

    call_id: uuid.UUID
    status: CallStatus
    outcome: CallOutcome | None = None
    answered_by: str | None = Field(default=None, max_length=32)
    duration_seconds: int | None = Field(default=None, ge=0)


class TacticShare(Schema):
    """One arm of the A/B split: a tactic (by name; its current version at planning) and its weight."""

    tactic_name: str = Field(min_length=1, max_length=50, pattern=r"^[a-z0-9_]+$")
    weight: int = Field(default=1, ge=1, le=1000)


class Targeting(Schema):
    """Which accounts (debts) the campaign works. Criteria combine with AND; empty lists mean "any". An
    explicit list of accounts or customers narrows the rest further. Only active accounts are targeted."""

    segments: list[str] = Field(default_factory=list, max_length=20)
    days_past_due_min: int | None = Field(default=None, ge=0, le=10_000)
    days_past_due_max: int | None = Field(default=None, ge=0, le=10_000)
    balance_min: MoneyAmount | None = None
    balance_max: MoneyAmount | None = None
    states: list[StateCode] = Field(default_factory=list, max_length=60)
    account_ids: list[uuid.UUID] = Field(default_factory=list, max_length=100_000)
    customer_ids: list[uuid.UUID] = Field(default_factory=list, max_length=100_000)

    @model_validator(mode="after")
    def _ranges_ordered(self) -> Targeting:
        if (
            self.days_past_due_min is not None
            and self.days_past_due_max is not None
            and self.days_past_due_min > self.days_past_due_max
        ):
            raise ValueError("days_past_due_min must not exceed days_past_due_max")
        if (
            self.balance_min is not None
            and self.balance_max is not None
            and self.balance_min > self.balance_max
        ):
            raise ValueError("balance_min must not exceed balance_max")
        return self


class CampaignSchedule(Schema):
    """When runs start and when the campaign may dial. `cron` (5 fields, read in the organization's time
    zone) starts a run at each firing while the campaign is `scheduled`; without it runs start by hand.
    `weekdays` (0 = Monday) are the days calls may be placed, by the consumer's calendar."""

    cron: str | None = Field(default=None, max_length=100)
    start_date: date | None = None
    end_date: date | None = None
    weekdays: list[int] = Field(default_factory=lambda: [0, 1, 2, 3, 4, 5, 6], min_length=1, max_length=7)

    @field_validator("cron")
    @classmethod
    def _cron_parses(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        try:
            CronSim(value, datetime(2026, 1, 1, tzinfo=UTC))
        except CronSimError as exc:
            raise ValueError(f"not a valid cron expression: {exc}") from None
        return value.strip()

    @field_validator("weekdays")
    @classmethod
    def _days_of_week(cls, value: list[int]) -> list[int]:
        if any(day < 0 or day > 6 for day in value):
            raise ValueError("weekdays are 0 (Monday) to 6 (Sunday)")
        return sorted(set(value))

    @model_validator(mode="after")
    def _dates_ordered(self) -> CampaignSchedule:
        if self.start_date and self.end_date and self.start_date > self.end_date:
            raise ValueError("start_date must not be after end_date")
        return self


class RetryPolicy(Schema):
    """Minutes to wait before the next attempt, per disposition of the last one. The compliance engine may
    push the attempt later still (window, 7-in-7, quiet period)."""

    no_answer_minutes: int = Field(default=240, ge=1, le=10_080)
    busy_minutes: int = Field(default=30, ge=1, le=10_080)
    voicemail_minutes: int = Field(default=1440, ge=1, le=10_080)
    failed_minutes: int = Field(default=60, ge=1, le=10_080)


class CampaignCreate(Schema):
    name: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=2000)
    targeting: Targeting = Field(default_factory=Targeting)
    tactics: list[TacticShare] = Field(min_length=1, max_length=10)
    schedule: CampaignSchedule = Field(default_factory=CampaignSchedule)
    calling_window: CallingWindow | None = None  # None: the organization's window
    max_concurrent_calls: int = Field(default=10, ge=1, le=500)
    max_attempts_per_target: int = Field(default=3, ge=1, le=20)
    retry_policy: RetryPolicy = Field(default_factory=RetryPolicy)
    negotiation_policy_id: uuid.UUID | None = None

    @field_validator("tactics")
    @classmethod
    def _tactics_unique(cls, value: list[TacticShare]) -> list[TacticShare]:
        names = [share.tactic_name for share in value]
        if len(set(names)) != len(names):
            raise ValueError("each tactic may appear once in the split")
        return value


class CampaignUpdate(Schema):
    """Targeting and the tactic split cannot change while a run is running or paused; pacing, schedule and
    retries can (the next wave reads them)."""

    name: str | None = Field(default=None, min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=2000)
    targeting: Targeting | None = None
    tactics: list[TacticShare] | None = Field(default=None, min_length=1, max_length=10)
    schedule: CampaignSchedule | None = None
    calling_window: CallingWindow | None = None
    max_concurrent_calls: int | None = Field(default=None, ge=1, le=500)
    max_attempts_per_target: int | None = Field(default=None, ge=1, le=20)
    retry_policy: RetryPolicy | None = None
    status: CampaignStatus | None = Field(
        default=None, description="`scheduled` arms a campaign with a cron schedule; `draft` disarms it"
    )


class CampaignPublic(PublicSchema):
    id: uuid.UUID
    organization_id: uuid.UUID
    name: str
    description: str
    status: CampaignStatus
    targeting: Targeting
    tactics: list[TacticShare] = Field(validation_alias=AliasChoices("tactic_split", "tactics"))
    schedule: CampaignSchedule
    calling_window: CallingWindow | None
    max_concurrent_calls: int
    max_attempts_per_target: int
    retry_policy: RetryPolicy
    negotiation_policy_id: uuid.UUID | None
    instance_id: str | None
    run_number: int
    started_at: datetime | None
    completed_at: datetime | None
    created_at: datetime
    updated_at: datetime


CampaignsPublic = Page[CampaignPublic]


class CampaignTargetPublic(PublicSchema):
    id: uuid.UUID
    campaign_id: uuid.UUID
    customer_id: uuid.UUID
    account_id: uuid.UUID
    behavioral_tactic_id: uuid.UUID | None
    tactic_name: str | None = None
    status: TargetStatus
    attempts: int
    next_attempt_at: datetime | None
    last_outcome: str | None
    last_call_id: uuid.UUID | None
    blocked_reasons: list[Any]
    updated_at: datetime


CampaignTargetsPublic = Page[CampaignTargetPublic]


class CampaignProgressPublic(PublicSchema):
    """Where a campaign stands. `counts` has every target status (planned = `pending`, `waiting_window`,
    `dialing`, `in_call`, `done`, `blocked`, `exhausted`, `canceled`); `outcomes` counts the last outcome
    of targets that have one; `runtime` is the orchestration's own status when known."""

    campaign_id: uuid.UUID
    status: CampaignStatus
    run_number: int
    instance_id: str | None
    total: int
    counts: dict[str, int]
    outcomes: dict[str, int]
    attempts: int
    percent_done: float
    runtime: dict[str, Any] | None = None


class CampaignRunPublic(PublicSchema):
    """The answer to start/pause/resume/cancel: the campaign and the run's orchestration instance."""

    campaign: CampaignPublic
    instance_id: str | None
    runtime: dict[str, Any] | None = None


# --- What the orchestration's activities exchange (JSON through the Durable history) ----------------------


class PlanReport(PublicSchema):
    total: int
    added: int


class WaveTarget(PublicSchema):
    target_id: uuid.UUID
    attempts: int  # placed so far in this run


class Wave(PublicSchema):
    """The targets due now (at most the free room in the run's window), or why there are none: the run was
    paused, canceled or superseded, or nothing is due before `next_due_at`."""

    status: Literal["running", "paused", "canceled", "superseded"]
    targets: list[WaveTarget] = Field(default_factory=list)
    remaining: int = 0  # targets not settled yet, those in flight included
    next_due_at: datetime | None = None
    capacity: int = 1  # the campaign's maximum concurrent calls


class DialRequest(PublicSchema):
    """Everything a dialer needs to place one campaign call (the call row already exists)."""

    call_id: uuid.UUID
    organization_id: uuid.UUID
    campaign_id: uuid.UUID
    campaign_target_id: uuid.UUID
    customer_id: uuid.UUID
    account_id: uuid.UUID
    to_number: str
    from_number: str | None
    behavioral_tactic_id: uuid.UUID | None
    orchestration_instance_id: str
    idempotency_key: str
    attempt_number: int


class DialReceipt(PublicSchema):
    call_sid: str | None = None
    status: CallStatus = CallStatus.INITIATED


class AttemptGate(PublicSchema):
    """What the attempt gate decided: `dial` (the call row and ledger entry exist; `request` says what to
    dial; `placed` when an earlier execution already dialed it), `wait` until `next_allowed_at`, `blocked`
    for good, `skip` (the run is paused, canceled or superseded), `exhausted`, or `failed` (dialing was
    interrupted in a way that cannot be retried safely; the attempt counts)."""

    action: Literal["dial", "wait", "blocked", "skip", "exhausted", "failed"]
    request: DialRequest | None = None
    placed: bool = False
    next_allowed_at: datetime | None = None
    reasons: list[str] = Field(default_factory=list)


class TargetOutcome(PublicSchema):
    target_id: uuid.UUID
    status: TargetStatus
    attempt_result: AttemptResult | None = None
    outcome: str | None = None
    next_attempt_at: datetime | None = None
    reasons: list[str] = Field(default_factory=list)
