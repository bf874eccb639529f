"""Calls service: ordered records, one outcome per call, filtered cursor pages, organization scoping; live
events round-trip through the bus."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from shared.domain import CallDirection, CallOutcome, CallStatus, CallType, Speaker, TranscriptEntryType
from shared.errors import NotFound
from shared.integrations.cache import InMemoryCache, RedisCache
from shared.models.calls import CallCreate, CallFilters, TranscriptEntryCreate
from shared.models.events import CallTranscript, channel_for
from shared.services import calls, live
from tests.factories import make_customer, make_org

T0 = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def _call(session: Session, org_id: uuid.UUID, customer_id: uuid.UUID | None, **overrides: object):  # type: ignore[no-untyped-def]
    values: dict[str, object] = {
        "call_type": CallType.CAMPAIGN,
        "direction": CallDirection.OUTBOUND,
        "customer_id": customer_id,
        "start_time": T0,
    }
    values.update(overrides)
    return calls.create_call(session=session, org_id=org_id, call_in=CallCreate.model_validate(values))


def test_entries_are_ordered_and_the_first_outcome_wins(session: Session) -> None:
    """Entries get consecutive sequence numbers; finalizing twice keeps the first outcome and end time."""
    org = make_org(session)
    customer = make_customer(session, org)
    call = _call(session, org.id, customer.id)
    for text in ("This call is recorded.", "Hello?", "Am I speaking with Avery?"):
        speaker = Speaker.CUSTOMER if text == "Hello?" else Speaker.AGENT
        calls.append_entry(
            session=session,
            org_id=org.id,
            call_id=call.id,
            entry_in=TranscriptEntryCreate(
                entry_type=TranscriptEntryType.TRANSCRIPT, speaker=speaker, text=text
            ),
        )
    first = calls.finalize_call(
        session=session,
        org_id=org.id,
        call_id=call.id,
        outcome=CallOutcome.REFUSED,
        ended_at=T0 + timedelta(minutes=2),
    )
    again = calls.finalize_call(
        session=session, org_id=org.id, call_id=call.id, outcome=CallOutcome.ABANDONED
    )
    assert (first.outcome, again.outcome) == (CallOutcome.REFUSED, CallOutcome.REFUSED)
    assert again.duration_seconds == 120 and again.end_time == T0 + timedelta(minutes=2)
    detail = calls.get_call_detail(session=session, org_id=org.id, call_id=call.id)
    assert [entry.sequence for entry in detail.transcript] == [0, 1, 2]
    assert detail.transcript[1].text == "Hello?"


def test_calls_of_another_organization_are_not_found(session: Session) -> None:
    mine, theirs = make_org(session), make_org(session)
    call = _call(session, mine.id, make_customer(session, mine).id)
    with pytest.raises(NotFound):
        calls.get_call(session=session, org_id=theirs.id, call_id=call.id)
    with pytest.raises(NotFound):
        calls.append_entry(
            session=session,
            org_id=theirs.id,
            call_id=call.id,
            entry_in=TranscriptEntryCreate(entry_type=TranscriptEntryType.EVENT, event_type="x"),
        )
    with pytest.raises(NotFound):
        _call(session, theirs.id, make_customer(session, mine).id)  # another organization's customer
    assert calls.list_calls(session=session, org_id=theirs.id).count == 0


def test_list_filters_and_pages_newest_first(session: Session) -> None:
    """Filters combine; pages are newest first and cover every call once."""
    org = make_org(session)
    customer = make_customer(session, org)
    made = []
    for n in range(5):
        made.append(
            _call(
                session,
                org.id,
                customer.id,
                start_time=T0 + timedelta(minutes=n),
                status=CallStatus.COMPLETED,
            )
        )
    _call(session, org.id, None, direction=CallDirection.INBOUND, call_type=CallType.CALLBACK)
    calls.finalize_call(
        session=session, org_id=org.id, call_id=made[1].id, outcome=CallOutcome.PROMISE_TO_PAY
    )

    assert calls.list_calls(session=session, org_id=org.id).count == 6
    promised = calls.list_calls(
        session=session, org_id=org.id, filters=CallFilters(outcome=CallOutcome.PROMISE_TO_PAY)
    )
    assert [c.id for c in promised.data] == [made[1].id]
    window = CallFilters(started_from=T0 + timedelta(minutes=1), started_to=T0 + timedelta(minutes=3))
    assert {c.id for c in calls.list_calls(session=session, org_id=org.id, filters=window).data} == {
        made[1].id,
        made[2].id,
    }
    inbound = calls.list_calls(
        session=session, org_id=org.id, filters=CallFilters(direction=CallDirection.INBOUND)
    )
    assert inbound.count == 1

    outbound = CallFilters(direction=CallDirection.OUTBOUND)
    seen, cursor = [], None
    while True:
        page = calls.list_calls(session=session, org_id=org.id, filters=outbound, limit=2, cursor=cursor)
        seen += [c.id for c in page.data]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == [c.id for c in reversed(made)]


async def test_live_events_round_trip(cache: InMemoryCache | RedisCache) -> None:
    """A published event arrives on its organization's channel and parses back to the same event."""
    org_id = uuid.uuid4()
    event = CallTranscript(
        organization_id=org_id, at=T0, call_id=uuid.uuid4(), sequence=3, speaker=Speaker.AGENT, text="Hi"
    )
    async with cache.subscribe(channel_for(org_id)) as subscription:
        await live.publish(cache, event)
        message = await subscription.next(timeout=5)
    assert message is not None and live.parse(message) == event


def test_a_dial_receipt_never_moves_a_call_back(session: Session) -> None:
    """Twilio's `ringing` callback may arrive before the dialer writes its receipt (`queued`): the call stays
    ringing; a receipt ahead of the row still advances it. The lifecycle only moves forward."""
    from shared.models.campaigns import DialReceipt
    from shared.services import campaigns

    org = make_org(session)
    org_id, customer_id = org.id, make_customer(session, org).id
    ahead = _call(session, org_id, customer_id, status=CallStatus.RINGING)
    campaigns.mark_dialed(
        session=session,
        org_id=org_id,
        call_id=ahead.id,
        receipt=DialReceipt(call_sid="CA1", status=CallStatus.QUEUED),
    )
    assert calls.get_call(session=session, org_id=org_id, call_id=ahead.id).status is CallStatus.RINGING

    behind = _call(session, org_id, customer_id, status=CallStatus.QUEUED)
    campaigns.mark_dialed(
        session=session,
        org_id=org_id,
        call_id=behind.id,
        receipt=DialReceipt(call_sid="CA2", status=CallStatus.RINGING),
    )
    assert calls.get_call(session=session, org_id=org_id, call_id=behind.id).status is CallStatus.RINGING
    assert [status.rank for status in (CallStatus.QUEUED, CallStatus.IN_PROGRESS, CallStatus.COMPLETED)] == [
        0,
        3,
        4,
    ]


def test_a_record_written_before_masking_is_served_without_card_data(session: Session) -> None:
    """Keypad digits and a card number said aloud that an older agent stored unmasked are served masked by
    the call detail — while the auditor still reports the stored digits."""
    from shared.db.tables import CallTranscriptEntry

    org = make_org(session)
    customer = make_customer(session, org)
    call = _call(session, org.id, customer.id)
    old = [
        (TranscriptEntryType.DTMF, Speaker.CUSTOMER, "4242424242424242#1230#123#"),
        (TranscriptEntryType.TRANSCRIPT, Speaker.CUSTOMER, "it's four two four two four two four two four two four two four two four two"),
        (TranscriptEntryType.TRANSCRIPT, Speaker.CUSTOMER, "my zip is eight five zero zero four"),
        (TranscriptEntryType.TRANSCRIPT, Speaker.AGENT, "You can call us back at 800 555 0100."),
    ]  # fmt: skip
    # Written straight to the table, as rows from before the schema masked keypad input were.
    for sequence, (entry_type, speaker, text) in enumerate(old):
        session.add(
            CallTranscriptEntry(
                organization_id=org.id,
                call_id=call.id,
                sequence=sequence,
                timestamp=T0,
                entry_type=entry_type,
                speaker=speaker,
                text=text,
            )
        )
    session.flush()
    calls.finalize_call(session=session, org_id=org.id, call_id=call.id, outcome=CallOutcome.REFUSED)
    detail = calls.get_call_detail(session=session, org_id=org.id, call_id=call.id)
    texts = [entry.text for entry in detail.transcript]
    assert texts == [
        "*" * 26,
        "it's [card number removed]",
        "my zip is eight five zero zero four",
        "You can call us back at 800 555 0100.",
    ]
    assert detail.findings and any(f.code.value == "card_digits_in_transcript" for f in detail.findings)
