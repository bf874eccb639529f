"""Campaign benchmarks (issue 5), printed as a table.

1. Planning: 100,000 accounts (one per synthetic customer, every US zone) in a fresh PostgreSQL database;
   the time `plan_targets` takes to target them all with a weighted A/B split, committed. Target: < 5 s.
2. End to end: 1,000 targets at concurrency 50 through the local driver, in a fresh PostgreSQL database
   (`--e2e-database sqlite` for the local default), with simulated customers — the agent host's simulator
   over the real Line websocket protocol against the real agent, which runs as its own process on
   loopback — on a virtual clock that starts at 18:00 UTC on a
   weekday (inside every US zone's window) and jumps over durable timers. Wall time until the run
   completes (target < 120 s), its outcome counts, and its compliance findings, which must be zero: every
   placed attempt re-decided independently from the facts as they were just before it (windows in every
   candidate zone, 7-in-7, quiet period, state limits, cease/dispute/attorney, consent), plus the agent host
   auditor's findings on the calls.

    .venv/bin/python bench/campaign.py [--plan-targets 100000] [--e2e-targets 1000] [--concurrency 50]
        [--server-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres] [--telephony simulated|scripted]

`--telephony scripted` replaces the simulated customers with scripted answers (no agent) to measure the
driver alone; the acceptance figure is the simulated one.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from shared.db import migrate
from shared.db.engine import make_engine, make_session_factory, transaction
from shared.db.tables import Call, CallAttempt, CallTranscriptEntry, Campaign, ContactPreference
from shared.domain import AttemptResult
from shared.models.audit import Actor
from shared.models.campaigns import CampaignCreate, TacticShare
from shared.models.organizations import OrganizationCreate
from shared.policy.compliance import PreferenceFacts, decide
from shared.seed.loader import load_customers
from shared.seed.synthetic import SyntheticCustomer, generate
from shared.services import campaigns, compliance, organizations

REPO_ROOT = Path(__file__).resolve().parent.parent


def e2e_start() -> datetime:
    """A Tuesday at 18:00 UTC (13:00 in New York ... 08:00 in Honolulu: inside every US window) at least two
    weeks ago. The virtual clock stays behind the real one, which the agent host (its own process) stamps
    its records with: a cease recorded during a call is then never "before" that very call."""
    moment = (datetime.now(UTC) - timedelta(days=14)).replace(hour=18, minute=0, second=0, microsecond=0)
    return moment - timedelta(days=(moment.weekday() - 1) % 7)


SPLIT = [
    TacticShare(tactic_name="empathetic_partner", weight=1),
    TacticShare(tactic_name="anchor_and_frame", weight=1),
]


def one_account_each(count: int, prefix: str) -> list[SyntheticCustomer]:
    population = []
    for customer in generate(count, ref_prefix=prefix):
        customer.accounts = customer.accounts[:1]
        customer.preferences = [p for p in customer.preferences if p[3] in (None, 0)]
        population.append(customer)
    return population


def seed(sessions: Any, customers: int, prefix: str) -> uuid.UUID:
    with transaction(sessions) as session:
        org_id = organizations.create_organization(
            session=session, org_in=OrganizationCreate(name=f"Bench {prefix}"), actor=Actor.cli()
        ).organization.id
        organizations.install_defaults(session=session, org_id=org_id, actor=Actor.cli())
    with transaction(sessions) as session:
        load_customers(
            session=session, org_id=org_id, population=one_account_each(customers, prefix), batch_size=5000
        )
    return org_id


def new_campaign(sessions: Any, org_id: uuid.UUID, concurrency: int) -> uuid.UUID:
    with transaction(sessions) as session:
        return campaigns.create_campaign(
            session=session,
            org_id=org_id,
            campaign_in=CampaignCreate(
                name="Bench", tactics=SPLIT, max_concurrent_calls=concurrency, max_attempts_per_target=3
            ),
            actor=Actor.cli(),
        ).id


# --- 1. Planning -------------------------------------------------------------------------------------------


def bench_plan(server_url: str, targets: int) -> dict[str, Any]:
    name = f"archer_bench_campaign_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        sessions = make_session_factory(engine)
        started = time.perf_counter()
        org_id = seed(sessions, targets, "PLAN")
        seeded = time.perf_counter() - started
        campaign_id = new_campaign(sessions, org_id, 50)
        started = time.perf_counter()
        with transaction(sessions) as session:
            report = campaigns.plan_targets(session=session, org_id=org_id, campaign_id=campaign_id)
        planned = time.perf_counter() - started
        started = time.perf_counter()
        with transaction(sessions) as session:
            again = campaigns.plan_targets(session=session, org_id=org_id, campaign_id=campaign_id)
        replanned = time.perf_counter() - started
        return {"targets": report.added, "seconds": planned, "seed_seconds": seeded, "replan_seconds": replanned,
                "replan_added": again.added}  # fmt: skip
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


# --- 2. End to end -----------------------------------------------------------------------------------------


def recheck(sessions: Any, org_id: uuid.UUID, campaign_id: uuid.UUID) -> list[str]:
    """Re-decide every placed attempt from the facts as they were just before it: each must be allowed.

    "Before" is causal: earlier attempts and conversations by the run's clock, and contact preferences that
    existed before the attempt — seeded ones, or ones recorded during a call that started before it (the
    agent host stamps them with the real clock, the run with its virtual one)."""
    findings = []
    with sessions() as session:
        row = session.get(Campaign, campaign_id)
        rules = campaigns.campaign_rules(session, org_id, row)
        call_start = dict(
            session.execute(sa.select(Call.id, Call.start_time).where(Call.organization_id == org_id)).all()
        )
        placed = session.scalars(
            sa.select(CallAttempt)
            .where(CallAttempt.organization_id == org_id, CallAttempt.result != AttemptResult.CANCELED)
            .order_by(CallAttempt.attempted_at)
        ).all()
        preferences: dict[uuid.UUID, list[ContactPreference]] = {}
        for preference in session.scalars(
            sa.select(ContactPreference).where(ContactPreference.organization_id == org_id)
        ):
            preferences.setdefault(preference.customer_id, []).append(preference)
        for attempt in placed:
            facts, _ = compliance.load_facts(
                session=session, org_id=org_id, customer_id=attempt.customer_id, at=attempt.attempted_at
            )
            known = tuple(
                PreferenceFacts(kind=p.kind, account_id=p.account_id, phone_number=p.phone_number,
                                details=p.details or {}, effective_at=p.effective_at, ended_at=p.ended_at)
                for p in preferences.get(attempt.customer_id, [])
                if p.call_id is None or call_start.get(p.call_id, attempt.attempted_at) < attempt.attempted_at
            )  # fmt: skip
            before = replace(
                facts,
                preferences=known,
                attempts=tuple(a for a in facts.attempts if a.at < attempt.attempted_at),
                conversations=tuple(c for c in facts.conversations if c < attempt.attempted_at),
            )
            decision = decide(
                before,
                rules,
                at=attempt.attempted_at,
                dial_number=attempt.phone_number,
                account_id=attempt.account_id,
            )
            if not decision.allowed:
                findings.append(f"attempt {attempt.id}: {'; '.join(decision.reasons)}")
    return findings


def audit_calls(sessions: Any, org_id: uuid.UUID) -> list[Any]:
    """The agent host auditor's findings on every call that was answered (its transcript), after the run."""
    from shared.services import call_review

    with sessions() as session:
        answered = session.scalars(
            sa.select(Call.id).where(
                Call.organization_id == org_id, sa.exists().where(CallTranscriptEntry.call_id == Call.id)
            )
        ).all()
        return [
            finding
            for call_id in answered
            for finding in call_review.review_call(session=session, org_id=org_id, call_id=call_id).findings
        ]


@contextlib.asynccontextmanager
async def agent_process(database_url: str) -> AsyncIterator[str]:
    """The agent host as its own process (`python -m agent_host`) on a loopback port — the second core
    serves the agent while this one drives the campaign and plays the customers; stopped by its PID."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARCHER_")}
    env.update({"ARCHER_ENV": "local", "ARCHER_DATABASE_URL": database_url, "HOST": "127.0.0.1", "PORT": str(port),
                "ARCHER_LOG_LEVEL": "WARNING", "LITELLM_LOCAL_MODEL_COST_MAP": "True"})  # fmt: skip
    process = subprocess.Popen([sys.executable, "-m", "agent_host"], cwd=REPO_ROOT, env=env)
    try:
        deadline = time.monotonic() + 60
        async with httpx.AsyncClient() as client:
            while True:
                try:
                    if (await client.get(f"http://127.0.0.1:{port}/status", timeout=2)).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the agent host did not start")
                await asyncio.sleep(0.2)
        yield f"ws://127.0.0.1:{port}/ws"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


async def bench_e2e(targets: int, concurrency: int, telephony: str, database_url: str) -> dict[str, Any]:
    from dev_server.campaigns import build_local_campaigns, simulator_available
    from functions.campaigns import control
    from functions.campaigns.driver import LocalCampaignRuns, VirtualClock
    from shared.config import load_settings
    from shared.integrations.cache import InMemoryCache
    from shared.runtime import Runtime

    if telephony == "simulated" and not simulator_available():
        return {"skipped": "the agent host's simulator (agent_host.simulator) is not installed"}
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    sessions = make_session_factory(engine)
    org_id = seed(sessions, targets, "E2E")
    campaign_id = new_campaign(sessions, org_id, concurrency)
    runtime = Runtime(settings=load_settings(), engine=engine, sessions=sessions, cache=InMemoryCache())
    clock = VirtualClock(e2e_start())
    async with contextlib.AsyncExitStack() as stack:
        if telephony == "simulated":
            agent_url = await stack.enter_async_context(agent_process(database_url))
            driver, runs, _ = build_local_campaigns(runtime, clock=clock, agent_url=agent_url)
        else:
            from tests.campaign_support import NO_ANSWER, PROMISE, VOICEMAIL, build_driver

            def script(request: Any, count: int) -> Any:
                roll = hash((request.customer_id, request.attempt_number)) % 10
                return PROMISE if roll < 5 else VOICEMAIL if roll < 7 else NO_ANSWER

            driver, _ = build_driver(
                sessions, clock, script, delay=float(os.environ.get("BENCH_CALL_SECONDS", "1.0"))
            )
            runs = LocalCampaignRuns(driver)
        started = time.perf_counter()
        run = await control.start_campaign(
            sessions=sessions,
            runs=runs,
            org_id=org_id,
            campaign_id=campaign_id,
            actor=Actor.cli(),
            at=clock.now(),
        )
        status = await driver.run_until_finished(run.instance_id or "", timeout=1800)
        wall = time.perf_counter() - started
        await driver.aclose()
    with sessions() as session:
        progress = campaigns.get_progress(session=session, org_id=org_id, campaign_id=campaign_id)
        results = Counter(
            result.value
            for result in session.scalars(
                sa.select(CallAttempt.result).where(CallAttempt.organization_id == org_id)
            )
        )
    findings = recheck(sessions, org_id, campaign_id)
    auditor = audit_calls(sessions, org_id) if telephony == "simulated" else []
    engine.dispose()
    return {"status": status, "seconds": wall, "progress": progress, "results": results, "virtual_end": clock.now(),
            "rule_findings": findings, "auditor_findings": auditor}  # fmt: skip


@contextlib.contextmanager
def fresh_database(server_url: str, prefix: str) -> Iterator[str]:
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plan-targets", type=int, default=100_000)
    parser.add_argument("--e2e-targets", type=int, default=1_000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--telephony", choices=["simulated", "scripted"], default="simulated")
    parser.add_argument("--skip-plan", action="store_true")
    parser.add_argument(
        "--e2e-database", choices=["postgresql", "sqlite"], default="postgresql",
        help="the end-to-end run's database (the agent host writes to it from its own process)",
    )  # fmt: skip
    parser.add_argument(
        "--server-url",
        default=os.environ.get(
            "ARCHER_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
    )
    args = parser.parse_args()

    rows: list[tuple[str, str, str]] = []
    ok = True
    if not args.skip_plan:
        plan = bench_plan(args.server_url, args.plan_targets)
        rows += [
            ("plan: targets planned (PostgreSQL)", f"{plan['targets']:,}", ""),
            ("plan: seconds", f"{plan['seconds']:.2f}", "< 5 s"),
            ("plan: re-plan seconds (nothing new)", f"{plan['replan_seconds']:.2f}", ""),
            ("plan: seeding the accounts (s)", f"{plan['seed_seconds']:.1f}", ""),
        ]
        ok &= plan["seconds"] < 5 and plan["targets"] == args.plan_targets
    if args.e2e_database == "postgresql":
        with fresh_database(args.server_url, "archer_bench_e2e") as url:
            e2e = asyncio.run(bench_e2e(args.e2e_targets, args.concurrency, args.telephony, url))
    else:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{Path(folder) / 'e2e.db'}"
            e2e = asyncio.run(bench_e2e(args.e2e_targets, args.concurrency, args.telephony, url))
    if "skipped" in e2e:
        rows.append(("end to end", "skipped", e2e["skipped"]))
        ok = False
    else:
        progress = e2e["progress"]
        label = (
            f"e2e ({args.telephony}, {args.e2e_database}): {progress.total:,} targets, x{args.concurrency}"
        )
        rows += [
            (label, e2e["status"], ""),
            ("e2e: wall seconds", f"{e2e['seconds']:.1f}", "< 120 s"),
            ("e2e: virtual time reached", e2e["virtual_end"].strftime("%Y-%m-%d %H:%M UTC"), ""),
            ("e2e: calls placed", f"{progress.attempts:,}", ""),
        ]
        rows += [
            (f"e2e: targets {status}", f"{count:,}", "") for status, count in progress.counts.items() if count
        ]
        rows += [
            (f"e2e: last outcome {outcome}", f"{count:,}", "") for outcome, count in progress.outcomes.items()
        ]
        rows += [
            (f"e2e: attempts {result}", f"{count:,}", "") for result, count in sorted(e2e["results"].items())
        ]
        rows += [
            ("e2e: compliance findings (re-check)", f"{len(e2e['rule_findings'])}", "0"),
            ("e2e: call auditor findings", f"{len(e2e['auditor_findings'])}", "0"),
        ]
        ok &= e2e["seconds"] < 120 and not e2e["rule_findings"] and not e2e["auditor_findings"]
        ok &= progress.percent_done == 100.0
        for finding in e2e["rule_findings"][:10]:
            print("finding:", finding, file=sys.stderr)
        for code, count in Counter(str(f.code) for f in e2e["auditor_findings"]).items():
            print(f"auditor finding: {code} x{count}", file=sys.stderr)
    print()
    print("Campaign benchmark")
    print(f"{'measure':<52}{'value':>22}{'target':>10}")
    print("-" * 84)
    for measure, value, target in rows:
        print(f"{measure:<52}{value:>22}{target:>10}")
    print(f"{'verdict':<52}{'PASS' if ok else 'FAIL':>22}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
