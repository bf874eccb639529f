"""The `archer` command line, run as a real process against real databases."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from shared.db.base import Base
from shared.db.engine import make_engine
from tests.conftest import REPO_ROOT


def archer(*args: str, env: dict[str, str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {key: value for key, value in os.environ.items() if not key.startswith("ARCHER_")}
    full_env.update({"ARCHER_ENV": "test", "LITELLM_LOCAL_MODEL_COST_MAP": "True"}, **env)
    return subprocess.run(
        [sys.executable, "-m", "shared.cli", *args],
        env=full_env,
        cwd=cwd or REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    with engine.connect() as connection:
        counts = {
            name: connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            for name, table in Base.metadata.tables.items()
        }
    engine.dispose()
    return counts


def test_upgrade_then_seed_twice_on_fresh_postgres(fresh_postgres_url: str) -> None:
    """`archer db upgrade` then `archer seed` twice on an empty PostgreSQL database: the second run adds no row."""
    env = {"ARCHER_DATABASE_URL": fresh_postgres_url}
    upgraded = archer("db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    first = archer("seed", "--json", env=env)
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["created"]["customers"] >= 200
    after_first = _counts(fresh_postgres_url)
    second = archer("seed", "--json", env=env)
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["created"] == {}
    assert _counts(fresh_postgres_url) == after_first
    current = archer("db", "current", env=env)
    assert "up to date" in current.stdout


def test_upgrade_creates_the_local_sqlite_file(tmp_path: Path) -> None:
    """With no database configured, `archer db upgrade` creates .archer/archer.db in the working directory."""
    result = archer("db", "upgrade", env={"ARCHER_ENV": "local"}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / ".archer" / "archer.db").is_file()


def test_org_create_prints_the_key_once_as_json(sqlite_url: str) -> None:
    """`archer org create --json` prints the new organization's id and admin key; a duplicate name is refused."""
    env = {"ARCHER_DATABASE_URL": sqlite_url}
    result = archer("org", "create", "--name", "Northwind Credit Union", "--json", env=env)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["name"] == "Northwind Credit Union" and data["api_key"].startswith("ak_")
    assert data["role"] == "admin"
    engine = make_engine(sqlite_url)
    with engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT key_hash FROM api_keys")).scalars().all()
        tactics = connection.execute(sa.text("SELECT count(*) FROM behavioral_tactics")).scalar_one()
    engine.dispose()
    assert data["api_key"] not in stored and len(stored) == 1
    assert tactics == 4  # a new bank starts with the default configuration
    again = archer("org", "create", "--name", "Northwind Credit Union", env=env)
    assert again.returncode == 1
    assert again.stderr.count("\n") == 1 and "already exists" in again.stderr


def test_unreachable_database_is_one_masked_line_and_exit_2() -> None:
    """A database that cannot be reached: one stderr line naming the host, the password masked, exit code 2."""
    url = "postgresql+psycopg://archer:hunter2secret@127.0.0.1:1/archer"
    result = archer("db", "upgrade", env={"ARCHER_DATABASE_URL": url})
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "127.0.0.1" in lines[0] and "hunter2secret" not in lines[0] and "***" in lines[0]


def test_unmigrated_database_is_refused_by_seed(tmp_path: Path) -> None:
    """Seeding a database that was never migrated says what to run, instead of a stack trace."""
    result = archer("seed", env={"ARCHER_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"})
    assert result.returncode == 2
    assert "archer db upgrade" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_seed_refuses_production() -> None:
    """The synthetic demo data never goes into a production database."""
    env = {
        "ARCHER_ENV": "production",
        "ARCHER_DATABASE_URL": "postgresql+psycopg://a@127.0.0.1:1/x",
        "ARCHER_REDIS_URL": "redis://127.0.0.1:1/0",
        "ARCHER_PUBLIC_BASE_URL": "https://archer.example",
        "TWILIO_ACCOUNT_SID": "AC1",
        "TWILIO_AUTH_TOKEN": "t",
    }
    result = archer("seed", env=env)
    assert result.returncode == 2 and "production" in result.stderr


def test_bad_configuration_and_usage_are_one_line() -> None:
    """Invalid settings and bad arguments each give one stderr line and exit 2."""
    config = archer("db", "current", env={"ARCHER_ENV": "staging"})
    assert config.returncode == 2 and len(config.stderr.strip().splitlines()) == 1
    assert "ARCHER_ENV" in config.stderr
    usage = archer("org", "create", env={})
    assert usage.returncode == 2 and len(usage.stderr.strip().splitlines()) == 1
    assert "--name" in usage.stderr
