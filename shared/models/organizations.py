"""Organizations (tenants), their typed settings, and API keys."""

from __future__ import annotations

import uuid
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from shared.domain import Role
from shared.models.common import PhoneNumber, PublicSchema, Schema

# Federal baseline (FDCPA 805(a)(1)): no calls before 8 a.m. or after 9 p.m. in the consumer's local time.
EARLIEST_CALL = time(8, 0)
LATEST_CALL = time(21, 0)
_LOCAL_TIME_SCHEMA: dict[str, Any] = {
    "format": "partial-time",
    "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?$",
    "examples": ["08:00", "20:30"],
}


class CallingWindow(Schema):
    """Local-time window for calls; an organization may narrow the federal 08:00-21:00, never widen it."""

    # JSON Schema's "time" format is RFC 3339's, which requires an offset; these are wall-clock times.
    start: time = Field(default=EARLIEST_CALL, json_schema_extra=_LOCAL_TIME_SCHEMA)
    end: time = Field(default=LATEST_CALL, json_schema_extra=_LOCAL_TIME_SCHEMA)

    @field_validator("start", "end")
    @classmethod
    def _local_time(cls, value: time) -> time:
        # A window is read in each consumer's own zone: an offset ("09:00Z") means nothing here.
        if value.tzinfo is not None:
            raise ValueError("a local time without an offset, e.g. 09:00")
        return value

    @model_validator(mode="after")
    def _inside_federal_window(self) -> CallingWindow:
        if self.start < EARLIEST_CALL:
            raise ValueError("start must not be before 08:00 local time")
        if self.end > LATEST_CALL:
            raise ValueError("end must not be after 21:00 local time")
        if self.start >= self.end:
            raise ValueError("start must be before end")
        return self


class OrganizationSettings(Schema):
    """What an organization configures about how Archer calls on its behalf."""

    timezone: str = "America/New_York"  # where campaign schedules are read
    calling_window: CallingWindow = Field(default_factory=CallingWindow)
    retention_days: int = Field(default=1095, ge=30, le=3650)  # transcripts and recordings
    recording_enabled: bool = True
    business_name: str | None = Field(default=None, max_length=100)  # said in voicemails; no debt wording
    agent_name: str = Field(default="Alex", min_length=1, max_length=40)
    caller_id_number: PhoneNumber | None = None
    callback_number: PhoneNumber | None = None
    transfer_number: PhoneNumber | None = None
    # State rules stricter than Regulation F's 7-in-7: initiated calls allowed per 7 days.
    state_weekly_call_limits: dict[str, int] = Field(default_factory=lambda: {"MA": 2})

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r}") from None
        return value


class OrganizationCreate(Schema):
    name: str = Field(min_length=1, max_length=100)
    settings: OrganizationSettings = Field(default_factory=OrganizationSettings)


class OrganizationUpdate(Schema):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    settings: OrganizationSettings | None = None


class OrganizationPublic(PublicSchema):
    id: uuid.UUID
    name: str
    settings: OrganizationSettings
    created_at: datetime
    updated_at: datetime


class ApiKeyCreate(Schema):
    name: str = Field(min_length=1, max_length=100)
    role: Role = Role.OPERATOR


class ApiKeyPublic(PublicSchema):
    id: uuid.UUID
    organization_id: uuid.UUID
    name: str
    prefix: str
    role: Role
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyPublic):
    """Returned once, at creation: the only time the key itself is shown."""

    key: str


class OrganizationCreated(PublicSchema):
    organization: OrganizationPublic
    api_key: ApiKeyCreated
