"""The Twilio adapter drives the real `twilio` client against a local fake of Twilio's REST API: the exact
form fields of `calls.create`, recording pause/resume, call redirects, and how Twilio's failures map to
transient or permanent errors."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from shared.config import load_settings
from shared.errors import ExternalServiceError
from shared.integrations.twilio import CallMayHaveBeenPlaced, TwilioTelephony
from tests.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio, running_fake_twilio

PUBLIC = "https://archer.example.com"


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with running_fake_twilio() as fake:
        yield fake


@pytest.fixture
def telephony(fake: FakeTwilio) -> TwilioTelephony:
    return TwilioTelephony(
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        public_base_url=PUBLIC + "/",
        api_base_url=fake.base_url,
        from_number="+16025550100",
    )


def test_place_call_sends_callbacks_and_async_amd(fake: FakeTwilio, telephony: TwilioTelephony) -> None:
    """`place_call` posts the voice URL, status and AMD callbacks (each with the call id), every status
    event, async AMD that waits for the greeting's end, and no recording unless asked; Twilio's SID comes
    back."""
    call_id = uuid.uuid4()
    placed = telephony.place_call(call_id=call_id, to_number="+16025550123")
    assert placed.call_sid.startswith("CA") and placed.status == "queued"
    [received] = fake.calls_created()
    assert received.authorized
    assert received.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json"
    assert received.form_dict == {
        "To": "+16025550123",
        "From": "+16025550100",
        "Method": "POST",
        "Url": f"{PUBLIC}/api/v1/twilio/voice?call_id={call_id}",
        "StatusCallback": f"{PUBLIC}/api/v1/twilio/status?call_id={call_id}",
        "StatusCallbackEvent": ["initiated", "ringing", "answered", "completed"],
        "StatusCallbackMethod": "POST",
        "MachineDetection": "DetectMessageEnd",
        "AsyncAmd": "true",
        "AsyncAmdStatusCallback": f"{PUBLIC}/api/v1/twilio/amd?call_id={call_id}",
        "AsyncAmdStatusCallbackMethod": "POST",
        "Timeout": "30",
    }


def test_place_call_records_dual_channel_when_asked(fake: FakeTwilio, telephony: TwilioTelephony) -> None:
    """With recording on, the call is recorded in two channels and the recording callback is named."""
    call_id = uuid.uuid4()
    telephony.place_call(call_id=call_id, to_number="+16025550123", from_number="+16025550999", record=True)
    [received] = fake.calls_created()
    assert received.field("From") == "+16025550999"
    assert received.field("Record") == "true"
    assert received.field("RecordingChannels") == "dual"
    assert received.field("RecordingStatusCallback") == f"{PUBLIC}/api/v1/twilio/recording?call_id={call_id}"
    assert received.fields("RecordingStatusCallbackEvent") == ["completed"]


def test_pause_and_resume_recording_reach_twilio(fake: FakeTwilio, telephony: TwilioTelephony) -> None:
    """Pausing (skipping the paused span) and resuming update the call's current recording."""
    telephony.pause_recording("CA123")
    telephony.resume_recording("CA123")
    paused, resumed = fake.recording_updates()
    assert paused.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/CA123/Recordings/Twilio.CURRENT.json"
    assert paused.form_dict == {"Status": "paused", "PauseBehavior": "skip"}
    assert resumed.form_dict == {"Status": "in-progress"}


def test_redirect_and_hang_up_update_the_live_call(fake: FakeTwilio, telephony: TwilioTelephony) -> None:
    """A redirect replaces the call's TwiML; a hang-up completes it."""
    telephony.redirect("CA9", "<Response><Hangup/></Response>")
    telephony.hang_up("CA9")
    redirect, hang_up = fake.call_updates()
    assert redirect.path.endswith("/Calls/CA9.json")
    assert redirect.form_dict == {"Twiml": "<Response><Hangup/></Response>"}
    assert hang_up.form_dict == {"Status": "completed"}


@pytest.mark.parametrize(
    ("status", "code", "transient"),
    [(400, 21211, False), (404, 20404, False), (429, 20429, True), (500, 20500, True), (503, 20503, True)],
)
def test_failures_are_transient_or_permanent(
    fake: FakeTwilio, telephony: TwilioTelephony, status: int, code: int, transient: bool
) -> None:
    """An invalid number (4xx) is permanent; throttling and Twilio's own failures (5xx) are transient."""
    fake.fail_next(status, code, "The 'To' number is not a valid phone number.")
    with pytest.raises(ExternalServiceError) as raised:
        telephony.place_call(call_id=uuid.uuid4(), to_number="+1555")
    assert raised.value.is_transient is transient and raised.value.service == "twilio"
    assert str(status) in raised.value.message


def test_wrong_credentials_are_permanent(fake: FakeTwilio) -> None:
    """Twilio's 401 (a wrong auth token) is not worth retrying."""
    wrong = TwilioTelephony(
        account_sid=ACCOUNT_SID, auth_token="nope", public_base_url=PUBLIC, api_base_url=fake.base_url
    )
    with pytest.raises(ExternalServiceError) as raised:
        wrong.place_call(call_id=uuid.uuid4(), to_number="+16025550123", from_number="+16025550100")
    assert raised.value.is_transient is False
    assert fake.requests[-1].authorized is False


def test_unreachable_twilio_is_transient() -> None:
    """Nothing listening: the call was certainly not placed, so it may be retried."""
    telephony = TwilioTelephony(
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        public_base_url=PUBLIC,
        api_base_url="http://127.0.0.1:9",
        from_number="+16025550100",
    )
    with pytest.raises(ExternalServiceError) as raised:
        telephony.place_call(call_id=uuid.uuid4(), to_number="+16025550123")
    assert raised.value.is_transient is True


def test_no_caller_id_is_permanent(fake: FakeTwilio) -> None:
    """Without a caller id nothing is sent to Twilio."""
    telephony = TwilioTelephony(
        account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, public_base_url=PUBLIC, api_base_url=fake.base_url
    )
    with pytest.raises(ExternalServiceError) as raised:
        telephony.place_call(call_id=uuid.uuid4(), to_number="+16025550123")
    assert raised.value.is_transient is False and fake.requests == []


def test_settings_choose_the_adapter(monkeypatch: pytest.MonkeyPatch, fake: FakeTwilio) -> None:
    """Credentials and the public URL select Twilio, pointed at `ARCHER_TWILIO_API_BASE_URL`; without
    credentials there is no adapter."""
    assert TwilioTelephony.from_settings(load_settings()) is None
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    monkeypatch.setenv("TWILIO_FROM_NUMBER", "+16025550100")
    monkeypatch.setenv("ARCHER_PUBLIC_BASE_URL", PUBLIC)
    monkeypatch.setenv("ARCHER_TWILIO_API_BASE_URL", fake.base_url)
    telephony = TwilioTelephony.from_settings(load_settings())
    assert telephony is not None
    telephony.place_call(call_id=uuid.uuid4(), to_number="+16025550123")
    assert len(fake.calls_created()) == 1 and fake.calls_created()[0].authorized


def test_a_lost_answer_is_not_a_safe_retry() -> None:
    """The type that tells the campaign "maybe placed" is not an ExternalServiceError."""
    assert not issubclass(CallMayHaveBeenPlaced, ExternalServiceError)
