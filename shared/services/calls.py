"""Calls and their ordered record. The agent host creates and finalizes calls and appends entries; the API
lists and reads them; Twilio's callbacks move their status."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shared.db.base import utcnow
from shared.db.tables import Call, CallTranscriptEntry, Customer
from shared.domain import CallOutcome, CallStatus, Speaker, TranscriptEntryType
from shared.errors import InvalidInput, NotFound
from shared.models.calls import (
    CallCreate,
    CallDetail,
    CallFilters,
    CallPublic,
    CallsPage,
    TranscriptEntryCreate,
    TranscriptEntryPublic,
    mask_keypad,
)
from shared.policy.card_data import redact_card_data
from shared.services.pagination import COUNT_CAP, capped_count, clamp_limit, decode_cursor, encode_cursor


def _get_row(session: Session, org_id: uuid.UUID, call_id: uuid.UUID) -> Call:
    row = session.scalar(sa.select(Call).where(Call.organization_id == org_id, Call.id == call_id))
    if row is None:
        raise NotFound("call not found")
    return row


def create_call(
    *,
    session: Session,
    org_id: uuid.UUID,
    call_in: CallCreate,
    call_id: uuid.UUID | None = None,
    customer_known: bool = False,
) -> CallPublic:
    """Create a call row; `call_id` lets a caller that already handed the id out (TwiML, SIP headers) use it.
    `customer_known`: the caller found the customer in this organization itself."""
    if call_in.customer_id is not None and not customer_known:
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


def append_entries(
    *,
    session: Session,
    org_id: uuid.UUID,
    call_id: uuid.UUID,
    entries: Sequence[TranscriptEntryCreate],
    returning: bool = True,
    first_sequence: int | None = None,
    known_call: bool = False,
) -> list[TranscriptEntryPublic]:
    """Append several entries in order with one lookup and one flush (the agent host writes a turn's
    entries in a batch, off its event loop). `returning=False` inserts in one statement and returns
    nothing (the agent's recorder has no use for the rows). `first_sequence`: the writer numbers the
    entries itself (the unique (call, sequence) constraint refuses a clash); else they follow the last."""
    if not entries:
        return []
    # `known_call`: the writer set the call up in this organization itself (the agent's recorder, once per
    # turn) — the lookup would only cost a round trip; the foreign key still refuses a call that is gone.
    if not known_call:
        exists = session.scalar(sa.select(Call.id).where(Call.organization_id == org_id, Call.id == call_id))
        if exists is None:
            raise NotFound("call not found")
    if first_sequence is None:
        last = session.scalar(
            sa.select(sa.func.max(CallTranscriptEntry.sequence)).where(CallTranscriptEntry.call_id == call_id)
        )
        first = 0 if last is None else last + 1
    else:
        first = first_sequence
    if not returning:
        now = utcnow()
        session.execute(
            sa.insert(CallTranscriptEntry),
            [
                {
                    "organization_id": org_id,
                    "call_id": call_id,
                    "sequence": first + index,
                    "timestamp": entry_in.timestamp or now,
                    **entry_in.model_dump(exclude={"timestamp"}),
                }
                for index, entry_in in enumerate(entries)
            ],
        )
        return []
    rows = [
        CallTranscriptEntry(
            organization_id=org_id,
            call_id=call_id,
            sequence=first + index,
            timestamp=entry_in.timestamp or utcnow(),
            **entry_in.model_dump(exclude={"timestamp"}),
        )
        for index, entry_in in enumerate(entries)
    ]
    session.add_all(rows)
    session.flush()
    return [TranscriptEntryPublic.model_validate(row) for row in rows]


def begin_agent_call(
    *,
    session: Session,
    org_id: uuid.UUID,
    call_id: uuid.UUID | None,
    call_in: CallCreate,
    known_new: bool = False,
) -> CallPublic:
    """The call the agent is about to conduct: the row with `call_id` when the caller (campaign driver, test
    call, Twilio webhook) created it already — given the agent's brain and configuration versions and moved
    to in progress — else a new row. Another organization's call id is NotFound."""
    # Locked (PostgreSQL): the dialer may be writing the row's metadata at this moment (`mark_dialed`), and
    # the merge below must not drop what it wrote.
    # `known_new`: the caller looked for the row in this transaction and the customer is the organization's
    # (the agent's call setup) — neither needs asking again.
    row = session.get(Call, call_id, with_for_update=True) if call_id is not None and not known_new else None
    if row is None:
        return create_call(
            session=session, org_id=org_id, call_in=call_in, call_id=call_id, customer_known=known_new
        )
    if row.organization_id != org_id:
        raise NotFound("call not found")
    for field in (
        "customer_id",
        "account_id",
        "campaign_id",
        "campaign_target_id",
        "from_number",
        "to_number",
    ):
        if getattr(row, field) is None and getattr(call_in, field) is not None:
            setattr(row, field, getattr(call_in, field))
    row.brain = call_in.brain
    row.behavioral_tactic_id = call_in.behavioral_tactic_id
    row.system_prompt_id = call_in.system_prompt_id
    row.negotiation_policy_id = call_in.negotiation_policy_id
    row.call_metadata = {**(row.call_metadata or {}), **call_in.metadata}
    if not CallStatus(row.status).is_final:
        row.status = CallStatus.IN_PROGRESS
    session.flush()
    return CallPublic.model_validate(row)


def mark_verified(
    *, session: Session, org_id: uuid.UUID, call_id: uuid.UUID, at: datetime | None = None
) -> CallPublic:
    """Right-party verification succeeded: the call is a conversation with the consumer about the debt
    (Regulation F's 7-day rule counts from it) and, for the dashboard, answered."""
    row = _get_row(session, org_id, call_id)
    row.verified = True
    if row.answered_at is None:
        row.answered_at = at or utcnow()
    session.flush()
    return CallPublic.model_validate(row)


def update_metadata(
    *, session: Session, org_id: uuid.UUID, call_id: uuid.UUID, values: dict[str, Any]
) -> CallPublic:
    """Merge `values` into the call's metadata document (top-level keys replace)."""
    row = _get_row(session, org_id, call_id)
    row.call_metadata = {**(row.call_metadata or {}), **values}
    session.flush()
    return CallPublic.model_validate(row)


def finalize_call(
    *,
    session: Session,
    org_id: uuid.UUID,
    call_id: uuid.UUID,
    outcome: CallOutcome,
    ended_at: datetime | None = None,
    status: CallStatus | None = None,
) -> CallPublic:
    """Give the call its one outcome and end time. The first outcome wins: a late duplicate never rewrites
    what the call concluded. `status` (for calls no telephony callback will close, such as simulated
    ones) is applied unless the call already has a final status."""
    row = _get_row(session, org_id, call_id)
    if status is not None and not CallStatus(row.status).is_final:
        row.status = status
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
    count_cap: int = COUNT_CAP,
) -> CallsPage:
    """Newest first, cursor-paginated on (start_time, id). The count stops at `count_cap` matching rows: the
    rows are read from the (organization_id, start_time) index in a bounded subquery, so an organization
    with 300,000 calls pays for at most `count_cap` index entries, not a full count, on every page."""
    limit = clamp_limit(limit)
    conditions = [Call.organization_id == org_id, *_filter_conditions(filters or CallFilters())]
    count, capped = capped_count(session, sa.select(Call.id).where(*conditions), count_cap)
    query = sa.select(Call).where(*conditions)
    if cursor:
        started, row_id = decode_cursor(cursor, parts=2)
        try:
            after, after_id = datetime.fromisoformat(started), uuid.UUID(row_id)
        except ValueError:
            raise InvalidInput(
                "cursor is not valid; use the next_cursor of a previous page", field="cursor"
            ) from None
        if after.tzinfo is None:
            raise InvalidInput("cursor is not valid; use the next_cursor of a previous page", field="cursor")
        query = query.where(
            sa.or_(Call.start_time < after, sa.and_(Call.start_time == after, Call.id < after_id))
        )
    rows = session.scalars(query.order_by(Call.start_time.desc(), Call.id.desc()).limit(limit + 1)).all()
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1].start_time.isoformat(), rows[-1].id)
    return CallsPage(
        data=[CallPublic.model_validate(row) for row in rows],
        count=count,
        count_capped=capped,
        next_cursor=next_cursor,
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
    """The call, its ordered record and — once it has ended — the auditor's findings."""
    call = get_call(session=session, org_id=org_id, call_id=call_id)
    transcript = list_entries(session=session, org_id=org_id, call_id=call_id)
    findings = None
    if CallStatus(call.status).is_final or call.outcome is not None:
        from shared.services.call_review import review_call  # call_review reads calls through this module

        findings = review_call(
            session=session, org_id=org_id, call_id=call_id, call=call, transcript=transcript
        ).findings
    # Judged as stored (an old record's unmasked keypad digits are a finding), served masked.
    return CallDetail(
        **call.model_dump(), transcript=[_served(entry) for entry in transcript], findings=findings
    )


def _served(entry: TranscriptEntryPublic) -> TranscriptEntryPublic:
    """An entry as the API serves it: keypad presses masked and card data said aloud removed, also in
    records written before the agent masked them (no migration rewrites stored rows)."""
    if not entry.text:
        return entry
    if entry.entry_type is TranscriptEntryType.DTMF:
        return entry.model_copy(update={"text": mask_keypad(entry.text)})
    if entry.entry_type is TranscriptEntryType.TRANSCRIPT and entry.speaker is Speaker.CUSTOMER:
        redacted = redact_card_data(entry.text).text
        return entry if redacted == entry.text else entry.model_copy(update={"text": redacted})
    return entry


def list_customer_calls(
    *,
    session: Session,
    org_id: uuid.UUID,
    customer_id: uuid.UUID,
    limit: int | None = None,
    cursor: str | None = None,
) -> CallsPage:
    """One customer's calls, newest first; NotFound when the customer is not the organization's."""
    exists = session.scalar(
        sa.select(Customer.id).where(Customer.organization_id == org_id, Customer.id == customer_id)
    )
    if exists is None:
        raise NotFound("customer not found")
    return list_calls(
        session=session,
        org_id=org_id,
        filters=CallFilters(customer_id=customer_id),
        limit=limit,
        cursor=cursor,
    )
