"""Analytics (`/analytics/summary`): the collection KPIs of a period by day, tactic or campaign. Parsing and auth
only: the aggregates are `shared.services.analytics`, the metric definitions are in docs/API.md."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from functions.api.deps import OrgId, RuntimeDep, ViewerKey
from functions.api.problem_docs import problem_responses
from shared.models.analytics import AnalyticsGroupBy, AnalyticsSummary
from shared.services import analytics

router = APIRouter(tags=["analytics"])


@router.get(
    "/analytics/summary",
    response_model=AnalyticsSummary,
    responses=problem_responses(401, 403, 422),
    summary="Collection KPIs by day, tactic or campaign",
)
async def analytics_summary(
    *,
    runtime: RuntimeDep,
    org_id: OrgId,
    _key: ViewerKey,
    start: Annotated[
        datetime | None,
        Query(alias="from", description="period start (ISO-8601; default: `to` minus 30 days)"),
    ] = None,
    end: Annotated[
        datetime | None, Query(alias="to", description="period end, exclusive (default: now)")
    ] = None,
    group_by: Annotated[AnalyticsGroupBy, Query()] = AnalyticsGroupBy.DAY,
) -> Any:
    """Totals and groups for the calls started in [from, to) (test calls excluded); at most 366 days. Days
    are the organization's local days. Rates are null when their denominator is 0. Without `to`, the period
    ends at the current minute; a summary is computed at most every 15 s per period and grouping (cached)."""
    return await analytics.cached_summary(
        cache=runtime.cache,
        sessions=runtime.sessions,
        org_id=org_id,
        start=start,
        end=end,
        group_by=group_by,
    )
