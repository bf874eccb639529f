"""Engines and sessions for PostgreSQL (psycopg 3) and SQLite, with the same behavior on both: foreign keys
enforced, UTC timestamps, and a connection failure reported as `DatabaseUnavailable` naming the host with the
password masked."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from shared.errors import DatabaseUnavailable


def safe_url(url: str | URL) -> str:
    """The URL with its password replaced by ***, fit for logs and error messages."""
    return make_url(url).render_as_string(hide_password=True)


def _enable_sqlite_integrity(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def make_engine(url: str, *, pool_size: int = 5, echo: bool = False) -> Engine:
    """An engine for `url`. SQLite files get their folder created, WAL journaling and enforced foreign keys."""
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"echo": echo, "future": True}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # One file shared by the API threads and the agent's event loop.
        kwargs["connect_args"] = {"check_same_thread": False}
        engine = sa.create_engine(url, **kwargs)
        event.listen(engine, "connect", _enable_sqlite_integrity)
        if parsed.database and parsed.database != ":memory:":
            with engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA journal_mode=WAL")
        return engine
    kwargs.update(pool_size=pool_size, max_overflow=pool_size * 2, pool_pre_ping=True, pool_recycle=1800)
    kwargs["connect_args"] = {"connect_timeout": 5, "application_name": "archer"}
    return sa.create_engine(url, **kwargs)


def check_connection(engine: Engine) -> None:
    """Run `SELECT 1`; a failure becomes `DatabaseUnavailable` naming the host, never the password."""
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        raise DatabaseUnavailable(
            f"cannot reach the database at {safe_url(engine.url)}: {_first_line(exc.orig)}"
        ) from exc


def _first_line(error: object) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else error.__class__.__name__


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work commits when the block ends and rolls back on any exception."""
    with factory() as session, session.begin():
        yield session
