"""Analytics: each KPI counts exactly what docs/API.md defines, by day (the organization's local day), by tactic
name (across versions) and by campaign; test calls and other organizations never count; rates are null on a
zero denominator. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from shared.db.tables import (
    AuditLogEntry,
    BehavioralTactic,
    Call,
    CallTranscriptEntry,
    Campaign,
    Customer,
    Organization,
    Payment,
    PaymentArrangement,
)
from shared.domain import (
    ActorType,
    ArrangementKind,
    ArrangementStatus,
    CallOutcome,
    CallStatus,
    CallType,
    PaymentStatus,
    Speaker,
    TranscriptEntryType,
)
from shared.errors import InvalidInput
from shared.models.analytics import AnalyticsGroupBy
from shared.services import analytics
from tests.factories import make_account, make_call, make_customer, make_org

# 14:00 UTC is 09:00 in New York; 02:00 UTC on the next day is still the 20th there.
DAY1 = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
LATE_DAY1 = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
DAY2 = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)
PERIOD = {"start": datetime(2026, 11, 19, 5, 0, tzinfo=UTC), "end": datetime(2026, 11, 23, 5, 0, tzinfo=UTC)}


def _tactic(session: Session, org: Organization, name: str, version: int = 1) -> BehavioralTactic:
    row = BehavioralTactic(organization_id=org.id, name=name, version=version, archetype="A", config={})
    session.add(row)
    session.flush()
    return row


def _arrangement(
    session: Session,
    *,
    call: Call,
    customer: Customer,
    account_id: uuid.UUID,
    amount: str,
    status: ArrangementStatus,
) -> PaymentArrangement:
    row = PaymentArrangement(
        organization_id=call.organization_id,
        customer_id=customer.id,
        account_id=account_id,
        call_id=call.id,
        kind=ArrangementKind.PROMISE_TO_PAY,
        status=status,
        total_amount=Decimal(amount),
        installment_amount=Decimal(amount),
        first_payment_date=date(2026, 12, 1),
        idempotency_key=uuid.uuid4().hex,
    )
    session.add(row)
    session.flush()
    return row


def _payment(
    session: Session,
    customer: Customer,
    account_id: uuid.UUID,
    amount: str,
    *,
    call: Call | None = None,
    arrangement: PaymentArrangement | None = None,
    status: PaymentStatus = PaymentStatus.SUCCEEDED,
) -> None:
    session.add(
        Payment(
            organization_id=customer.organization_id,
            customer_id=customer.id,
            account_id=account_id,
            call_id=call.id if call else None,
            arrangement_id=arrangement.id if arrangement else None,
            amount=Decimal(amount),
            status=status,
            gateway="sandbox",
            idempotency_key=uuid.uuid4().hex,
        )
    )
    session.flush()


def _guard(session: Session, call: Call, sequence: int) -> None:
    session.add(
        CallTranscriptEntry(
            organization_id=call.organization_id,
            call_id=call.id,
            sequence=sequence,
            entry_type=TranscriptEntryType.GUARD,
            speaker=Speaker.SYSTEM,
            text="held back",
        )
    )
    session.flush()


def _block(session: Session, org: Organization, at: datetime, **context: str | None) -> None:
    session.add(
        AuditLogEntry(
            organization_id=org.id,
            actor_type=context.pop("actor", None) or ActorType.SYSTEM,
            action="compliance.check",
            entity_type="customer",
            entity_id=uuid.uuid4().hex,
            after={"allowed": False, **context},
            reason=context.get("reason") or "outside the call window",
            created_at=at,
        )
    )
    session.flush()


@pytest.fixture
def seeded(session: Session) -> dict[str, object]:
    org = make_org(session, settings={"timezone": "America/New_York"})
    other = make_org(session)
    customer = make_customer(session, org)
    account = make_account(session, customer)
    calm_v1, calm_v2, firm = (
        _tactic(session, org, "calm"),
        _tactic(session, org, "calm", 2),
        _tactic(session, org, "firm"),
    )
    campaign = Campaign(organization_id=org.id, name="November")
    session.add(campaign)
    session.flush()

    def call(at: datetime, **values: object) -> Call:
        defaults: dict[str, object] = {
            "start_time": at,
            "status": CallStatus.COMPLETED,
            "answered_by": "human",
        }
        defaults.update(values)
        return make_call(session, customer, **defaults)

    # Day 1 (local): five calls, one of them at 21:00 local (02:00 UTC the next day).
    promised = call(DAY1, outcome=CallOutcome.PROMISE_TO_PAY, verified=True, behavioral_tactic_id=calm_v1.id,
                    campaign_id=campaign.id)  # fmt: skip
    paid = call(DAY1 + timedelta(minutes=5), outcome=CallOutcome.PAYMENT, verified=True,
                behavioral_tactic_id=calm_v2.id, campaign_id=campaign.id)  # fmt: skip
    call(DAY1 + timedelta(minutes=10), outcome=CallOutcome.VOICEMAIL, answered_by="machine_end_beep",
         behavioral_tactic_id=firm.id, campaign_id=campaign.id)  # fmt: skip
    call(DAY1 + timedelta(minutes=15), status=CallStatus.NO_ANSWER, answered_by=None, campaign_id=campaign.id)
    transferred = call(
        LATE_DAY1, outcome=CallOutcome.TRANSFERRED, verified=True, behavioral_tactic_id=firm.id
    )
    # Day 2: an abandoned connect (a connect, no conversation) and a kept promise from a wrong-party-free call.
    call(DAY2, outcome=CallOutcome.ABANDONED, behavioral_tactic_id=firm.id)
    kept = call(DAY2 + timedelta(minutes=1), outcome=CallOutcome.PROMISE_TO_PAY, verified=True,
                behavioral_tactic_id=calm_v1.id)  # fmt: skip
    # Never counted: a test call, a call outside the period, another organization's call.
    call(DAY2, call_type=CallType.TEST, outcome=CallOutcome.PAYMENT, verified=True)
    call(PERIOD["end"] + timedelta(hours=1), outcome=CallOutcome.PAYMENT, verified=True)
    theirs = make_customer(session, other)
    make_call(session, theirs, start_time=DAY1, status=CallStatus.COMPLETED, verified=True)

    first = _arrangement(
        session,
        call=promised,
        customer=customer,
        account_id=account.id,
        amount="300.00",
        status=ArrangementStatus.BROKEN,
    )
    _arrangement(
        session,
        call=kept,
        customer=customer,
        account_id=account.id,
        amount="150.50",
        status=ArrangementStatus.KEPT,
    )
    _arrangement(
        session,
        call=transferred,
        customer=customer,
        account_id=account.id,
        amount="999.00",
        status=ArrangementStatus.CANCELED,
    )
    _payment(session, customer, account.id, "80.00", call=paid)
    _payment(
        session, customer, account.id, "25.25", arrangement=first
    )  # a later installment of day 1's promise
    _payment(session, customer, account.id, "500.00", call=paid, status=PaymentStatus.DECLINED)
    _guard(session, promised, 0)
    _guard(session, promised, 1)
    _guard(session, transferred, 0)
    _block(
        session, org, DAY1, purpose="dial", campaign_id=str(campaign.id), behavioral_tactic_id=str(firm.id)
    )
    _block(session, org, DAY2, purpose="retry", campaign_id=str(campaign.id))  # a look-ahead: not a block
    _block(session, org, DAY2, actor=ActorType.API_KEY)  # an operator's what-if check: not a block
    _block(session, org, DAY2)  # the Twilio webhook refusing a call-back
    _block(session, org, DAY2, reason="allowed")
    return {"org": org, "campaign": campaign, "firm": firm}


def test_totals_follow_the_definitions(session: Session, seeded: dict[str, object]) -> None:
    """Attempts, connects, conversations, RPC, promises, dollars, transfers, containment, guard and blocks."""
    org = seeded["org"]
    assert isinstance(org, Organization)
    summary = analytics.summarize(session=session, org_id=org.id, **PERIOD)
    totals = summary.totals
    assert (totals.attempts, totals.connects, totals.conversations, totals.right_party_contacts) == (
        7,
        5,
        4,
        4,
    )
    assert (totals.promises, totals.kept_promises, totals.broken_promises) == (2, 1, 1)
    assert (totals.transfers, totals.contained) == (1, 4)
    assert (totals.guard_interventions, totals.compliance_blocks) == (3, 2)
    assert (totals.dollars_promised, totals.dollars_collected) == ("450.50", "105.25")
    assert totals.connect_rate == round(5 / 7, 4)
    assert totals.right_party_contact_rate == 0.8
    assert totals.promise_to_pay_rate == 0.5
    assert totals.kept_promise_rate == 0.5
    assert (totals.containment_rate, totals.transfer_rate) == (0.8, 0.2)


def test_days_are_local_and_complete(session: Session, seeded: dict[str, object]) -> None:
    """Every local day of the period is a group; a call at 21:00 New York time counts on that day."""
    org = seeded["org"]
    assert isinstance(org, Organization)
    summary = analytics.summarize(session=session, org_id=org.id, group_by=AnalyticsGroupBy.DAY, **PERIOD)
    days = {group.key: group.metrics for group in summary.groups}
    assert list(days) == ["2026-11-19", "2026-11-20", "2026-11-21", "2026-11-22"]
    assert days["2026-11-20"].attempts == 5 and days["2026-11-20"].transfers == 1
    assert days["2026-11-21"].attempts == 0 and days["2026-11-21"].connect_rate is None
    assert days["2026-11-22"].attempts == 2 and days["2026-11-22"].compliance_blocks == 1
    assert days["2026-11-20"].compliance_blocks == 1 and days["2026-11-20"].dollars_collected == "105.25"


def test_tactics_merge_versions_and_campaigns_are_named(session: Session, seeded: dict[str, object]) -> None:
    """Both versions of `calm` count as one tactic; calls without a campaign group under `none`."""
    org, campaign, firm = seeded["org"], seeded["campaign"], seeded["firm"]
    assert (
        isinstance(org, Organization)
        and isinstance(campaign, Campaign)
        and isinstance(firm, BehavioralTactic)
    )
    by_tactic = analytics.summarize(
        session=session, org_id=org.id, group_by=AnalyticsGroupBy.TACTIC, **PERIOD
    )
    tactics = {group.key: group.metrics for group in by_tactic.groups}
    assert list(tactics) == ["calm", "firm", "none"]
    assert (tactics["calm"].attempts, tactics["calm"].promises, tactics["calm"].dollars_collected) == (
        3,
        2,
        "105.25",
    )
    assert (tactics["firm"].attempts, tactics["firm"].compliance_blocks) == (3, 1)
    assert tactics["none"].compliance_blocks == 1
    by_campaign = analytics.summarize(
        session=session, org_id=org.id, group_by=AnalyticsGroupBy.CAMPAIGN, **PERIOD
    )
    groups = {group.key: group for group in by_campaign.groups}
    assert groups[str(campaign.id)].label == "November" and groups[str(campaign.id)].metrics.attempts == 4
    assert groups[str(campaign.id)].metrics.compliance_blocks == 1
    assert groups["none"].metrics.attempts == 3 and groups["none"].label == "No campaign"


def test_default_period_and_bad_periods(session: Session) -> None:
    """No dates: the 30 days before now; an empty organization has zero counts and null rates."""
    org = make_org(session)
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    summary = analytics.summarize(session=session, org_id=org.id, now=now)
    assert summary.period_end == now and summary.period_start == now - timedelta(days=30)
    assert summary.totals.attempts == 0 and summary.totals.connect_rate is None
    assert summary.totals.dollars_promised == "0.00"
    with pytest.raises(InvalidInput):
        analytics.summarize(session=session, org_id=org.id, start=now, end=now - timedelta(days=1))
    with pytest.raises(InvalidInput):
        analytics.summarize(session=session, org_id=org.id, start=now - timedelta(days=400), end=now)
