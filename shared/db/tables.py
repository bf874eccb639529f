"""Archer's tables (SQLAlchemy 2.0 typed declarative). PostgreSQL in production, SQLite locally: same models,
same Alembic migrations.

Every tenant-owned row carries `organization_id`; services filter on it in every query. Deletes follow the
domain: a customer's accounts, phones, preferences and calls go with the customer (CASCADE); money that moved
(`payments`) blocks the delete (RESTRICT); configuration versions a call used are never deleted from under it
(RESTRICT); links to optional context (a campaign, a call) are cleared (SET NULL).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.db.base import Base, IdMixin, TimestampMixin, enum_column, utcnow
from shared.domain import (
    AccountStatus,
    ActorType,
    ArrangementKind,
    ArrangementStatus,
    AttemptResult,
    CallDirection,
    CallOutcome,
    CallStatus,
    CallType,
    CampaignStatus,
    LineType,
    PaymentStatus,
    PreferenceKind,
    Role,
    Speaker,
    TargetStatus,
    TranscriptEntryType,
)


def _org_fk() -> Mapped[uuid.UUID]:
    return mapped_column(sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True)


# --- Tenancy and access -----------------------------------------------------------------------------------


class Organization(IdMixin, TimestampMixin, Base):
    """A bank (tenant). `settings` holds its typed `OrganizationSettings` (timezone, window, retention, ...)."""

    __tablename__ = "organizations"

    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ApiKey(IdMixin, Base):
    """An organization's API key. Only the SHA-256 of the key is stored; `prefix` identifies it in lists."""

    __tablename__ = "api_keys"

    organization_id: Mapped[uuid.UUID] = _org_fk()
    name: Mapped[str] = mapped_column(sa.String(100))
    prefix: Mapped[str] = mapped_column(sa.String(16))
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    role: Mapped[Role] = mapped_column(enum_column(Role))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=sa.text("CURRENT_TIMESTAMP"))
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


# --- Customers and what they owe ---------------------------------------------------------------------------


class Customer(IdMixin, TimestampMixin, Base):
    """A consumer. `balance`, `days_overdue` and `account_last_4` are the design document's columns, kept as a
    summary of the customer's accounts (total owed, worst delinquency, primary account) by the accounts
    service, so lists sort and filter without a join."""

    __tablename__ = "customers"
    __table_args__ = (
        sa.UniqueConstraint("organization_id", "external_ref"),
        sa.Index("ix_customers_organization_id_phone_number", "organization_id", "phone_number"),
        sa.Index("ix_customers_organization_id_name", "organization_id", "name"),
        sa.CheckConstraint("balance >= 0", name="balance_not_negative"),
        sa.CheckConstraint("days_overdue >= 0", name="days_overdue_not_negative"),
    )

    organization_id: Mapped[uuid.UUID] = _org_fk()
    external_ref: Mapped[str] = mapped_column(sa.String(64))
    name: Mapped[str] = mapped_column(sa.String(100))
    phone_number: Mapped[str] = mapped_column(sa.String(20))  # primary number, E.164
    email: Mapped[str | None] = mapped_column(sa.String(254))
    address_line1: Mapped[str | None] = mapped_column(sa.String(200))
    city: Mapped[str | None] = mapped_column(sa.String(100))
    state: Mapped[str | None] = mapped_column(sa.String(2))
    postal_code: Mapped[str] = mapped_column(sa.String(10))
    timezone: Mapped[str | None] = mapped_column(sa.String(64))  # IANA zone of the address; None = unknown
    account_last_4: Mapped[str] = mapped_column(sa.String(4))
    balance: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    days_overdue: Mapped[int] = mapped_column(default=0)
    segment: Mapped[str] = mapped_column(sa.String(20))
    language: Mapped[str] = mapped_column(sa.String(5), default="en")
    legal_hold: Mapped[bool] = mapped_column(default=False)

    phones: Mapped[list[CustomerPhone]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", passive_deletes=True
    )
    accounts: Mapped[list[Account]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", passive_deletes=True
    )


# Name search is a case-insensitive substring match: trigrams let PostgreSQL answer it from an index (pg_trgm;
# on Azure allow-listed by the Bicep's `azure.extensions`). SQLite scans, which is fine at local sizes.
sa.Index(
    "ix_customers_name_trigram",
    sa.func.lower(Customer.name).label("name_lower"),
    postgresql_using="gin",
    postgresql_ops={"name_lower": "gin_trgm_ops"},
).ddl_if(dialect="postgresql")


class CustomerPhone(IdMixin, TimestampMixin, Base):
    """Every number a customer can be reached on; each one adds a candidate time zone for the call window."""

    __tablename__ = "customer_phones"
    __table_args__ = (
        sa.UniqueConstraint("customer_id", "number"),
        sa.Index("ix_customer_phones_organization_id_number", "organization_id", "number"),
    )

    organization_id: Mapped[uuid.UUID] = _org_fk()
    customer_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[str] = mapped_column(sa.String(20))  # E.164
    line_type: Mapped[LineType] = mapped_column(enum_column(LineType), default=LineType.UNKNOWN)
    label: Mapped[str | None] = mapped_column(sa.String(30))
    is_primary: Mapped[bool] = mapped_column(default=False)

    customer: Mapped[Customer] = relationship(back_populates="phones")


class Account(IdMixin, TimestampMixin, Base):
    """One debt. Only the last four digits of the bank's account number are kept (they are a verification
    factor); `external_ref` is the bank's opaque id for reconciliation."""

    __tablename__ = "accounts"
    __table_args__ = (
        sa.UniqueConstraint("organization_id", "external_ref"),
        sa.Index("ix_accounts_organization_id_days_past_due", "organization_id", "days_past_due"),
        sa.Index("ix_accounts_organization_id_account_last_4", "organization_id", "account_last_4"),  # search
        sa.CheckConstraint("balance >= 0", name="balance_not_negative"),
        sa.CheckConstraint("past_due_amount >= 0", name="past_due_not_negative"),
        sa.CheckConstraint("days_past_due >= 0", name="days_past_due_not_negative"),
    )

    organization_id: Mapped[uuid.UUID] = _org_fk()
    customer_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    external_ref: Mapped[str] = mapped_column(sa.String(64))
    account_last_4: Mapped[str] = mapped_column(sa.String(4))
    product: Mapped[str] = mapped_column(sa.String(40))  # credit_card, personal_loan, auto_loan, ...
    original_creditor: Mapped[str | None] = mapped_column(sa.String(100))
    balance: Mapped[Decimal]
    past_due_amount: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    minimum_payment: Mapped[Decimal | None]
    days_past_due: Mapped[int] = mapped_column(default=0)
    status: Mapped[AccountStatus] = mapped_column(enum_column(AccountStatus), default=AccountStatus.ACTIVE)
    currency: Mapped[str] = mapped_column(sa.String(3), default="USD")
    opened_on: Mapped[date | None]
    last_payment_on: Mapped[date | None]

    customer: Mapped[Customer] = relationship(back_populates="accounts")


class ContactPreference(IdMixin, TimestampMixin, Base):
    """A consumer request the compliance engine must honor: cease, dispute, attorney, inconvenient times,
    consent per phone number. Rows are ended (`ended_at`), not deleted, so the history stays auditable."""

    __tablename__ = "contact_preferences"
    __table_args__ = (sa.Index("ix_contact_preferences_customer_id_kind", "customer_id", "kind"),)

    organization_id: Mapped[uuid.UUID] = _org_fk()
    customer_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("customers.id", ondelete="CASCADE"))
    account_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"))
    kind: Mapped[PreferenceKind] = mapped_column(enum_column(PreferenceKind))
    phone_number: Mapped[str | None] = mapped_column(sa.String(20))  # for PHONE_CONSENT
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    source: Mapped[str] = mapped_column(sa.String(20), default="api")  # api, call, import, agent
    call_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("calls.id", ondelete="SET NULL"))
    effective_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]


# --- Configuration: tactics, prompts, negotiation policy (versioned; calls keep the version they used) -----


class BehavioralTactic(IdMixin, TimestampMixin, Base):
    """One archetype's configuration (`config`: urgency, empathy, persistence and its tactic list), versioned:
    an update inserts version n+1, the calls that used version n keep pointing at it."""

    __tablename__ = "behavioral_tactics"
    __table_args__ = (
        sa.UniqueConstraint("organization_id", "name", "version"),
        sa.CheckConstraint("version >= 1", name="version_positive"),
    )

    organization_id: Mapped[uuid.UUID] = _org_fk()
    name: Mapped[str] = mapped_column(sa.String(50))
    version: Mapped[int] = mapped_column(default=1)
    archetype: Mapped[str] = mapped_column(sa.String(50))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    config: Mapped[dict[str, Any]]
    is_active: Mapped[bool] = mapped_column(default=True)


class SystemPrompt(IdMixin, TimestampMixin, Base):
    """A system prompt template with `{variables}`, versioned like tactics."""

    __tablename__ = "system_prompts"
    __table_args__ = (
        sa.UniqueConstraint("organization_id", "name", "version"),
        sa.CheckConstraint("version >= 1", name="version_positive"),
    )

    organization_id: Mapped[uuid.UUID] = _org_fk()
    name: Mapped[str] = mapped_column(sa.String(50))
    version: Mapped[int] = mapped_column(default=1)
    environment: Mapped[str] = mapped_column(sa.String(20), default="all")
    prompt_template: Mapped[str] = mapped_column(sa.Text)
    variables: Mapped[dict[str, Any]] = mapped_column(default=dict)
    is_active: Mapped[bool] = mapped_column(default=True)


class NegotiationPolicy(IdMixin, TimestampMixin, Base):
    """The bank's bounds for offers, versioned. `rules` holds the typed `NegotiationRules` document."""

    __tablename__ = "negotiation_policies"
    __table_args__ = (
        sa.UniqueConstraint("organization_id", "name", "version"),
        sa.CheckConstraint("version >= 1", name="version_positive"),
    )

    organization_id: Mapped[uuid.UUID] = _org_fk()
    name: Mapped[str] = mapped_column(sa.String(50), default="default")
    version: Mapped[int] = mapped_column(default=1)
    rules: Mapped[dict[str, Any]]
    is_active: Mapped[bool] = mapped_column(default=True)


# --- Campaigns --------------------------------------------------------------------------------------------


class Campaign(IdMixin, TimestampMixin, Base):
    """An outbound campaign: targeting, tactic split, schedule, pacing and retry policy (typed documents)."""

    __tablename__ = "campaigns"
    __table_args__ = (sa.Index("ix_campaigns_organization_id_status", "organization_id", "status"),)

    organization_id: Mapped[uuid.UUID] = _org_fk()
    name: Mapped[str] = mapped_column(sa.String(100))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[CampaignStatus] = mapped_column(enum_column(CampaignStatus), default=CampaignStatus.DRAFT)
    targeting: Mapped[dict[str, Any]] = mapped_column(default=dict)
    tactic_split: Mapped[list[Any]] = mapped_column(default=list)
    schedule: Mapped[dict[str, Any]] = mapped_column(default=dict)
    calling_window: Mapped[dict[str, Any] | None]  # None: the organization's window
    retry_policy: Mapped[dict[str, Any]] = mapped_column(default=dict)
    max_concurrent_calls: Mapped[int] = mapped_column(default=10)
    max_attempts_per_target: Mapped[int] = mapped_column(default=3)
    negotiation_policy_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("negotiation_policies.id", ondelete="RESTRICT")
    )
    instance_id: Mapped[str | None] = mapped_column(sa.String(100))  # the Durable orchestration of the run
    run_number: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    # The cron firing the scheduler last started a run for, so one firing never starts two runs.
    last_scheduled_at: Mapped[datetime | None]


class CampaignTarget(IdMixin, TimestampMixin, Base):
    """One account a campaign works, with its A/B tactic assignment (stable across re-plans) and progress."""

    __tablename__ = "campaign_targets"
    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "account_id"),
        sa.Index("ix_campaign_targets_campaign_id_status", "campaign_id", "status"),
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
    )

    organization_id: Mapped[uuid.UUID] = _org_fk()
    campaign_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"))
    customer_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"))
    behavioral_tactic_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("behavioral_tactics.id", ondelete="RESTRICT")
    )
    status: Mapped[TargetStatus] = mapped_column(enum_column(TargetStatus), default=TargetStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    last_outcome: Mapped[str | None] = mapped_column(sa.String(32))
    # calls also point at campaign_targets; use_alter breaks the cycle for CREATE/DROP ordering.
    last_call_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("calls.id", ondelete="SET NULL", use_alter=True)
    )
    blocked_reasons: Mapped[list[Any]] = mapped_column(default=list)


# --- Calls ------------------------------------------------------------------------------------------------


class Call(IdMixin, TimestampMixin, Base):
    """One phone (or simulated) call. `call_sid` is Twilio's id, unique; simulated calls have none."""

    __tablename__ = "calls"
    __table_args__ = (
        sa.Index("idx_calls_customer_id", "customer_id"),
        sa.Index("idx_calls_start_time", sa.text("start_time DESC")),
        sa.Index("ix_calls_organization_id_start_time", "organization_id", "start_time"),
        sa.Index("ix_calls_organization_id_status", "organization_id", "status"),
        sa.Index("ix_calls_organization_id_outcome", "organization_id", "outcome"),
        sa.Index("ix_calls_campaign_id", "campaign_id"),
        # The calls list filtered by tactic (and its bounded count) without scanning other tactics' calls.
        sa.Index(
            "ix_calls_organization_id_behavioral_tactic_id_start_time",
            "organization_id",
            "behavioral_tactic_id",
            "start_time",
        ),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("organizations.id", ondelete="CASCADE"))
    call_sid: Mapped[str | None] = mapped_column(sa.String(100), unique=True)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("customers.id", ondelete="CASCADE"))
    account_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("accounts.id", ondelete="SET NULL"))
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="SET NULL"))
    campaign_target_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("campaign_targets.id", ondelete="SET NULL")
    )
    call_type: Mapped[CallType] = mapped_column(enum_column(CallType))
    direction: Mapped[CallDirection] = mapped_column(enum_column(CallDirection))
    status: Mapped[CallStatus] = mapped_column(enum_column(CallStatus), default=CallStatus.QUEUED)
    outcome: Mapped[CallOutcome | None] = mapped_column(enum_column(CallOutcome))
    from_number: Mapped[str | None] = mapped_column(sa.String(20))
    to_number: Mapped[str | None] = mapped_column(sa.String(20))
    start_time: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None]
    end_time: Mapped[datetime | None]
    duration_seconds: Mapped[int | None]
    answered_by: Mapped[str | None] = mapped_column(sa.String(32))  # Twilio AMD: human, machine_start, ...
    verified: Mapped[bool] = mapped_column(default=False)
    brain: Mapped[str | None] = mapped_column(sa.String(20))  # scripted, llm
    behavioral_tactic_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("behavioral_tactics.id", ondelete="RESTRICT")
    )
    system_prompt_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("system_prompts.id", ondelete="RESTRICT")
    )
    negotiation_policy_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("negotiation_policies.id", ondelete="RESTRICT")
    )
    status_sequence: Mapped[int] = mapped_column(default=-1)  # highest Twilio SequenceNumber applied
    recording_sid: Mapped[str | None] = mapped_column(sa.String(64))
    recording_url: Mapped[str | None] = mapped_column(sa.String(500))
    recording_duration_seconds: Mapped[int | None]
    call_metadata: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict)

    transcript_entries: Mapped[list[CallTranscriptEntry]] = relationship(
        back_populates="call",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="CallTranscriptEntry.sequence",
    )


class CallTranscriptEntry(IdMixin, Base):
    """One ordered entry of a call's record: speech, tool call, DTMF, event or guard intervention.
    Text and tool payloads are stored masked (no card digits, no security codes)."""

    __tablename__ = "call_transcript_entries"
    __table_args__ = (
        sa.UniqueConstraint("call_id", "sequence"),
        sa.Index("idx_transcript_call_id", "call_id"),
        # Guard interventions are rare among millions of entries: analytics counts them from this alone.
        sa.Index(
            "ix_call_transcript_entries_guard",
            "call_id",
            postgresql_where=sa.text("entry_type = 'guard'"),
            sqlite_where=sa.text("entry_type = 'guard'"),
        ),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("organizations.id", ondelete="CASCADE"))
    call_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("calls.id", ondelete="CASCADE"))
    sequence: Mapped[int]
    timestamp: Mapped[datetime] = mapped_column(default=utcnow)
    entry_type: Mapped[TranscriptEntryType] = mapped_column(enum_column(TranscriptEntryType))
    speaker: Mapped[Speaker | None] = mapped_column(enum_column(Speaker))
    text: Mapped[str | None] = mapped_column(sa.Text)
    tool_name: Mapped[str | None] = mapped_column(sa.String(50))
    tool_request: Mapped[dict[str, Any] | None]
    tool_response: Mapped[dict[str, Any] | None]
    event_type: Mapped[str | None] = mapped_column(sa.String(50))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=sa.text("CURRENT_TIMESTAMP"))

    call: Mapped[Call] = relationship(back_populates="transcript_entries")


class CallAttempt(IdMixin, Base):
    """The Regulation F ledger: every call attempt to a person about a debt, answered or not.
    `idempotency_key` makes placing an attempt safe to retry (a crashed driver never dials twice)."""

    __tablename__ = "call_attempts"
    __table_args__ = (
        sa.UniqueConstraint("organization_id", "idempotency_key"),
        sa.Index("ix_call_attempts_customer_id_attempted_at", "customer_id", "attempted_at"),
        sa.Index("ix_call_attempts_account_id_attempted_at", "account_id", "attempted_at"),
    )

    organization_id: Mapped[uuid.UUID] = _org_fk()
    customer_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("customers.id", ondelete="CASCADE"))
    account_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"))
    call_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("calls.id", ondelete="SET NULL"))
    campaign_target_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("campaign_targets.id", ondelete="SET NULL")
    )
    phone_number: Mapped[str] = mapped_column(sa.String(20))
    direction: Mapped[CallDirection] = mapped_column(
        enum_column(CallDirection), default=CallDirection.OUTBOUND
    )
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)
    result: Mapped[AttemptResult] = mapped_column(enum_column(AttemptResult), default=AttemptResult.PENDING)
    # A telephone conversation about the debt starts Regulation F's 7-day quiet period.
    is_conversation: Mapped[bool] = mapped_column(default=False)
    idempotency_key: Mapped[str] = mapped_column(sa.String(100))


# --- Local orchestration (the in-process stand-in for Durable Functions' task hub) ------------------------


class OrchestrationInstance(IdMixin, TimestampMixin, Base):
    """One orchestration instance of the local driver: its Durable history (the events the SDK replays),
    the events not yet processed (`inbox`), and the work in flight (`work`: activities, timers, child
    orchestrations). The function app never uses it: Azure's task hub holds the same state there."""

    __tablename__ = "orchestration_instances"
    __table_args__ = (sa.Index("ix_orchestration_instances_runtime_status", "runtime_status"),)

    organization_id: Mapped[uuid.UUID] = _org_fk()
    instance_id: Mapped[str] = mapped_column(sa.String(200), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    runtime_status: Mapped[str] = mapped_column(sa.String(20), default="pending")
    execution: Mapped[int] = mapped_column(default=0)  # +1 at each continue-as-new
    parent_instance_id: Mapped[str | None] = mapped_column(sa.String(200))
    parent_task_id: Mapped[int | None]
    parent_execution: Mapped[int | None]
    input: Mapped[str | None] = mapped_column(sa.Text)  # JSON text, as the SDK receives it
    output: Mapped[str | None] = mapped_column(sa.Text)
    custom_status: Mapped[str | None] = mapped_column(sa.Text)
    history: Mapped[list[Any]] = mapped_column(default=list)
    inbox: Mapped[list[Any]] = mapped_column(default=list)
    work: Mapped[list[Any]] = mapped_column(default=list)
    clock_at: Mapped[
        datetime | None
    ]  # the driver's clock at the last episode (virtual time survives restarts)
    completed_at: Mapped[datetime | None]


# --- Money ------------------------------------------------------------------------------------------------


class PaymentArrangement(IdMixin, TimestampMixin, Base):
    """A promise to pay, payment plan or settlement the customer explicitly confirmed, inside the policy."""

    __tablename__ = "payment_arrangements"
    __table_args__ = (
        sa.UniqueConstraint("organization_id", "idempotency_key"),
        sa.Index("ix_payment_arrangements_account_id", "account_id"),
        sa.Index("ix_payment_arrangements_call_id", "call_id"),
        sa.CheckConstraint("total_amount > 0", name="total_positive"),
        sa.CheckConstraint("installments_count >= 1", name="installments_positive"),
    )

    organization_id: Mapped[uuid.UUID] = _org_fk()
    customer_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"))
    call_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("calls.id", ondelete="SET NULL"))
    negotiation_policy_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("negotiation_policies.id", ondelete="RESTRICT")
    )
    kind: Mapped[ArrangementKind] = mapped_column(enum_column(ArrangementKind))
    status: Mapped[ArrangementStatus] = mapped_column(
        enum_column(ArrangementStatus), default=ArrangementStatus.ACTIVE
    )
    total_amount: Mapped[Decimal]
    down_payment_amount: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    installment_amount: Mapped[Decimal]
    installments_count: Mapped[int] = mapped_column(default=1)
    frequency: Mapped[str] = mapped_column(sa.String(16), default="once")  # once, weekly, biweekly, monthly
    first_payment_date: Mapped[date]
    schedule: Mapped[list[Any]] = mapped_column(default=list)  # [{due_date, amount, status}]
    terms_read_back: Mapped[str] = mapped_column(sa.Text, default="")
    confirmed_at: Mapped[datetime] = mapped_column(default=utcnow)
    idempotency_key: Mapped[str] = mapped_column(sa.String(100))


class Payment(IdMixin, TimestampMixin, Base):
    """Money taken through the payment gateway. Cards are kept as the gateway's token and the last four
    digits only: never a card number, never a security code."""

    __tablename__ = "payments"
    __table_args__ = (
        sa.UniqueConstraint("organization_id", "idempotency_key"),
        sa.Index("ix_payments_account_id", "account_id"),
        sa.Index("ix_payments_call_id", "call_id"),
        sa.CheckConstraint("amount > 0", name="amount_positive"),
    )

    organization_id: Mapped[uuid.UUID] = _org_fk()
    customer_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("customers.id", ondelete="RESTRICT"), index=True
    )
    account_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("accounts.id", ondelete="RESTRICT"))
    arrangement_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("payment_arrangements.id", ondelete="SET NULL")
    )
    call_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("calls.id", ondelete="SET NULL"))
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(sa.String(3), default="USD")
    method: Mapped[str] = mapped_column(sa.String(16), default="card")
    status: Mapped[PaymentStatus] = mapped_column(enum_column(PaymentStatus), default=PaymentStatus.PENDING)
    gateway: Mapped[str] = mapped_column(sa.String(32))
    gateway_reference: Mapped[str | None] = mapped_column(sa.String(100))
    card_token: Mapped[str | None] = mapped_column(sa.String(100))
    card_last4: Mapped[str | None] = mapped_column(sa.String(4))
    card_brand: Mapped[str | None] = mapped_column(sa.String(20))
    failure_reason: Mapped[str | None] = mapped_column(sa.String(200))
    idempotency_key: Mapped[str] = mapped_column(sa.String(100))
    processed_at: Mapped[datetime | None]


# --- Audit ------------------------------------------------------------------------------------------------


class AuditLogEntry(IdMixin, Base):
    """Who changed what (before/after), and every compliance decision with its reasons. Append-only."""

    __tablename__ = "audit_log"
    __table_args__ = (
        sa.Index("ix_audit_log_organization_id_created_at", "organization_id", "created_at"),
        sa.Index("ix_audit_log_entity_type_entity_id", "entity_type", "entity_id"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("organizations.id", ondelete="CASCADE"))
    actor_type: Mapped[ActorType] = mapped_column(enum_column(ActorType))
    actor_id: Mapped[str | None] = mapped_column(sa.String(100))
    action: Mapped[str] = mapped_column(sa.String(64))
    entity_type: Mapped[str] = mapped_column(sa.String(40))
    entity_id: Mapped[str | None] = mapped_column(sa.String(64))
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]
    reason: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=sa.text("CURRENT_TIMESTAMP"))
