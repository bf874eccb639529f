"""`record_legal_event` on both databases: which contact preference each event becomes, who it binds (a
verified customer, whoever answered, an unknown caller's number), idempotency per call, tenancy, legal
hold, the audit trail, and clear errors for input it cannot record."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from shared.db.tables import AuditLogEntry, ContactPreference, Customer
from shared.domain import PreferenceKind
from shared.errors import InvalidInput, NotFound
from shared.models.audit import Actor
from shared.models.customers import ContactPreferenceCreate
from shared.policy.legal_events import LegalEvent, LegalEventKind, recognize
from shared.services.legal_events import record_legal_event
from tests.factories import make_account, make_call, make_customer, make_org

K = LegalEventKind
TODAY = datetime(2026, 7, 15, tzinfo=UTC).date()


def record(session: Session, customer: Customer, event: LegalEvent, **overrides: object) -> list[tuple[str, dict[str, object], str | None, uuid.UUID | None]]:  # fmt: skip
    values: dict[str, object] = {
        "session": session, "org_id": customer.organization_id, "customer_id": customer.id,
        "account_id": None, "event": event, "dialed_number": customer.phone_number, "verified": True,
        "actor": Actor.system(), "call_id": None,
    }  # fmt: skip
    values.update(overrides)
    rows = record_legal_event(**values)  # type: ignore[arg-type]
    return [(row.kind.value, row.details, row.phone_number, row.account_id) for row in rows]


def heard(text: str) -> LegalEvent:
    (event,) = recognize(text, today=TODAY)
    return event


def test_each_event_becomes_its_preference(session: Session) -> None:
    """Cease, one channel, dispute and validation on the debt, attorney, bankruptcy, death, wrong number, an
    employer forbidding calls at work and a stated period are stored as the engine's preferences with the details said."""
    org = make_org(session)
    customer = make_customer(session, org)
    debt = make_account(session, customer).id
    number = customer.phone_number
    cases = [
        ("stop calling me", {}, [("cease_contact", {"channel": "all"}, None, None)]),
        ("only contact me in writing", {}, [("cease_contact", {"channel": "phone"}, None, None)]),
        ("i already paid that", {"account_id": debt}, [("dispute", {"reason": "already_paid"}, None, debt)]),
        ("send me proof", {"account_id": debt}, [("validation_request", {}, None, debt)]),
        ("my attorney's name is david cho", {}, [("attorney", {"attorney_name": "David Cho"}, None, None)]),
        ("we filed chapter thirteen", {}, [("bankruptcy", {"chapter": 13}, None, None)]),
        ("my wife died", {"verified": False}, [("deceased", {"relation": "husband"}, None, None)]),
        (
            "wrong number",
            {"verified": False},
            [("do_not_call_number", {"reason": "wrong_number"}, number, None)],
        ),
        ("dont call this number", {}, [("do_not_call_number", {"reason": "cease_number"}, number, None)]),
        (
            "this is the front desk at rio salado dental she can't take personal calls at work",
            {"verified": False},
            [("do_not_call_number", {"reason": "workplace"}, number, None)],
        ),
        (
            "don't call me before noon",
            {},
            [
                (
                    "inconvenient_time",
                    {"weekdays": list(range(7)), "start": "00:00", "end": "12:00"},
                    None,
                    None,
                )
            ],
        ),
    ]
    for text, overrides, expected in cases:
        assert record(session, customer, heard(text), **overrides) == expected, text


def test_a_cease_from_someone_not_verified_closes_only_this_number(session: Session) -> None:
    """FDCPA 805(c) needs the consumer: "stop calling me" from whoever answered closes the dialed number."""
    org = make_org(session)
    customer = make_customer(session, org)
    assert record(
        session, customer, heard("stop calling me"), verified=False, dialed_number="(602) 555-0177"
    ) == [("do_not_call_number", {"reason": "cease_number"}, "+16025550177", None)]


@pytest.mark.parametrize(
    "text",
    ["is this a real person", "let me talk to a person", "i lost my job", "call me back tomorrow",
     "i don't consent to being recorded", "he's not home", "i'm driving i can't talk right now"],
)  # fmt: skip
def test_events_that_record_nothing_here(session: Session, text: str) -> None:
    """A question, a transfer, hardship, a callback, a recording objection, a third party and "not now"
    alone store no preference (the host acts on them within the call)."""
    org = make_org(session)
    customer = make_customer(session, org)
    assert record(session, customer, heard(text)) == []
    assert session.scalar(sa.select(sa.func.count()).select_from(ContactPreference)) == 0


def test_saying_it_twice_on_one_call_adds_one_row(session: Session) -> None:
    """A caller repeating "stop calling" on one call adds one row (and one audit entry); the same request
    on another call is a new row."""
    org = make_org(session)
    customer = make_customer(session, org)
    first, second = make_call(session, customer), make_call(session, customer)
    cease = heard("stop calling me")
    for call in (first, first, second):
        assert len(record(session, customer, cease, call_id=call.id, actor=Actor.agent(call.id))) == 1
    rows = session.scalars(
        sa.select(ContactPreference).where(ContactPreference.customer_id == customer.id)
    ).all()
    assert sorted(str(row.call_id) for row in rows) == sorted([str(first.id), str(second.id)])
    assert all(row.source == "call" for row in rows)
    audited = session.scalars(
        sa.select(AuditLogEntry.action).where(AuditLogEntry.entity_id == str(customer.id))
    ).all()
    assert audited.count("contact_preference.cease_contact") == 2


def test_bankruptcy_and_death_put_the_customer_on_legal_hold_once(session: Session) -> None:
    """Retention must keep a bankrupt or deceased customer's records: the hold is set and audited once."""
    org = make_org(session)
    customer = make_customer(session, org)
    call = make_call(session, customer)
    record(session, customer, heard("i filed for bankruptcy"), call_id=call.id)
    record(session, customer, heard("he passed away in march"), call_id=call.id, verified=False)
    session.refresh(customer)
    assert customer.legal_hold is True
    updates = session.scalars(
        sa.select(AuditLogEntry.action).where(
            AuditLogEntry.entity_id == str(customer.id), AuditLogEntry.action == "customer.update"
        )
    ).all()
    assert len(updates) == 1


def test_an_unknown_callers_wrong_number_closes_the_number_for_everyone_with_it(session: Session) -> None:
    """Without a known customer, a wrong number is recorded for every customer of the organization who has
    that number on file, and for no one in another organization."""
    org, other = make_org(session), make_org(session)
    shared_number = "+16025550188"
    first = make_customer(session, org, phone_number=shared_number)
    second = make_customer(session, org, phone_number=shared_number)
    elsewhere = make_customer(session, other, phone_number=shared_number)
    rows = record_legal_event(
        session=session, org_id=org.id, customer_id=None, account_id=None, event=heard("wrong number"),
        dialed_number=shared_number, verified=False, actor=Actor.system(), call_id=None,
    )  # fmt: skip
    assert sorted(str(row.customer_id) for row in rows) == sorted([str(first.id), str(second.id)])
    assert all(
        row.kind is PreferenceKind.DO_NOT_CALL_NUMBER and row.phone_number == shared_number for row in rows
    )
    assert session.scalar(
        sa.select(sa.func.count()).where(ContactPreference.customer_id == elsewhere.id)
    ) == 0  # fmt: skip


def test_bad_input_is_refused_and_nothing_is_stored(session: Session) -> None:
    """Another organization's customer is not found; a number event without a dialable number and a
    customer-level event without a customer are refused with the field named; nothing is written."""
    org, other = make_org(session), make_org(session)
    customer = make_customer(session, org)
    with pytest.raises(NotFound):
        record(session, customer, heard("stop calling me"), org_id=other.id)
    with pytest.raises(InvalidInput) as missing:
        record(session, customer, heard("wrong number"), dialed_number=None)
    assert missing.value.field == "dialed_number"
    with pytest.raises(InvalidInput) as garbage:
        record(session, customer, heard("wrong number"), dialed_number="not a number")
    assert garbage.value.field == "dialed_number"
    with pytest.raises(InvalidInput) as nobody:
        record(session, customer, heard("i filed for bankruptcy"), customer_id=None)
    assert nobody.value.field == "customer_id"
    assert session.scalar(sa.select(sa.func.count()).select_from(ContactPreference)) == 0
    session.refresh(customer)
    assert customer.legal_hold is False


def test_a_number_never_to_dial_must_name_the_number() -> None:
    """The API refuses a do-not-call-number preference without the number it is about."""
    with pytest.raises(ValueError, match="do_not_call_number needs phone_number"):
        ContactPreferenceCreate(kind=PreferenceKind.DO_NOT_CALL_NUMBER, details={"reason": "wrong_number"})
    stored = ContactPreferenceCreate(kind=PreferenceKind.DO_NOT_CALL_NUMBER, phone_number="602 555 0111")
    assert stored.phone_number == "+16025550111"
