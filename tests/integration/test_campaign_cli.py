"""`archer compliance check` and `archer campaign run --simulate`, run as real processes on a seeded database."""

from __future__ import annotations

import json
import uuid

import sqlalchemy as sa

from shared.db.engine import make_engine, make_session_factory, transaction
from shared.db.tables import AuditLogEntry, Customer
from shared.models.audit import Actor
from shared.models.campaigns import CampaignCreate, TacticShare, Targeting
from shared.services import campaigns
from tests.campaign_support import add_customer, make_bank
from tests.integration.test_cli import archer


def test_compliance_check_prints_the_decision_and_audits_it(sqlite_url: str) -> None:
    """`--json` prints exactly allowed, reasons, next_allowed_at and zones; the decision is audited as the
    CLI's; a naive `--at` and an unknown customer are one-line errors."""
    engine = make_engine(sqlite_url)
    sessions = make_session_factory(engine)
    org_id = make_bank(sessions)
    customer_id, _ = add_customer(sessions, org_id, phone="+16025550177")
    env = {"ARCHER_DATABASE_URL": sqlite_url}
    night = archer(
        "compliance",
        "check",
        "--customer",
        str(customer_id),
        "--at",
        "2026-07-15T10:00:00Z",
        "--json",
        env=env,
    )
    assert night.returncode == 0, night.stderr
    decision = json.loads(night.stdout)
    assert set(decision) == {"allowed", "reasons", "next_allowed_at", "zones"}
    assert decision["allowed"] is False and decision["zones"] == ["America/Phoenix"]
    assert decision["reasons"][0].startswith("outside_calling_window")
    assert decision["next_allowed_at"] == "2026-07-15T15:00:00+00:00"  # 08:00 in Phoenix
    human = archer(
        "compliance", "check", "--customer", str(customer_id), "--at", "2026-07-15T18:00:00+00:00", env=env
    )
    assert human.returncode == 0 and human.stdout.startswith("allowed at 2026-07-15T18:00:00")
    with sessions() as session:
        actors = session.scalars(
            sa.select(AuditLogEntry.actor_type).where(AuditLogEntry.action == "compliance.check")
        ).all()
    assert [actor.value for actor in actors] == ["cli", "cli"]

    naive = archer(
        "compliance", "check", "--customer", str(customer_id), "--at", "2026-07-15T10:00:00", env=env
    )
    assert (
        naive.returncode == 2 and len(naive.stderr.strip().splitlines()) == 1 and "UTC offset" in naive.stderr
    )
    missing = archer("compliance", "check", "--customer", str(uuid.uuid4()), env=env)
    assert missing.returncode == 1 and missing.stderr.strip().endswith("not found")
    engine.dispose()


def test_campaign_run_simulate_drives_the_campaign_to_its_end(sqlite_url: str) -> None:
    """`archer campaign run --simulate` runs the campaign in-process on a virtual clock starting at
    `--start-at`, shows a progress bar on stderr and prints the summary; without `--simulate` it refuses."""
    engine = make_engine(sqlite_url)
    sessions = make_session_factory(engine)
    org_id = make_bank(sessions)
    for n in range(3):
        add_customer(sessions, org_id, phone=f"+160255501{n + 40}")
    with transaction(sessions) as session:
        ids = list(session.scalars(sa.select(Customer.id).where(Customer.organization_id == org_id)))
        campaign_id = campaigns.create_campaign(
            session=session, org_id=org_id,
            campaign_in=CampaignCreate(name="CLI", tactics=[TacticShare(tactic_name="empathetic_partner")],
                                       targeting=Targeting(customer_ids=ids)),
            actor=Actor.cli(),
        ).id  # fmt: skip
    env = {"ARCHER_DATABASE_URL": sqlite_url}
    refused = archer("campaign", "run", "--id", str(campaign_id), env=env)
    assert refused.returncode == 2 and "--simulate" in refused.stderr

    run = archer("campaign", "run", "--id", str(campaign_id), "--simulate", "--start-at", "2026-07-15T10:00:00Z",
                 "--json", env=env)  # fmt: skip
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)
    assert summary["status"] == "completed" and summary["total"] == 3 and summary["percent_done"] == 100.0
    assert summary["virtual_start"].startswith("2026-07-15T10:00")
    assert "target" in run.stderr  # the progress bar
    again = archer("campaign", "run", "--id", str(campaign_id), "--simulate", env=env)
    assert again.returncode == 0 and "run 2: completed" in again.stdout and "by status:" in again.stdout
    engine.dispose()
