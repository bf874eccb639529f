"""The agent's record-keeping vocabulary: the event types and tool names it writes into a call's transcript,
and the live session state it keeps in the cache. The auditor and the UI read calls through these names."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from shared.domain import CallOutcome


class AgentEvent(StrEnum):
    """`event_type` of EVENT (and GUARD) transcript entries written by the agent host."""

    CALL_STARTED = "call_started"
    DISCLOSURE = "disclosure"  # text: the DisclosureKind given
    VERIFIED = "verified"
    VERIFICATION_FAILED = "verification_failed"
    VERIFICATION_LOCKED = "verification_locked"
    WRONG_PARTY = "wrong_party"
    CARD_CAPTURE_STARTED = "card_capture_started"
    CARD_CAPTURE_ENDED = "card_capture_ended"
    GUARD_INTERVENTION = "guard_intervention"
    LEGAL_EVENT = "legal_event"  # text: the LegalEventKind heard; details: what was recorded
    BRAIN_FALLBACK = "brain_fallback"  # text: why the model was dropped (timeout, http_500, http_429, ...)
    DISPOSITION = "disposition"  # text: the outcome
    CALL_ENDED = "call_ended"  # text: why (agent ended, transferred, websocket closed)


class ToolName(StrEnum):
    """The agent's tools, as they appear in `tool_name` of TOOL transcript entries."""

    VERIFY_IDENTITY = "verify_identity"
    GIVE_DISCLOSURES = "give_disclosures"
    GET_ACCOUNT_SUMMARY = "get_account_summary"
    GET_PAYMENT_OPTIONS = "get_payment_options"
    EVALUATE_COUNTER_OFFER = "evaluate_counter_offer"
    CONFIRM_ARRANGEMENT = "confirm_arrangement"
    TAKE_PAYMENT = "take_payment"
    TRANSFER_TO_HUMAN = "transfer_to_human"
    SCHEDULE_CALLBACK = "schedule_callback"
    RECORD_DISPUTE = "record_dispute"
    RECORD_CEASE_REQUEST = "record_cease_request"
    RECORD_HARDSHIP = "record_hardship"
    LEAVE_VOICEMAIL = "leave_voicemail"
    END_CALL = "end_call"


class SessionState(BaseModel):
    """A call's live state, kept in the cache under `agent:session:{call_id}` with a 10-minute TTL that
    every turn refreshes. Masked: no verification answers, no card data."""

    call_id: uuid.UUID
    organization_id: uuid.UUID
    customer_id: uuid.UUID | None
    brain: str
    stage: str
    verified: bool
    failed_verification_attempts: int
    disclosures: list[str] = Field(default_factory=list)
    turns: int = 0
    outcome: CallOutcome | None = None
    card_capture: bool = False
    updated_at: datetime


def session_key(call_id: uuid.UUID) -> str:
    return f"agent:session:{call_id}"


SESSION_TTL_SECONDS = 600
