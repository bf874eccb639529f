"""The Twilio webhooks (`/twilio/voice`, `/twilio/status`, `/twilio/amd`, `/twilio/recording`). Parsing and
signature validation only: what they do to calls is `shared.services.telephony`.

Every request must carry a valid `X-Twilio-Signature` for the URL Twilio called — `ARCHER_PUBLIC_BASE_URL`
plus the path and query, else the scheme and host the request was forwarded with — computed with the
account's auth token (`twilio.request_validator.RequestValidator`). A missing, forged or wrong-URL signature
answers 403 problem+json before anything is read from or written to the database. No API key: Twilio
authenticates by signature, and these routes are not rate-limited per key."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from fastapi import APIRouter, Request, Response
from starlette.datastructures import FormData
from twilio.request_validator import (
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)

from functions.api.deps import RuntimeDep
from functions.api.routes.campaigns import find_campaign_runs
from shared.config import Settings
from shared.db.engine import transaction
from shared.errors import ExternalServiceError, Forbidden, InvalidInput
from shared.integrations.twilio import TwilioTelephony, message_twiml, voice_twiml
from shared.models.telephony import (
    AmdWebhook,
    CallbackResult,
    RecordingWebhook,
    StatusWebhook,
    VoiceWebhook,
)
from shared.runtime import Runtime
from shared.services import telephony
from shared.telemetry import SPAN_CALL_STATUS, SPAN_CALL_WEBHOOK, call_span, current_traceparent

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/twilio", tags=["twilio"])

IDEMPOTENCY_HEADER = "I-Twilio-Idempotency-Token"
TWIML_MEDIA_TYPE = "application/xml"

_PROBLEM = {"content": {"application/problem+json": {}}}
_RESPONSES: dict[int | str, dict[str, Any]] = {
    403: {"description": "Missing or invalid Twilio signature; nothing was read or written", **_PROBLEM},
    422: {"description": "A signed request without a field Twilio always sends", **_PROBLEM},
}

T = TypeVar("T")


def _form(required: list[str], optional: list[str], *, with_call_id: bool = True) -> dict[str, Any]:
    """The OpenAPI description of a webhook: Twilio's form fields, its signature header, the call id query."""
    fields = {name: {"type": "string"} for name in [*required, *optional]}
    parameters: list[dict[str, Any]] = [
        {
            "name": SIGNATURE_HEADER,
            "in": "header",
            "required": True,
            "schema": {"type": "string"},
            "description": "Base64 HMAC-SHA1 of the public URL and the sorted form fields, with the auth token",
        }
    ]
    if with_call_id:
        parameters.append(
            {
                "name": "call_id",
                "in": "query",
                "required": False,
                "schema": {"type": "string", "format": "uuid"},
                "description": "Archer's call id (in the callback URLs of the calls Archer places)",
            }
        )
    return {
        "parameters": parameters,
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {"type": "object", "required": required, "properties": fields}
                }
            },
        },
    }


def public_url(request: Request, public_base_url: str | None) -> str:
    """The URL Twilio requested, as Twilio saw it (what it signed)."""
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if public_base_url:
        return public_base_url.rstrip("/") + path
    proto = request.headers.get("x-forwarded-proto", request.url.scheme).split(",")[0].strip()
    host = request.headers.get("x-forwarded-host") or request.headers.get("host") or request.url.netloc
    return f"{proto}://{host.split(',')[0].strip()}{path}"


async def signed_form(request: Request, settings: Settings) -> FormData:
    """The request's form fields once its Twilio signature checks out; otherwise Forbidden."""
    if settings.twilio_auth_token is None:
        raise Forbidden("Twilio webhooks are not configured here (TWILIO_AUTH_TOKEN is not set)")
    signature = request.headers.get(SIGNATURE_HEADER)
    if not signature:
        raise Forbidden(f"missing {SIGNATURE_HEADER} header")
    form = await request.form()
    validator = RequestValidator(settings.twilio_auth_token.get_secret_value())
    algorithm = get_signature_algorithm(request.headers.get(SIGNATURE_SETTINGS_HEADER))
    if not validator.validate(public_url(request, settings.public_base_url), form, signature, algorithm):
        raise Forbidden("the Twilio signature does not match this request")
    return form


def _required(form: FormData, name: str) -> str:
    value = form.get(name)
    if not isinstance(value, str) or not value:
        raise InvalidInput(f"{name} is required", field=name)
    return value


def _optional(form: FormData, name: str) -> str | None:
    value = form.get(name)
    return value if isinstance(value, str) and value else None


def _integer(form: FormData, name: str) -> int | None:
    """A non-negative integer field; absent, or Twilio's -1 for "none", is None."""
    value = _optional(form, name)
    if value is None:
        return None
    try:
        number = int(value)
    except ValueError:
        raise InvalidInput(f"{name} must be an integer", field=name) from None
    return number if number >= 0 else None


def _call_id(request: Request) -> uuid.UUID | None:
    value = request.query_params.get("call_id")
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidInput("call_id must be a UUID", field="call_id") from None


def now(request: Request) -> datetime:
    """The instant a webhook is handled: `app.state.clock()` when the app has one (tests pin it), else now."""
    clock: Callable[[], datetime] | None = getattr(request.app.state, "clock", None)
    return clock() if clock is not None else datetime.now(UTC)


async def _in_transaction(
    request: Request, runtime: Runtime, work: Callable[..., T], webhook: Any, *, step: str | None = None
) -> T:
    """Run a telephony service function in one committed transaction, off the event loop. `step` names the
    span of the call's trace the work runs in: it continues the trace the call's row carries (the campaign
    dial's; a new inbound call starts its own), linked to the HTTP request's own span."""
    at = now(request)
    request_trace = current_traceparent()

    def run() -> T:
        with transaction(runtime.sessions) as session:
            if step is None:
                return work(session=session, webhook=webhook, at=at)
            metadata = telephony.call_trace(session, call_id=webhook.call_id, call_sid=webhook.call_sid)
            with call_span(step, metadata, links=[request_trace], webhook=step.rsplit(".", 1)[-1]):
                return work(session=session, webhook=webhook, at=at)

    return await asyncio.to_thread(run)


async def _deliver(request: Request, runtime: Runtime, result: CallbackResult) -> None:
    """Raise the committed `call_completed` on the campaign orchestration, then note it was delivered."""
    event = result.event
    if event is None or result.call_id is None or result.organization_id is None:
        return
    runs = find_campaign_runs(request)
    if runs is None:
        logger.warning("call %s ended but no orchestration engine is reachable here", result.call_id)
        return
    await runs.raise_event(event.instance_id, event.event_name, event.payload)
    org_id, call_id = result.organization_id, result.call_id

    def note() -> None:
        with transaction(runtime.sessions) as session:
            telephony.mark_event_raised(session=session, org_id=org_id, call_id=call_id)

    await asyncio.to_thread(note)


def _adapter(request: Request, settings: Settings) -> TwilioTelephony | None:
    """The app's Twilio adapter, built once."""
    state = request.app.state
    if not hasattr(state, "twilio_telephony"):
        state.twilio_telephony = TwilioTelephony.from_settings(settings)
    adapter: TwilioTelephony | None = state.twilio_telephony
    return adapter


@router.post(
    "/voice",
    response_class=Response,
    responses={200: {"description": "TwiML", "content": {TWIML_MEDIA_TYPE: {}}}, **_RESPONSES},
    summary="Twilio voice webhook: bridge the call to the agent, or refuse it",
    openapi_extra=_form(["CallSid"], ["From", "To", "Direction", "CallStatus", "AccountSid"]),
)
async def voice(request: Request, runtime: RuntimeDep) -> Response:
    form = await signed_form(request, runtime.settings)
    webhook = VoiceWebhook(
        call_sid=_required(form, "CallSid"),
        call_id=_call_id(request),
        from_number=_optional(form, "From"),
        to_number=_optional(form, "To"),
        direction=_optional(form, "Direction"),
        call_status=_optional(form, "CallStatus"),
    )
    sip = runtime.settings.agent_sip_uri

    def answer(*, session: Any, webhook: VoiceWebhook, at: datetime) -> Any:
        return telephony.answer_voice(session=session, webhook=webhook, agent_sip_uri=sip, at=at)

    decision = await _in_transaction(request, runtime, answer, webhook, step=SPAN_CALL_WEBHOOK)
    if decision.action != "bridge":
        logger.info("call %s not bridged: %s", decision.call_id, "; ".join(decision.reasons))
    twiml = voice_twiml(decision, public_base_url=runtime.settings.public_base_url)
    return Response(content=twiml, media_type=TWIML_MEDIA_TYPE)


@router.post(
    "/status",
    status_code=204,
    response_class=Response,
    responses=_RESPONSES,
    summary="Twilio call status callback (idempotent, order-safe)",
    openapi_extra=_form(
        ["CallSid", "CallStatus"], ["SequenceNumber", "CallDuration", "AnsweredBy", "AccountSid", "Timestamp"]
    ),
)
async def status(request: Request, runtime: RuntimeDep) -> Response:
    form = await signed_form(request, runtime.settings)
    webhook = StatusWebhook(
        call_sid=_required(form, "CallSid"),
        call_status=_required(form, "CallStatus"),
        call_id=_call_id(request),
        sequence_number=_integer(form, "SequenceNumber"),
        duration_seconds=_integer(form, "CallDuration"),
        answered_by=(_optional(form, "AnsweredBy") or "")[:32] or None,
        idempotency_token=request.headers.get(IDEMPOTENCY_HEADER),
    )
    result = await _in_transaction(request, runtime, telephony.record_status, webhook, step=SPAN_CALL_STATUS)
    await _deliver(request, runtime, result)
    return Response(status_code=204)


@router.post(
    "/amd",
    status_code=204,
    response_class=Response,
    responses=_RESPONSES,
    summary="Twilio asynchronous answering-machine detection result",
    openapi_extra=_form(["CallSid", "AnsweredBy"], ["MachineDetectionDuration", "AccountSid"]),
)
async def amd(request: Request, runtime: RuntimeDep) -> Response:
    form = await signed_form(request, runtime.settings)
    webhook = AmdWebhook(
        call_sid=_required(form, "CallSid"),
        answered_by=_required(form, "AnsweredBy")[:32],
        call_id=_call_id(request),
        detection_ms=_integer(form, "MachineDetectionDuration"),
        idempotency_token=request.headers.get(IDEMPOTENCY_HEADER),
    )
    result = await _in_transaction(request, runtime, telephony.record_amd, webhook)
    if result.action != "none":
        adapter = _adapter(request, runtime.settings)
        try:
            if adapter is None:
                raise ExternalServiceError("no Twilio adapter", service="twilio", is_transient=False)
            if result.action == "voicemail":
                await asyncio.to_thread(adapter.redirect, webhook.call_sid, message_twiml(result.say))
            else:
                await asyncio.to_thread(adapter.hang_up, webhook.call_sid)
        except ExternalServiceError as exc:
            # The call stays with the agent, which leaves the voicemail itself; the disposition is stored.
            logger.warning("call %s: %s after AMD failed: %s", result.call_id, result.action, exc.message)
    return Response(status_code=204)


@router.post(
    "/recording",
    status_code=204,
    response_class=Response,
    responses=_RESPONSES,
    summary="Twilio recording status callback",
    openapi_extra=_form(
        ["CallSid", "RecordingSid"],
        ["RecordingStatus", "RecordingUrl", "RecordingDuration", "RecordingChannels", "AccountSid"],
    ),
)
async def recording(request: Request, runtime: RuntimeDep) -> Response:
    form = await signed_form(request, runtime.settings)
    webhook = RecordingWebhook(
        call_sid=_required(form, "CallSid"),
        recording_sid=_required(form, "RecordingSid"),
        recording_status=_optional(form, "RecordingStatus") or "completed",
        recording_url=_optional(form, "RecordingUrl"),
        duration_seconds=_integer(form, "RecordingDuration"),
        call_id=_call_id(request),
        idempotency_token=request.headers.get(IDEMPOTENCY_HEADER),
    )
    await _in_transaction(request, runtime, telephony.record_recording, webhook)
    return Response(status_code=204)
