"""The Azure side of campaigns: the real Durable Functions client (`DurableOrchestrationClient`) driving a local
fake of the Durable extension's HTTP API on 127.0.0.1 — it records every request — through the
`DurableCampaignRuns` port; the function app's campaign functions, triggers and bindings; and the scheduler
and retention timers called as the host calls them."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp import web
from azure.durable_functions import DurableOrchestrationClient
from azure.durable_functions.models.utils import http_utils
from azure.functions.timer import TimerRequest

from functions.campaigns.orchestrator import CAMPAIGN_ORCHESTRATOR, CONTROL_EVENT
from functions.campaigns.ports import DurableCampaignRuns
from shared.db.engine import make_engine, make_session_factory, transaction
from shared.db.tables import Call, CallTranscriptEntry, Campaign, Customer
from shared.domain import CallDirection, CallType, CampaignStatus, Speaker, TranscriptEntryType
from shared.errors import ExternalServiceError
from shared.models.audit import Actor
from shared.models.campaigns import CampaignCreate, CampaignSchedule, CampaignUpdate, TacticShare
from shared.services import campaigns
from tests.azure_host import durable_client_binding, functions_by_name
from tests.campaign_support import add_customer, make_bank


@dataclass
class FakeDurableExtension:
    """The Durable extension's RPC endpoints, in memory: records each request it receives."""

    base_url: str = ""
    instances: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str, Any]] = field(default_factory=list)

    async def start(self, request: web.Request) -> web.Response:
        instance_id = request.match_info["instance_id"]
        body = json.loads(await request.json())  # the SDK sends the input's JSON text as a JSON string
        self.requests.append(("start", instance_id, {"name": request.match_info["name"], "input": body}))
        self.instances[instance_id] = {"name": request.match_info["name"], "instanceId": instance_id,
                                       "runtimeStatus": "Running", "input": body,
                                       "createdTime": "2026-07-15T14:00:00Z", "lastUpdatedTime": "2026-07-15T14:00:00Z"}  # fmt: skip
        return web.json_response({"id": instance_id}, status=202)

    async def status(self, request: web.Request) -> web.Response:
        instance_id = request.match_info["instance_id"]
        self.requests.append(("status", instance_id, None))
        found = self.instances.get(instance_id)
        if found is None:
            return web.json_response({"Message": "not found"}, status=404)
        return web.json_response(found, status=200 if found["runtimeStatus"] == "Completed" else 202)

    async def raise_event(self, request: web.Request) -> web.Response:
        instance_id, name = request.match_info["instance_id"], request.match_info["event"]
        body = await request.json()  # the SDK sends the event's JSON text as a JSON string
        self.requests.append(("event", instance_id, {"name": name, "data": json.loads(body)}))
        if instance_id not in self.instances:
            return web.json_response(None, status=404)
        return web.json_response(None, status=202)


@pytest.fixture
async def extension() -> AsyncIterator[FakeDurableExtension]:
    fake = FakeDurableExtension()
    app = web.Application()
    app.router.add_post("/durabletask/orchestrators/{name}/{instance_id}", fake.start)
    app.router.add_get("/durabletask/instances/{instance_id}", fake.status)
    app.router.add_post("/durabletask/instances/{instance_id}/raiseEvent/{event}", fake.raise_event)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    fake.base_url = f"http://127.0.0.1:{port}/durabletask/"
    yield fake
    await runner.cleanup()
    await (
        http_utils._close_session()
    )  # the SDK keeps one aiohttp session per process; it is bound to this loop


async def test_durable_port_starts_a_run_once_and_signals_it(extension: FakeDurableExtension) -> None:
    """start_run posts the orchestrator's input under the run's instance id, and not again while that
    instance runs; pause and `call_completed` become raiseEvent requests; status maps the extension's."""
    runs = DurableCampaignRuns(DurableOrchestrationClient(durable_client_binding(extension.base_url)))
    org_id, campaign_id = uuid.uuid4(), uuid.uuid4()
    instance_id = f"campaign-{campaign_id}-run-1"
    assert await runs.status(instance_id) is None
    await runs.start_run(org_id=org_id, campaign_id=campaign_id, instance_id=instance_id)
    await runs.start_run(org_id=org_id, campaign_id=campaign_id, instance_id=instance_id)
    starts = [entry for entry in extension.requests if entry[0] == "start"]
    assert starts == [
        ("start", instance_id, {"name": CAMPAIGN_ORCHESTRATOR, "input": {"organization_id": str(org_id),
         "campaign_id": str(campaign_id), "generation": 0, "planned": False}})
    ]  # fmt: skip
    status = await runs.status(instance_id)
    assert status is not None and status.runtime_status == "Running"

    await runs.control(instance_id, "pause")
    attempt_id = f"{instance_id}:g0:0:abc"
    extension.instances[attempt_id] = {"instanceId": attempt_id, "runtimeStatus": "Running"}
    completed = {"call_id": str(uuid.uuid4()), "status": "completed", "outcome": "promise_to_pay"}
    await runs.raise_event(attempt_id, "call_completed", completed)
    events = [entry for entry in extension.requests if entry[0] == "event"]
    assert events == [
        ("event", instance_id, {"name": CONTROL_EVENT, "data": {"action": "pause"}}),
        ("event", attempt_id, {"name": "call_completed", "data": completed}),
    ]
    await runs.control("campaign-gone-run-9", "cancel")  # a wake-up for a finished run is not an error
    # `call_completed` for an instance the extension does not know is reported, for the webhook to log
    with pytest.raises(ExternalServiceError):
        await runs.raise_event("no-such-instance", "call_completed", completed)


@pytest.fixture(scope="module")
def functions() -> dict[str, Any]:
    """The function app's functions (`get_functions()` validates names on each call: once per app)."""
    import function_app

    return functions_by_name(function_app.app)


def test_function_app_registers_the_campaign_functions(functions: dict[str, Any]) -> None:
    """Orchestrators, activities and both timers are registered with their triggers and schedules; the
    scheduler also gets the Durable client binding."""
    triggers = {name: {b.type: b.get_dict_repr() for b in f.get_bindings()} for name, f in functions.items()}  # type: ignore[attr-defined]
    assert "orchestrationTrigger" in triggers["campaign_orchestrator"]
    assert "orchestrationTrigger" in triggers["campaign_attempt"]
    for activity in ("campaign_plan", "campaign_claim_wave", "campaign_place_call", "campaign_record_disposition",
                     "campaign_progress", "campaign_finish"):  # fmt: skip
        assert "activityTrigger" in triggers[activity]
    assert triggers["campaign_scheduler"]["timerTrigger"]["schedule"] == "0 */5 * * * *"
    assert "durableClient" in triggers["campaign_scheduler"]
    assert triggers["retention_purge"]["timerTrigger"]["schedule"] == "0 30 3 * * *"


async def test_scheduler_timer_starts_a_due_campaign_once(
    extension: FakeDurableExtension,
    functions: dict[str, Any],
    sqlite_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The timer, called as the host calls it (a TimerRequest and the client binding), starts a scheduled
    campaign whose cron fired since it was armed — once: the next tick finds that firing already started."""
    from functions.campaigns import blueprint

    monkeypatch.setenv("ARCHER_DATABASE_URL", sqlite_url)
    blueprint.runtime.cache_clear()
    engine = make_engine(sqlite_url)
    sessions = make_session_factory(engine)
    org_id = make_bank(sessions)
    add_customer(sessions, org_id)
    with transaction(sessions) as session:
        campaign = campaigns.create_campaign(
            session=session,
            org_id=org_id,
            campaign_in=CampaignCreate(
                name="New year", tactics=[TacticShare(tactic_name="empathetic_partner")],
                schedule=CampaignSchedule(cron="0 9 1 1 *"),
            ),
            actor=Actor.cli(),
        )  # fmt: skip
        campaigns.update_campaign(
            session=session, org_id=org_id, campaign_id=campaign.id,
            campaign_in=CampaignUpdate(status=CampaignStatus.SCHEDULED), actor=Actor.cli(),
        )  # fmt: skip
        # armed two years ago, so last January's firing is due
        session.execute(
            sa.update(Campaign)
            .where(Campaign.id == campaign.id)
            .values(created_at=datetime.now(UTC) - timedelta(days=730))
        )
    scheduler = functions["campaign_scheduler"].get_user_function()
    try:
        for _ in range(2):
            await scheduler(
                timer=TimerRequest(past_due=False), client=durable_client_binding(extension.base_url)
            )
    finally:
        blueprint.runtime.cache_clear()
    starts = [entry for entry in extension.requests if entry[0] == "start"]
    assert [entry[1] for entry in starts] == [f"campaign-{campaign.id}-run-1"]
    with sessions() as session:
        row = session.get(Campaign, campaign.id)
        assert row is not None and row.status is CampaignStatus.RUNNING and row.run_number == 1
        assert row.last_scheduled_at is not None and row.last_scheduled_at.month == 1
    engine.dispose()


def test_retention_timer_purges_through_the_function(
    functions: dict[str, Any], sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The daily timer, called as the host calls it, purges an expired transcript and keeps one on hold."""
    from functions.campaigns import blueprint

    monkeypatch.setenv("ARCHER_DATABASE_URL", sqlite_url)
    blueprint.runtime.cache_clear()
    engine = make_engine(sqlite_url)
    sessions = make_session_factory(engine)
    org_id = make_bank(sessions)
    kept_customer, _ = add_customer(sessions, org_id, phone="+16025550101")
    purged_customer, _ = add_customer(sessions, org_id, phone="+16025550102")
    old = datetime.now(UTC) - timedelta(days=2000)
    with transaction(sessions) as session:
        session.execute(sa.update(Customer).where(Customer.id == kept_customer).values(legal_hold=True))
        for customer_id in (kept_customer, purged_customer):
            call = Call(organization_id=org_id, customer_id=customer_id, call_type=CallType.CAMPAIGN,
                        direction=CallDirection.OUTBOUND, start_time=old, end_time=old, recording_sid="RE1")  # fmt: skip
            session.add(call)
            session.flush()
            session.add(CallTranscriptEntry(organization_id=org_id, call_id=call.id, sequence=0, timestamp=old,
                                            entry_type=TranscriptEntryType.TRANSCRIPT, speaker=Speaker.AGENT, text="Hello"))  # fmt: skip
    purge = functions["retention_purge"].get_user_function()
    try:
        purge(timer=TimerRequest(past_due=False))
    finally:
        blueprint.runtime.cache_clear()
    with sessions() as session:
        left = session.execute(
            sa.select(Call.customer_id, sa.func.count(CallTranscriptEntry.id), Call.recording_sid)
            .outerjoin(CallTranscriptEntry, CallTranscriptEntry.call_id == Call.id)
            .group_by(Call.id)
        ).all()
    assert {(customer_id, count, sid) for customer_id, count, sid in left} == {
        (kept_customer, 1, "RE1"),
        (purged_customer, 0, None),
    }
    engine.dispose()


async def test_twilios_final_status_reaches_the_orchestration_through_the_http_function(
    extension: FakeDurableExtension,
    functions: dict[str, Any],
    sqlite_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As the Functions host runs it: a real `func.HttpRequest` carrying Twilio's signed `completed` callback
    goes to the HTTP function's user code with the invocation's Durable client binding; the call is final
    and `call_completed` is raised on the attempt's orchestration through the real Durable client — once,
    though Twilio delivers the callback twice. A forged copy is refused before anything happens."""
    from urllib.parse import urlencode

    import azure.functions as func
    from twilio.request_validator import RequestValidator

    from functions import http
    from shared.domain import CallStatus
    from tests.azure_host import FunctionContext
    from tests.twilio_support import make_campaign_call, new_sid

    public, token = "https://archer-func.azurewebsites.net", "function-app-test-token"
    monkeypatch.setenv("ARCHER_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("ARCHER_PUBLIC_BASE_URL", public)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "0" * 32)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", token)
    engine = make_engine(sqlite_url)
    setup = make_campaign_call(make_session_factory(engine), instance_id="attempt-fn-1")
    extension.instances["attempt-fn-1"] = {"instanceId": "attempt-fn-1", "runtimeStatus": "Running"}
    sid = new_sid()
    with transaction(make_session_factory(engine)) as session:
        row = session.get(Call, setup.call_id)
        assert row is not None
        row.call_sid = sid
    url = f"{public}/api/v1/twilio/status?call_id={setup.call_id}"
    form = {"CallSid": sid, "CallStatus": "completed", "SequenceNumber": "4", "CallDuration": "42"}

    def delivery(signature: str) -> func.HttpRequest:
        return func.HttpRequest(
            method="POST",
            url=url,
            headers={"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature},
            params={"call_id": str(setup.call_id)},
            route_params={"path": "twilio/status"},
            body=urlencode(form).encode(),
        )

    http.asgi_app.cache_clear()
    user_code = functions["api"].get_user_function()
    try:
        forged = await user_code(
            req=delivery(RequestValidator("not-the-token").compute_signature(url, form)),
            context=FunctionContext("api"),
            client=durable_client_binding(extension.base_url),
        )
        assert forged.status_code == 403 and forged.mimetype == "application/problem+json"
        assert not [entry for entry in extension.requests if entry[0] == "event"]
        signature = RequestValidator(token).compute_signature(url, form)
        for _ in range(2):  # Twilio retries: the same callback twice
            answer = await user_code(
                req=delivery(signature),
                context=FunctionContext("api"),
                client=durable_client_binding(extension.base_url),
            )
            assert answer.status_code == 204, answer.get_body()
    finally:
        http.asgi_app.cache_clear()
        await http_utils._close_session()
    events = [entry for entry in extension.requests if entry[0] == "event"]
    assert len(events) == 1
    [(_, instance_id, event)] = events
    assert instance_id == "attempt-fn-1" and event["name"] == "call_completed"
    assert event["data"]["call_id"] == str(setup.call_id) and event["data"]["status"] == "completed"
    with transaction(make_session_factory(engine)) as session:
        row = session.get(Call, setup.call_id)
        assert row is not None and row.status is CallStatus.COMPLETED and row.duration_seconds == 42
    engine.dispose()
