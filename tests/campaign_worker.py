"""A local-driver process for the fault test: drives one campaign run against a database with the recording
fake dialer, logging every dial to a file (fsynced), until the run finishes.

    python -m tests.campaign_worker --database-url URL --org ID --campaign ID --dial-log PATH --start ISO

The first invocation starts the run; a later one (after the first was killed) finds the run in the database
and carries on from there. The scripted customers answer by attempt number (from the dial request), so the
script is the same in every process: odd-numbered phone lines promise to pay on their 2nd attempt, even ones
never answer."""

from __future__ import annotations

import argparse
import asyncio
import uuid
from datetime import datetime
from pathlib import Path

from functions.campaigns.driver import LocalCampaignRuns, VirtualClock
from shared.db.engine import make_engine, make_session_factory, transaction
from shared.domain import CampaignStatus
from shared.models.audit import Actor
from shared.models.campaigns import DialRequest
from shared.services import campaigns
from tests.campaign_support import NO_ANSWER, PROMISE, Answer, build_driver


def script(request: DialRequest, count: int) -> Answer:
    answers = int(request.to_number[-1]) % 2 == 1
    return PROMISE if answers and request.attempt_number == 2 else NO_ANSWER


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--org", type=uuid.UUID, required=True)
    parser.add_argument("--campaign", type=uuid.UUID, required=True)
    parser.add_argument("--dial-log", type=Path, required=True)
    parser.add_argument("--start", type=datetime.fromisoformat, required=True)
    parser.add_argument("--call-seconds", type=float, default=0.3)
    args = parser.parse_args()

    engine = make_engine(args.database_url)
    sessions = make_session_factory(engine)
    clock = VirtualClock(args.start)
    driver, _ = build_driver(sessions, clock, script, delay=args.call_seconds, log_path=args.dial_log)
    with transaction(sessions) as session:
        campaign = campaigns.get_campaign(session=session, org_id=args.org, campaign_id=args.campaign)
        if campaign.status is not CampaignStatus.RUNNING:
            campaign = campaigns.begin_run(
                session=session, org_id=args.org, campaign_id=args.campaign, actor=Actor.cli(), at=clock.now()
            )
    assert campaign.instance_id is not None
    await LocalCampaignRuns(driver).start_run(
        org_id=args.org, campaign_id=args.campaign, instance_id=campaign.instance_id
    )
    print("driving", campaign.instance_id, flush=True)
    status = await driver.run_until_finished(campaign.instance_id, timeout=300)
    await driver.aclose()
    engine.dispose()
    print("finished", status, flush=True)


if __name__ == "__main__":
    asyncio.run(main())
