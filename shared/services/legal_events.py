"""Recording the legal events a call hears (`shared.policy.legal_events`) as the contact preferences the
compliance engine honors, so the next campaign dial that would break one is refused.

One entry point, `record_legal_event`, for both brains: every row goes through
`contact_preferences.add_preference` (audited); a bankruptcy or a death also puts the customer on legal hold
(retention keeps their records; audited as a customer update). Recording is idempotent per call: a caller
saying "stop calling me" twice on one call adds one row."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shared.db.tables import ContactPreference, Customer, CustomerPhone
from shared.domain import PreferenceKind
from shared.errors import InvalidInput, NotFound
from shared.models.audit import Actor
from shared.models.common import normalize_phone
from shared.models.customers import ContactPreferenceCreate, ContactPreferencePublic, CustomerUpdate
from shared.policy.legal_events import LegalEvent, LegalEventKind
from shared.services import contact_preferences, customers

_K = LegalEventKind
# Events whose record is the dialed number itself: it can stand without a known customer.
_NUMBER_EVENTS = frozenset({_K.CEASE_NUMBER, _K.WRONG_NUMBER})
_LEGAL_HOLD = frozenset({_K.BANKRUPTCY, _K.DECEASED})


def _closes_number(event: LegalEvent, kind: LegalEventKind) -> bool:
    """The record is the dialed number: a number event, or an employer saying calls there are not allowed."""
    return kind in _NUMBER_EVENTS or (kind is _K.THIRD_PARTY and bool(event.details.get("workplace")))


def _effective_kind(event: LegalEvent, *, verified: bool) -> LegalEventKind:
    # FDCPA 805(c) needs the consumer to cease all contact; anyone may close the number they answered.
    return _K.CEASE_NUMBER if event.kind is _K.CEASE and not verified else event.kind


def _preference(
    event: LegalEvent, kind: LegalEventKind, *, account_id: uuid.UUID | None, number: str | None
) -> ContactPreferenceCreate | None:
    """The contact preference an event stands for (None: the event records nothing here)."""
    said = dict(event.details)

    def pick(*keys: str) -> dict[str, Any]:
        return {key: said[key] for key in keys if key in said}

    row: tuple[PreferenceKind, dict[str, Any], uuid.UUID | None, str | None] | None
    match kind:
        case _K.CEASE:
            row = (PreferenceKind.CEASE_CONTACT, {"channel": "all"}, None, None)
        case _K.CEASE_CHANNEL:
            row = (PreferenceKind.CEASE_CONTACT, {"channel": said.get("channel", "phone")}, None, None)
        case _K.CEASE_NUMBER | _K.WRONG_NUMBER:
            reason = "wrong_number" if kind is _K.WRONG_NUMBER else "cease_number"
            row = (PreferenceKind.DO_NOT_CALL_NUMBER, {"reason": reason}, None, number)
        case _K.THIRD_PARTY if said.get("workplace"):
            row = (PreferenceKind.DO_NOT_CALL_NUMBER, {"reason": "workplace"}, None, number)
        case _K.DISPUTE:
            row = (PreferenceKind.DISPUTE, pick("reason"), account_id, None)
        case _K.VALIDATION_REQUEST:
            row = (PreferenceKind.VALIDATION_REQUEST, {}, account_id, None)
        case _K.ATTORNEY:
            row = (PreferenceKind.ATTORNEY, pick("attorney_name", "attorney_phone"), None, None)
        case _K.BANKRUPTCY:
            row = (PreferenceKind.BANKRUPTCY, pick("chapter", "case_number"), None, None)
        case _K.DECEASED:
            details = pick("relation", "estate_contact_name", "estate_contact_phone")
            row = (PreferenceKind.DECEASED, details, None, None)
        case _K.INCONVENIENT_TIME if isinstance(said.get("period"), dict):
            row = (PreferenceKind.INCONVENIENT_TIME, dict(said["period"]), None, None)
        case _:
            row = None
    if row is None:
        return None
    preference_kind, details, account, phone = row
    return ContactPreferenceCreate(
        kind=preference_kind, account_id=account, phone_number=phone, details=details, source="call"
    )


def _dialed(number: str | None, event: LegalEvent) -> str:
    if number is None:
        raise InvalidInput(f"a {event.kind.value} event needs the dialed number", field="dialed_number")
    try:
        return normalize_phone(number)
    except ValueError as error:
        raise InvalidInput(
            f"the dialed number is not a phone number: {error}", field="dialed_number"
        ) from error


def _recorded_on_call(
    session: Session,
    org_id: uuid.UUID,
    customer_id: uuid.UUID,
    call_id: uuid.UUID,
    wanted: ContactPreferenceCreate,
) -> ContactPreferencePublic | None:
    """The same request already recorded on this call, still in force."""
    row = session.scalar(
        sa.select(ContactPreference)
        .where(
            ContactPreference.organization_id == org_id,
            ContactPreference.customer_id == customer_id,
            ContactPreference.call_id == call_id,
            ContactPreference.kind == wanted.kind,
            ContactPreference.ended_at.is_(None),
            ContactPreference.account_id.is_(None)
            if wanted.account_id is None
            else ContactPreference.account_id == wanted.account_id,
            ContactPreference.phone_number.is_(None)
            if wanted.phone_number is None
            else ContactPreference.phone_number == wanted.phone_number,
        )
        .limit(1)
    )
    return None if row is None else ContactPreferencePublic.model_validate(row)


def _customers_for(
    session: Session, org_id: uuid.UUID, customer_id: uuid.UUID | None, number: str | None
) -> list[uuid.UUID]:
    """Who the record is about: the known customer, or (a number event from an unknown caller) every
    customer of the organization with that number on file."""
    if customer_id is not None:
        found = session.scalar(
            sa.select(Customer.id).where(Customer.organization_id == org_id, Customer.id == customer_id)
        )
        if found is None:
            raise NotFound("customer not found")
        return [found]
    if number is None:
        return []
    return list(
        session.scalars(
            sa.select(CustomerPhone.customer_id)
            .where(CustomerPhone.organization_id == org_id, CustomerPhone.number == number)
            .distinct()
            .order_by(CustomerPhone.customer_id)
        )
    )


def record_legal_event(
    *,
    session: Session,
    org_id: uuid.UUID,
    customer_id: uuid.UUID | None,
    account_id: uuid.UUID | None,
    event: LegalEvent,
    dialed_number: str | None,
    verified: bool,
    actor: Actor,
    call_id: uuid.UUID | None,
) -> list[ContactPreferencePublic]:
    """Record `event` heard on a call as the contact preferences it stands for, and return them (the rows
    already recorded on this call for the same request when it is said again).

    CEASE from the verified customer stops all contact; from anyone else, like CEASE_NUMBER and
    WRONG_NUMBER, it closes the dialed number (which then needs `dialed_number`), as does THIRD_PARTY when
    someone at the customer's workplace says calls there are not allowed (details `workplace`). DISPUTE and
    VALIDATION_REQUEST concern `account_id` (all debts when None). BANKRUPTCY and DECEASED also put the
    customer on legal hold. INCONVENIENT_TIME records its stated period (nothing when only now is
    inconvenient). The other kinds record nothing here and return []. Without a known customer only a
    number event can be recorded (against every customer with that number on file); any other raises
    InvalidInput."""
    kind = _effective_kind(event, verified=verified)
    number = _dialed(dialed_number, event) if _closes_number(event, kind) else None
    wanted = _preference(event, kind, account_id=account_id, number=number)
    if wanted is None:
        return []
    if customer_id is None and number is None:
        raise InvalidInput(
            f"a {event.kind.value} event is recorded for a known customer", field="customer_id"
        )
    recorded: list[ContactPreferencePublic] = []
    for customer in _customers_for(session, org_id, customer_id, number):
        existing = None if call_id is None else _recorded_on_call(session, org_id, customer, call_id, wanted)
        recorded.append(
            existing
            or contact_preferences.add_preference(
                session=session,
                org_id=org_id,
                customer_id=customer,
                preference_in=wanted,
                actor=actor,
                call_id=call_id,
            )
        )
        if event.kind in _LEGAL_HOLD:
            _hold(session, org_id, customer, actor)
    return recorded


def _hold(session: Session, org_id: uuid.UUID, customer_id: uuid.UUID, actor: Actor) -> None:
    """Retention keeps a bankrupt or deceased customer's records; setting the hold is a customer update
    (audited), done once."""
    held = session.scalar(sa.select(Customer.legal_hold).where(Customer.id == customer_id))
    if not held:
        customers.update_customer(
            session=session,
            org_id=org_id,
            customer_id=customer_id,
            customer_in=CustomerUpdate(legal_hold=True),
            actor=actor,
        )
