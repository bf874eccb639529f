"""The calls and analytics routes over HTTP (the real FastAPI app in-process, httpx), on SQLite and PostgreSQL:
filtered cursor pages newest first, the capped count, a call's ordered detail with the auditor's findings,
a customer's calls, tenancy (another organization's ids answer 404) and the analytics summary's shape."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from functions.api.app import create_api
from shared.config import load_settings
from shared.db.engine import transaction
from shared.domain import CallDirection, CallOutcome, CallStatus, CallType, Role, Speaker, TranscriptEntryType
from shared.models.audit import Actor
from shared.models.calls import CallCreate, TranscriptEntryCreate
from shared.models.organizations import ApiKeyCreate
from shared.runtime import build_runtime
from shared.services import api_keys, calls
from tests.api_support import migrated_database
from tests.factories import make_customer, make_org

T0 = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


@dataclass
class Harness:
    client: httpx.AsyncClient
    sessions: sessionmaker[Session]
    org_id: uuid.UUID
    customer_id: uuid.UUID
    other_customer_id: uuid.UUID
    other_call_id: uuid.UUID
    call_ids: list[uuid.UUID]
    headers: dict[str, str]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def api_database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database of this module's own on each backend (the tests commit: the session-wide test
    database stays clean for the tests that count rows across organizations)."""
    with migrated_database(request.param, tmp_path_factory, "archer_calls") as url:
        yield url


@pytest.fixture
async def harness(api_database: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Harness]:
    monkeypatch.setenv("ARCHER_DATABASE_URL", api_database)
    runtime = build_runtime(load_settings())
    with transaction(runtime.sessions) as session:
        org, other = make_org(session), make_org(session)
        customer, theirs = make_customer(session, org), make_customer(session, other)
        call_ids = []
        for n in range(5):
            call = calls.create_call(
                session=session,
                org_id=org.id,
                call_in=CallCreate(
                    call_type=CallType.CAMPAIGN,
                    direction=CallDirection.INBOUND if n == 4 else CallDirection.OUTBOUND,
                    customer_id=customer.id,
                    start_time=T0 + timedelta(minutes=n),
                    status=CallStatus.IN_PROGRESS if n == 4 else CallStatus.COMPLETED,
                ),
            )
            call_ids.append(call.id)
        other_call = calls.create_call(
            session=session,
            org_id=other.id,
            call_in=CallCreate(
                call_type=CallType.CAMPAIGN, direction=CallDirection.OUTBOUND, customer_id=theirs.id
            ),
        )
        key = api_keys.create_api_key(
            session=session, org_id=org.id, key_in=ApiKeyCreate(name="v", role=Role.VIEWER), actor=Actor.cli()
        ).key
        ids = (org.id, customer.id, theirs.id, other_call.id)
    app = create_api(runtime)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://archer.test"
    ) as client:
        yield Harness(client, runtime.sessions, *ids, call_ids, {"X-API-Key": key})
    await runtime.aclose()


async def test_list_is_newest_first_filtered_and_paged(harness: Harness) -> None:
    """Pages of 2 walk all five calls newest first; filters narrow them; the count is the matching total."""
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await harness.client.get("/api/v1/calls", params=params, headers=harness.headers)).json()
        assert page["count"] == 5 and page["count_capped"] is False
        seen += [call["id"] for call in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [str(call_id) for call_id in reversed(harness.call_ids)]
    inbound = await harness.client.get(
        "/api/v1/calls", params={"direction": "inbound"}, headers=harness.headers
    )
    assert [c["id"] for c in inbound.json()["data"]] == [str(harness.call_ids[4])]
    window = await harness.client.get(
        "/api/v1/calls",
        params={
            "started_from": (T0 + timedelta(minutes=1)).isoformat(),
            "started_to": (T0 + timedelta(minutes=3)).isoformat(),
            "status": "completed",
        },
        headers=harness.headers,
    )
    assert window.json()["count"] == 2
    bad = await harness.client.get("/api/v1/calls", params={"cursor": "nonsense"}, headers=harness.headers)
    assert bad.status_code == 422 and bad.json()["field"] == "cursor"
    assert (await harness.client.get("/api/v1/calls")).status_code == 401


async def test_count_stops_at_the_cap(harness: Harness) -> None:
    """Beyond the cap the count is the cap and says so; the page itself is unaffected."""
    with transaction(harness.sessions) as session:
        page = calls.list_calls(session=session, org_id=harness.org_id, limit=2, count_cap=3)
    assert (page.count, page.count_capped, len(page.data)) == (3, True, 2)


async def test_detail_has_the_ordered_record_and_findings(harness: Harness) -> None:
    """A finished call shows its transcript in order, tool calls among it, and the auditor's findings; one in
    progress has no findings yet."""
    finished, running = harness.call_ids[0], harness.call_ids[4]
    with transaction(harness.sessions) as session:
        calls.append_entries(
            session=session,
            org_id=harness.org_id,
            call_id=finished,
            entries=[
                TranscriptEntryCreate(
                    entry_type=TranscriptEntryType.TRANSCRIPT, speaker=Speaker.AGENT, text="Hi"
                ),
                TranscriptEntryCreate(
                    entry_type=TranscriptEntryType.TOOL,
                    tool_name="verify_identity",
                    tool_request={"name": "x"},
                    tool_response={"verified": False},
                ),
            ],
        )
        calls.finalize_call(
            session=session, org_id=harness.org_id, call_id=finished, outcome=CallOutcome.REFUSED
        )
    detail = (await harness.client.get(f"/api/v1/calls/{finished}", headers=harness.headers)).json()
    assert [entry["sequence"] for entry in detail["transcript"]] == [0, 1]
    assert detail["transcript"][1]["tool_name"] == "verify_identity" and detail["outcome"] == "refused"
    assert any(finding["code"] == "no_recording_notice" for finding in detail["findings"])
    live = (await harness.client.get(f"/api/v1/calls/{running}", headers=harness.headers)).json()
    assert live["findings"] is None and live["transcript"] == []


async def test_other_organizations_ids_are_not_found(harness: Harness) -> None:
    """Another organization's call and customer answer 404 problems, never their data."""
    call = await harness.client.get(f"/api/v1/calls/{harness.other_call_id}", headers=harness.headers)
    assert call.status_code == 404 and call.headers["content-type"] == "application/problem+json"
    customer = await harness.client.get(
        f"/api/v1/customers/{harness.other_customer_id}/calls", headers=harness.headers
    )
    assert customer.status_code == 404
    filtered = await harness.client.get(
        "/api/v1/calls", params={"customer_id": str(harness.other_customer_id)}, headers=harness.headers
    )
    assert filtered.json()["count"] == 0


async def test_customer_calls(harness: Harness) -> None:
    page = (
        await harness.client.get(f"/api/v1/customers/{harness.customer_id}/calls", headers=harness.headers)
    ).json()
    assert page["count"] == 5 and page["data"][0]["id"] == str(harness.call_ids[4])


async def test_analytics_summary_over_http(harness: Harness) -> None:
    """The summary answers the UI's shape; groups by tactic; a reversed period is a 422 on `from`."""
    params = {"from": (T0 - timedelta(days=1)).isoformat(), "to": (T0 + timedelta(days=1)).isoformat()}
    response = await harness.client.get("/api/v1/analytics/summary", params=params, headers=harness.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["group_by"] == "day" and body["totals"]["attempts"] == 5
    assert body["totals"]["dollars_collected"] == "0.00" and body["totals"]["promise_to_pay_rate"] is None
    by_tactic = await harness.client.get(
        "/api/v1/analytics/summary", params={**params, "group_by": "tactic"}, headers=harness.headers
    )
    assert [group["key"] for group in by_tactic.json()["groups"]] == ["none"]
    reversed_period = await harness.client.get(
        "/api/v1/analytics/summary",
        params={"from": params["to"], "to": params["from"]},
        headers=harness.headers,
    )
    assert reversed_period.status_code == 422 and reversed_period.json()["field"] == "from"


async def test_a_summary_is_computed_once_per_period_and_grouping(harness: Harness) -> None:
    """Within the cache window the same period and grouping answer the stored summary; another grouping is
    computed afresh."""
    params = {"from": (T0 - timedelta(days=1)).isoformat(), "to": (T0 + timedelta(days=1)).isoformat()}
    first = await harness.client.get("/api/v1/analytics/summary", params=params, headers=harness.headers)
    with transaction(harness.sessions) as session:
        calls.create_call(
            session=session,
            org_id=harness.org_id,
            call_in=CallCreate(call_type=CallType.MANUAL, direction=CallDirection.OUTBOUND, start_time=T0),
        )
    again = await harness.client.get("/api/v1/analytics/summary", params=params, headers=harness.headers)
    by_campaign = await harness.client.get(
        "/api/v1/analytics/summary", params={**params, "group_by": "campaign"}, headers=harness.headers
    )
    assert first.json() == again.json() and again.json()["totals"]["attempts"] == 5
    assert by_campaign.json()["totals"]["attempts"] == 6
