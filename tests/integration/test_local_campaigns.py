"""The local one-process server runs campaigns in-process: started through the API, driven in the background
by the local driver on the server's virtual clock, settled to 100 % with the call window respected."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from dev_server.app import create_app
from dev_server.campaigns import server_clock
from functions.campaigns.driver import VirtualClock
from shared.config import load_settings
from shared.db.engine import make_engine, make_session_factory, transaction
from shared.domain import Role
from shared.models.audit import Actor
from shared.models.organizations import ApiKeyCreate
from shared.runtime import build_runtime
from shared.services import api_keys
from tests.campaign_support import add_customer, make_bank


def test_server_clock_is_virtual_for_simulated_telephony(monkeypatch: pytest.MonkeyPatch) -> None:
    """`auto` is virtual without Twilio credentials and real with them; `ARCHER_CAMPAIGN_CLOCK` overrides."""
    assert isinstance(server_clock(load_settings()), VirtualClock)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC123")
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "secret")
    assert not isinstance(server_clock(load_settings()), VirtualClock)
    monkeypatch.setenv("ARCHER_CAMPAIGN_CLOCK", "virtual")
    assert isinstance(server_clock(load_settings()), VirtualClock)


def test_a_campaign_started_through_the_local_server_runs_to_the_end(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """POST /campaigns then /start on `archer serve`'s app: the in-process driver settles every target
    while the server runs, and the progress route reports 100 %."""
    monkeypatch.setenv("ARCHER_DATABASE_URL", sqlite_url)
    engine = make_engine(sqlite_url)
    sessions = make_session_factory(engine)
    org_id = make_bank(sessions)
    for n in range(2):
        add_customer(sessions, org_id, phone=f"+160255501{n + 60}")
    with transaction(sessions) as session:
        key = api_keys.create_api_key(
            session=session,
            org_id=org_id,
            key_in=ApiKeyCreate(name="op", role=Role.OPERATOR),
            actor=Actor.cli(),
        ).key
    headers = {"X-API-Key": key}
    with TestClient(create_app(build_runtime(load_settings()), ui_dist=tmp_path)) as client:
        created = client.post(
            "/api/v1/campaigns", json={"name": "Local", "tactics": [{"tactic_name": "empathetic_partner"}]},
            headers=headers,
        )  # fmt: skip
        assert created.status_code == 201, created.text
        campaign_id = created.json()["id"]
        started = client.post(f"/api/v1/campaigns/{campaign_id}/start", headers=headers)
        assert started.status_code == 200, started.text
        deadline = time.monotonic() + 120
        while True:
            progress = client.get(f"/api/v1/campaigns/{campaign_id}/progress", headers=headers).json()
            finished = (progress.get("runtime") or {}).get("runtime_status") == "Completed"
            if finished or time.monotonic() > deadline:
                break
            time.sleep(0.2)
    assert progress["percent_done"] == 100.0 and progress["total"] == 2
    assert progress["status"] == "completed" and progress["runtime"]["runtime_status"] == "Completed"
    with engine.connect() as connection:
        audited = connection.execute(
            sa.text("SELECT count(*) FROM audit_log WHERE action = 'compliance.check'")
        )
        assert audited.scalar_one() >= 2  # every target went through the gate
    engine.dispose()
