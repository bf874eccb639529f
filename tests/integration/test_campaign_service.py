"""The campaigns service on both databases: validation and tenancy, targeting and planning with a stable
weighted A/B assignment, runs (numbering, one at a time, one per schedule firing), the scheduler's due list,
claims, dispositions, and the retention purge."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from shared.db.tables import AuditLogEntry, Call, CallTranscriptEntry, Campaign, CampaignTarget, Organization
from shared.domain import (
    AccountStatus,
    AttemptResult,
    CallOutcome,
    CallStatus,
    CampaignStatus,
    Speaker,
    TargetStatus,
    TranscriptEntryType,
)
from shared.errors import Conflict, InvalidInput, NotFound
from shared.models.audit import Actor
from shared.models.campaigns import CampaignCreate, CampaignSchedule, CampaignUpdate, TacticShare, Targeting
from shared.models.organizations import CallingWindow, OrganizationCreate
from shared.services import campaigns, organizations, retention
from tests.factories import make_account, make_call, make_customer

ACTOR = Actor.cli()
NOW = datetime(2026, 7, 15, 18, 0, tzinfo=UTC)


def bank(session: Session) -> uuid.UUID:
    created = organizations.create_organization(
        session=session, org_in=OrganizationCreate(name=f"Bank {uuid.uuid4().hex[:8]}"), actor=ACTOR
    )
    organizations.install_defaults(session=session, org_id=created.organization.id, actor=ACTOR)
    return created.organization.id


def campaign(session: Session, org_id: uuid.UUID, **overrides: object) -> uuid.UUID:
    values: dict[str, object] = {"name": "Test", "tactics": [TacticShare(tactic_name="empathetic_partner")]}
    values.update(overrides)
    return campaigns.create_campaign(
        session=session, org_id=org_id, campaign_in=CampaignCreate.model_validate(values), actor=ACTOR
    ).id


def test_create_validates_and_is_organization_scoped(session: Session) -> None:
    """Unknown tactics, a window outside the organization's and scheduling without a cron are refused with
    the field named; another organization's campaign is not found; creation is audited."""
    org_id, other = bank(session), bank(session)
    with pytest.raises(InvalidInput) as unknown:
        campaign(session, org_id, tactics=[TacticShare(tactic_name="nope")])
    assert unknown.value.field == "tactics[0].tactic_name"
    org_row = session.get(Organization, org_id)
    assert org_row is not None
    org_row.settings = {"calling_window": {"start": "09:00:00", "end": "12:00:00"}}
    session.flush()
    with pytest.raises(InvalidInput) as window:
        campaign(
            session, org_id, calling_window=CallingWindow.model_validate({"start": "13:00", "end": "20:00"})
        )
    assert window.value.field == "calling_window"
    campaign_id = campaign(session, org_id)
    with pytest.raises(InvalidInput):
        campaigns.update_campaign(
            session=session, org_id=org_id, campaign_id=campaign_id,
            campaign_in=CampaignUpdate(status=CampaignStatus.SCHEDULED), actor=ACTOR,
        )  # fmt: skip
    armed = campaigns.update_campaign(
        session=session, org_id=org_id, campaign_id=campaign_id,
        campaign_in=CampaignUpdate(schedule=CampaignSchedule(cron="0 9 * * 1-5"), status=CampaignStatus.SCHEDULED),
        actor=ACTOR,
    )  # fmt: skip
    assert armed.status is CampaignStatus.SCHEDULED and armed.schedule.cron == "0 9 * * 1-5"
    with pytest.raises(NotFound):
        campaigns.get_campaign(session=session, org_id=other, campaign_id=campaign_id)
    assert campaigns.list_campaigns(session=session, org_id=other).count == 0
    actions = session.scalars(
        sa.select(AuditLogEntry.action).where(AuditLogEntry.entity_id == str(campaign_id))
    ).all()
    assert actions.count("campaign.create") == 1 and actions.count("campaign.update") == 1


def test_targeting_selects_active_accounts_and_replanning_adds_only_new_ones(session: Session) -> None:
    """Days past due, balance, segment and state narrow the accounts; closed accounts are never targeted;
    planning again adds exactly the accounts that started to match."""
    org_id = bank(session)
    org = session.get(Organization, org_id)
    ny = make_customer(session, org, state="NY", postal_code="10001", segment="mid_stage")
    tx = make_customer(session, org, state="TX", postal_code="75201", segment="mid_stage")
    in_range = make_account(session, ny, days_past_due=45, balance=Decimal("900.00"))
    make_account(session, ny, days_past_due=45, balance=Decimal("900.00"), status=AccountStatus.CLOSED)
    make_account(session, ny, days_past_due=90, balance=Decimal("900.00"))
    make_account(session, tx, days_past_due=45, balance=Decimal("900.00"))
    make_account(session, ny, days_past_due=45, balance=Decimal("50.00"))
    targeting = Targeting(days_past_due_min=30, days_past_due_max=60, balance_min=Decimal("100"), states=["NY"],
                          segments=["mid_stage"])  # fmt: skip
    campaign_id = campaign(session, org_id, targeting=targeting)
    first = campaigns.plan_targets(session=session, org_id=org_id, campaign_id=campaign_id)
    assert (first.total, first.added) == (1, 1)
    planned = session.scalars(
        sa.select(CampaignTarget.account_id).where(CampaignTarget.campaign_id == campaign_id)
    ).all()
    assert planned == [in_range.id]
    assert campaigns.plan_targets(session=session, org_id=org_id, campaign_id=campaign_id).added == 0
    make_account(session, ny, days_past_due=31, balance=Decimal("400.00"))
    assert campaigns.plan_targets(session=session, org_id=org_id, campaign_id=campaign_id).added == 1


def test_ab_split_is_weighted_deterministic_and_stable_on_replan(session: Session) -> None:
    """A 3:1 split lands close to 3:1 over many accounts, the same account always in the same arm; after
    the split changes, planned targets keep their tactic and only new ones use the new split."""
    shares = [
        TacticShare(tactic_name="anchor_and_frame", weight=3),
        TacticShare(tactic_name="empathetic_partner"),
    ]
    campaign_id, accounts = uuid.uuid4(), [uuid.uuid4() for _ in range(4000)]
    arms = Counter(campaigns.assign_tactic(campaign_id, account, shares) for account in accounts)
    assert 0.70 < arms["anchor_and_frame"] / len(accounts) < 0.80
    assert [campaigns.assign_tactic(campaign_id, a, shares) for a in accounts[:50]] == [
        campaigns.assign_tactic(campaign_id, a, shares) for a in accounts[:50]
    ]

    org_id = bank(session)
    org = session.get(Organization, org_id)
    customer = make_customer(session, org)
    for _ in range(12):
        make_account(session, customer)
    planned_id = campaign(session, org_id, tactics=shares)
    campaigns.plan_targets(session=session, org_id=org_id, campaign_id=planned_id)
    before = dict(
        session.execute(sa.select(CampaignTarget.account_id, CampaignTarget.behavioral_tactic_id)).all()
    )
    campaigns.update_campaign(
        session=session, org_id=org_id, campaign_id=planned_id,
        campaign_in=CampaignUpdate(tactics=[TacticShare(tactic_name="commitment_coach")]), actor=ACTOR,
    )  # fmt: skip
    new_account = make_account(session, customer)
    campaigns.plan_targets(session=session, org_id=org_id, campaign_id=planned_id)
    after = dict(
        session.execute(sa.select(CampaignTarget.account_id, CampaignTarget.behavioral_tactic_id)).all()
    )
    assert {k: after[k] for k in before} == before
    page = campaigns.list_targets(session=session, org_id=org_id, campaign_id=planned_id, limit=200)
    names = {t.account_id: t.tactic_name for t in page.data}
    assert names[new_account.id] == "commitment_coach"
    assert {names[k] for k in before} <= {"anchor_and_frame", "empathetic_partner"}


def test_runs_are_numbered_one_at_a_time_and_once_per_firing(session: Session) -> None:
    """Each run gets the next number and its instance id; a second start while running is a conflict; a
    schedule firing starts at most one run; a new run makes every target not reached eligible again."""
    org_id = bank(session)
    org = session.get(Organization, org_id)
    make_account(session, make_customer(session, org))
    campaign_id = campaign(session, org_id, schedule=CampaignSchedule(cron="0 9 * * *"))
    campaigns.update_campaign(
        session=session, org_id=org_id, campaign_id=campaign_id,
        campaign_in=CampaignUpdate(status=CampaignStatus.SCHEDULED), actor=ACTOR,
    )  # fmt: skip
    firing = datetime(2026, 7, 15, 13, 0, tzinfo=UTC)
    first = campaigns.begin_run(session=session, org_id=org_id, campaign_id=campaign_id, actor=ACTOR, at=NOW,
                                scheduled_slot=firing)  # fmt: skip
    assert first.run_number == 1 and first.instance_id == f"campaign-{campaign_id}-run-1"
    with pytest.raises(Conflict):
        campaigns.begin_run(session=session, org_id=org_id, campaign_id=campaign_id, actor=ACTOR, at=NOW)
    campaigns.plan_targets(session=session, org_id=org_id, campaign_id=campaign_id)
    session.execute(sa.update(CampaignTarget).values(status=TargetStatus.EXHAUSTED, attempts=3))
    finished = campaigns.finish_run(session=session, org_id=org_id, campaign_id=campaign_id,
                                    instance_id=first.instance_id or "", at=NOW)  # fmt: skip
    assert finished.status is CampaignStatus.SCHEDULED  # the cron has more firings
    with pytest.raises(Conflict):
        campaigns.begin_run(session=session, org_id=org_id, campaign_id=campaign_id, actor=ACTOR, at=NOW,
                            scheduled_slot=firing)  # fmt: skip
    second = campaigns.begin_run(session=session, org_id=org_id, campaign_id=campaign_id, actor=ACTOR, at=NOW,
                                 scheduled_slot=firing + timedelta(days=1))  # fmt: skip
    assert second.run_number == 2
    target = session.scalars(sa.select(CampaignTarget).where(CampaignTarget.campaign_id == campaign_id)).one()
    session.refresh(target)
    assert target.status is TargetStatus.PENDING and target.attempts == 0


def test_scheduler_due_list_follows_cron_in_the_org_zone_and_dates(session: Session) -> None:
    """A 09:00 (New York) cron is due after 13:00 UTC in July, once per firing, within its dates."""
    org_id = bank(session)
    campaign_id = campaign(
        session, org_id, schedule=CampaignSchedule(cron="0 9 * * *", end_date=date(2026, 7, 20))
    )
    campaigns.update_campaign(
        session=session, org_id=org_id, campaign_id=campaign_id,
        campaign_in=CampaignUpdate(status=CampaignStatus.SCHEDULED), actor=ACTOR,
    )  # fmt: skip
    session.execute(
        sa.update(Campaign)
        .where(Campaign.id == campaign_id)
        .values(created_at=datetime(2026, 7, 1, tzinfo=UTC))
    )

    def due(at: datetime) -> list[tuple[uuid.UUID, uuid.UUID, datetime]]:
        return [item for item in campaigns.due_schedules(session=session, at=at) if item[1] == campaign_id]

    assert due(datetime(2026, 7, 15, 13, 30, tzinfo=UTC)) == [
        (org_id, campaign_id, datetime(2026, 7, 15, 13, 0, tzinfo=UTC))
    ]
    session.execute(
        sa.update(Campaign)
        .where(Campaign.id == campaign_id)
        .values(last_scheduled_at=datetime(2026, 7, 15, 13, 0, tzinfo=UTC))
    )
    assert due(datetime(2026, 7, 15, 20, 0, tzinfo=UTC)) == []
    assert due(datetime(2026, 7, 16, 13, 1, tzinfo=UTC))[0][2] == datetime(2026, 7, 16, 13, 0, tzinfo=UTC)
    assert due(datetime(2026, 7, 22, 13, 1, tzinfo=UTC)) == []  # after the end date


def test_claims_respect_exclusions_limits_and_due_times(session: Session) -> None:
    """A claim returns due targets soonest first, never the excluded ones, at most the limit, and says when
    the next one is due; a paused run claims nothing."""
    org_id = bank(session)
    org = session.get(Organization, org_id)
    customer = make_customer(session, org)
    for _ in range(4):
        make_account(session, customer)
    campaign_id = campaign(session, org_id, max_concurrent_calls=3)
    run = campaigns.begin_run(session=session, org_id=org_id, campaign_id=campaign_id, actor=ACTOR, at=NOW)
    campaigns.plan_targets(session=session, org_id=org_id, campaign_id=campaign_id)
    ids = sorted(
        session.scalars(sa.select(CampaignTarget.id).where(CampaignTarget.campaign_id == campaign_id))
    )
    later = NOW + timedelta(hours=2)
    session.execute(
        sa.update(CampaignTarget).where(CampaignTarget.id == ids[3]).values(next_attempt_at=later)
    )
    instance = run.instance_id or ""
    wave = campaigns.claim_wave(session=session, org_id=org_id, campaign_id=campaign_id, instance_id=instance, at=NOW,
                                exclude=[ids[0]], limit=5)  # fmt: skip
    assert [t.target_id for t in wave.targets] == ids[1:3] and wave.capacity == 3
    assert wave.remaining == 4 and wave.next_due_at == later
    assert campaigns.claim_wave(session=session, org_id=org_id, campaign_id=campaign_id, instance_id="other",
                                at=NOW).status == "superseded"  # fmt: skip
    campaigns.control_run(
        session=session, org_id=org_id, campaign_id=campaign_id, action="pause", actor=ACTOR, at=NOW
    )
    assert campaigns.claim_wave(session=session, org_id=org_id, campaign_id=campaign_id, instance_id=instance,
                                at=NOW).status == "paused"  # fmt: skip
    with pytest.raises(Conflict):
        campaigns.control_run(
            session=session, org_id=org_id, campaign_id=campaign_id, action="pause", actor=ACTOR, at=NOW
        )


@pytest.mark.parametrize(
    ("status", "outcome", "answered_by", "expected"),
    [
        (CallStatus.COMPLETED, CallOutcome.PROMISE_TO_PAY, "human", AttemptResult.CONNECTED),
        (CallStatus.COMPLETED, None, "machine_end_beep", AttemptResult.VOICEMAIL),
        (CallStatus.COMPLETED, CallOutcome.VOICEMAIL, None, AttemptResult.VOICEMAIL),
        (CallStatus.NO_ANSWER, None, None, AttemptResult.NO_ANSWER),
        (CallStatus.BUSY, None, None, AttemptResult.BUSY),
        (CallStatus.FAILED, None, None, AttemptResult.FAILED),
        (CallStatus.CANCELED, None, None, AttemptResult.FAILED),
    ],
)
def test_how_a_finished_call_counts(
    status: CallStatus, outcome: CallOutcome | None, answered_by: str | None, expected: AttemptResult
) -> None:
    """A person answering is a conversation-capable connect; a machine is voicemail; the rest retry."""
    assert campaigns.attempt_result(status, outcome, answered_by) is expected


def test_retention_purges_expired_records_except_legal_holds(session: Session) -> None:
    """Transcripts and recording references of calls older than the retention period are removed and the
    purge audited; a customer on legal hold keeps everything; recent calls are untouched; a second purge
    finds nothing more."""
    org_id = bank(session)
    org = session.get(Organization, org_id)
    free, held = make_customer(session, org), make_customer(session, org, legal_hold=True)
    old, recent = NOW - timedelta(days=1200), NOW - timedelta(days=10)
    calls = {
        "old": make_call(session, free, start_time=old, end_time=old, recording_sid="RE-old"),
        "held": make_call(session, held, start_time=old, end_time=old, recording_sid="RE-held"),
        "recent": make_call(session, free, start_time=recent, end_time=recent, recording_sid="RE-new"),
    }
    for call in calls.values():
        session.add(CallTranscriptEntry(organization_id=org_id, call_id=call.id, sequence=0, timestamp=call.start_time,
                                        entry_type=TranscriptEntryType.TRANSCRIPT, speaker=Speaker.AGENT, text="hi"))  # fmt: skip
    session.flush()
    purged = retention.purge_organization(session=session, org_id=org_id, at=NOW)
    assert (purged.calls, purged.transcript_entries, purged.recordings, purged.held_back_calls) == (
        1,
        1,
        1,
        1,
    )
    left = dict(session.execute(
        sa.select(Call.id, sa.func.count(CallTranscriptEntry.id)).outerjoin(CallTranscriptEntry).group_by(Call.id)
    ).all())  # fmt: skip
    assert left == {calls["old"].id: 0, calls["held"].id: 1, calls["recent"].id: 1}
    session.refresh(calls["old"])
    assert calls["old"].recording_sid is None and "retention_purged_at" in calls["old"].call_metadata
    entry = session.scalars(sa.select(AuditLogEntry).where(AuditLogEntry.action == "retention.purge",
                                                           AuditLogEntry.organization_id == org_id)).one()  # fmt: skip
    assert entry.after is not None and entry.after["call_ids"] == [str(calls["old"].id)]
    again = retention.purge_organization(session=session, org_id=org_id, at=NOW)
    assert (again.calls, again.transcript_entries) == (0, 0)
