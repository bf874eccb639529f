"""Seed 100,000 synthetic customers with their accounts, phones and contact preferences into a fresh
PostgreSQL database through Archer's own bulk loader, and print rows per second and peak memory.

Targets (issue 2): under 60 s and under 500 MB.

    .venv/bin/python bench/seed_scale.py [--customers 100000] [--server-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

The database is created for the run and dropped afterwards (`--keep` keeps it and prints its URL).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from shared.db import migrate
from shared.db.engine import make_engine, make_session_factory
from shared.models.audit import Actor
from shared.models.organizations import OrganizationCreate
from shared.seed.loader import load_customers
from shared.seed.synthetic import generate
from shared.services import organizations


def _admin(server_url: str) -> sa.Engine:
    return sa.create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


def _peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux: the process's peak resident set, interpreter included.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=2_000)
    parser.add_argument(
        "--server-url",
        default=os.environ.get(
            "ARCHER_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument("--keep", action="store_true", help="keep the database instead of dropping it")
    args = parser.parse_args()

    name = f"archer_bench_seed_{uuid.uuid4().hex[:8]}"
    with _admin(args.server_url).connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = make_url(args.server_url).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        sessions = make_session_factory(engine)
        with sessions.begin() as session:
            org_id = organizations.create_organization(
                session=session, org_in=OrganizationCreate(name="Bench Bank"), actor=Actor.cli()
            ).organization.id

        baseline_mb = _peak_rss_mb()
        started = time.perf_counter()
        session = sessions()
        batches = 0

        def commit_batch(_counts: dict[str, int]) -> None:
            nonlocal batches
            session.commit()
            batches += 1
            if batches % 10 == 0:
                done = batches * args.batch_size
                rate = done / (time.perf_counter() - started)
                print(f"  {done:>7,} customers  {rate:>8,.0f} customers/s", file=sys.stderr)

        try:
            totals = load_customers(
                session=session,
                org_id=org_id,
                population=generate(args.customers, ref_prefix="BENCH"),
                batch_size=args.batch_size,
                on_batch=commit_batch,
            )
            session.commit()
        finally:
            session.close()
        elapsed = time.perf_counter() - started
        peak_mb = _peak_rss_mb()

        with engine.connect() as connection:
            stored = connection.execute(sa.text("SELECT count(*) FROM customers")).scalar_one()
        rows = sum(totals.values())
        print()
        print(f"Seed scale benchmark — PostgreSQL {make_url(url).host}, batch {args.batch_size}")
        print(f"{'measure':<34}{'value':>16}{'target':>14}")
        print("-" * 64)
        for table, count in totals.items():
            print(f"{'rows: ' + table:<34}{count:>16,}")
        print(f"{'rows: total':<34}{rows:>16,}")
        print(f"{'customers stored (SELECT count)':<34}{stored:>16,}")
        print(f"{'elapsed seconds':<34}{elapsed:>16.1f}{'< 60 s':>14}")
        print(f"{'customers per second':<34}{totals['customers'] / elapsed:>16,.0f}")
        print(f"{'rows per second':<34}{rows / elapsed:>16,.0f}")
        print(f"{'peak RSS (MB, whole process)':<34}{peak_mb:>16.0f}{'< 500 MB':>14}")
        print(f"{'RSS before loading (MB)':<34}{baseline_mb:>16.0f}")
        ok = elapsed < 60 and peak_mb < 500 and stored == args.customers
        print(f"{'verdict':<34}{'PASS' if ok else 'FAIL':>16}")
        return 0 if ok else 1
    finally:
        engine.dispose()
        if args.keep:
            print(f"kept database: {make_url(url).render_as_string(hide_password=True)}")
        else:
            with _admin(args.server_url).connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
