"""Calls (`/calls`, `/calls/{id}`, `/customers/{id}/calls`): the filtered, cursor-paginated list, newest first,
and one call's detail with its ordered transcript, tool calls, outcome and the auditor's findings. Parsing and
auth only: the queries are `shared.services.calls`."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from functions.api.deps import OrgId, SessionDep, ViewerKey
from functions.api.problem_docs import problem_responses
from shared.domain import CallDirection, CallOutcome, CallStatus
from shared.models.calls import CallDetail, CallFilters, CallsPage
from shared.services import calls
from shared.services.pagination import MAX_LIMIT

router = APIRouter(tags=["calls"])

Limit = Annotated[int | None, Query(ge=1, le=MAX_LIMIT, description="page size (default 50)")]
Cursor = Annotated[str | None, Query(max_length=500, description="`next_cursor` of the previous page")]


def _aware(value: datetime | None) -> datetime | None:
    """Query timestamps without an offset are read as UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


@router.get(
    "/calls",
    response_model=CallsPage,
    responses=problem_responses(401, 403, 422),
    summary="List calls, newest first",
)
def list_calls(
    *,
    session: SessionDep,
    org_id: OrgId,
    _key: ViewerKey,
    call_status: Annotated[CallStatus | None, Query(alias="status")] = None,
    outcome: Annotated[CallOutcome | None, Query()] = None,
    started_from: Annotated[
        datetime | None, Query(description="calls started at or after (ISO-8601)")
    ] = None,
    started_to: Annotated[datetime | None, Query(description="calls started before (ISO-8601)")] = None,
    tactic_id: Annotated[uuid.UUID | None, Query(description="the tactic version the call used")] = None,
    campaign_id: Annotated[uuid.UUID | None, Query()] = None,
    customer_id: Annotated[uuid.UUID | None, Query()] = None,
    direction: Annotated[CallDirection | None, Query()] = None,
    cursor: Cursor = None,
    limit: Limit = None,
) -> Any:
    """Filters combine with AND. `count` is exact up to 1,000 matching calls, then capped
    (`count_capped: true`)."""
    filters = CallFilters(
        status=call_status,
        outcome=outcome,
        started_from=_aware(started_from),
        started_to=_aware(started_to),
        behavioral_tactic_id=tactic_id,
        campaign_id=campaign_id,
        customer_id=customer_id,
        direction=direction,
    )
    return calls.list_calls(session=session, org_id=org_id, filters=filters, limit=limit, cursor=cursor)


@router.get(
    "/calls/{call_id}",
    response_model=CallDetail,
    responses=problem_responses(401, 403, 404, 422),
    summary="One call with its transcript and findings",
)
def get_call(call_id: uuid.UUID, session: SessionDep, org_id: OrgId, _key: ViewerKey) -> Any:
    """The ordered transcript (speech, tool calls, events, guard interventions), the outcome and, once the
    call has ended, the compliance auditor's findings."""
    return calls.get_call_detail(session=session, org_id=org_id, call_id=call_id)


@router.get(
    "/customers/{customer_id}/calls",
    response_model=CallsPage,
    responses=problem_responses(401, 403, 404, 422),
    tags=["customers"],
    summary="A customer's calls, newest first",
)
def list_customer_calls(
    customer_id: uuid.UUID,
    session: SessionDep,
    org_id: OrgId,
    _key: ViewerKey,
    cursor: Cursor = None,
    limit: Limit = None,
) -> Any:
    return calls.list_customer_calls(
        session=session, org_id=org_id, customer_id=customer_id, limit=limit, cursor=cursor
    )
