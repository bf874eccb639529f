"""The Twilio webhooks over HTTP (the real API app, signed requests) on SQLite and PostgreSQL: signature
validation that writes nothing when it fails, TwiML that bridges to the agent with the call id or refuses,
idempotent and order-safe status callbacks that raise `call_completed` once, AMD voicemail handling and the
recording callback."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from shared.db.engine import transaction
from shared.db.tables import AuditLogEntry, Call
from shared.domain import CallStatus, PreferenceKind
from shared.models.campaigns import CALL_COMPLETED_EVENT
from shared.services import campaigns
from tests.conftest import TestDatabase as Database
from tests.factories import make_preference
from tests.telemetry_capture import TelemetryCapture
from tests.twilio_support import AGENT_SIP, PUBLIC, Webhooks, make_campaign_call, new_sid, serve_webhooks


@pytest.fixture
async def hooks(database: Database, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Webhooks]:
    async for webhooks in serve_webhooks(monkeypatch, database.url):
        yield webhooks


def status_params(call_sid: str, status: str, sequence: int, **extra: str) -> dict[str, str]:
    return {
        "CallSid": call_sid,
        "AccountSid": "AC" + "f" * 32,
        "CallStatus": status,
        "SequenceNumber": str(sequence),
        **extra,
    }


def audit_count(hooks: Webhooks, org_id: uuid.UUID, action: str) -> int:
    with transaction(hooks.sessions) as session:
        return (
            session.scalar(
                sa.select(sa.func.count())
                .select_from(AuditLogEntry)
                .where(AuditLogEntry.organization_id == org_id, AuditLogEntry.action == action)
            )
            or 0
        )


# --- Signatures ---------------------------------------------------------------------------------------------


def _forgeries(hooks: Webhooks, path: str, params: dict[str, str]) -> dict[str, dict[str, object]]:
    url = f"{PUBLIC}/api/v1/twilio/{path}"
    changed = {**params, "CallStatus": "completed", "CallDuration": "999"}
    return {
        "forged": {"signature": hooks.sign(url, params, token="not-the-auth-token")},
        "missing": {"sign": False},
        "changed_parameter": {"signature": hooks.sign(url, params), "params": changed},
        "wrong_url": {"signed_url": f"https://evil.example.com/api/v1/twilio/{path}"},
        "wrong_query": {"signed_url": f"{PUBLIC}/api/v1/twilio/status?call_id={uuid.uuid4()}"},
    }


@pytest.mark.parametrize("forgery", ["forged", "missing", "changed_parameter", "wrong_url", "wrong_query"])
async def test_bad_signatures_are_refused_and_write_nothing(hooks: Webhooks, forgery: str) -> None:
    """A forged, missing, replayed-with-a-changed-parameter or wrong-URL signature answers 403 problem+json
    and leaves the call, its audit trail and the orchestration untouched."""
    setup = make_campaign_call(hooks.sessions)
    path = f"status?call_id={setup.call_id}"
    params = status_params(new_sid(), "ringing", 1)
    options = dict(_forgeries(hooks, path, params)[forgery])
    sent = options.pop("params", params)
    response = await hooks.post(path, sent, **options)  # type: ignore[arg-type]
    assert response.status_code == 403, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "urn:archer:problem:forbidden"
    call = hooks.call(setup.call_id)
    assert call.call_sid is None and call.status is CallStatus.RINGING and call.status_sequence == -1
    assert call.call_metadata == {"orchestration_instance_id": "attempt-1"}
    assert hooks.runs.events == [] and audit_count(hooks, setup.org_id, "call.status") == 0


async def test_forged_inbound_call_creates_no_call(hooks: Webhooks) -> None:
    """A forged inbound voice request is refused before any call row exists."""
    setup = make_campaign_call(hooks.sessions, instance_id=None)
    params = {"CallSid": new_sid(), "From": setup.customer_phone, "To": setup.caller_id}
    response = await hooks.post("voice", params, signature=hooks.sign(f"{PUBLIC}/api/v1/twilio/voice", {}))
    assert response.status_code == 403
    with transaction(hooks.sessions) as session:
        assert session.scalar(sa.select(Call).where(Call.call_sid == params["CallSid"])) is None


async def test_forwarded_host_and_scheme_are_the_url_without_a_public_base(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without ARCHER_PUBLIC_BASE_URL the signed URL is the forwarded scheme and host; another one fails."""
    async for hooks in serve_webhooks(monkeypatch, database.url, public=False):
        sid = new_sid()
        setup = make_campaign_call(hooks.sessions, call_sid=sid)
        params = {"CallSid": sid, "RecordingSid": "RE1", "RecordingStatus": "completed"}
        url = "https://func-archer.azurewebsites.net/api/v1/twilio/recording"
        forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "func-archer.azurewebsites.net"}
        plain_http = {**forwarded, "X-Forwarded-Proto": "http"}
        refused = await hooks.post("recording", params, signed_url=url, headers=plain_http)
        assert refused.status_code == 403
        assert hooks.call(setup.call_id).recording_sid is None
        accepted = await hooks.post("recording", params, signed_url=url, headers=forwarded)
        assert accepted.status_code == 204, accepted.text
        assert hooks.call(setup.call_id).recording_sid == "RE1"


# --- Voice --------------------------------------------------------------------------------------------------


def parse_twiml(text: str) -> ET.Element:
    root = ET.fromstring(text)
    assert root.tag == "Response"
    return root


async def test_outbound_answer_bridges_to_the_agent_with_the_call_id(hooks: Webhooks) -> None:
    """An answered campaign call gets `<Dial><Sip>` to the agent carrying Archer's call id, and is in
    progress with Twilio's SID."""
    setup = make_campaign_call(hooks.sessions)
    sid = new_sid()
    params = {
        "CallSid": sid,
        "From": setup.caller_id,
        "To": setup.customer_phone,
        "Direction": "outbound-api",
    }
    response = await hooks.post(f"voice?call_id={setup.call_id}", params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    root = parse_twiml(response.text)
    sip = root.find("./Dial/Sip")
    assert sip is not None and sip.text is not None
    assert sip.text.startswith(AGENT_SIP + "?")
    assert f"x-archer-call-id={setup.call_id}" in sip.text
    assert f"x-archer-organization-id={setup.org_id}" in sip.text
    call = hooks.call(setup.call_id)
    assert call.call_sid == sid and call.status is CallStatus.IN_PROGRESS and call.answered_at is not None


async def test_outbound_answer_after_a_cease_request_hangs_up(hooks: Webhooks) -> None:
    """A cease request recorded while the phone rang: a short message without debt wording, then hang-up,
    and the refusal is audited."""
    setup = make_campaign_call(hooks.sessions)
    with transaction(hooks.sessions) as session:
        from shared.db.tables import Customer

        customer = session.get(Customer, setup.customer_id)
        assert customer is not None
        make_preference(session, customer, PreferenceKind.CEASE_CONTACT)
    params = {"CallSid": new_sid(), "From": setup.caller_id, "To": setup.customer_phone}
    response = await hooks.post(f"voice?call_id={setup.call_id}", params)
    root = parse_twiml(response.text)
    assert root.find("./Dial") is None
    assert [child.tag for child in root] == ["Say", "Hangup"]
    say = root.find("./Say")
    assert say is not None and say.text and "debt" not in say.text.lower()
    call = hooks.call(setup.call_id)
    assert any(reason.startswith("cease_requested") for reason in call.call_metadata["voice_refused"])
    assert audit_count(hooks, setup.org_id, "call.refused_on_answer") == 1


async def test_the_seventh_attempt_itself_is_not_held_against_its_answer(hooks: Webhooks) -> None:
    """The attempt counters already include the call being answered: its answer is still bridged."""
    setup = make_campaign_call(hooks.sessions)
    with transaction(hooks.sessions) as session:
        from shared.db.tables import Customer
        from tests.factories import make_attempt

        customer = session.get(Customer, setup.customer_id)
        assert customer is not None
        for hours in range(7):
            make_attempt(
                session,
                customer,
                datetime(2026, 7, 10 + hours % 5, 18, hours, tzinfo=UTC),
                account_id=setup.account_id,
            )
    params = {"CallSid": new_sid(), "From": setup.caller_id, "To": setup.customer_phone}
    response = await hooks.post(f"voice?call_id={setup.call_id}", params)
    assert parse_twiml(response.text).find("./Dial/Sip") is not None


async def test_inbound_call_back_is_bridged_and_recorded(hooks: Webhooks) -> None:
    """A customer calling the organization's number: a callback call with the customer is created and
    bridged to the agent, recorded in two channels with the recording callback."""
    setup = make_campaign_call(hooks.sessions, instance_id=None)
    sid = new_sid()
    params = {"CallSid": sid, "From": setup.customer_phone, "To": setup.caller_id, "Direction": "inbound"}
    response = await hooks.post("voice", params)
    assert response.status_code == 200, response.text
    root = parse_twiml(response.text)
    dial = root.find("./Dial")
    assert dial is not None and dial.get("record") == "record-from-answer-dual"
    with transaction(hooks.sessions) as session:
        row = session.scalar(sa.select(Call).where(Call.call_sid == sid))
        assert row is not None
        assert row.direction.value == "inbound" and row.call_type.value == "callback"
        assert row.customer_id == setup.customer_id and row.organization_id == setup.org_id
        call_id = row.id
    assert dial.get("recordingStatusCallback") == f"{PUBLIC}/api/v1/twilio/recording?call_id={call_id}"
    sip = root.find("./Dial/Sip")
    assert sip is not None and f"x-archer-call-id={call_id}" in (sip.text or "")
    again = await hooks.post("voice", params)  # Twilio retries: the same call, no second row
    assert f"x-archer-call-id={call_id}" in again.text
    with transaction(hooks.sessions) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Call).where(Call.call_sid == sid)) == 1


async def test_inbound_from_an_unknown_caller_is_bridged_without_a_customer(hooks: Webhooks) -> None:
    """An unknown caller id still reaches the agent (which verifies before disclosing anything)."""
    setup = make_campaign_call(hooks.sessions, instance_id=None, settings={"recording_enabled": False})
    params = {"CallSid": new_sid(), "From": "+12125550199", "To": setup.caller_id}
    root = parse_twiml((await hooks.post("voice", params)).text)
    dial = root.find("./Dial")
    assert dial is not None and dial.get("record") is None and root.find("./Dial/Sip") is not None
    with transaction(hooks.sessions) as session:
        row = session.scalar(sa.select(Call).where(Call.call_sid == params["CallSid"]))
        assert row is not None and row.customer_id is None


async def test_inbound_from_a_customer_who_asked_to_stop_is_still_answered(hooks: Webhooks) -> None:
    """A cease request stops our calls, not theirs: the call-back is bridged and the preference noted."""
    setup = make_campaign_call(hooks.sessions, instance_id=None)
    with transaction(hooks.sessions) as session:
        from shared.db.tables import Customer

        customer = session.get(Customer, setup.customer_id)
        assert customer is not None
        make_preference(session, customer, PreferenceKind.CEASE_CONTACT)
    params = {"CallSid": new_sid(), "From": setup.customer_phone, "To": setup.caller_id}
    root = parse_twiml((await hooks.post("voice", params)).text)
    assert root.find("./Dial/Sip") is not None
    with transaction(hooks.sessions) as session:
        row = session.scalar(sa.select(Call).where(Call.call_sid == params["CallSid"]))
        assert row is not None and row.call_metadata["standing_preferences"] == ["cease_requested"]


async def test_inbound_from_an_attorney_represented_customer_goes_to_a_person(hooks: Webhooks) -> None:
    """Attorney representation: the caller is sent to the transfer line, not the collections agent."""
    setup = make_campaign_call(hooks.sessions, instance_id=None, settings={"transfer_number": "+16025550111"})
    with transaction(hooks.sessions) as session:
        from shared.db.tables import Customer

        customer = session.get(Customer, setup.customer_id)
        assert customer is not None
        make_preference(session, customer, PreferenceKind.ATTORNEY)
    params = {"CallSid": new_sid(), "From": setup.customer_phone, "To": setup.caller_id}
    root = parse_twiml((await hooks.post("voice", params)).text)
    dial = root.find("./Dial")
    assert (
        dial is not None and root.find("./Dial/Sip") is None and (dial.text or "").strip() == "+16025550111"
    )


async def test_a_number_no_organization_owns_is_refused(hooks: Webhooks) -> None:
    """A call to a number no organization has: a short message, a hang-up, and no call row."""
    params = {"CallSid": new_sid(), "From": "+16025550123", "To": "+19995550000"}
    root = parse_twiml((await hooks.post("voice", params)).text)
    assert [child.tag for child in root] == ["Say", "Hangup"]
    with transaction(hooks.sessions) as session:
        assert session.scalar(sa.select(Call).where(Call.call_sid == params["CallSid"])) is None


# --- Status -------------------------------------------------------------------------------------------------


async def test_status_progress_then_completion_raises_the_event_once(hooks: Webhooks) -> None:
    """ringing → in-progress → completed stores the duration and raises `call_completed` once with the
    `CallCompleted` payload; a duplicate delivery (same token) and a replay (same sequence, new token)
    change nothing."""
    setup = make_campaign_call(hooks.sessions)
    sid, path = new_sid(), f"status?call_id={setup.call_id}"
    for sequence, status in enumerate(["initiated", "ringing", "in-progress"]):
        response = await hooks.post(path, status_params(sid, status, sequence))
        assert response.status_code == 204, response.text
    assert hooks.call(setup.call_id).status is CallStatus.IN_PROGRESS
    final = status_params(sid, "completed", 3, CallDuration="84", AnsweredBy="human")
    token = {"I-Twilio-Idempotency-Token": "tok-final"}
    assert (await hooks.post(path, final, headers=token)).status_code == 204
    assert (await hooks.post(path, final, headers=token)).status_code == 204
    assert (
        await hooks.post(path, final, headers={"I-Twilio-Idempotency-Token": "tok-other"})
    ).status_code == 204
    call = hooks.call(setup.call_id)
    assert call.status is CallStatus.COMPLETED and call.duration_seconds == 84 and call.answered_by == "human"
    assert call.status_sequence == 3 and call.call_metadata["call_completed_event"] == "raised"
    assert hooks.runs.events == [
        (
            "attempt-1",
            CALL_COMPLETED_EVENT,
            {
                "call_id": str(setup.call_id),
                "status": "completed",
                "outcome": None,
                "answered_by": "human",
                "duration_seconds": 84,
            },
        )
    ]
    assert audit_count(hooks, setup.org_id, "call.status") == 1


async def test_out_of_order_status_never_regresses_a_final_one(hooks: Webhooks) -> None:
    """`completed` delivered first, then the older `ringing` and `in-progress`, then a stray `busy`: the
    call stays completed and the event is raised once."""
    setup = make_campaign_call(hooks.sessions)
    sid, path = new_sid(), f"status?call_id={setup.call_id}"
    await hooks.post(path, status_params(sid, "completed", 3, CallDuration="30"))
    await hooks.post(path, status_params(sid, "ringing", 1))
    await hooks.post(path, status_params(sid, "in-progress", 2))
    await hooks.post(path, {"CallSid": sid, "CallStatus": "busy"})  # no sequence number at all
    call = hooks.call(setup.call_id)
    assert call.status is CallStatus.COMPLETED and call.duration_seconds == 30
    assert len(hooks.runs.events) == 1 and hooks.runs.events[0][2]["status"] == "completed"


async def test_status_by_call_sid_alone_for_a_call_without_orchestration(hooks: Webhooks) -> None:
    """A call Twilio knows by SID (no call id in the URL) and no campaign: the status is stored, no event."""
    sid = new_sid()
    setup = make_campaign_call(hooks.sessions, instance_id=None, call_sid=sid)
    assert (await hooks.post("status", status_params(sid, "no-answer", 2))).status_code == 204
    assert hooks.call(setup.call_id).status is CallStatus.NO_ANSWER
    assert hooks.runs.events == []


async def test_status_for_an_unknown_call_writes_nothing(hooks: Webhooks) -> None:
    """A signed callback about a call Archer does not know is acknowledged and ignored."""
    response = await hooks.post("status", status_params(new_sid(), "completed", 4))
    assert response.status_code == 204 and hooks.runs.events == []


async def test_an_undelivered_event_is_raised_by_the_next_callback(hooks: Webhooks) -> None:
    """The orchestration engine refuses the event: the callback fails (Twilio may retry) and the next
    callback for the call raises it; after that, never again."""
    setup = make_campaign_call(hooks.sessions)
    sid, path = new_sid(), f"status?call_id={setup.call_id}"
    hooks.runs.fail = 1
    failed = await hooks.post(
        path, status_params(sid, "busy", 2), headers={"I-Twilio-Idempotency-Token": "t1"}
    )
    assert failed.status_code == 502 and failed.json()["retryable"] is True
    assert hooks.call(setup.call_id).status is CallStatus.BUSY and hooks.runs.events == []
    retried = await hooks.post(
        path, status_params(sid, "busy", 2), headers={"I-Twilio-Idempotency-Token": "t1"}
    )
    assert retried.status_code == 204
    await hooks.post(path, status_params(sid, "busy", 2), headers={"I-Twilio-Idempotency-Token": "t1"})
    assert [payload["status"] for _, _, payload in hooks.runs.events] == ["busy"]


# --- AMD and recording ----------------------------------------------------------------------------------------


async def test_machine_answer_leaves_the_limited_content_voicemail(hooks: Webhooks) -> None:
    """A machine whose greeting ended: the call is redirected (through Twilio's REST API) to the Regulation F
    limited-content message, the call is a voicemail, and the campaign hears `voicemail`."""
    sid = new_sid()
    setup = make_campaign_call(hooks.sessions, call_sid=sid)
    params = {"CallSid": sid, "AnsweredBy": "machine_end_beep", "MachineDetectionDuration": "4200"}
    assert (await hooks.post(f"amd?call_id={setup.call_id}", params)).status_code == 204
    call = hooks.call(setup.call_id)
    assert call.answered_by == "machine_end_beep" and call.outcome is not None
    assert call.outcome.value == "voicemail" and call.call_metadata["voicemail"] is True
    [redirect] = hooks.fake.call_updates()
    assert redirect.path.endswith(f"/Calls/{sid}.json")
    twiml = ET.fromstring(redirect.field("Twiml") or "")
    said = twiml.find("./Say")
    assert said is not None and said.text is not None
    assert "Desert Financial Services" in said.text and "(800) 555-0100" in said.text
    assert "debt" not in said.text.lower() and twiml.find("./Hangup") is not None
    await hooks.post(f"status?call_id={setup.call_id}", status_params(sid, "completed", 5, CallDuration="21"))
    [(_, _, payload)] = hooks.runs.events
    assert payload["outcome"] == "voicemail" and payload["answered_by"] == "machine_end_beep"
    assert campaigns.attempt_result(CallStatus.COMPLETED, None, payload["answered_by"]).value == "voicemail"


async def test_a_human_answer_is_stored_and_the_call_left_alone(hooks: Webhooks) -> None:
    """AMD says human: stored, and nothing is sent to Twilio."""
    sid = new_sid()
    setup = make_campaign_call(hooks.sessions, call_sid=sid)
    await hooks.post("amd", {"CallSid": sid, "AnsweredBy": "human"})
    assert hooks.call(setup.call_id).answered_by == "human" and hooks.fake.requests == []


async def test_recording_callback_stores_sid_url_and_duration_once(hooks: Webhooks) -> None:
    """The completed recording's SID, URL and duration land on the call; a retry is not applied twice."""
    sid = new_sid()
    setup = make_campaign_call(hooks.sessions, call_sid=sid)
    params = {
        "CallSid": sid,
        "RecordingSid": "RE" + "a" * 32,
        "RecordingUrl": f"https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE{'a' * 32}",
        "RecordingStatus": "completed",
        "RecordingDuration": "95",
        "RecordingChannels": "2",
    }
    token = {"I-Twilio-Idempotency-Token": "rec-1"}
    assert (await hooks.post(f"recording?call_id={setup.call_id}", params, headers=token)).status_code == 204
    assert (await hooks.post(f"recording?call_id={setup.call_id}", params, headers=token)).status_code == 204
    call = hooks.call(setup.call_id)
    assert call.recording_sid == "RE" + "a" * 32 and call.recording_duration_seconds == 95
    assert call.recording_url == params["RecordingUrl"]
    assert audit_count(hooks, setup.org_id, "call.recording") == 1


async def test_webhooks_need_no_api_key_but_refuse_without_twilio(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No X-API-Key is asked for; without TWILIO_AUTH_TOKEN every webhook is refused."""
    async for hooks in serve_webhooks(monkeypatch, database.url):
        setup = make_campaign_call(hooks.sessions)
        ok = await hooks.post(f"status?call_id={setup.call_id}", status_params(new_sid(), "ringing", 1))
        assert ok.status_code == 204
    monkeypatch.delenv("TWILIO_AUTH_TOKEN")
    from functions.api.app import create_api
    from shared.config import load_settings
    from shared.runtime import build_runtime

    runtime = build_runtime(load_settings())
    import httpx

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_api(runtime)), base_url="http://internal.test"
    ) as client:
        refused = await client.post("/api/v1/twilio/status", data={"CallSid": "CA1", "CallStatus": "ringing"})
    await runtime.aclose()
    assert refused.status_code == 403


async def test_the_webhooks_continue_the_trace_the_dial_started(
    hooks: Webhooks, telemetry: TelemetryCapture
) -> None:
    """A campaign call's row carries the dial's `traceparent`: the voice webhook's span and the status
    callback's span join that trace (linked to Twilio's own HTTP requests), and the TwiML hands the trace on
    to the agent as a SIP header. A new inbound call starts its own trace and keeps it on its row."""
    from urllib.parse import unquote

    from opentelemetry import trace

    from shared import telemetry as tm

    setup = make_campaign_call(hooks.sessions)
    with trace.get_tracer("test").start_as_current_span("call.dial") as dial:
        traceparent = tm.current_traceparent()
    with transaction(hooks.sessions) as session:
        row = session.get(Call, setup.call_id)
        assert row is not None
        row.call_metadata = {**(row.call_metadata or {}), tm.TRACEPARENT: traceparent}
    sid = new_sid()
    answered = await hooks.post(
        f"voice?call_id={setup.call_id}",
        {"CallSid": sid, "From": setup.caller_id, "To": setup.customer_phone},
    )
    assert answered.status_code == 200, answered.text
    sip = parse_twiml(answered.text).find("./Dial/Sip")
    assert sip is not None and sip.text is not None
    assert f"x-archer-traceparent={traceparent}" in unquote(sip.text)
    done = await hooks.post(
        f"status?call_id={setup.call_id}", status_params(sid, "completed", 3, CallDuration="40")
    )
    assert done.status_code == 204

    spans = {span.name: span for span in telemetry.finished_spans()}
    trace_id = dial.get_span_context().trace_id
    for name in (tm.SPAN_CALL_WEBHOOK, tm.SPAN_CALL_STATUS):
        step = spans[name]
        assert step.context.trace_id == trace_id, name
        assert step.links and step.links[0].context.trace_id != trace_id  # Twilio's request, linked
