"""The campaign and compliance routes over HTTP (the real FastAPI app in-process, httpx), with the local
driver behind the orchestration port and the recording fake dialer at the telephony boundary: create, start
(once), progress, targets, pause and resume, cancel, roles, tenancy, and the audited compliance check."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import sqlalchemy as sa

from functions.api.app import create_api
from functions.campaigns.driver import LocalCampaignRuns, LocalDriver, VirtualClock
from shared.config import load_settings
from shared.db.engine import transaction
from shared.db.tables import AuditLogEntry
from shared.domain import PreferenceKind, Role
from shared.models.audit import Actor
from shared.models.campaigns import DialRequest
from shared.models.organizations import ApiKeyCreate
from shared.runtime import build_runtime
from shared.services import api_keys
from tests.campaign_support import (
    NO_ANSWER,
    PROMISE,
    Answer,
    RecordingDialer,
    add_customer,
    build_driver,
    make_bank,
)

START = datetime(2026, 7, 15, 14, 0, tzinfo=UTC)  # 07:00 in Phoenix


@dataclass
class Harness:
    client: httpx.AsyncClient
    driver: LocalDriver
    dialer: RecordingDialer
    clock: VirtualClock
    org_id: uuid.UUID
    keys: dict[Role, str]
    sessions: object

    def headers(self, role: Role = Role.OPERATOR) -> dict[str, str]:
        return {"X-API-Key": self.keys[role]}


def promise_on_second_try(request: DialRequest, count: int) -> Answer:
    return PROMISE if request.attempt_number == 2 else NO_ANSWER


@pytest.fixture
async def harness(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Harness]:
    monkeypatch.setenv("ARCHER_DATABASE_URL", sqlite_url)
    runtime = build_runtime(load_settings())
    clock = VirtualClock(START)
    driver, dialer = build_driver(runtime.sessions, clock, promise_on_second_try)
    org_id = make_bank(runtime.sessions)
    keys = {}
    with transaction(runtime.sessions) as session:
        for role in Role:
            created = api_keys.create_api_key(
                session=session,
                org_id=org_id,
                key_in=ApiKeyCreate(name=role.value, role=role),
                actor=Actor.cli(),
            )
            keys[role] = created.key
    app = create_api(runtime, orchestrations=LocalCampaignRuns(driver))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://archer.test"
    ) as client:
        yield Harness(client, driver, dialer, clock, org_id, keys, runtime.sessions)
    await driver.aclose()
    await runtime.aclose()


CAMPAIGN = {
    "name": "Northeast 30-60",
    "targeting": {"days_past_due_min": 30, "days_past_due_max": 60},
    "tactics": [
        {"tactic_name": "empathetic_partner", "weight": 1},
        {"tactic_name": "anchor_and_frame", "weight": 1},
    ],
    "max_concurrent_calls": 2,
    "max_attempts_per_target": 3,
    "retry_policy": {"no_answer_minutes": 60},
}


async def test_create_start_once_and_watch_it_finish(harness: Harness) -> None:
    """An operator creates a campaign and starts it; a second start is a 409; the run reaches everyone
    in the targeting; progress, targets (with their tactic arm) and the run's status say so."""
    for n in range(3):
        add_customer(harness.sessions, harness.org_id, phone=f"+160255501{n + 1:02d}", days_past_due=40)  # type: ignore[arg-type]
    add_customer(harness.sessions, harness.org_id, phone="+16025550199", days_past_due=400)  # type: ignore[arg-type]
    created = await harness.client.post("/api/v1/campaigns", json=CAMPAIGN, headers=harness.headers())
    assert created.status_code == 201, created.text
    campaign = created.json()
    assert campaign["status"] == "draft" and campaign["tactics"][1]["tactic_name"] == "anchor_and_frame"

    started = await harness.client.post(
        f"/api/v1/campaigns/{campaign['id']}/start", headers=harness.headers()
    )
    assert started.status_code == 200, started.text
    instance_id = started.json()["instance_id"]
    assert instance_id == f"campaign-{campaign['id']}-run-1"
    assert started.json()["runtime"]["runtime_status"] == "Pending"
    again = await harness.client.post(f"/api/v1/campaigns/{campaign['id']}/start", headers=harness.headers())
    assert again.status_code == 409 and again.headers["content-type"] == "application/problem+json"

    assert await harness.driver.run_until_finished(instance_id, timeout=60) == "Completed"
    progress = (
        await harness.client.get(
            f"/api/v1/campaigns/{campaign['id']}/progress", headers=harness.headers(Role.VIEWER)
        )
    ).json()
    assert progress["status"] == "completed" and progress["total"] == 3
    assert progress["counts"]["done"] == 3 and progress["outcomes"] == {"promise_to_pay": 3}
    assert progress["attempts"] == 6 and progress["runtime"]["runtime_status"] == "Completed"
    targets = (
        await harness.client.get(
            f"/api/v1/campaigns/{campaign['id']}/targets?limit=2", headers=harness.headers(Role.VIEWER)
        )
    ).json()
    assert targets["count"] == 3 and len(targets["data"]) == 2 and targets["next_cursor"]
    assert {t["tactic_name"] for t in targets["data"]} <= {"empathetic_partner", "anchor_and_frame"}
    listed = (
        await harness.client.get("/api/v1/campaigns?status=completed", headers=harness.headers(Role.VIEWER))
    ).json()
    assert [c["id"] for c in listed["data"]] == [campaign["id"]]
    assert len(harness.dialer.requests) == 6


async def test_pause_holds_calls_until_resume(harness: Harness) -> None:
    """Paused before its first call, a run places none however long it waits; resumed, it carries on to
    the end. Resume is refused unless paused."""
    add_customer(harness.sessions, harness.org_id, phone="+16025550111", days_past_due=40)  # type: ignore[arg-type]
    campaign = (
        await harness.client.post("/api/v1/campaigns", json=CAMPAIGN, headers=harness.headers())
    ).json()
    started = (
        await harness.client.post(f"/api/v1/campaigns/{campaign['id']}/start", headers=harness.headers())
    ).json()
    paused = await harness.client.post(f"/api/v1/campaigns/{campaign['id']}/pause", headers=harness.headers())
    assert paused.status_code == 200 and paused.json()["campaign"]["status"] == "paused"
    await harness.driver.run_until(lambda: harness.clock.now() > START + timedelta(hours=6), timeout=60)
    assert harness.dialer.requests == []
    resumed = await harness.client.post(
        f"/api/v1/campaigns/{campaign['id']}/resume", headers=harness.headers()
    )
    assert resumed.json()["campaign"]["status"] == "running"
    assert (
        await harness.client.post(f"/api/v1/campaigns/{campaign['id']}/resume", headers=harness.headers())
    ).status_code == 409
    assert await harness.driver.run_until_finished(started["instance_id"], timeout=60) == "Completed"
    assert len(harness.dialer.requests) == 2
    assert all(request.campaign_id == uuid.UUID(campaign["id"]) for request in harness.dialer.requests)


async def test_cancel_stops_the_run_and_settles_targets(harness: Harness) -> None:
    """Canceled after its first call, a run places no other call, ends, and cancels the targets left."""
    for n in range(4):
        add_customer(harness.sessions, harness.org_id, phone=f"+160255501{n + 20}", days_past_due=40)  # type: ignore[arg-type]
    body = {**CAMPAIGN, "max_concurrent_calls": 1}
    campaign = (await harness.client.post("/api/v1/campaigns", json=body, headers=harness.headers())).json()
    started = (
        await harness.client.post(f"/api/v1/campaigns/{campaign['id']}/start", headers=harness.headers())
    ).json()
    await harness.driver.run_until(lambda: len(harness.dialer.requests) == 1, timeout=60)
    canceled = await harness.client.post(
        f"/api/v1/campaigns/{campaign['id']}/cancel", headers=harness.headers()
    )
    assert canceled.json()["campaign"]["status"] == "canceled"
    assert await harness.driver.run_until_finished(started["instance_id"], timeout=60) == "Completed"
    assert len(harness.dialer.requests) == 1
    progress = (
        await harness.client.get(f"/api/v1/campaigns/{campaign['id']}/progress", headers=harness.headers())
    ).json()
    assert progress["status"] == "canceled" and progress["counts"]["canceled"] >= 3


async def test_roles_tenancy_and_validation(harness: Harness) -> None:
    """Viewers cannot create or start; another organization's campaign is a 404; an unknown tactic is a
    422 naming the field; a schedule with a bad cron is a 422."""
    viewer = await harness.client.post(
        "/api/v1/campaigns", json=CAMPAIGN, headers=harness.headers(Role.VIEWER)
    )
    assert viewer.status_code == 403
    bad = {**CAMPAIGN, "tactics": [{"tactic_name": "no_such_tactic"}]}
    refused = await harness.client.post("/api/v1/campaigns", json=bad, headers=harness.headers())
    assert refused.status_code == 422 and refused.json()["field"] == "tactics[0].tactic_name"
    cron = await harness.client.post(
        "/api/v1/campaigns", json={**CAMPAIGN, "schedule": {"cron": "61 * * * *"}}, headers=harness.headers()
    )
    assert cron.status_code == 422 and cron.json()["field"].startswith("schedule.cron")
    mine = (await harness.client.post("/api/v1/campaigns", json=CAMPAIGN, headers=harness.headers())).json()
    other_org = make_bank(harness.sessions)  # type: ignore[arg-type]
    with transaction(harness.sessions) as session:  # type: ignore[arg-type]
        other_key = api_keys.create_api_key(
            session=session,
            org_id=other_org,
            key_in=ApiKeyCreate(name="x", role=Role.OPERATOR),
            actor=Actor.cli(),
        ).key
    for path in ("", "/progress", "/targets"):
        assert (
            await harness.client.get(
                f"/api/v1/campaigns/{mine['id']}{path}", headers={"X-API-Key": other_key}
            )
        ).status_code == 404
    assert (
        await harness.client.post(f"/api/v1/campaigns/{mine['id']}/start", headers={"X-API-Key": other_key})
    ).status_code == 404
    assert harness.dialer.requests == []


async def test_compliance_check_route_is_audited(harness: Harness) -> None:
    """`GET /compliance/check` answers allowed, reasons, next allowed time and zones, and audits the
    decision under the key that asked; a naive `at` is a 422; another organization's customer a 404."""
    customer_id, _ = add_customer(
        harness.sessions,  # type: ignore[arg-type]
        harness.org_id,
        phone="+16025550131",
        preferences=(
            (PreferenceKind.INCONVENIENT_TIME, {"weekdays": [2], "start": "09:00", "end": "12:00"}),
        ),
    )
    response = await harness.client.get(
        "/api/v1/compliance/check",
        params={"customer_id": str(customer_id), "at": "2026-07-15T17:00:00Z"},  # Wednesday 10:00 in Phoenix
        headers=harness.headers(Role.VIEWER),
    )
    assert response.status_code == 200, response.text
    decision = response.json()
    assert decision["allowed"] is False and decision["zones"] == ["America/Phoenix"]
    assert decision["reasons"][0].startswith("inconvenient_time")
    assert decision["next_allowed_at"].startswith("2026-07-15T19:00:00")
    with harness.sessions() as session:  # type: ignore[operator]
        entry = session.scalars(
            sa.select(AuditLogEntry).where(AuditLogEntry.action == "compliance.check")
        ).one()
        assert entry.actor_type.value == "api_key" and entry.entity_id == str(customer_id)
    naive = await harness.client.get(
        "/api/v1/compliance/check",
        params={"customer_id": str(customer_id), "at": "2026-07-15T17:00:00"},
        headers=harness.headers(),
    )
    assert naive.status_code == 422 and naive.json()["field"] == "at"
    other = make_bank(harness.sessions)  # type: ignore[arg-type]
    stranger, _ = add_customer(harness.sessions, other, phone="+16025550132")  # type: ignore[arg-type]
    missing = await harness.client.get(
        "/api/v1/compliance/check", params={"customer_id": str(stranger)}, headers=harness.headers()
    )
    assert missing.status_code == 404
