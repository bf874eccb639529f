"""Collection analytics: the KPIs of a period, in total and grouped by day, tactic or campaign.

Each metric is one SQL aggregate (GROUP BY on the database, never a loop over rows here) over the calls that
started in the period — test calls excluded — joined to what they produced: payment arrangements (promises),
payments (dollars collected), guard transcript entries; compliance blocks come from the audit log, where the
compliance engine writes every decision. The definitions are in docs/API.md ("Analytics metrics").

Days are the organization's local days: on PostgreSQL exactly (`timezone(zone, start_time)`); on SQLite,
which has no time-zone database, with the zone's UTC offset at the end of the period (exact unless the
period spans a daylight-saving change)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from shared.db.engine import transaction
from shared.db.tables import (
    AuditLogEntry,
    BehavioralTactic,
    Call,
    CallTranscriptEntry,
    Campaign,
    Payment,
    PaymentArrangement,
)
from shared.domain import (
    ActorType,
    ArrangementStatus,
    CallOutcome,
    CallStatus,
    CallType,
    PaymentStatus,
    TranscriptEntryType,
)
from shared.errors import InvalidInput
from shared.integrations.cache import Cache
from shared.models.analytics import AnalyticsGroup, AnalyticsGroupBy, AnalyticsMetrics, AnalyticsSummary
from shared.services import organizations

DEFAULT_PERIOD = timedelta(days=30)
MAX_PERIOD = timedelta(days=366)
NONE_KEY = "none"
# Twilio's answering-machine verdicts that mean a person picked up (no AMD: the call row has none).
PERSON_ANSWERS = ("human", "unknown")


@dataclass
class _Counts:
    attempts: int = 0
    connects: int = 0
    conversations: int = 0
    right_party_contacts: int = 0
    promises: int = 0
    kept_promises: int = 0
    broken_promises: int = 0
    transfers: int = 0
    contained: int = 0
    compliance_blocks: int = 0
    guard_interventions: int = 0
    dollars_promised: Decimal = field(default_factory=lambda: Decimal("0"))
    dollars_collected: Decimal = field(default_factory=lambda: Decimal("0"))

    def add(self, other: _Counts) -> None:
        for item in fields(self):
            setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))

    def metrics(self) -> AnalyticsMetrics:
        return AnalyticsMetrics(
            attempts=self.attempts,
            connects=self.connects,
            conversations=self.conversations,
            right_party_contacts=self.right_party_contacts,
            promises=self.promises,
            kept_promises=self.kept_promises,
            broken_promises=self.broken_promises,
            transfers=self.transfers,
            contained=self.contained,
            compliance_blocks=self.compliance_blocks,
            guard_interventions=self.guard_interventions,
            dollars_promised=_money(self.dollars_promised),
            dollars_collected=_money(self.dollars_collected),
            connect_rate=_rate(self.connects, self.attempts),
            right_party_contact_rate=_rate(self.right_party_contacts, self.connects),
            promise_to_pay_rate=_rate(self.promises, self.right_party_contacts),
            kept_promise_rate=_rate(self.kept_promises, self.kept_promises + self.broken_promises),
            containment_rate=_rate(self.contained, self.connects),
            transfer_rate=_rate(self.transfers, self.connects),
        )


def _rate(numerator: int, denominator: int) -> float | None:
    return None if denominator == 0 else round(numerator / denominator, 4)


def _money(value: Decimal | None) -> str:
    return f"{(value or Decimal('0')).quantize(Decimal('0.01')):.2f}"


def _count_if(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


# --- What each call counts as ----------------------------------------------------------------------------

_CONNECT = sa.and_(
    Call.status == CallStatus.COMPLETED,
    sa.func.coalesce(Call.outcome, "") != CallOutcome.VOICEMAIL.value,
    sa.func.coalesce(Call.answered_by, "human").in_(PERSON_ANSWERS),
)
_CONVERSATION = sa.and_(_CONNECT, sa.func.coalesce(Call.outcome, "") != CallOutcome.ABANDONED.value)
_TRANSFER = Call.outcome == CallOutcome.TRANSFERRED
_CONTAINED = sa.and_(_CONNECT, sa.func.coalesce(Call.outcome, "") != CallOutcome.TRANSFERRED.value)


@dataclass(frozen=True)
class _Period:
    start: datetime
    end: datetime
    zone: ZoneInfo


def _day_bucket(session: Session, column: Any, period: _Period) -> sa.ColumnElement[Any]:
    """The local calendar day of a timestamp column, per dialect."""
    if session.get_bind().dialect.name == "postgresql":
        return sa.func.date(sa.func.timezone(period.zone.key, column))
    offset = period.zone.utcoffset(period.end.replace(tzinfo=None)) or timedelta(0)
    return sa.func.date(column, f"{int(offset.total_seconds() // 60):+d} minutes")


def _call_key(session: Session, group_by: AnalyticsGroupBy, period: _Period) -> Any:
    if group_by is AnalyticsGroupBy.DAY:
        return _day_bucket(session, Call.start_time, period)
    if group_by is AnalyticsGroupBy.TACTIC:
        return Call.behavioral_tactic_id
    return Call.campaign_id


def _calls_in_period(org_id: uuid.UUID, period: _Period) -> list[sa.ColumnElement[bool]]:
    return [
        Call.organization_id == org_id,
        Call.start_time >= period.start,
        Call.start_time < period.end,
        Call.call_type != CallType.TEST,
    ]


def _normalize_key(value: Any) -> str:
    if value is None:
        return NONE_KEY
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    try:  # SQLite reads a UUID column back as a UUID, an extracted JSON string as text with or without dashes
        return str(uuid.UUID(text))
    except ValueError:
        return text


def _aggregate(
    session: Session, org_id: uuid.UUID, group_by: AnalyticsGroupBy, period: _Period
) -> dict[str, _Counts]:
    """One pass over the period's calls, each joined to what it produced, pre-aggregated per call (promises,
    collected dollars, guard entries): the calls table is read once whatever the metric. Promises and
    payments are narrowed to those made since the period began (neither predates the call it belongs to), so
    the per-call subqueries stay small on a long history; guard entries come from their partial index."""
    groups: dict[str, _Counts] = {}

    def slot(key: Any) -> _Counts:
        return groups.setdefault(_normalize_key(key), _Counts())

    promises = (
        sa.select(
            PaymentArrangement.call_id.label("call_id"),
            sa.func.count().label("promises"),
            _count_if(PaymentArrangement.status == ArrangementStatus.KEPT).label("kept"),
            _count_if(PaymentArrangement.status == ArrangementStatus.BROKEN).label("broken"),
            sa.func.sum(PaymentArrangement.total_amount).label("promised"),
        )
        .where(
            PaymentArrangement.organization_id == org_id,
            PaymentArrangement.call_id.is_not(None),
            PaymentArrangement.status != ArrangementStatus.CANCELED,
            PaymentArrangement.created_at >= period.start,
        )
        .group_by(PaymentArrangement.call_id)
        .subquery("promises")
    )
    # A payment belongs to the call that took it, else to the call that made its arrangement.
    arrangement = sa.orm.aliased(PaymentArrangement)
    paid_call = sa.func.coalesce(Payment.call_id, arrangement.call_id)
    collected = (
        sa.select(paid_call.label("call_id"), sa.func.sum(Payment.amount).label("collected"))
        .select_from(Payment)
        .outerjoin(
            arrangement,
            sa.and_(arrangement.id == Payment.arrangement_id, arrangement.created_at >= period.start),
        )
        .where(
            Payment.organization_id == org_id,
            Payment.status == PaymentStatus.SUCCEEDED,
            Payment.created_at >= period.start,
        )
        .group_by(paid_call)
        .subquery("collected")
    )
    guarded = (
        sa.select(CallTranscriptEntry.call_id.label("call_id"), sa.func.count().label("interventions"))
        # Only the partial index of guard entries is read (the join keeps the organization's calls).
        .where(CallTranscriptEntry.entry_type == TranscriptEntryType.GUARD)
        .group_by(CallTranscriptEntry.call_id)
        .subquery("guarded")
    )
    key = _call_key(session, group_by, period).label("key")
    query = (
        sa.select(
            key,
            sa.func.count().label("attempts"),
            _count_if(_CONNECT).label("connects"),
            _count_if(_CONVERSATION).label("conversations"),
            _count_if(Call.verified.is_(True)).label("rpc"),
            _count_if(_TRANSFER).label("transfers"),
            _count_if(_CONTAINED).label("contained"),
            sa.func.coalesce(sa.func.sum(promises.c.promises), 0).label("promises"),
            sa.func.coalesce(sa.func.sum(promises.c.kept), 0).label("kept"),
            sa.func.coalesce(sa.func.sum(promises.c.broken), 0).label("broken"),
            sa.func.coalesce(sa.func.sum(promises.c.promised), 0).label("promised"),
            sa.func.coalesce(sa.func.sum(collected.c.collected), 0).label("collected"),
            sa.func.coalesce(sa.func.sum(guarded.c.interventions), 0).label("interventions"),
        )
        .select_from(Call)
        .outerjoin(promises, promises.c.call_id == Call.id)
        .outerjoin(collected, collected.c.call_id == Call.id)
        .outerjoin(guarded, guarded.c.call_id == Call.id)
        .where(*_calls_in_period(org_id, period))
        .group_by(key)
    )
    for row in session.execute(query):
        counts = slot(row.key)
        counts.attempts, counts.connects, counts.conversations = row.attempts, row.connects, row.conversations
        counts.right_party_contacts, counts.transfers, counts.contained = (
            row.rpc,
            row.transfers,
            row.contained,
        )
        counts.promises, counts.kept_promises, counts.broken_promises = row.promises, row.kept, row.broken
        counts.dollars_promised = Decimal(str(row.promised))
        counts.dollars_collected = Decimal(str(row.collected))
        counts.guard_interventions = row.interventions

    for block in _compliance_blocks(session, org_id, group_by, period):
        slot(block.key).compliance_blocks = block.blocks
    return groups


def _compliance_blocks(
    session: Session, org_id: uuid.UUID, group_by: AnalyticsGroupBy, period: _Period
) -> Sequence[sa.Row[Any]]:
    """Refused compliance decisions taken before placing a call (the campaign gate, the Twilio voice
    webhook): system-made `compliance.check` audit entries, without the retry-scheduling look-aheads and the
    what-if checks operators run through the API."""
    document = AuditLogEntry.after
    if group_by is AnalyticsGroupBy.DAY:
        key = _day_bucket(session, AuditLogEntry.created_at, period)
    elif group_by is AnalyticsGroupBy.TACTIC:
        key = document["behavioral_tactic_id"].as_string()
    else:
        key = document["campaign_id"].as_string()
    labelled = key.label("key")
    query = (
        sa.select(labelled, sa.func.count().label("blocks"))
        .where(
            AuditLogEntry.organization_id == org_id,
            AuditLogEntry.created_at >= period.start,
            AuditLogEntry.created_at < period.end,
            AuditLogEntry.action == "compliance.check",
            AuditLogEntry.actor_type == ActorType.SYSTEM,
            AuditLogEntry.reason != "allowed",
            sa.func.coalesce(document["purpose"].as_string(), "dial") != "retry",
        )
        .group_by(labelled)
    )
    return session.execute(query).all()


# --- Labels ----------------------------------------------------------------------------------------------


def _by_tactic_name(session: Session, org_id: uuid.UUID, groups: dict[str, _Counts]) -> list[AnalyticsGroup]:
    """Tactic groups by name: every version of a tactic counts toward it (calls keep their version)."""
    ids = [uuid.UUID(key) for key in groups if key != NONE_KEY]
    names: dict[str, str] = {}
    if ids:
        rows = session.execute(
            sa.select(BehavioralTactic.id, BehavioralTactic.name).where(
                BehavioralTactic.organization_id == org_id, BehavioralTactic.id.in_(ids)
            )
        )
        names = {str(row.id): row.name for row in rows}
    merged: dict[str, _Counts] = {}
    for key, counts in groups.items():
        merged.setdefault(names.get(key, NONE_KEY), _Counts()).add(counts)
    return [
        AnalyticsGroup(
            key=name,
            label="No tactic" if name == NONE_KEY else name.replace("_", " ").capitalize(),
            metrics=counts.metrics(),
        )
        for name, counts in sorted(merged.items(), key=lambda item: (item[0] == NONE_KEY, item[0]))
    ]


def _by_campaign(session: Session, org_id: uuid.UUID, groups: dict[str, _Counts]) -> list[AnalyticsGroup]:
    ids = [uuid.UUID(key) for key in groups if key != NONE_KEY]
    names: dict[str, str] = {}
    if ids:
        rows = session.execute(
            sa.select(Campaign.id, Campaign.name).where(
                Campaign.organization_id == org_id, Campaign.id.in_(ids)
            )
        )
        names = {str(row.id): row.name for row in rows}
    result = [
        AnalyticsGroup(
            key=key,
            label="No campaign" if key == NONE_KEY else names.get(key, "Deleted campaign"),
            metrics=counts.metrics(),
        )
        for key, counts in groups.items()
    ]
    return sorted(result, key=lambda group: (group.key == NONE_KEY, group.label, group.key))


def _by_day(groups: dict[str, _Counts], period: _Period) -> list[AnalyticsGroup]:
    """Every local day of the period, in order, days without calls included (a chart needs the gaps)."""
    first = period.start.astimezone(period.zone).date()
    last = (period.end - timedelta(microseconds=1)).astimezone(period.zone).date()
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    known = {day.isoformat() for day in days}
    extra = sorted(key for key in groups if key not in known)  # an SQLite offset at a DST edge
    return [
        AnalyticsGroup(key=key, label=key, metrics=groups.get(key, _Counts()).metrics())
        for key in [day.isoformat() for day in days] + extra
    ]


def _totals(groups: Iterable[_Counts]) -> _Counts:
    total = _Counts()
    for counts in groups:
        total.add(counts)
    return total


def summarize(
    *,
    session: Session,
    org_id: uuid.UUID,
    start: datetime | None = None,
    end: datetime | None = None,
    group_by: AnalyticsGroupBy = AnalyticsGroupBy.DAY,
    now: datetime | None = None,
) -> AnalyticsSummary:
    """The organization's KPIs for calls started in [start, end) — by default the 30 days before now —
    grouped by `group_by`. Timestamps without an offset are read as UTC."""
    end = _aware(end) or now or datetime.now(UTC)
    start = _aware(start) or end - DEFAULT_PERIOD
    if start >= end:
        raise InvalidInput("from must be before to", field="from")
    if end - start > MAX_PERIOD:
        raise InvalidInput("the period may span at most 366 days", field="from")
    settings = organizations.get_settings(session=session, org_id=org_id)
    if session.get_bind().dialect.name == "postgresql":
        # A few aggregates over tens of thousands of rows: parallel workers would each rebuild the same hash
        # tables (on a small server they only compete for the cores), and the day sort fits in memory.
        session.execute(sa.text("SET LOCAL max_parallel_workers_per_gather = 0"))
        session.execute(sa.text("SET LOCAL work_mem = '16MB'"))
    period = _Period(start=start.astimezone(UTC), end=end.astimezone(UTC), zone=ZoneInfo(settings.timezone))
    groups = _aggregate(session, org_id, group_by, period)
    if group_by is AnalyticsGroupBy.DAY:
        listed = _by_day(groups, period)
    elif group_by is AnalyticsGroupBy.TACTIC:
        listed = _by_tactic_name(session, org_id, groups)
    else:
        listed = _by_campaign(session, org_id, groups)
    return AnalyticsSummary(
        period_start=period.start,
        period_end=period.end,
        group_by=group_by,
        totals=_totals(groups.values()).metrics(),
        groups=listed,
    )


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


CACHE_TTL_SECONDS = 15


def cache_key(*, org_id: uuid.UUID, start: datetime, end: datetime, group_by: AnalyticsGroupBy) -> str:
    return f"analytics:summary:{org_id}:{start.isoformat()}:{end.isoformat()}:{group_by.value}"


def default_period(
    start: datetime | None, end: datetime | None, *, now: datetime | None = None
) -> tuple[datetime, datetime]:
    """The period asked for; without `to`, now rounded down to the minute (so the dashboards polling the
    default period share one computed summary per minute); without `from`, 30 days before `to`."""
    end = _aware(end) or (now or datetime.now(UTC)).replace(second=0, microsecond=0)
    return _aware(start) or end - DEFAULT_PERIOD, end


async def cached_summary(
    *,
    cache: Cache,
    sessions: sessionmaker[Session],
    org_id: uuid.UUID,
    start: datetime | None,
    end: datetime | None,
    group_by: AnalyticsGroupBy,
    ttl_seconds: int = CACHE_TTL_SECONDS,
) -> AnalyticsSummary:
    """`summarize`, kept in the cache for `ttl_seconds` per (organization, period, grouping): a dashboard
    polls the same summary many times a minute, and each one aggregates tens of thousands of calls."""
    start, end = default_period(start, end)
    key = cache_key(org_id=org_id, start=start, end=end, group_by=group_by)
    hit = await cache.get(key)
    if hit is not None:
        return AnalyticsSummary.model_validate_json(hit)

    def compute() -> AnalyticsSummary:
        with transaction(sessions) as session:
            return summarize(session=session, org_id=org_id, start=start, end=end, group_by=group_by)

    summary = await asyncio.to_thread(compute)
    await cache.set(key, summary.model_dump_json(), ttl_seconds=ttl_seconds)
    return summary
