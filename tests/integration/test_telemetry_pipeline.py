"""Traces, metrics and OpenTelemetry logs: what an exporter receives is masked, API requests, database
statements and outbound HTTP become spans, and a `traceparent` carries one trace across hops."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
import requests
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from shared import telemetry as tm
from shared.config import Settings
from tests.telemetry_capture import TelemetryCapture

PHONE = "+16025550142"
CARD = "4111111111111111"
EMAIL = "jordan.ashgrove@example.com"
ACCOUNT = "123456789012"
LEAKS = (PHONE, "6025550142", "602-555-0142", CARD, "4111 1111", ACCOUNT, EMAIL, "jordan.ashgrove", "%2B1602")


def assert_nothing_leaked(capture: TelemetryCapture) -> None:
    exported = "\n".join(capture.everything_exported())
    assert exported, "nothing was exported"
    for secret in LEAKS:
        assert secret not in exported, f"{secret!r} reached the exporter"


def test_span_attributes_events_links_and_status_are_masked(telemetry: TelemetryCapture) -> None:
    """Whatever code puts in a span — attributes, events, an exception, the status, even its name — reaches
    the exporter masked."""
    attributes = {"customer.phone": PHONE, "note": f"mail {EMAIL}"}
    with pytest.raises(ValueError), tm.span(f"lookup {EMAIL}", **attributes) as current:
        current.add_event(f"sms to {PHONE}", {"to": PHONE, "card": CARD})
        current.set_attribute("account.number", int(ACCOUNT))
        raise ValueError(f"card {CARD} declined for {EMAIL}")
    (exported,) = [s for s in telemetry.finished_spans() if s.name.startswith("lookup")]
    assert exported.attributes["customer.phone"] == "tel:***0142"
    assert exported.attributes["account.number"] == "***9012"
    assert exported.status.status_code is StatusCode.ERROR
    assert {event.name for event in exported.events} >= {"sms to tel:***0142", "exception"}
    assert_nothing_leaked(telemetry)


def test_masking_runs_before_a_provider_someone_else_set_up() -> None:
    """Joined to a provider that already exports (the Functions worker's), the masking processor is put first,
    so that exporter receives masked spans too."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tm._prepend_span_processor(provider, tm.MaskingSpanProcessor())
    with provider.get_tracer("worker").start_as_current_span("webhook", attributes={"From": PHONE}):
        pass
    (exported,) = exporter.get_finished_spans()
    assert exported.attributes["From"] == "tel:***0142"


def test_metric_dimensions_are_masked(telemetry: TelemetryCapture) -> None:
    """Custom metrics count what happened, and a dimension that carries personal data arrives masked."""
    campaign = uuid.uuid4()
    tm.record_compliance_block(f"cease request from {PHONE}", campaign_id=campaign)
    tm.record_guard_intervention(f"leaked {ACCOUNT}", brain="llm")
    tm.record_call_outcome("promise_to_pay", direction="outbound", brain="scripted", campaign_id=campaign)
    tm.record_campaign_progress(campaign, finished=3, total=4, status="completed")
    tm.record_tool_latency("verify_identity", 0.004, result="refused")
    blocks = [
        p
        for p in telemetry.metric_points(tm.METRIC_COMPLIANCE_BLOCKS)
        if p.attributes.get("campaign_id") == str(campaign)
    ]
    assert [p.attributes["reason"] for p in blocks] == ["cease request from tel:***0142"]
    (progress,) = [
        p
        for p in telemetry.metric_points(tm.METRIC_CAMPAIGN_PROGRESS)
        if p.attributes["campaign_id"] == str(campaign)
    ]
    assert progress.value == 75.0
    calls = [
        p
        for p in telemetry.metric_points(tm.METRIC_CALLS)
        if p.attributes.get("campaign_id") == str(campaign)
    ]
    assert calls[0].attributes["outcome"] == "promise_to_pay" and calls[0].value == 1
    assert any(
        p.attributes == {"tool": "verify_identity", "result": "refused"}
        for p in telemetry.metric_points(tm.METRIC_TOOL_DURATION)
    )
    assert_nothing_leaked(telemetry)


def test_log_records_reach_the_exporter_masked(telemetry: TelemetryCapture) -> None:
    """Log records sent through OpenTelemetry (to Application Insights) are masked, `extra` fields and
    exception text included."""
    log = logging.getLogger("archer.test.telemetry")
    log.setLevel(logging.INFO)
    log.warning("calling %s", PHONE, extra={"customer_email": EMAIL, "detail": {"card": CARD}})
    try:
        raise RuntimeError(f"account {ACCOUNT} failed")
    except RuntimeError:
        log.exception("lookup failed for %s", EMAIL)
    bodies = [str(record.body) for record in telemetry.log_records()]
    assert any("tel:***0142" in body for body in bodies)
    assert_nothing_leaked(telemetry)


def test_traceparent_carries_the_trace_across_a_hop(telemetry: TelemetryCapture) -> None:
    """A span started with another span's traceparent joins its trace; links point at related requests."""
    with tm.span("call.root", direction="outbound") as root:
        carried = tm.current_traceparent()
    root_context = root.get_span_context()
    assert carried is not None and carried.split("-")[1] == format(root_context.trace_id, "032x")
    with tm.span("later.step", parent=carried, links=[carried]) as later:
        pass
    assert later.get_span_context().trace_id == root_context.trace_id
    spans = {s.name: s for s in telemetry.finished_spans()}
    assert spans["later.step"].parent.span_id == root_context.span_id
    assert spans["later.step"].links[0].context.span_id == root_context.span_id


def test_malformed_traceparent_starts_a_new_trace(telemetry: TelemetryCapture) -> None:
    """A missing or malformed traceparent is ignored: the span simply starts its own trace."""
    assert tm.context_from_traceparent("not-a-traceparent") is None
    assert tm.context_from_traceparent(None) is None
    with tm.span("orphan", parent="00-zz-yy-01") as orphan:
        pass
    assert orphan.get_span_context().is_valid


def test_tool_call_times_the_tool_and_records_its_result(telemetry: TelemetryCapture) -> None:
    """A tool call is a span and a latency sample; a refusal set by the tool and an exception are recorded."""
    with tm.tool_call("get_account_summary", call_id=uuid.uuid4()):
        tm.set_span_attributes(result="refused", customer_phone=PHONE)
    with pytest.raises(RuntimeError), tm.tool_call("take_payment"):
        raise RuntimeError("gateway down")
    names = [s.name for s in telemetry.finished_spans()]
    assert names[-2:] == ["tool get_account_summary", "tool take_payment"]
    results = {
        (p.attributes["tool"], p.attributes["result"])
        for p in telemetry.metric_points(tm.METRIC_TOOL_DURATION)
    }
    assert {("get_account_summary", "refused"), ("take_payment", "error")} <= results
    assert_nothing_leaked(telemetry)


def test_api_requests_and_database_statements_are_spans(telemetry: TelemetryCapture, sqlite_url: str) -> None:
    """A request to the API is a server span with the database statements it ran as children, and a URL that
    carried a phone number (percent-encoded) is masked."""
    from functions.api.app import create_api
    from shared.runtime import build_runtime

    runtime = build_runtime(Settings(ARCHER_ENV="test", ARCHER_DATABASE_URL=sqlite_url))
    try:
        with TestClient(create_api(runtime)) as client:
            response = client.get("/api/v1/health", params={"q": PHONE, "email": EMAIL})
        assert response.status_code == 200
    finally:
        runtime.engine.dispose()
    spans = telemetry.finished_spans()
    (server,) = [s for s in spans if s.kind.name == "SERVER" and "/api/v1/health" in s.name]
    database = [
        s
        for s in spans
        if s.attributes.get("db.system") == "sqlite" or s.attributes.get("db.system.name") == "sqlite"
    ]
    assert database, "no database span"
    assert all(s.context.trace_id == server.context.trace_id for s in database)
    assert_nothing_leaked(telemetry)


class _RecordingHandler(BaseHTTPRequestHandler):
    received: list[dict[str, str]] = []

    def do_GET(self) -> None:
        _RecordingHandler.received.append({key.lower(): value for key, value in self.headers.items()})
        body = b'{"sid": "CA123"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return None


@pytest.fixture
def loopback_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RecordingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_outbound_http_is_traced_and_propagates_the_trace(
    telemetry: TelemetryCapture, loopback_server: str
) -> None:
    """Calls through `requests` (the Twilio client) and `httpx` (the OpenAI client) are client spans in the
    caller's trace, send its traceparent, and their URLs are masked."""
    _RecordingHandler.received.clear()
    with tm.span("place.call") as parent:
        requests.get(f"{loopback_server}/2010-04-01/Calls.json", params={"To": PHONE}, timeout=5)
        with httpx.Client() as client:
            client.get(f"{loopback_server}/v1/chat/completions", params={"user": EMAIL})
    trace_id = format(parent.get_span_context().trace_id, "032x")
    assert [headers["traceparent"].split("-")[1] for headers in _RecordingHandler.received] == [
        trace_id,
        trace_id,
    ]
    clients = [s for s in telemetry.finished_spans() if s.kind.name == "CLIENT"]
    assert len(clients) == 2
    assert all(s.context.trace_id == parent.get_span_context().trace_id for s in clients)
    assert_nothing_leaked(telemetry)
