"""The `archer` command line: database migrations, seed data and organizations, plus the commands the
deployables contribute (`serve`, ...) through the `archer.commands` entry points.

Errors are one line on stderr and a non-zero exit: 2 for configuration, usage and unreachable services
(something about the environment), 1 for a refused operation (a conflict, invalid input)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points
from typing import Any, NoReturn

from shared.config import ConfigurationError, Settings, get_settings
from shared.errors import ArcherError, DatabaseUnavailable, ExternalServiceError

EXIT_REFUSED = 1
EXIT_ENVIRONMENT = 2

# Commands that need the deployables (serve, simulate, campaign ...) are contributed by them through this
# entry-point group (pyproject.toml), so `shared` never imports `functions`, `agent_host` or `dev_server`.
# Each entry point is `register(subparsers)`: it adds its parser with `set_defaults(handler=...)`, the
# handler taking `(args, settings)` and returning an exit code.
PLUGIN_GROUP = "archer.commands"


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line naming the command, as every other error here."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_ENVIRONMENT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _print(data: Any, as_json: bool, human: Callable[[], None]) -> None:
    if as_json:
        print(json.dumps(data, indent=2, default=str))
    else:
        human()


def open_engine(settings: Settings) -> Any:
    """An engine on the configured database, checked reachable (DatabaseUnavailable otherwise)."""
    from shared.db.engine import check_connection, make_engine
    from shared.db.entra import configure_engine_auth

    engine = make_engine(settings.database_url)
    configure_engine_auth(engine, settings)
    check_connection(engine)
    return engine


def cmd_db(args: argparse.Namespace, settings: Settings) -> int:
    from shared.db import migrate

    engine = open_engine(settings)
    try:
        if args.db_command == "upgrade":
            migrate.upgrade(engine, args.revision)
            print(f"database at revision {migrate.current_revision(engine)}")
        elif args.db_command == "downgrade":
            migrate.downgrade(engine, args.revision)
            print(f"database at revision {migrate.current_revision(engine) or 'base'}")
        elif args.db_command == "current":
            current, head = migrate.current_revision(engine), migrate.head_revision()
            state = "up to date" if current == head else f"behind head {head}"
            print(f"{current or 'base'} ({state})")
        elif args.db_command == "revision":
            migrate.make_revision(settings.database_url, args.message)
    finally:
        engine.dispose()
    return 0


def require_migrated(engine: Any) -> None:
    from shared.db import migrate

    current, head = migrate.current_revision(engine), migrate.head_revision()
    if current != head:
        raise ConfigurationError(
            f"the database is at revision {current or 'base'}, not {head}: run `archer db upgrade` first"
        )


def cmd_seed(args: argparse.Namespace, settings: Settings) -> int:
    from shared.db.engine import make_session_factory, transaction
    from shared.seed.loader import seed_demo

    if settings.is_production:
        raise ConfigurationError("archer seed writes synthetic demo data; it refuses to run in production")
    engine = open_engine(settings)
    try:
        require_migrated(engine)
        with transaction(make_session_factory(engine)) as session:
            report = seed_demo(
                session=session,
                bootstrap_api_key=settings.effective_bootstrap_api_key,
                customer_count=args.customers,
            )
    finally:
        engine.dispose()
    data = {"organization_id": str(report.organization_id), "created": report.created}

    def human() -> None:
        if report.rows_added == 0:
            print(f"Demo Bank ({report.organization_id}) is already seeded; nothing to add")
        else:
            added = ", ".join(f"{count} {name}" for name, count in report.created.items())
            print(f"Demo Bank ({report.organization_id}): added {added}")

    _print(data, args.json, human)
    return 0


def cmd_org(args: argparse.Namespace, settings: Settings) -> int:
    from shared.db.engine import make_session_factory, transaction
    from shared.models.audit import Actor
    from shared.models.organizations import OrganizationCreate
    from shared.services import organizations

    try:
        org_in = OrganizationCreate(name=args.name)
    except ValueError as exc:
        raise ArcherError(_first_error(exc), field="name") from None
    engine = open_engine(settings)
    try:
        require_migrated(engine)
        with transaction(make_session_factory(engine)) as session:
            created = organizations.create_organization(session=session, org_in=org_in, actor=Actor.cli())
            organizations.install_defaults(session=session, org_id=created.organization.id, actor=Actor.cli())
    finally:
        engine.dispose()
    data = {
        "organization_id": str(created.organization.id),
        "name": created.organization.name,
        "api_key": created.api_key.key,
        "api_key_id": str(created.api_key.id),
        "role": created.api_key.role.value,
    }

    def human() -> None:
        print(f"organization {created.organization.name!r} created: {created.organization.id}")
        print(f"admin API key (shown once, store it now): {created.api_key.key}")

    _print(data, args.json, human)
    return 0


def _first_error(exc: ValueError) -> str:
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        error = exc.errors()[0]
        return f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}"
    return str(exc)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="archer", description="Archer: AI voice agents for bank collections.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    db = commands.add_parser("db", help="database migrations")
    db_commands = db.add_subparsers(dest="db_command", required=True, parser_class=_Parser)
    upgrade = db_commands.add_parser("upgrade", help="migrate the database to the newest revision")
    upgrade.add_argument("--revision", default="head")
    downgrade = db_commands.add_parser("downgrade", help="migrate the database back to a revision")
    downgrade.add_argument("--revision", required=True, help="a revision id, or 'base' for an empty database")
    db_commands.add_parser("current", help="print the database's revision")
    revision = db_commands.add_parser("revision", help="autogenerate a migration (developers)")
    revision.add_argument("-m", "--message", required=True)
    db.set_defaults(handler=cmd_db)

    seed = commands.add_parser("seed", help="seed the demo organization (idempotent)")
    seed.add_argument("--customers", type=int, default=240, help="synthetic customers (default 240)")
    seed.add_argument("--json", action="store_true", help="print the report as JSON")
    seed.set_defaults(handler=cmd_seed)

    org = commands.add_parser("org", help="organizations")
    org_commands = org.add_subparsers(dest="org_command", required=True, parser_class=_Parser)
    create = org_commands.add_parser("create", help="create an organization and its first admin API key")
    create.add_argument("--name", required=True)
    create.add_argument("--json", action="store_true", help="print the organization id and key as JSON")
    org.set_defaults(handler=cmd_org)

    for plugin in sorted(entry_points(group=PLUGIN_GROUP), key=lambda ep: ep.name):
        try:
            register: Callable[[Any], None] = plugin.load()
        except ModuleNotFoundError as exc:
            # A deployable's image carries only its own package (the agent image has no dev_server): the
            # commands of the others are simply not offered there. Any other missing module is a real error.
            if exc.name == plugin.module.split(".")[0]:
                continue
            raise
        register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "customers", 0) is not None and getattr(args, "customers", 0) < 0:
        parser.error("--customers must not be negative")
    try:
        settings = get_settings()
        from shared.telemetry import configure_logging

        # One-shot commands print their own result; long-running ones log at the configured level.
        level = settings.log_level if getattr(args, "long_running", False) else "WARNING"
        configure_logging(level=level, fmt=settings.log_format)
        handler: Callable[[argparse.Namespace, Settings], int] = args.handler
        return handler(args, settings)
    except ConfigurationError as exc:
        return _fail(str(exc), EXIT_ENVIRONMENT)
    except DatabaseUnavailable as exc:
        return _fail(exc.message, EXIT_ENVIRONMENT)
    except ExternalServiceError as exc:
        return _fail(exc.message, EXIT_ENVIRONMENT)
    except ArcherError as exc:
        where = f" ({exc.field})" if exc.field else ""
        return _fail(f"{exc.message}{where}", EXIT_REFUSED)
    except KeyboardInterrupt:
        return 130


def _fail(message: str, code: int) -> int:
    print(f"archer: {message}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
