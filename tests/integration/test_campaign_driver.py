"""The local driver runs the real orchestrators through the Durable SDK against the database, on a virtual
clock, with a recording fake dialer at the telephony boundary: calls wait for the window, retry per
disposition, stop at the attempt limit, and honor cease requests."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from functions.campaigns.driver import LocalCampaignRuns, VirtualClock
from functions.campaigns.orchestrator import CAMPAIGN_ORCHESTRATOR
from shared.db import migrate
from shared.db.engine import make_engine, make_session_factory, transaction
from shared.db.tables import CallAttempt, CampaignTarget, OrchestrationInstance
from shared.domain import AttemptResult, CampaignStatus, PreferenceKind, TargetStatus
from shared.models.audit import Actor
from shared.models.campaigns import CampaignCreate, DialRequest, TacticShare
from shared.services import campaigns
from tests.campaign_support import NO_ANSWER, PROMISE, Answer, add_customer, build_driver, make_bank

START = datetime(2026, 7, 15, 9, 0, tzinfo=UTC)  # 02:00 in Phoenix: hours before the window opens
PHOENIX = ZoneInfo("America/Phoenix")


@pytest.fixture(params=["sqlite", "postgresql"])
def sessions(request: pytest.FixtureRequest) -> Iterator[sessionmaker[Session]]:
    """A committed, migrated database on each backend (the driver opens its own transactions)."""
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "fresh_postgres_url")
    engine = make_engine(url)
    if request.param == "postgresql":
        migrate.upgrade(engine)
    yield make_session_factory(engine)
    engine.dispose()


def new_campaign(sessions: sessionmaker[Session], org_id: uuid.UUID, **overrides: object) -> uuid.UUID:
    values: dict[str, object] = {
        "name": "Mid-stage Southwest",
        "tactics": [
            TacticShare(tactic_name="empathetic_partner"),
            TacticShare(tactic_name="anchor_and_frame"),
        ],
        "max_concurrent_calls": 2,
        "max_attempts_per_target": 3,
    }
    values.update(overrides)
    with transaction(sessions) as session:
        return campaigns.create_campaign(
            session=session,
            org_id=org_id,
            campaign_in=CampaignCreate.model_validate(values),
            actor=Actor.cli(),
        ).id


async def run_campaign(sessions: sessionmaker[Session], org_id: uuid.UUID, campaign_id: uuid.UUID, script):  # type: ignore[no-untyped-def]
    clock = VirtualClock(START)
    driver, dialer = build_driver(sessions, clock, script)
    with transaction(sessions) as session:
        campaign = campaigns.begin_run(
            session=session, org_id=org_id, campaign_id=campaign_id, actor=Actor.cli(), at=clock.now()
        )
    assert campaign.instance_id is not None
    await LocalCampaignRuns(driver).start_run(
        org_id=org_id, campaign_id=campaign_id, instance_id=campaign.instance_id
    )
    status = await driver.run_until_finished(campaign.instance_id, timeout=60)
    await driver.aclose()
    return status, dialer, clock, campaign.instance_id


async def test_campaign_dials_inside_the_window_and_retries_until_done(
    sessions: sessionmaker[Session],
) -> None:
    """Started at 02:00 local, the first calls go out at 08:00; a customer who never answers is called
    three times, 4 hours apart, then exhausted; one who promises is done after one call; one who asked us to
    stop is blocked without a call."""
    org_id = make_bank(sessions)
    answers, _ = add_customer(sessions, org_id, phone="+16025550151")
    silent, _ = add_customer(sessions, org_id, phone="+16025550152")
    ceased, _ = add_customer(
        sessions, org_id, phone="+16025550153", preferences=((PreferenceKind.CEASE_CONTACT, {}),)
    )
    campaign_id = new_campaign(sessions, org_id)

    def script(request: DialRequest, count: int) -> Answer:
        return PROMISE if request.customer_id == answers else NO_ANSWER

    status, dialer, _, instance_id = await run_campaign(sessions, org_id, campaign_id, script)
    assert status == "Completed"

    by_customer: dict[uuid.UUID, list[DialRequest]] = {}
    for request in dialer.requests:
        by_customer.setdefault(request.customer_id, []).append(request)
    assert len(by_customer[answers]) == 1
    assert len(by_customer[silent]) == 3
    assert ceased not in by_customer
    assert len({request.idempotency_key for request in dialer.requests}) == len(dialer.requests)

    with sessions() as session:
        attempts = session.scalars(sa.select(CallAttempt).order_by(CallAttempt.attempted_at)).all()
        for attempt in attempts:
            local = attempt.attempted_at.astimezone(PHOENIX)
            assert 8 <= local.hour < 21, local
        silent_times = [a.attempted_at for a in attempts if a.customer_id == silent]
        assert silent_times[0].astimezone(PHOENIX).hour == 8
        gaps = [b - a for a, b in itertools.pairwise(silent_times)]
        assert len(gaps) == 2 and all(
            timedelta(hours=4) <= gap < timedelta(hours=4, minutes=5) for gap in gaps
        )
        assert {a.result for a in attempts if a.customer_id == silent} == {AttemptResult.NO_ANSWER}
        assert [a.is_conversation for a in attempts if a.customer_id == answers] == [True]
        targets = {t.customer_id: t for t in session.scalars(sa.select(CampaignTarget))}
        assert (
            targets[answers].status is TargetStatus.DONE and targets[answers].last_outcome == "promise_to_pay"
        )
        assert targets[silent].status is TargetStatus.EXHAUSTED and targets[silent].attempts == 3
        assert targets[ceased].status is TargetStatus.BLOCKED
        assert targets[ceased].blocked_reasons and targets[ceased].blocked_reasons[0].startswith(
            "cease_requested"
        )
        progress = campaigns.get_progress(session=session, org_id=org_id, campaign_id=campaign_id)
        assert progress.status is CampaignStatus.COMPLETED and progress.percent_done == 100.0
        assert (
            progress.counts["done"] == 1
            and progress.counts["exhausted"] == 1
            and progress.counts["blocked"] == 1
        )
        assert progress.attempts == 4
        parent = session.scalar(
            sa.select(OrchestrationInstance).where(OrchestrationInstance.instance_id == instance_id)
        )
        assert parent is not None and parent.name == CAMPAIGN_ORCHESTRATOR and parent.execution > 1


async def test_the_agents_outcome_counts_when_twilios_completion_carries_none(
    sessions: sessionmaker[Session],
) -> None:
    """Twilio's `completed` callback knows nothing of the conversation (outcome None); the agent host writes
    the outcome on the call row. The disposition takes the row's outcome: the target is done with the
    promise, not a bare "connected"."""
    from functions.campaigns.activities import CampaignDeps
    from functions.campaigns.driver import LocalDriver, Registry
    from shared.db.tables import Call
    from shared.domain import CallOutcome, CallStatus
    from tests.campaign_support import RecordingDialer

    org_id = make_bank(sessions)
    customer_id, _ = add_customer(sessions, org_id, phone="+16025550154")
    campaign_id = new_campaign(sessions, org_id)

    class AgentWritesTheOutcome(RecordingDialer):
        async def _finish(self, request: DialRequest, answer: Answer) -> None:
            with transaction(self.sessions) as session:
                row = session.get(Call, request.call_id)
                assert row is not None
                row.outcome = CallOutcome.PROMISE_TO_PAY  # the agent's finalize, before the status callback
            await super()._finish(request, answer)

    clock = VirtualClock(START)
    deps = CampaignDeps(sessions=sessions, dialer=None, clock=clock)  # type: ignore[arg-type]
    driver = LocalDriver(sessions=sessions, registry=Registry.for_campaigns(deps), clock=clock)
    dialer = deps.dialer = AgentWritesTheOutcome(
        driver, sessions, lambda request, count: Answer(CallStatus.COMPLETED)
    )
    with transaction(sessions) as session:
        campaign = campaigns.begin_run(
            session=session, org_id=org_id, campaign_id=campaign_id, actor=Actor.cli(), at=clock.now()
        )
    assert campaign.instance_id is not None
    await LocalCampaignRuns(driver).start_run(
        org_id=org_id, campaign_id=campaign_id, instance_id=campaign.instance_id
    )
    assert await driver.run_until_finished(campaign.instance_id, timeout=60) == "Completed"
    await driver.aclose()
    assert len(dialer.requests) == 1
    with sessions() as session:
        target = session.scalars(
            sa.select(CampaignTarget).where(CampaignTarget.customer_id == customer_id)
        ).one()
        assert target.status is TargetStatus.DONE and target.last_outcome == "promise_to_pay"
