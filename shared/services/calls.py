"""Calls and their ordered record. The agent host creates and finalizes calls and appends entries; the API
lists and reads them; Twilio's callbacks move their status."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shared.db.base import utcnow
from shared.db.tables import Call, CallTranscriptEntry, Customer
from shared.domain import CallOutcome
from shared.errors import InvalidInput, NotFound
from shared.models.calls import (
    CallCreate,
    CallDetail,
    CallFilters,
    CallPublic,
    TranscriptEntryCreate,
    TranscriptEntryPublic,
)
from shared.models.common import Page
from shared.services.pagination import clamp_limit, decode_cursor, encode_cursor


def _get_row(session: Session, org_id: uuid.UUID, call_id: uuid.UUID) -> Call:
    row = session.scalar(sa.select(Call).where(Call.organization_id == org_id, Call.id == call_id))
    if row is None:
        raise NotFound("call not found")
    return row


def create_call(
    *, session: Session, org_id: uuid.UUID, call_in: CallCreate, call_id: uuid.UUID | None = None
) -> CallPublic:
    """Create a call row; `call_id` lets a caller that already handed the id out (TwiML, SIP headers) use it."""
    if call_in.customer_id is not None:
        exists = session.scalar(
            sa.select(Customer.id).where(
                Customer.organization_id == org_id, Customer.id == call_in.customer_id
            )
        )
        if exists is None:
            raise NotFound("customer not found")
    values = call_in.model_dump(exclude={"metadata", "start_time"})
    row = Call(
        id=call_id or uuid.uuid4(),
        organization_id=org_id,
        start_time=call_in.start_time or utcnow(),
        call_metadata=call_in.metadata,
        **values,
    )
    session.add(row)
    session.flush()
    return CallPublic.model_validate(row)


def get_call(*, session: Session, org_id: uuid.UUID, call_id: uuid.UUID) -> CallPublic:
    return CallPublic.model_validate(_get_row(session, org_id, call_id))


def find_by_sid(*, session: Session, call_sid: str) -> CallPublic | None:
    """The call with Twilio's SID, whatever its organization (webhooks learn the organization from it)."""
    row = session.scalar(sa.select(Call).where(Call.call_sid == call_sid))
    return None if row is None else CallPublic.model_validate(row)


def append_entry(
    *, session: Session, org_id: uuid.UUID, call_id: uuid.UUID, entry_in: TranscriptEntryCreate
) -> TranscriptEntryPublic:
    """Append the next entry of the call's record; `sequence` orders entries within the call."""
    _get_row(session, org_id, call_id)
    last = session.scalar(
        sa.select(sa.func.max(CallTranscriptEntry.sequence)).where(CallTranscriptEntry.call_id == call_id)
    )
    values = entry_in.model_dump(exclude={"timestamp"})
    row = CallTranscriptEntry(
        organization_id=org_id,
        call_id=call_id,
        sequence=0 if last is None else last + 1,
        timestamp=entry_in.timestamp or utcnow(),
        **values,
    )
    session.add(row)
    session.flush()
    return TranscriptEntryPublic.model_validate(row)


def finalize_call(
    *,
    session: Session,
    org_id: uuid.UUID,
    call_id: uuid.UUID,
    outcome: CallOutcome,
    ended_at: datetime | None = None,
) -> CallPublic:
    """Give the call its one outcome and end time. The first outcome wins: a late duplicate never rewrites
    what the call concluded."""
    row = _get_row(session, org_id, call_id)
    if row.outcome is None:
        row.outcome = outcome
    if row.end_time is None:
        row.end_time = ended_at or utcnow()
        row.duration_seconds = max(
            0, round((row.end_time - (row.answered_at or row.start_time)).total_seconds())
        )
    session.flush()
    return CallPublic.model_validate(row)


def list_calls(
    *,
    session: Session,
    org_id: uuid.UUID,
    filters: CallFilters | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> Page[CallPublic]:
    """Newest first, cursor-paginated on (start_time, id)."""
    limit = clamp_limit(limit)
    conditions = [Call.organization_id == org_id, *_filter_conditions(filters or CallFilters())]
    count = session.scalar(sa.select(sa.func.count()).select_from(Call).where(*conditions)) or 0
    query = sa.select(Call).where(*conditions)
    if cursor:
        started, row_id = decode_cursor(cursor, parts=2)
        try:
            after, after_id = datetime.fromisoformat(started), uuid.UUID(row_id)
        except ValueError:
            raise InvalidInput(
                "cursor is not valid; use the next_cursor of a previous page", field="cursor"
            ) from None
        query = query.where(
            sa.or_(Call.start_time < after, sa.and_(Call.start_time == after, Call.id < after_id))
        )
    rows = session.scalars(query.order_by(Call.start_time.desc(), Call.id.desc()).limit(limit + 1)).all()
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1].start_time.isoformat(), rows[-1].id)
    return Page[CallPublic](
        data=[CallPublic.model_validate(row) for row in rows], count=count, next_cursor=next_cursor
    )


def _filter_conditions(filters: CallFilters) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = []
    if filters.status is not None:
        conditions.append(Call.status == filters.status)
    if filters.outcome is not None:
        conditions.append(Call.outcome == filters.outcome)
    if filters.started_from is not None:
        conditions.append(Call.start_time >= filters.started_from)
    if filters.started_to is not None:
        conditions.append(Call.start_time < filters.started_to)
    if filters.behavioral_tactic_id is not None:
        conditions.append(Call.behavioral_tactic_id == filters.behavioral_tactic_id)
    if filters.campaign_id is not None:
        conditions.append(Call.campaign_id == filters.campaign_id)
    if filters.customer_id is not None:
        conditions.append(Call.customer_id == filters.customer_id)
    if filters.direction is not None:
        conditions.append(Call.direction == filters.direction)
    return conditions


def list_entries(*, session: Session, org_id: uuid.UUID, call_id: uuid.UUID) -> list[TranscriptEntryPublic]:
    _get_row(session, org_id, call_id)
    rows = session.scalars(
        sa.select(CallTranscriptEntry)
        .where(CallTranscriptEntry.call_id == call_id)
        .order_by(CallTranscriptEntry.sequence)
    ).all()
    return [TranscriptEntryPublic.model_validate(row) for row in rows]


def get_call_detail(*, session: Session, org_id: uuid.UUID, call_id: uuid.UUID) -> CallDetail:
    call = get_call(session=session, org_id=org_id, call_id=call_id)
    return CallDetail(
        **call.model_dump(), transcript=list_entries(session=session, org_id=org_id, call_id=call_id)
    )
