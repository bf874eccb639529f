"""Calls and their ordered record (transcript entries), as the API and the live dashboard see them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import AliasChoices, Field, model_validator

from shared.domain import (
    CallDirection,
    CallOutcome,
    CallStatus,
    CallType,
    Speaker,
    TranscriptEntryType,
)
from shared.models.common import Page, PublicSchema, Schema
from shared.models.findings import Finding


class CallCreate(Schema):
    call_type: CallType
    direction: CallDirection
    customer_id: uuid.UUID | None = None
    account_id: uuid.UUID | None = None
    campaign_id: uuid.UUID | None = None
    campaign_target_id: uuid.UUID | None = None
    call_sid: str | None = Field(default=None, max_length=100)
    from_number: str | None = Field(default=None, max_length=20)
    to_number: str | None = Field(default=None, max_length=20)
    status: CallStatus = CallStatus.QUEUED
    start_time: datetime | None = None
    brain: str | None = Field(default=None, max_length=20)
    behavioral_tactic_id: uuid.UUID | None = None
    system_prompt_id: uuid.UUID | None = None
    negotiation_policy_id: uuid.UUID | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class CallPublic(PublicSchema):
    id: uuid.UUID
    organization_id: uuid.UUID
    call_sid: str | None
    customer_id: uuid.UUID | None
    account_id: uuid.UUID | None
    campaign_id: uuid.UUID | None
    campaign_target_id: uuid.UUID | None
    call_type: CallType
    direction: CallDirection
    status: CallStatus
    outcome: CallOutcome | None
    from_number: str | None
    to_number: str | None
    start_time: datetime
    answered_at: datetime | None
    end_time: datetime | None
    duration_seconds: int | None
    answered_by: str | None
    verified: bool
    brain: str | None
    behavioral_tactic_id: uuid.UUID | None
    system_prompt_id: uuid.UUID | None
    negotiation_policy_id: uuid.UUID | None
    recording_sid: str | None
    recording_url: str | None
    recording_duration_seconds: int | None
    metadata: dict[str, Any] = Field(validation_alias=AliasChoices("call_metadata", "metadata"))
    created_at: datetime
    updated_at: datetime


class TranscriptEntryCreate(Schema):
    """One thing that happened on a call. Text and tool payloads must already be masked by the caller
    (the agent's recorder masks card digits and security codes before anything is stored)."""

    entry_type: TranscriptEntryType
    speaker: Speaker | None = None
    text: str | None = None
    tool_name: str | None = Field(default=None, max_length=50)
    tool_request: dict[str, Any] | None = None
    tool_response: dict[str, Any] | None = None
    event_type: str | None = Field(default=None, max_length=50)
    timestamp: datetime | None = None

    @model_validator(mode="after")
    def _keypad_masked(self) -> TranscriptEntryCreate:
        """Keypad input is stored masked whoever writes it: any key may be a card digit (PCI DSS 3.3)."""
        if self.entry_type is TranscriptEntryType.DTMF and self.text:
            self.text = mask_keypad(self.text)
        return self


def mask_keypad(text: str) -> str:
    """Keypad presses as they may be stored or served: every key shown as "*"."""
    return "*" * len(text)


class TranscriptEntryPublic(PublicSchema):
    id: uuid.UUID
    sequence: int
    timestamp: datetime
    entry_type: TranscriptEntryType
    speaker: Speaker | None
    text: str | None
    tool_name: str | None
    tool_request: dict[str, Any] | None
    tool_response: dict[str, Any] | None
    event_type: str | None


class CallDetail(CallPublic):
    """A call with its ordered record (speech, tool calls with their masked request and response, events,
    guard interventions: `entry_type` tells them apart) and the auditor's findings once the call has ended
    (None while it is in progress: the auditor judges whole calls)."""

    transcript: list[TranscriptEntryPublic]
    findings: list[Finding] | None = None


class CallsPage(Page[CallPublic]):
    """A page of calls. `count` is exact up to `COUNT_CAP` matching calls; beyond it `count` is the cap and
    `count_capped` is true (counting a few hundred thousand rows on every page would cost more than the page
    itself)."""

    count_capped: bool = False


class CallFilters(Schema):
    """Filters of the calls list; all optional, combined with AND."""

    status: CallStatus | None = None
    outcome: CallOutcome | None = None
    started_from: datetime | None = None
    started_to: datetime | None = None
    behavioral_tactic_id: uuid.UUID | None = None
    campaign_id: uuid.UUID | None = None
    customer_id: uuid.UUID | None = None
    direction: CallDirection | None = None
