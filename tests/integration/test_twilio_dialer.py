"""The function app's campaign dialer over Twilio: `make_dialer` picks it when Twilio is configured, it drives
the real `twilio` client against the local fake, and a campaign run on the local driver goes from the dial
through Twilio's signed callbacks (AMD, status) to the target's voicemail disposition."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from functions.api.app import create_api
from functions.campaigns.activities import CampaignDeps
from functions.campaigns.blueprint import TelephonyNotConfigured, make_dialer
from functions.campaigns.driver import LocalCampaignRuns, LocalDriver, Registry, VirtualClock
from functions.campaigns.twilio_dialer import TwilioDialer
from shared.config import load_settings
from shared.db.engine import transaction
from shared.db.tables import Call, CampaignTarget, Organization
from shared.domain import CallStatus, TargetStatus
from shared.errors import ExternalServiceError
from shared.models.audit import Actor
from shared.models.campaigns import CampaignCreate, DialRequest
from shared.runtime import Runtime, build_runtime
from shared.services import campaigns
from tests.campaign_support import add_customer, make_bank
from tests.conftest import TestDatabase as Database
from tests.fake_twilio import FakeTwilio, running_fake_twilio
from tests.twilio_support import PUBLIC, RecordingRuns, Webhooks, configure_twilio, unique_number

START = datetime(2026, 7, 15, 17, 0, tzinfo=UTC)  # 10:00 in Phoenix


@dataclass
class Twilio:
    runtime: Runtime
    fake: FakeTwilio


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with running_fake_twilio() as fake:
        yield fake


@pytest.fixture
async def twilio(
    database: Database, monkeypatch: pytest.MonkeyPatch, fake: FakeTwilio
) -> AsyncIterator[Twilio]:
    configure_twilio(monkeypatch, database.url, fake)
    monkeypatch.setenv("ARCHER_PUBLIC_BASE_URL", PUBLIC)
    runtime = build_runtime(load_settings())
    yield Twilio(runtime, fake)
    await runtime.aclose()


def dial_request(
    org_id: uuid.UUID, customer_id: uuid.UUID, account_id: uuid.UUID, **overrides: object
) -> DialRequest:
    values: dict[str, object] = {
        "call_id": uuid.uuid4(),
        "organization_id": org_id,
        "campaign_id": uuid.uuid4(),
        "campaign_target_id": uuid.uuid4(),
        "customer_id": customer_id,
        "account_id": account_id,
        "to_number": "+16025550177",
        "from_number": None,
        "behavioral_tactic_id": None,
        "orchestration_instance_id": "",
        "idempotency_key": "test",
        "attempt_number": 1,
    }
    values.update(overrides)
    return DialRequest.model_validate(values)


async def test_without_twilio_the_dialer_refuses(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """No credentials: `TelephonyNotConfigured`, whose every dial is permanently refused."""
    monkeypatch.setenv("ARCHER_DATABASE_URL", sqlite_url)
    runtime = build_runtime(load_settings())
    dialer = make_dialer(runtime)
    assert isinstance(dialer, TelephonyNotConfigured)
    await runtime.aclose()


async def test_dial_places_the_call_with_callbacks_and_recording(twilio: Twilio) -> None:
    """The dialer sends the call id in the voice URL, the callbacks, the caller id, and records (dual
    channel) because the organization records calls; the receipt carries Twilio's SID."""
    org_id = make_bank(twilio.runtime.sessions)
    customer_id, account_id = add_customer(twilio.runtime.sessions, org_id, phone=unique_number("+1602555"))
    dialer = make_dialer(twilio.runtime)
    assert isinstance(dialer, TwilioDialer)
    request = dial_request(org_id, customer_id, account_id, from_number="+16025550188")
    receipt = await dialer.dial(request)
    [sent] = twilio.fake.calls_created()
    assert receipt.call_sid is not None and receipt.call_sid.startswith("CA")
    assert receipt.status is CallStatus.QUEUED
    assert sent.field("To") == "+16025550177" and sent.field("From") == "+16025550188"
    assert sent.field("Url") == f"{PUBLIC}/api/v1/twilio/voice?call_id={request.call_id}"
    assert sent.field("StatusCallback") == f"{PUBLIC}/api/v1/twilio/status?call_id={request.call_id}"
    assert sent.field("AsyncAmdStatusCallback") == f"{PUBLIC}/api/v1/twilio/amd?call_id={request.call_id}"
    assert sent.field("MachineDetection") == "DetectMessageEnd" and sent.field("AsyncAmd") == "true"
    assert sent.field("Record") == "true" and sent.field("RecordingChannels") == "dual"


async def test_dial_without_recording_and_with_the_default_caller_id(twilio: Twilio) -> None:
    """An organization that does not record: no recording fields; no caller id: TWILIO_FROM_NUMBER."""
    org_id = make_bank(twilio.runtime.sessions)
    with transaction(twilio.runtime.sessions) as session:
        org = session.get(Organization, org_id)
        assert org is not None
        org.settings = {**(org.settings or {}), "recording_enabled": False}
    customer_id, account_id = add_customer(twilio.runtime.sessions, org_id, phone=unique_number("+1602555"))
    await make_dialer(twilio.runtime).dial(dial_request(org_id, customer_id, account_id))
    [sent] = twilio.fake.calls_created()
    assert sent.field("From") == "+16025550100" and sent.field("Record") is None


async def test_dial_refusals_are_transient_or_permanent(twilio: Twilio) -> None:
    """Twilio's 503 is a transient refusal (safe to dial again); an invalid number a permanent one."""
    org_id = make_bank(twilio.runtime.sessions)
    customer_id, account_id = add_customer(twilio.runtime.sessions, org_id, phone=unique_number("+1602555"))
    dialer = make_dialer(twilio.runtime)
    twilio.fake.fail_next(503, 20503, "Service Unavailable")
    with pytest.raises(ExternalServiceError) as transient:
        await dialer.dial(dial_request(org_id, customer_id, account_id))
    assert transient.value.is_transient
    twilio.fake.fail_next(400, 21211, "Invalid 'To' Phone Number")
    with pytest.raises(ExternalServiceError) as permanent:
        await dialer.dial(dial_request(org_id, customer_id, account_id))
    assert not permanent.value.is_transient


async def test_a_campaign_call_ends_in_voicemail_through_twilio_callbacks(twilio: Twilio) -> None:
    """The local driver dials through Twilio (the fake); Twilio's signed AMD and status callbacks reach the
    webhooks, which store the voicemail and raise `call_completed` on the attempt's orchestration; the
    target's disposition is `voicemail`."""
    sessions = twilio.runtime.sessions
    org_id = make_bank(sessions)
    customer_id, _ = add_customer(sessions, org_id, phone=unique_number("+1602555"))
    with transaction(sessions) as session:
        campaign_id = campaigns.create_campaign(
            session=session,
            org_id=org_id,
            campaign_in=CampaignCreate.model_validate(
                {
                    "name": "Twilio run",
                    "tactics": [{"tactic_name": "empathetic_partner"}],
                    "targeting": {"customer_ids": [str(customer_id)]},
                    "max_attempts_per_target": 1,
                }
            ),
            actor=Actor.cli(),
        ).id
        campaign = campaigns.begin_run(
            session=session, org_id=org_id, campaign_id=campaign_id, actor=Actor.cli(), at=START
        )
    assert campaign.instance_id is not None
    clock = VirtualClock(START)
    deps = CampaignDeps(sessions=sessions, dialer=make_dialer(twilio.runtime), clock=clock)
    driver = LocalDriver(sessions=sessions, registry=Registry.for_campaigns(deps), clock=clock)
    runs = LocalCampaignRuns(driver)
    app = create_api(twilio.runtime, orchestrations=runs)
    app.state.clock = clock.now
    held = asyncio.Event()
    driver.spawn(held.wait())  # the call is live: the virtual clock must not jump over its wait
    await runs.start_run(org_id=org_id, campaign_id=campaign_id, instance_id=campaign.instance_id)
    await driver.run_until(lambda: bool(twilio.fake.calls_created()), timeout=30)
    [sent] = twilio.fake.calls_created()
    call_id = uuid.UUID(parse_qs(urlparse(sent.field("Url") or "").query)["call_id"][0])

    def placed() -> bool:
        with transaction(sessions) as session:
            row = session.get(Call, call_id)
            return row is not None and row.call_sid is not None

    await driver.run_until(placed, timeout=30)
    with transaction(sessions) as session:
        row = session.get(Call, call_id)
        assert row is not None and row.call_sid is not None
        sid = row.call_sid
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://internal.test"
    ) as client:
        hooks = Webhooks(client, RecordingRuns(), sessions, twilio.fake)
        query = f"?call_id={call_id}"
        answered = {"CallSid": sid, "CallStatus": "in-progress", "SequenceNumber": "2"}
        assert (await hooks.post("status" + query, answered)).status_code == 204
        amd = {"CallSid": sid, "AnsweredBy": "machine_end_silence"}
        assert (await hooks.post("amd" + query, amd)).status_code == 204
        done = {"CallSid": sid, "CallStatus": "completed", "SequenceNumber": "3", "CallDuration": "31"}
        assert (await hooks.post("status" + query, done)).status_code == 204
        assert (await hooks.post("status" + query, done)).status_code == 204  # a duplicate
    held.set()
    assert await driver.run_until_finished(campaign.instance_id, timeout=60) == "Completed"
    await driver.aclose()
    with transaction(sessions) as session:
        target = session.query(CampaignTarget).filter_by(campaign_id=campaign_id).one()
        assert target.status is TargetStatus.EXHAUSTED and target.last_outcome == "voicemail"
        call = session.get(Call, call_id)
        assert call is not None and call.status is CallStatus.COMPLETED and call.duration_seconds == 31
    # No callback number is configured: no message can be left compliantly, so the machine is hung up on.
    [redirect] = twilio.fake.call_updates()
    assert "<Hangup />" in (redirect.field("Twiml") or "") and "<Say>" not in (redirect.field("Twiml") or "")
