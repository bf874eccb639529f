"""Compliance decisions and the Regulation F attempt ledger, as the API, the CLI and the orchestration see them.

A decision answers "may this consumer be called now, on this number?" with every reason it may not, the
candidate time zones it checked, and the next instant a call would be allowed (None when no time-based wait
helps: a cease request, a dispute, an unknown zone ...)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field

from shared.domain import AttemptResult, CallDirection
from shared.models.common import PublicSchema


class ComplianceDecision(PublicSchema):
    """`reasons` are `code: explanation` strings (`codes` holds the codes alone). `next_allowed_at` is `at`
    itself when the call is allowed now, and None when no wait makes it allowed."""

    allowed: bool
    reasons: list[str] = Field(default_factory=list)
    codes: list[str] = Field(default_factory=list)
    next_allowed_at: datetime | None
    zones: list[str] = Field(default_factory=list)
    at: datetime
    customer_id: uuid.UUID | None = None
    account_id: uuid.UUID | None = None
    phone_number: str | None = None
    # What the rules looked at: local times per zone, attempts counted, state limits, ...
    details: dict[str, Any] = Field(default_factory=dict)

    def to_cli(self) -> dict[str, Any]:
        """The four fields `archer compliance check --json` prints."""
        return {
            "allowed": self.allowed,
            "reasons": self.reasons,
            "next_allowed_at": None if self.next_allowed_at is None else self.next_allowed_at.isoformat(),
            "zones": self.zones,
        }


class CallAttemptPublic(PublicSchema):
    """One entry of the 7-in-7 ledger: an outbound attempt (answered or not) to a person about a debt."""

    id: uuid.UUID
    customer_id: uuid.UUID
    account_id: uuid.UUID | None
    call_id: uuid.UUID | None
    campaign_target_id: uuid.UUID | None
    phone_number: str
    direction: CallDirection
    attempted_at: datetime
    result: AttemptResult
    is_conversation: bool
    idempotency_key: str


class RetentionPurged(PublicSchema):
    """What one organization's purge removed: transcript entries (speech, tool payloads, events) and
    recording references of calls that ended before `cutoff`, for customers not on legal hold."""

    organization_id: uuid.UUID
    cutoff: datetime
    calls: int
    transcript_entries: int
    recordings: int
    held_back_calls: int  # calls past the cutoff kept because their customer is on legal hold


class RetentionReport(PublicSchema):
    at: datetime
    organizations: list[RetentionPurged] = Field(default_factory=list)
