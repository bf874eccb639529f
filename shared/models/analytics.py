"""The analytics summary: collection KPIs over a period, in total and grouped by day, tactic or campaign.
Every metric is defined in docs/API.md ("Analytics metrics") and computed by `shared.services.analytics`."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from shared.models.common import PublicSchema

DecimalString = str


class AnalyticsGroupBy(StrEnum):
    DAY = "day"
    TACTIC = "tactic"
    CAMPAIGN = "campaign"


class AnalyticsMetrics(PublicSchema):
    """Counts, dollars (decimal strings, two places) and rates (0 to 1; null when the denominator is 0)."""

    attempts: int = Field(description="calls placed or received (test calls excluded)")
    connects: int = Field(description="calls a person answered (completed, not voicemail or a machine)")
    conversations: int = Field(description="connects where the person engaged (not abandoned)")
    right_party_contacts: int = Field(description="calls where the customer passed identity verification")
    promises: int = Field(description="payment arrangements confirmed on the calls (not canceled)")
    kept_promises: int = Field(description="of those, arrangements kept")
    broken_promises: int = Field(description="of those, arrangements broken")
    transfers: int = Field(description="calls handed to a human (outcome transferred)")
    contained: int = Field(description="connects the agent handled to the end without a transfer")
    compliance_blocks: int = Field(description="calls the compliance engine refused to place")
    guard_interventions: int = Field(description="agent lines the output guard held back")
    dollars_promised: DecimalString = Field(
        pattern=r"^\d+\.\d{2}$", examples=["1250.00"], description="sum of promised arrangement totals"
    )
    dollars_collected: DecimalString = Field(
        pattern=r"^\d+\.\d{2}$", examples=["310.50"], description="sum of succeeded payments of the calls"
    )
    connect_rate: float | None = Field(description="connects / attempts")
    right_party_contact_rate: float | None = Field(description="right_party_contacts / connects")
    promise_to_pay_rate: float | None = Field(description="promises / right_party_contacts")
    kept_promise_rate: float | None = Field(description="kept / (kept + broken)")
    containment_rate: float | None = Field(description="contained / connects")
    transfer_rate: float | None = Field(description="transfers / connects")


class AnalyticsGroup(PublicSchema):
    """One group: `key` is the ISO date (day), the tactic name or the campaign id (`none`: calls without
    one); `label` is what to show."""

    key: str
    label: str
    metrics: AnalyticsMetrics


class AnalyticsSummary(BaseModel):
    period_start: datetime
    period_end: datetime
    group_by: AnalyticsGroupBy
    totals: AnalyticsMetrics
    groups: list[AnalyticsGroup]
