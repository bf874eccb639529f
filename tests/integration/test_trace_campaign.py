"""One trace per call across the components of a campaign, captured with the in-memory OpenTelemetry exporter:
the campaign's dial (`functions.campaigns.activities.place_call`) → the agent host's setup and turns (the real
agent over its real websocket, driven by the simulator's personas) → the end of the call (the status write and
the disposition), with no personal data in any span, log record or metric, and stable span names."""

from __future__ import annotations

import logging
import re
import sys
import uuid
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan

import dev_server.campaigns as local_campaigns
from agent_host.simulator import serve_agent_host
from dev_server.campaigns import build_local_campaigns
from functions.campaigns import control
from functions.campaigns.driver import VirtualClock
from shared import telemetry as tm
from shared.db.engine import transaction
from shared.db.tables import Account, Call
from shared.domain import LineType
from shared.models.audit import Actor
from shared.models.campaigns import CampaignCreate, TacticShare
from shared.runtime import Runtime
from shared.services import campaigns
from tests.agent_support import AgentDatabase, agent_database, agent_runtime, make_debtor
from tests.telemetry_capture import TelemetryCapture

__all__ = ["agent_database", "agent_runtime"]  # fixtures used by this module

# Fictional people whose every detail is distinctive enough to be searched for in what was exported.
PEOPLE = (
    ("Quillon Brackenfold", "+16025550171", "quillon.brackenfold@example.com", "8812"),
    ("Marisol Thistlewick", "+16025550172", "marisol.thistlewick@example.com", "7345"),
    ("Ezekiel Umberlane", "+16025550173", "ezekiel.umberlane@example.com", "5190"),
)
POSTAL_CODE = "85004"  # Phoenix: inside the window at the virtual start below, all year

# Our spans, by name: the trace shape docs/OPERATIONS.md documents.
CALL_SPANS = {
    tm.SPAN_CALL_DIAL,
    tm.SPAN_AGENT_SETUP,
    tm.SPAN_AGENT_TURN,
    tm.SPAN_CALL_STATUS,
    tm.SPAN_CALL_DISPOSITION,
}


def _weekday_midday() -> datetime:
    """A Tuesday at 18:00 UTC (11:00 in Phoenix) two weeks back: inside the calling window, and behind the
    real clock the agent host stamps its records with."""
    moment = (datetime.now(UTC) - timedelta(days=14)).replace(hour=18, minute=0, second=0, microsecond=0)
    return moment - timedelta(days=(moment.weekday() - 1) % 7)


def _pii(runtime: Runtime, org_id: uuid.UUID) -> list[str]:
    """Every personal detail of the campaign's customers, as stored (and in the forms they are spoken or
    logged in): names and their parts, phone numbers with and without the country code, e-mails, account
    numbers (the account references), postal codes."""
    values: list[str] = []
    for name, phone, email, _last4 in PEOPLE:
        values += [name, *name.split(), phone, phone[2:], f"({phone[2:5]}) {phone[5:8]}-{phone[8:]}", email]
    with runtime.sessions() as session:
        values += list(
            session.scalars(sa.select(Account.external_ref).where(Account.organization_id == org_id))
        )
    return values


def _children_reach(root: ReadableSpan, spans: list[ReadableSpan]) -> bool:
    """Every span of the trace descends from `root` through parents that are in the trace."""
    by_id = {span.context.span_id: span for span in spans}
    for span in spans:
        current = span
        while current is not root:
            if current.parent is None or current.parent.span_id not in by_id:
                return False
            current = by_id[current.parent.span_id]
    return True


@pytest.fixture
def production_logging() -> Iterator[None]:
    """Logging as the deployables configure it (`configure_logging`): INFO and up, the Line SDK's loguru
    records routed into `logging` — and so into the OpenTelemetry log exporter."""
    from loguru import logger as loguru_logger

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.INFO)
    tm.route_loguru_to_logging("INFO")
    try:
        yield
    finally:
        root.setLevel(level)
        loguru_logger.remove()
        loguru_logger.add(sys.stderr)


async def test_each_campaign_call_is_one_trace_from_dial_to_disposition_without_pii(
    agent_runtime: Runtime,
    agent_database: AgentDatabase,
    telemetry: TelemetryCapture,
    production_logging: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Everyone picks up (the personas still differ), so every call reaches the agent.
    monkeypatch.setattr(local_campaigns, "PICKUP", (("answered", 1),))
    tm.instrument_engine(agent_runtime.engine)  # database spans too: their statements must be clean as well
    org_id = agent_database.org_id
    for name, phone, email, last4 in PEOPLE:
        make_debtor(
            agent_runtime, org_id, name=name, phone=phone, email=email, last4=last4, postal_code=POSTAL_CODE,
            primary_line_type=LineType.LANDLINE,  # a landline needs no TCPA consent: every target is dialable
        )  # fmt: skip
    with transaction(agent_runtime.sessions) as session:
        campaign_id = campaigns.create_campaign(
            session=session,
            org_id=org_id,
            campaign_in=CampaignCreate(
                name="Traced",
                tactics=[TacticShare(tactic_name="empathetic_partner")],
                max_concurrent_calls=3,
                max_attempts_per_target=1,
            ),
            actor=Actor.cli(),
        ).id

    clock = VirtualClock(_weekday_midday())
    async with serve_agent_host(agent_runtime) as agent_url:
        driver, runs, _ = build_local_campaigns(agent_runtime, clock=clock, agent_url=agent_url)
        try:
            started = await control.start_campaign(
                sessions=agent_runtime.sessions, runs=runs, org_id=org_id, campaign_id=campaign_id,
                actor=Actor.cli(), at=clock.now(),
            )  # fmt: skip
            assert started.instance_id is not None
            assert await driver.run_until_finished(started.instance_id, timeout=120) == "Completed"
        finally:
            await driver.aclose()

    with agent_runtime.sessions() as session:
        calls = session.execute(
            sa.select(Call.id, Call.call_metadata, Call.outcome).where(Call.campaign_id == campaign_id)
        ).all()
    assert len(calls) == len(PEOPLE)
    spans = telemetry.finished_spans()
    traces: dict[int, list[ReadableSpan]] = defaultdict(list)
    for span in spans:
        traces[span.context.trace_id].append(span)

    call_traces = set()
    for call_id, metadata, outcome in calls:
        # The call row carries its trace, and exactly one trace holds every span about the call.
        carried = tm.context_from(metadata)
        assert carried is not None, f"call {call_id} has no traceparent in its metadata"
        trace_id = trace.get_current_span(carried).get_span_context().trace_id
        about_call = {
            span.context.trace_id for span in spans if (span.attributes or {}).get("call_id") == str(call_id)
        }
        assert about_call == {trace_id}, f"call {call_id} is spread over {len(about_call)} traces"
        call_traces.add(trace_id)

        steps = traces[trace_id]
        names = [span.name for span in steps]
        assert names.count(tm.SPAN_CALL_DIAL) == 1
        assert names.count(tm.SPAN_AGENT_SETUP) == 1
        assert names.count(tm.SPAN_CALL_STATUS) == 1
        assert names.count(tm.SPAN_CALL_DISPOSITION) == 1
        turns = [span for span in steps if span.name == tm.SPAN_AGENT_TURN]
        triggers = {(span.attributes or {}).get("trigger") for span in turns}
        assert {"call_started", "user_turn_ended"} <= triggers, triggers

        # The dial is the root; the agent's setup and turns and the end of the call hang under it.
        dial = next(span for span in steps if span.name == tm.SPAN_CALL_DIAL)
        assert dial.parent is None
        for step in steps:
            if step.name in (
                tm.SPAN_AGENT_SETUP,
                tm.SPAN_AGENT_TURN,
                tm.SPAN_CALL_STATUS,
                tm.SPAN_CALL_DISPOSITION,
            ):
                assert step.parent is not None and step.parent.span_id == dial.context.span_id, step.name
        assert _children_reach(dial, steps)  # database and tool spans nest inside those steps
        status = next(span for span in steps if span.name == tm.SPAN_CALL_STATUS)
        assert (status.attributes or {}).get("outcome") == (outcome.value if outcome else None)
        disposition = next(span for span in steps if span.name == tm.SPAN_CALL_DISPOSITION)
        assert (disposition.attributes or {}).get("completed") is True

    assert len(call_traces) == len(calls)  # one trace per call, none shared

    # Span names are stable: ours come from the documented set (plus `tool <name>`), and no name carries an
    # id, a number or any other value of the call.
    ours = {
        span.name
        for span in spans
        if span.instrumentation_scope and span.instrumentation_scope.name == tm.TRACER_NAME
    }
    assert ours >= CALL_SPANS
    assert all(name in CALL_SPANS or re.fullmatch(r"tool [a-z_]+", name) for name in ours), ours

    # No personal detail anywhere in what a backend would receive: span names, attributes, events, links,
    # log records and metric dimensions.
    exported = list(telemetry.everything_exported())
    assert any(item == "call_id" for item in exported)  # the capture did see the calls
    for value in _pii(agent_runtime, org_id):
        leaks = [item for item in exported if value.lower() in item.lower()]
        assert not leaks, f"{value!r} exported: {leaks[:3]}"
    postal = re.compile(rf"(?<!\d){POSTAL_CODE}(?!\d)")
    assert not [item for item in exported if postal.search(item)]
