"""What Twilio's webhooks tell Archer (parsed from their form fields) and what Archer decides in answer.

The routes parse and validate the signature; `shared.services.telephony` decides. Field names follow
Twilio's parameters (`CallSid` → `call_sid`, ...)."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, Field


class VoiceWebhook(BaseModel):
    """Twilio asks what to do with a call: an outbound call just answered (`call_id` in the URL) or an
    inbound call-back (`from_number` is the caller id, `to_number` the organization's number)."""

    call_sid: str
    call_id: uuid.UUID | None = None
    from_number: str | None = None
    to_number: str | None = None
    direction: str | None = None  # inbound, outbound-api, outbound-dial
    call_status: str | None = None


class StatusWebhook(BaseModel):
    """A call progress event. `sequence_number` orders the events of one call (Twilio may deliver them out
    of order); `idempotency_token` is Twilio's `I-Twilio-Idempotency-Token` header (the same on a retry)."""

    call_sid: str
    call_status: str  # Twilio's spelling: queued, initiated, ringing, in-progress, completed, busy, ...
    call_id: uuid.UUID | None = None
    sequence_number: int | None = None
    duration_seconds: int | None = Field(default=None, ge=0)
    answered_by: str | None = Field(default=None, max_length=32)
    idempotency_token: str | None = None


class AmdWebhook(BaseModel):
    """The asynchronous answering-machine result (`AnsweredBy`: human, machine_end_beep, fax, unknown, ...)."""

    call_sid: str
    answered_by: str = Field(max_length=32)
    call_id: uuid.UUID | None = None
    detection_ms: int | None = None
    idempotency_token: str | None = None


class RecordingWebhook(BaseModel):
    """A recording's status (`completed` carries its SID, URL and duration)."""

    call_sid: str
    recording_sid: str
    recording_status: str = "completed"
    recording_url: str | None = None
    duration_seconds: int | None = Field(default=None, ge=0)
    call_id: uuid.UUID | None = None
    idempotency_token: str | None = None


class VoiceAnswer(BaseModel):
    """What the voice webhook answers: bridge the caller to the agent (`sip_uri` carries the call id),
    transfer them to a person, or say `say` (a short message, no debt wording) and hang up."""

    action: Literal["bridge", "transfer", "hangup"]
    call_id: uuid.UUID | None = None
    organization_id: uuid.UUID | None = None
    sip_uri: str | None = None
    transfer_number: str | None = None
    say: str | None = None
    record: bool = False  # record the bridged leg (inbound calls; outbound ones record from calls.create)
    reasons: list[str] = Field(default_factory=list)


class CompletionEvent(BaseModel):
    """`call_completed` to raise on a campaign orchestration once the callback's transaction is committed."""

    instance_id: str
    event_name: str
    payload: dict[str, Any]


class CallbackResult(BaseModel):
    """What a status, AMD or recording callback changed. `duplicate`: seen before (same idempotency token,
    or an older sequence number), nothing written. `event`: to raise now (the call's first final status)."""

    call_id: uuid.UUID | None = None
    organization_id: uuid.UUID | None = None
    applied: bool = False
    duplicate: bool = False
    status: str | None = None
    event: CompletionEvent | None = None
    # AMD only: what to do with the live call (leave the limited-content voicemail, or hang up on a fax).
    action: Literal["none", "voicemail", "hangup"] = "none"
    say: str | None = None
