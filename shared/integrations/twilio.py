"""The Twilio adapter: a small class over the real `twilio.rest.Client` that places calls, pauses and resumes
their recording, and redirects a live call — the only code that talks to Twilio's REST API.

Every Twilio failure becomes `ExternalServiceError(service="twilio", is_transient=...)`: a 5xx, a 429 or a
connection failure is transient (the call was certainly not placed; retrying is safe), a 4xx such as an
invalid number is permanent. `ARCHER_TWILIO_API_BASE_URL` points the client at another origin (the tests'
local fake): the client's `api` domain reads its `base_url` on every request (`twilio.base.domain.Domain
.absolute_url`), so replacing it redirects every REST call, Basic auth and form encoding unchanged.

The webhook URLs given to Twilio are built from `ARCHER_PUBLIC_BASE_URL` (`webhook_url`), the same base the
webhooks validate signatures against."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from twilio.twiml.voice_response import VoiceResponse

from shared.config import Settings
from shared.errors import ExternalServiceError
from shared.models.telephony import VoiceAnswer

logger = logging.getLogger(__name__)

T = TypeVar("T")

WEBHOOK_PREFIX = "/api/v1/twilio"
STATUS_EVENTS = ("initiated", "ringing", "answered", "completed")
# Twilio's name for "the recording in progress on this call" (`calls(sid).recordings("Twilio.CURRENT")`).
CURRENT_RECORDING = "Twilio.CURRENT"
REQUEST_TIMEOUT_SECONDS = 10.0


def webhook_url(public_base_url: str, name: str, **query: str) -> str:
    """The absolute URL of webhook `name` (`voice`, `status`, `amd`, `recording`) with its query string."""
    url = f"{public_base_url.rstrip('/')}{WEBHOOK_PREFIX}/{name}"
    return f"{url}?{urlencode(query)}" if query else url


@dataclass(frozen=True)
class PlacedCall:
    """What Twilio answered to `calls.create`."""

    call_sid: str
    status: str  # Twilio's spelling: queued, initiated, ringing, ...


class CallMayHaveBeenPlaced(RuntimeError):
    """Twilio received the request to place a call but its answer never arrived (a read timeout): the call
    may exist. Deliberately not an `ExternalServiceError`, so the campaign counts the attempt and never
    dials it again (see `functions.campaigns.ports.Dialer`)."""


def _is_transient_status(status: int) -> bool:
    return status >= 500 or status in (408, 429)


class TwilioTelephony:
    """Archer's calls through Twilio. Blocking (the twilio client uses `requests`): async callers run it in a
    worker thread."""

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        public_base_url: str,
        api_base_url: str | None = None,
        from_number: str | None = None,
        timeout: float = REQUEST_TIMEOUT_SECONDS,
    ) -> None:
        # An explicit empty environment: TWILIO_EDGE / TWILIO_REGION in the process environment would
        # otherwise rewrite the host behind our back.
        self.client = Client(
            account_sid,
            auth_token,
            http_client=TwilioHttpClient(timeout=timeout),
            environment={"TWILIO_ACCOUNT_SID": account_sid},
        )
        if api_base_url:
            self.client.api.base_url = api_base_url.rstrip("/")
        self.public_base_url = public_base_url.rstrip("/")
        self.from_number = from_number

    @classmethod
    def from_settings(cls, settings: Settings) -> TwilioTelephony | None:
        """The adapter when Twilio credentials and the public URL are configured, else None."""
        if not (settings.twilio_account_sid and settings.twilio_auth_token):
            return None
        if not settings.public_base_url:
            logger.warning(
                "Twilio credentials are set but ARCHER_PUBLIC_BASE_URL is not: calls cannot be placed"
            )
            return None
        return cls(
            account_sid=settings.twilio_account_sid,
            auth_token=settings.twilio_auth_token.get_secret_value(),
            public_base_url=settings.public_base_url,
            api_base_url=settings.twilio_api_base_url,
            from_number=settings.twilio_from_number,
        )

    def url(self, name: str, **query: str) -> str:
        return webhook_url(self.public_base_url, name, **query)

    def place_call(
        self,
        *,
        call_id: uuid.UUID,
        to_number: str,
        from_number: str | None = None,
        record: bool = False,
        timeout_seconds: int = 30,
    ) -> PlacedCall:
        """Dial `to_number`. Twilio fetches the voice webhook (carrying `call_id`) when the call is
        answered, reports progress to the status webhook, the answering-machine result (asynchronously,
        after the greeting's end) to the AMD webhook and, when `record`, the finished dual-channel
        recording to the recording webhook."""
        caller = from_number or self.from_number
        if not caller:
            raise ExternalServiceError(
                "no caller id: set the organization's caller_id_number or TWILIO_FROM_NUMBER",
                service="twilio",
                is_transient=False,
            )
        options: dict[str, Any] = {}
        if record:
            options.update(
                record=True,
                recording_channels="dual",
                recording_status_callback=self.url("recording", call_id=str(call_id)),
                recording_status_callback_event=["completed"],
            )
        created = self._call_twilio(
            "place a call",
            placing=True,
            work=lambda: self.client.calls.create(
                to=to_number,
                from_=caller,
                url=self.url("voice", call_id=str(call_id)),
                method="POST",
                status_callback=self.url("status", call_id=str(call_id)),
                status_callback_event=list(STATUS_EVENTS),
                status_callback_method="POST",
                machine_detection="DetectMessageEnd",
                async_amd="true",  # a string parameter in the API (`serialize` would send "True")
                async_amd_status_callback=self.url("amd", call_id=str(call_id)),
                async_amd_status_callback_method="POST",
                timeout=timeout_seconds,
                **options,
            ),
        )
        if not created.sid:
            raise ExternalServiceError("Twilio returned no call SID", service="twilio", is_transient=False)
        return PlacedCall(call_sid=str(created.sid), status=str(created.status or "queued"))

    def pause_recording(self, call_sid: str) -> bool:
        """Pause the call's recording (card digits are about to be keyed): the paused span is skipped.
        False when the call has no recording in progress (Twilio's 404): there is nothing to pause."""
        return self._update_recording(call_sid, "pause the recording", status="paused", pause_behavior="skip")

    def resume_recording(self, call_sid: str) -> bool:
        """Resume the call's recording after the card digits; False when it has none to resume."""
        return self._update_recording(call_sid, "resume the recording", status="in-progress")

    def stop_recording(self, call_sid: str) -> bool:
        """Stop the call's recording for good (the caller does not consent to being recorded); False when
        it has none. Twilio's Recording resource takes `Status=stopped` on a live call's current recording."""
        return self._update_recording(call_sid, "stop the recording", status="stopped")

    def _update_recording(self, call_sid: str, what: str, **fields: Any) -> bool:
        try:
            self._call_twilio(
                what, lambda: self.client.calls(call_sid).recordings(CURRENT_RECORDING).update(**fields)
            )
        except ExternalServiceError as exc:
            cause = exc.__cause__
            if isinstance(cause, TwilioRestException) and cause.status == 404:
                return False
            raise
        return True

    def redirect(self, call_sid: str, twiml: str) -> None:
        """Replace what a live call is doing with `twiml` (the voicemail message after a machine answered)."""
        self._call_twilio("redirect the call", lambda: self.client.calls(call_sid).update(twiml=twiml))

    def hang_up(self, call_sid: str) -> None:
        self._call_twilio("hang up", lambda: self.client.calls(call_sid).update(status="completed"))

    @staticmethod
    def _call_twilio(what: str, work: Callable[[], T], *, placing: bool = False) -> T:
        try:
            return work()
        except requests.ReadTimeout as exc:
            if placing:
                raise CallMayHaveBeenPlaced(
                    "Twilio did not answer in time after receiving the request to place the call"
                ) from exc
            raise ExternalServiceError(
                f"Twilio did not answer in time while trying to {what}", service="twilio", is_transient=True
            ) from exc
        except TwilioRestException as exc:
            transient = _is_transient_status(exc.status)
            raise ExternalServiceError(
                f"Twilio refused to {what}: HTTP {exc.status}"
                + (f", error {exc.code}" if exc.code else "")
                + (f": {exc.msg}" if exc.msg else ""),
                service="twilio",
                is_transient=transient,
            ) from exc
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise ExternalServiceError(
                f"Twilio unreachable while trying to {what}: {type(exc).__name__}",
                service="twilio",
                is_transient=True,
            ) from exc
        except TwilioException as exc:
            raise ExternalServiceError(
                f"Twilio client error while trying to {what}: {exc}", service="twilio", is_transient=False
            ) from exc


def make_telephony(settings: Settings) -> TwilioTelephony | None:
    """The Twilio adapter for `settings`, or None when telephony is simulated."""
    return TwilioTelephony.from_settings(settings)


# --- TwiML ------------------------------------------------------------------------------------------------


def voice_twiml(answer: VoiceAnswer, *, public_base_url: str | None) -> str:
    """The TwiML document for the voice webhook's decision: `<Dial><Sip>` to the agent (recorded in two
    channels from the answer when `answer.record`), `<Dial>` to a person, or `<Say>` and `<Hangup>`."""
    response = VoiceResponse()
    if answer.action == "bridge" and answer.sip_uri:
        options: dict[str, Any] = {"answer_on_bridge": True}
        if answer.record and public_base_url:
            query = {"call_id": str(answer.call_id)} if answer.call_id else {}
            options.update(
                record="record-from-answer-dual",
                recording_status_callback=webhook_url(public_base_url, "recording", **query),
                recording_status_callback_event="completed",
                recording_status_callback_method="POST",
            )
        dial = response.dial(**options)
        dial.sip(answer.sip_uri)
        return str(response)
    if answer.action == "transfer" and answer.transfer_number:
        response.dial(answer.transfer_number)
        return str(response)
    if answer.say:
        response.say(answer.say)
    response.hangup()
    return str(response)


def message_twiml(say: str | None) -> str:
    """Say `say` (when there is something to say) and hang up: the voicemail left on a machine."""
    response = VoiceResponse()
    if say:
        response.pause(length=1)  # the beep has just ended
        response.say(say)
    response.hangup()
    return str(response)
