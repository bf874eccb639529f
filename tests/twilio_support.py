"""Twilio webhook test support: the real API app over a migrated database (SQLite and PostgreSQL) with Twilio
configured against the local fake REST API, a recording orchestration port, and requests signed the way
Twilio signs them (`RequestValidator.compute_signature` over the public URL and the form fields)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker
from twilio.request_validator import RequestValidator

from functions.api.app import create_api
from functions.campaigns.ports import ControlAction, RunStatus
from shared.config import load_settings
from shared.db.engine import transaction
from shared.db.tables import Call
from shared.domain import CallStatus
from shared.errors import ExternalServiceError
from shared.models.campaigns import ORCHESTRATION_INSTANCE_KEY
from shared.runtime import build_runtime
from tests.factories import make_account, make_call, make_customer, make_org
from tests.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio, running_fake_twilio

PUBLIC = "https://archer.example.com"
AGENT_SIP = "sip:archer@agent.example.com"
NOW = datetime(2026, 7, 15, 20, 0, tzinfo=UTC)  # 13:00 in Phoenix: inside the calling window


@dataclass
class RecordingRuns:
    """The orchestration port of the tests: records every event raised; `fail` refuses the next ones."""

    events: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    fail: int = 0

    async def raise_event(self, instance_id: str, event_name: str, payload: dict[str, Any]) -> None:
        if self.fail:
            self.fail -= 1
            raise ExternalServiceError("hub unavailable", service="durable-functions", is_transient=True)
        self.events.append((instance_id, event_name, payload))

    async def start_run(self, *, org_id: uuid.UUID, campaign_id: uuid.UUID, instance_id: str) -> None:
        raise AssertionError("not used")

    async def control(self, instance_id: str, action: ControlAction) -> None:
        raise AssertionError("not used")

    async def status(self, instance_id: str) -> RunStatus | None:
        return None


@dataclass
class Webhooks:
    client: httpx.AsyncClient
    runs: RecordingRuns
    sessions: sessionmaker[Session]
    fake: FakeTwilio
    public: str = PUBLIC

    def sign(self, url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
        return RequestValidator(token).compute_signature(url, params)

    async def post(
        self,
        path: str,
        params: dict[str, str],
        *,
        signature: str | None = None,
        signed_url: str | None = None,
        sign: bool = True,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """POST form `params` to `/api/v1/twilio/<path>` (path may carry a query), signed for the public URL
        unless told otherwise."""
        sent = dict(headers or {})
        if sign:
            url = signed_url or f"{self.public}/api/v1/twilio/{path}"
            sent["X-Twilio-Signature"] = signature or self.sign(url, params)
        return await self.client.post(f"/api/v1/twilio/{path}", data=params, headers=sent)

    def call(self, call_id: uuid.UUID) -> Call:
        with transaction(self.sessions) as session:
            row = session.get(Call, call_id)
            assert row is not None
            session.expunge(row)
            return row


def configure_twilio(monkeypatch: pytest.MonkeyPatch, database_url: str, fake: FakeTwilio) -> None:
    monkeypatch.setenv("ARCHER_DATABASE_URL", database_url)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    monkeypatch.setenv("TWILIO_FROM_NUMBER", "+16025550100")
    monkeypatch.setenv("ARCHER_TWILIO_API_BASE_URL", fake.base_url)
    monkeypatch.setenv("ARCHER_AGENT_SIP_URI", AGENT_SIP)


@dataclass
class Setup:
    org_id: uuid.UUID
    customer_id: uuid.UUID
    account_id: uuid.UUID
    call_id: uuid.UUID
    caller_id: str
    customer_phone: str


def new_sid() -> str:
    """A Twilio call SID no other test uses (the databases are shared by the tests of a session)."""
    return "CA" + uuid.uuid4().hex


def unique_number(prefix: str = "+1480555") -> str:
    return prefix + f"{uuid.uuid4().int % 10_000:04d}"


def make_campaign_call(
    sessions: sessionmaker[Session],
    *,
    instance_id: str | None = "attempt-1",
    status: CallStatus = CallStatus.RINGING,
    call_sid: str | None = None,
    settings: dict[str, Any] | None = None,
) -> Setup:
    """An organization with a number, a customer in Phoenix with a debt, and an outbound call to them (a
    campaign attempt when `instance_id` is given)."""
    caller_id = unique_number()
    with transaction(sessions) as session:
        org = make_org(
            session,
            settings={
                "caller_id_number": caller_id,
                "callback_number": "+18005550100",
                "business_name": "Desert Financial Services",
                **(settings or {}),
            },
        )
        customer = make_customer(session, org, phone_number=unique_number("+1602555"))
        account = make_account(session, customer)
        call = make_call(
            session,
            customer,
            account_id=account.id,
            status=status,
            call_sid=call_sid,
            from_number=caller_id,
            call_metadata={ORCHESTRATION_INSTANCE_KEY: instance_id} if instance_id else {},
        )
        return Setup(org.id, customer.id, account.id, call.id, caller_id, customer.phone_number)


async def serve_webhooks(
    monkeypatch: pytest.MonkeyPatch, database_url: str, *, public: bool = True
) -> AsyncIterator[Webhooks]:
    with running_fake_twilio() as fake:
        configure_twilio(monkeypatch, database_url, fake)
        if public:
            monkeypatch.setenv("ARCHER_PUBLIC_BASE_URL", PUBLIC)
        runtime = build_runtime(load_settings())
        runs = RecordingRuns()
        app = create_api(runtime, orchestrations=runs)
        app.state.clock = lambda: NOW
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://internal.test"
        ) as client:
            yield Webhooks(client, runs, runtime.sessions, fake)
        await runtime.aclose()
