"""Migrations: they build exactly the models' schema on PostgreSQL, and go down to base and up again."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from shared.db import migrate
from shared.db.base import Base
from shared.db.engine import make_engine

TABLES = {
    "organizations", "api_keys", "customers", "customer_phones", "accounts", "contact_preferences",
    "behavioral_tactics", "system_prompts", "negotiation_policies", "campaigns", "campaign_targets", "calls",
    "call_transcript_entries", "call_attempts", "payment_arrangements", "payments", "audit_log",
    "orchestration_instances",
}  # fmt: skip


def _tables(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}


def test_postgres_migrations_match_models_and_round_trip(fresh_postgres_url: str) -> None:
    """On an empty PostgreSQL database: upgrade to head leaves no autogenerate diff; downgrade to base removes
    every table; upgrade again restores them."""
    engine = make_engine(fresh_postgres_url)
    try:
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == migrate.head_revision()
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
        assert _tables(engine) == TABLES

        migrate.downgrade(engine, "base")
        assert _tables(engine) == set()
        assert migrate.current_revision(engine) is None

        migrate.upgrade(engine)
        assert _tables(engine) == TABLES
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_sqlite_migrations_round_trip(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The same migrations build and remove the schema on an empty SQLite file."""
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    try:
        migrate.upgrade(engine)
        assert _tables(engine) == TABLES
        migrate.downgrade(engine, "base")
        assert _tables(engine) == set()
        migrate.upgrade(engine)
        assert _tables(engine) == TABLES
    finally:
        engine.dispose()


def test_models_cover_the_architecture_tables() -> None:
    """Every table of ARCHITECTURE.md's data model is declared."""
    assert set(Base.metadata.tables) == TABLES
    for name, table in Base.metadata.tables.items():
        if name != "organizations":
            assert "organization_id" in table.c, f"{name} is tenant-owned and must carry organization_id"
