"""`archer simulate`: one simulated call against the local stack (an agent host served in-process on
loopback) or a running agent host (`--url`), printing the transcript, the outcome and the compliance
auditor's findings. Contributed to the `archer` CLI through the `archer.commands` entry point."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import uuid
from typing import Any

import sqlalchemy as sa

from shared.cli import open_engine, require_migrated
from shared.config import Settings
from shared.errors import ArcherError, ExternalServiceError, InvalidInput, NotFound


def _pick_customer(session: Any, org_id: uuid.UUID, wanted: str | None) -> uuid.UUID:
    """The customer to call: `--customer` (an id or an external ref), else the first demo customer with an
    open balance and no request that forbids calling them."""
    from shared.db.tables import Account, ContactPreference, Customer
    from shared.domain import AccountStatus, PreferenceKind

    if wanted:
        try:
            condition = Customer.id == uuid.UUID(wanted)
        except ValueError:
            condition = Customer.external_ref == wanted
        found = session.scalar(sa.select(Customer.id).where(Customer.organization_id == org_id, condition))
        if found is None:
            raise NotFound(f"no customer {wanted!r} in the organization", field="customer")
        return uuid.UUID(str(found))
    blocked = sa.select(ContactPreference.customer_id).where(
        ContactPreference.organization_id == org_id,
        ContactPreference.ended_at.is_(None),
        ContactPreference.kind.in_(
            [PreferenceKind.CEASE_CONTACT, PreferenceKind.DISPUTE, PreferenceKind.ATTORNEY]
        ),
    )
    found = session.scalar(
        sa.select(Customer.id)
        .join(Account, Account.customer_id == Customer.id)
        .where(
            Customer.organization_id == org_id,
            Account.status == AccountStatus.ACTIVE,
            Account.balance > 0,
            Customer.id.not_in(blocked),
        )
        .order_by(Customer.external_ref)
        .limit(1)
    )
    if found is None:
        raise NotFound("the organization has no customer to call; run `archer seed` first", field="customer")
    return uuid.UUID(str(found))


def _pick_org(session: Any, wanted: str | None) -> uuid.UUID:
    from shared.db.tables import Organization
    from shared.seed.loader import DEMO_ORGANIZATION

    if wanted:
        try:
            org_id = uuid.UUID(wanted)
        except ValueError:
            raise InvalidInput("--org must be an organization id", field="org") from None
        if session.get(Organization, org_id) is None:
            raise NotFound("organization not found", field="org")
        return org_id
    demo = session.scalar(sa.select(Organization.id).where(Organization.name == DEMO_ORGANIZATION))
    if demo is not None:
        return uuid.UUID(str(demo))
    only = session.scalars(sa.select(Organization.id).limit(2)).all()
    if len(only) != 1:
        raise InvalidInput("more than one organization: choose one with --org", field="org")
    return uuid.UUID(str(only[0]))


def _call_target(session: Any, args: argparse.Namespace) -> tuple[uuid.UUID, uuid.UUID]:
    """The organization and customer to call; an unknown `--tactic` is refused here, before any call."""
    from shared.services import tactics

    org_id = _pick_org(session, args.org)
    customer_id = _pick_customer(session, org_id, args.customer)
    if args.tactic:
        try:
            tactics.get_current_tactic(session=session, org_id=org_id, name=args.tactic)
        except NotFound:
            raise InvalidInput(f"no active tactic named {args.tactic!r}", field="tactic") from None
    return org_id, customer_id


def simulate(args: argparse.Namespace, settings: Settings) -> int:
    from agent_host.simulator import HarnessError, run_simulated_call, serve_agent_host
    from agent_host.simulator.personas import PERSONAS
    from shared.db.engine import transaction
    from shared.runtime import build_runtime

    if args.brain == "llm" and settings.openai_api_key is None:
        raise InvalidInput(
            "--brain llm needs OPENAI_API_KEY (and OPENAI_BASE_URL for another server)", field="brain"
        )
    if args.persona not in PERSONAS:
        raise InvalidInput(
            f"unknown persona {args.persona!r}; choose one of: {', '.join(PERSONAS)}", field="persona"
        )
    engine = open_engine(settings)
    try:
        require_migrated(engine)
    finally:
        engine.dispose()
    runtime = build_runtime(settings)
    with transaction(runtime.sessions) as session:
        org_id, customer_id = _call_target(session, args)
    # The agent's own log lines would interleave with the transcript; this command prints the result.
    logging.getLogger("line").setLevel(logging.CRITICAL)
    metadata: dict[str, Any] = {
        "organization_id": str(org_id),
        "customer_id": str(customer_id),
        "direction": args.direction,
        "call_type": "test",
    }
    if args.tactic:
        metadata["tactic_name"] = args.tactic
    if args.brain:
        metadata["brain"] = args.brain

    token = settings.agent_token.get_secret_value() if settings.agent_token else None

    async def run() -> Any:
        try:
            if args.url:
                return await run_simulated_call(
                    agent_url=args.url,
                    persona=args.persona,
                    metadata=metadata,
                    sessions=runtime.sessions,
                    token=token,
                )
            async with serve_agent_host(runtime) as url:
                return await run_simulated_call(
                    agent_url=url,
                    persona=args.persona,
                    metadata=metadata,
                    sessions=runtime.sessions,
                    token=token,
                )
        finally:
            await runtime.aclose()

    try:
        result = asyncio.run(run())
    except HarnessError as exc:
        raise ArcherError(str(exc)) from None
    except OSError as exc:
        raise ExternalServiceError(
            f"cannot reach the agent host at {args.url}: {exc.strerror or exc}",
            service="agent",
            is_transient=True,
        ) from None
    if args.json:
        print(json.dumps(result.as_dict(), indent=2))
    else:
        _print_result(result)
    return 0


def _print_result(result: Any) -> None:
    labels = {"agent": "agent   ", "customer": "customer", "keys": "keypad  ", "tool": "  tool  "}
    for line in result.transcript:
        text = line.text if line.speaker != "tool" or len(line.text) <= 150 else line.text[:147] + "..."
        print(f"{labels[line.speaker]} {text}")
    outcome = result.outcome.value if result.outcome else "none"
    print(f"\noutcome: {outcome} (expected {result.expected_outcome.value}) · call {result.call_id}")
    if not result.findings:
        print("compliance findings: none")
        return
    print(f"compliance findings ({len(result.findings)}):")
    for finding in result.findings:
        where = f" [entry {finding.sequence}]" if finding.sequence is not None else ""
        print(f"  - {finding.code.value}{where}: {finding.message}")


def register(commands: Any) -> None:
    from agent_host.simulator.personas import PERSONAS

    parser = commands.add_parser(
        "simulate",
        help="run one simulated customer call and print its transcript, outcome and compliance findings",
        description=f"Personas: {', '.join(PERSONAS)}.",
    )
    parser.add_argument("--persona", required=True, help="the simulated customer (see the list above)")
    parser.add_argument(
        "--customer", help="customer id or external ref (default: a demo customer with a balance)"
    )
    parser.add_argument("--tactic", help="behavioral tactic name (default: the customer's or campaign's)")
    parser.add_argument(
        "--url", help="a running agent host, e.g. http://127.0.0.1:7071/agent (default: in-process)"
    )
    parser.add_argument("--org", help="organization id (default: Demo Bank, or the only organization)")
    parser.add_argument("--direction", choices=["outbound", "inbound"], default="outbound")
    parser.add_argument(
        "--brain", choices=["scripted", "llm"], help="ask for a brain (llm needs OPENAI_API_KEY)"
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(handler=simulate)
