"""`archer compliance check` and `archer campaign run --simulate` (contributed to the `archer` CLI by entry
points). The compliance check needs only the database; a simulated run drives the campaign in this process
through the local driver, on a virtual clock, with simulated customers."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from shared.cli import open_engine, require_migrated
from shared.config import Settings
from shared.errors import Conflict, NotFound


def instant(text: str) -> datetime:
    """An ISO-8601 instant with its UTC offset (`Z` or `+hh:mm`)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO-8601 instant: {text!r}") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} needs a UTC offset, e.g. 2026-07-15T14:00:00Z")
    return moment.astimezone(UTC)


def _owner(engine: Any, table: Any, row_id: uuid.UUID, what: str) -> uuid.UUID:
    """The organization that owns a row (the CLI is trusted with every organization of its database)."""
    with engine.connect() as connection:
        org_id = connection.execute(sa.select(table.organization_id).where(table.id == row_id)).scalar()
    if org_id is None:
        raise NotFound(f"{what} {row_id} not found")
    return uuid.UUID(str(org_id))


# --- archer compliance check -------------------------------------------------------------------------------


def compliance_check(args: argparse.Namespace, settings: Settings) -> int:
    from shared.db.engine import make_session_factory, transaction
    from shared.db.tables import Customer
    from shared.models.audit import Actor
    from shared.services import compliance

    engine = open_engine(settings)
    try:
        require_migrated(engine)
        org_id = _owner(engine, Customer, args.customer, "customer")
        with transaction(make_session_factory(engine)) as session:
            decision = compliance.check_customer(
                session=session,
                org_id=org_id,
                customer_id=args.customer,
                at=args.at or datetime.now(UTC),
                phone_number=args.phone,
                account_id=args.account,
                actor=Actor.cli(),
            )
    finally:
        engine.dispose()
    if args.json:
        print(json.dumps(decision.to_cli(), indent=2))
        return 0
    print(f"{'allowed' if decision.allowed else 'not allowed'} at {decision.at.isoformat()}")
    for reason in decision.reasons:
        print(f"  - {reason}")
    following = decision.next_allowed_at.isoformat() if decision.next_allowed_at else "none (no wait helps)"
    print(f"next allowed: {following}")
    print(f"zones: {', '.join(decision.zones) or 'unknown'}")
    return 0


def register_compliance(commands: Any) -> None:
    parser = commands.add_parser("compliance", help="compliance decisions")
    sub = parser.add_subparsers(dest="compliance_command", required=True, parser_class=type(parser))
    check = sub.add_parser("check", help="may this customer be called now (or at --at)? audited")
    check.add_argument("--customer", type=uuid.UUID, required=True, help="customer id")
    check.add_argument("--at", type=instant, help="ISO-8601 instant with offset (default: now)")
    check.add_argument("--phone", help="the number to dial (default: the customer's primary)")
    check.add_argument("--account", type=uuid.UUID, help="the debt the call is about (default: any)")
    check.add_argument("--json", action="store_true", help="print {allowed, reasons, next_allowed_at, zones}")
    parser.set_defaults(handler=compliance_check)


# --- archer campaign run --simulate ------------------------------------------------------------------------


def campaign_run(args: argparse.Namespace, settings: Settings) -> int:
    if not args.simulate:
        args.parser.error(
            "the CLI runs campaigns with simulated customers only: add --simulate "
            "(real calls start through the API, POST /api/v1/campaigns/{id}/start)"
        )
    return asyncio.run(_simulate(args, settings))


async def _simulate(args: argparse.Namespace, settings: Settings) -> int:
    from dev_server.campaigns import agent_for_simulation, build_local_campaigns
    from functions.campaigns.driver import VirtualClock
    from shared.db.engine import make_session_factory
    from shared.db.tables import Campaign
    from shared.integrations.cache import make_cache
    from shared.runtime import Runtime

    engine = open_engine(settings)
    require_migrated(engine)
    org_id = _owner(engine, Campaign, args.id, "campaign")
    runtime = Runtime(
        settings=settings,
        engine=engine,
        sessions=make_session_factory(engine),
        cache=make_cache(settings.redis_url),
    )
    clock = VirtualClock(args.start_at or datetime.now(UTC))
    try:
        async with agent_for_simulation(runtime) as agent_url:
            driver, runs, _ = build_local_campaigns(runtime, clock=clock, agent_url=agent_url)
            try:
                summary = await _drive(
                    args, runtime=runtime, driver=driver, runs=runs, org_id=org_id, clock=clock
                )
            finally:
                await driver.aclose()
    finally:
        await runtime.aclose()
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        _print_summary(summary)
    return 0


async def _progress_bar(runtime: Any, org_id: uuid.UUID, campaign_id: uuid.UUID, *, quiet: bool) -> None:
    from tqdm import tqdm

    from shared.services import campaigns

    def read() -> Any:
        with runtime.sessions() as session:
            return campaigns.get_progress(session=session, org_id=org_id, campaign_id=campaign_id)

    bar: Any = None
    try:
        while True:
            progress = await asyncio.to_thread(read)
            if bar is None:
                bar = tqdm(
                    total=progress.total, unit="target", file=sys.stderr, disable=quiet, dynamic_ncols=True
                )
            settled = sum(progress.counts[k] for k in ("done", "blocked", "exhausted", "canceled"))
            bar.total = progress.total
            bar.n = settled
            bar.set_postfix(
                dialing=progress.counts["dialing"] + progress.counts["in_call"],
                waiting=progress.counts["waiting_window"],
                done=progress.counts["done"],
                attempts=progress.attempts,
                refresh=False,
            )
            bar.refresh()
            await asyncio.sleep(0.5)
    finally:
        if bar is not None:
            progress = await asyncio.to_thread(read)
            bar.n = sum(progress.counts[k] for k in ("done", "blocked", "exhausted", "canceled"))
            bar.close()


async def _drive(
    args: argparse.Namespace, *, runtime: Any, driver: Any, runs: Any, org_id: uuid.UUID, clock: Any
) -> dict[str, Any]:
    from functions.campaigns import control
    from shared.domain import CampaignStatus
    from shared.models.audit import Actor
    from shared.services import campaigns

    with runtime.sessions() as session:
        campaign = campaigns.get_campaign(session=session, org_id=org_id, campaign_id=args.id)
    local = None if campaign.instance_id is None else await runs.status(campaign.instance_id)
    if campaign.status in (CampaignStatus.RUNNING, CampaignStatus.PAUSED):
        if local is None or local.runtime_status not in ("Pending", "Running"):
            raise Conflict(f"campaign {args.id} is {campaign.status.value} in another engine", field="id")
        instance_id = campaign.instance_id
        print(f"resuming {instance_id}", file=sys.stderr)
    else:
        started = await control.start_campaign(
            sessions=runtime.sessions, runs=runs, org_id=org_id, campaign_id=args.id, actor=Actor.cli(),
            at=clock.now(),
        )  # fmt: skip
        instance_id = started.instance_id
    assert instance_id is not None
    began, wall = clock.now(), time.monotonic()
    watcher = asyncio.get_running_loop().create_task(
        _progress_bar(runtime, org_id, args.id, quiet=args.quiet)
    )
    try:
        await driver.run_until_finished(instance_id)
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
    with runtime.sessions() as session:
        progress = campaigns.get_progress(session=session, org_id=org_id, campaign_id=args.id)
    return {
        **progress.model_dump(mode="json"),
        "virtual_start": began.isoformat(),
        "virtual_end": clock.now().isoformat(),
        "wall_seconds": round(time.monotonic() - wall, 2),
    }


def _print_summary(summary: dict[str, Any]) -> None:
    print(f"campaign {summary['campaign_id']} run {summary['run_number']}: {summary['status']}")
    print(
        f"  virtual time {summary['virtual_start']} -> {summary['virtual_end']} ({summary['wall_seconds']} s)"
    )
    print(f"  targets {summary['total']}, attempts {summary['attempts']}, {summary['percent_done']}% settled")
    width = max([len(k) for k in summary["counts"]] + [len(k) for k in summary["outcomes"]] + [8])
    print("  by status:")
    for status, count in summary["counts"].items():
        if count:
            print(f"    {status:<{width}} {count:>7}")
    if summary["outcomes"]:
        print("  by last outcome:")
        for outcome, count in summary["outcomes"].items():
            print(f"    {outcome:<{width}} {count:>7}")


def register_campaign(commands: Any) -> None:
    parser = commands.add_parser("campaign", help="campaigns")
    sub = parser.add_subparsers(dest="campaign_command", required=True, parser_class=type(parser))
    run = sub.add_parser("run", help="run a campaign with simulated customers, in this process")
    run.add_argument("--id", type=uuid.UUID, required=True, help="campaign id")
    run.add_argument("--simulate", action="store_true", help="simulated customers instead of real calls")
    run.add_argument("--start-at", type=instant, help="the virtual clock's start (default: now)")
    run.add_argument("--json", action="store_true", help="print the outcome summary as JSON")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.set_defaults(handler=campaign_run, parser=run)
