"""Live events: what the agent host and the campaign driver publish on the event bus and the Socket.IO
server forwards to the organization's room. A typed vocabulary with a `type` discriminator (as Line's
events are). Payloads carry masked text only: no card digits, no security codes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter

from shared.domain import CallDirection, CallOutcome, Speaker


class _Event(BaseModel):
    organization_id: uuid.UUID
    at: datetime


class CallStarted(_Event):
    type: Literal["call.started"] = "call.started"
    call_id: uuid.UUID
    customer_id: uuid.UUID | None
    customer_name: str | None
    direction: CallDirection
    campaign_id: uuid.UUID | None = None


class CallTranscript(_Event):
    type: Literal["call.transcript"] = "call.transcript"
    call_id: uuid.UUID
    sequence: int
    speaker: Speaker
    text: str


class CallTool(_Event):
    type: Literal["call.tool"] = "call.tool"
    call_id: uuid.UUID
    sequence: int
    tool_name: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    result: dict[str, Any] = Field(default_factory=dict)


class CallEnded(_Event):
    type: Literal["call.ended"] = "call.ended"
    call_id: uuid.UUID
    outcome: CallOutcome | None
    duration_seconds: int | None


class CampaignProgress(_Event):
    type: Literal["campaign.progress"] = "campaign.progress"
    campaign_id: uuid.UUID
    total: int
    counts: dict[str, int]  # by target status and by outcome
    percent_done: float


LiveEvent = Annotated[
    CallStarted | CallTranscript | CallTool | CallEnded | CampaignProgress, Field(discriminator="type")
]
LIVE_EVENT_ADAPTER: TypeAdapter[LiveEvent] = TypeAdapter(LiveEvent)


def channel_for(org_id: uuid.UUID) -> str:
    """The event-bus channel of one organization's live events."""
    return f"events:{org_id}"
