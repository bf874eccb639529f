"""The fault test: the local driver's process is killed (SIGKILL) in the middle of a campaign and started
again. Every target still ends with exactly the attempts its policy allows, no attempt is dialed twice (one
dial per idempotency key, every dial in the ledger), and no target is lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from shared.db import migrate
from shared.db.engine import make_engine, make_session_factory, transaction
from shared.db.tables import CallAttempt, CampaignTarget
from shared.domain import AttemptResult, CampaignStatus, TargetStatus
from shared.models.audit import Actor
from shared.models.campaigns import CampaignCreate, TacticShare
from shared.services import campaigns
from tests.campaign_support import add_customer, dials_in_log, make_bank
from tests.conftest import REPO_ROOT

START = datetime(2026, 7, 15, 14, 0, tzinfo=UTC)  # 07:00 in Phoenix
TARGETS = 12
MAX_ATTEMPTS = 3


def worker(url: str, org: str, campaign: str, log: Path) -> subprocess.Popen[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ARCHER_")}
    env.update({"ARCHER_ENV": "test", "LITELLM_LOCAL_MODEL_COST_MAP": "True"})
    return subprocess.Popen(
        [sys.executable, "-m", "tests.campaign_worker", "--database-url", url, "--org", org, "--campaign", campaign,
         "--dial-log", str(log), "--start", START.isoformat()],
        cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_killed_driver_resumes_without_double_dials_or_lost_targets(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Kill -9 after some dials, restart: every target is settled, exhausted ones with exactly 3 attempts,
    done ones with a connected last attempt; each dialed key appears once in the dial log and the ledger."""
    url = request.getfixturevalue("sqlite_url" if backend == "sqlite" else "fresh_postgres_url")
    engine = make_engine(url)
    if backend == "postgresql":
        migrate.upgrade(engine)
    sessions = make_session_factory(engine)
    org_id = make_bank(sessions)
    for n in range(TARGETS):
        add_customer(sessions, org_id, phone=f"+160255501{n:02d}")
    with transaction(sessions) as session:
        campaign = campaigns.create_campaign(
            session=session,
            org_id=org_id,
            campaign_in=CampaignCreate(
                name="Fault", tactics=[TacticShare(tactic_name="commitment_coach")], max_concurrent_calls=4,
                max_attempts_per_target=MAX_ATTEMPTS,
            ),
            actor=Actor.cli(),
        )  # fmt: skip
    log = tmp_path / "dials.jsonl"

    first = worker(url, str(org_id), str(campaign.id), log)
    deadline = time.monotonic() + 120
    while len(dials_in_log(log)) < 6:
        assert first.poll() is None, f"the worker ended before the kill: {first.communicate()}"
        assert time.monotonic() < deadline, "no dials within two minutes"
        time.sleep(0.05)
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=30)
    assert first.returncode == -signal.SIGKILL
    before_restart = len(dials_in_log(log))
    with sessions() as session:
        progress = campaigns.get_progress(session=session, org_id=org_id, campaign_id=campaign.id)
    assert progress.status is CampaignStatus.RUNNING and progress.percent_done < 100

    second = worker(url, str(org_id), str(campaign.id), log)
    out, err = second.communicate(timeout=300)
    assert second.returncode == 0, err
    assert "finished Completed" in out

    dials = dials_in_log(log)
    assert len(dials) > before_restart
    keys = Counter(dial["idempotency_key"] for dial in dials)
    assert max(keys.values()) == 1, "an attempt was dialed twice"
    assert len({dial["call_id"] for dial in dials}) == len(dials)

    phoenix = ZoneInfo("America/Phoenix")
    with sessions() as session:
        targets = session.scalars(
            sa.select(CampaignTarget).where(CampaignTarget.campaign_id == campaign.id)
        ).all()
        assert len(targets) == TARGETS
        ledger = session.scalars(sa.select(CallAttempt).order_by(CallAttempt.attempted_at)).all()
        by_key = {attempt.idempotency_key: attempt for attempt in ledger}
        assert set(keys) <= set(by_key), "a dial the ledger does not know"
        for target in targets:
            counted = [
                a
                for a in ledger
                if a.campaign_target_id == target.id and a.result is not AttemptResult.CANCELED
            ]
            assert all(a.result is not AttemptResult.PENDING for a in counted)
            assert len(counted) == target.attempts <= MAX_ATTEMPTS
            if target.status is TargetStatus.DONE:
                assert counted[-1].result is AttemptResult.CONNECTED
                assert all(a.result is not AttemptResult.CONNECTED for a in counted[:-1])
            else:
                assert target.status is TargetStatus.EXHAUSTED
                assert len(counted) == MAX_ATTEMPTS
            for attempt in counted:
                assert 8 <= attempt.attempted_at.astimezone(phoenix).hour < 21
        done = sum(1 for target in targets if target.status is TargetStatus.DONE)
        assert 0 < done <= TARGETS // 2
        progress = campaigns.get_progress(session=session, org_id=org_id, campaign_id=campaign.id)
    assert progress.status is CampaignStatus.COMPLETED and progress.percent_done == 100.0
    engine.dispose()
