"""Customers with their phone numbers and accounts (debts).

The customer row's `balance`, `days_overdue` and `account_last_4` summarize its accounts; every change to an
account goes through this module, which refreshes the summary in the same transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shared.db.tables import Account, Customer, CustomerPhone, Payment
from shared.domain import AccountStatus, LineType
from shared.errors import Conflict, InvalidInput, NotFound
from shared.models.audit import Actor
from shared.models.common import normalize_phone
from shared.models.customers import (
    AccountCreate,
    AccountPublic,
    AccountUpdate,
    CustomerCreate,
    CustomerDetail,
    CustomerPublic,
    CustomersPage,
    CustomerUpdate,
    PhoneIn,
    PhonePublic,
)
from shared.policy.zones import zone_for_postal_code
from shared.services import audit
from shared.services.pagination import capped_count, clamp_limit, decode_cursor, encode_cursor

_OPEN_STATUSES = (AccountStatus.ACTIVE, AccountStatus.IN_ARRANGEMENT)


def _get_row(session: Session, org_id: uuid.UUID, customer_id: uuid.UUID) -> Customer:
    row = session.scalar(
        sa.select(Customer).where(Customer.organization_id == org_id, Customer.id == customer_id)
    )
    if row is None:
        raise NotFound("customer not found")
    return row


def _detail(session: Session, row: Customer) -> CustomerDetail:
    phones = session.scalars(
        sa.select(CustomerPhone)
        .where(CustomerPhone.customer_id == row.id)
        .order_by(CustomerPhone.is_primary.desc(), CustomerPhone.created_at, CustomerPhone.number)
    ).all()
    accounts = session.scalars(
        sa.select(Account)
        .where(Account.customer_id == row.id)
        .order_by(Account.created_at, Account.external_ref)
    ).all()
    return CustomerDetail(
        **CustomerPublic.model_validate(row).model_dump(),
        phones=[PhonePublic.model_validate(phone) for phone in phones],
        accounts=[AccountPublic.model_validate(account) for account in accounts],
    )


def _ensure_unique_ref(session: Session, org_id: uuid.UUID, external_ref: str) -> None:
    exists = session.scalar(
        sa.select(Customer.id).where(
            Customer.organization_id == org_id, Customer.external_ref == external_ref
        )
    )
    if exists is not None:
        raise Conflict(f"a customer with external_ref {external_ref!r} already exists", field="external_ref")


def _ensure_unique_account_ref(session: Session, org_id: uuid.UUID, external_ref: str, field: str) -> None:
    exists = session.scalar(
        sa.select(Account.id).where(Account.organization_id == org_id, Account.external_ref == external_ref)
    )
    if exists is not None:
        raise Conflict(f"an account with external_ref {external_ref!r} already exists", field=field)


def create_customer(
    *, session: Session, org_id: uuid.UUID, customer_in: CustomerCreate, actor: Actor, audited: bool = True
) -> CustomerDetail:
    """Create a customer with its phones and accounts. The address's time zone is derived from the postal
    code (None when unknown, which the compliance engine treats as not callable)."""
    _ensure_unique_ref(session, org_id, customer_in.external_ref)
    seen_refs: set[str] = set()
    for index, account_in in enumerate(customer_in.accounts):
        field = f"accounts[{index}].external_ref"
        if account_in.external_ref in seen_refs:
            raise Conflict(f"account external_ref {account_in.external_ref!r} is repeated", field=field)
        seen_refs.add(account_in.external_ref)
        _ensure_unique_account_ref(session, org_id, account_in.external_ref, field)
    row = Customer(
        organization_id=org_id,
        external_ref=customer_in.external_ref,
        name=customer_in.name,
        phone_number=customer_in.phone_number,
        email=customer_in.email,
        address_line1=customer_in.address_line1,
        city=customer_in.city,
        state=customer_in.state,
        postal_code=customer_in.postal_code,
        timezone=zone_for_postal_code(customer_in.postal_code),
        segment=customer_in.segment,
        language=customer_in.language,
        legal_hold=customer_in.legal_hold,
        account_last_4="0000",
        balance=Decimal("0.00"),
        days_overdue=0,
    )
    session.add(row)
    session.flush()
    numbers = {customer_in.phone_number}
    session.add(
        CustomerPhone(
            organization_id=org_id,
            customer_id=row.id,
            number=customer_in.phone_number,
            line_type=customer_in.primary_line_type,
            label="primary",
            is_primary=True,
        )
    )
    for phone in customer_in.other_phones:
        if phone.number in numbers:
            continue
        numbers.add(phone.number)
        session.add(_phone_row(org_id, row.id, phone))
    for account_in in customer_in.accounts:
        session.add(_account_row(org_id, row.id, account_in))
    session.flush()
    refresh_summary(session=session, customer=row)
    detail = _detail(session, row)
    if audited:
        audit.record(
            session=session,
            org_id=org_id,
            actor=actor,
            action="customer.create",
            entity_type="customer",
            entity_id=row.id,
            after=audit.snapshot(CustomerPublic.model_validate(row)),
        )
    return detail


def _phone_row(org_id: uuid.UUID, customer_id: uuid.UUID, phone: PhoneIn) -> CustomerPhone:
    return CustomerPhone(
        organization_id=org_id,
        customer_id=customer_id,
        number=phone.number,
        line_type=phone.line_type,
        label=phone.label,
        is_primary=False,
    )


def _account_row(org_id: uuid.UUID, customer_id: uuid.UUID, account_in: AccountCreate) -> Account:
    return Account(organization_id=org_id, customer_id=customer_id, **account_in.model_dump())


class _AccountFacts(Protocol):
    balance: Decimal
    days_past_due: int
    account_last_4: str
    status: AccountStatus


def summarize_accounts(accounts: Sequence[_AccountFacts]) -> tuple[Decimal, int, str]:
    """The customer summary (total owed, worst days past due, last 4 of the largest open account) of
    `accounts`, given oldest first."""
    open_accounts = [account for account in accounts if account.status in _OPEN_STATUSES]
    balance = sum((account.balance for account in open_accounts), Decimal("0.00"))
    days_overdue = max((account.days_past_due for account in open_accounts), default=0)
    primary = max(open_accounts, key=lambda account: account.balance, default=None) or (
        accounts[0] if accounts else None
    )
    return balance, days_overdue, primary.account_last_4 if primary else "0000"


def refresh_summary(*, session: Session, customer: Customer) -> None:
    """Recompute the customer's summary columns from its accounts."""
    accounts = session.scalars(
        sa.select(Account).where(Account.customer_id == customer.id).order_by(Account.created_at, Account.id)
    ).all()
    customer.balance, customer.days_overdue, customer.account_last_4 = summarize_accounts(accounts)
    session.flush()


def get_customer(*, session: Session, org_id: uuid.UUID, customer_id: uuid.UUID) -> CustomerDetail:
    return _detail(session, _get_row(session, org_id, customer_id))


def find_by_phone(*, session: Session, org_id: uuid.UUID, number: str) -> list[CustomerPublic]:
    """Customers reachable on `number` (any of their phones), for caller-id lookup on inbound calls."""
    try:
        normalized = normalize_phone(number)
    except ValueError:
        return []
    rows = session.scalars(
        sa.select(Customer)
        .join(CustomerPhone, CustomerPhone.customer_id == Customer.id)
        .where(Customer.organization_id == org_id, CustomerPhone.number == normalized)
        .distinct()
        .order_by(Customer.id)
    ).all()
    return [CustomerPublic.model_validate(row) for row in rows]


def list_customers(
    *,
    session: Session,
    org_id: uuid.UUID,
    query: str | None = None,
    segment: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> CustomersPage:
    """Customers by name, cursor-paginated. `query` matches a name (case-insensitive substring), a phone
    number (any of the customer's numbers, any format), an account's last 4 digits or an external ref. The
    count is exact up to 1,000 matches (`count_capped` beyond)."""
    limit = clamp_limit(limit)
    filters: list[sa.ColumnElement[bool]] = [Customer.organization_id == org_id]
    if segment:
        filters.append(Customer.segment == segment)
    if query:
        filters.append(_search_filter(org_id, query))
    count, capped = capped_count(session, sa.select(Customer.id).where(*filters))
    statement = sa.select(Customer).where(*filters)
    if cursor:
        name, row_id = decode_cursor(cursor, parts=2)
        try:
            last_id = uuid.UUID(row_id)
        except ValueError:
            raise InvalidInput(
                "cursor is not valid; use the next_cursor of a previous page", field="cursor"
            ) from None
        statement = statement.where(
            sa.or_(Customer.name > name, sa.and_(Customer.name == name, Customer.id > last_id))
        )
    rows = session.scalars(statement.order_by(Customer.name, Customer.id).limit(limit + 1)).all()
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1].name, rows[-1].id)
    return CustomersPage(
        data=[CustomerPublic.model_validate(row) for row in rows],
        count=count,
        count_capped=capped,
        next_cursor=next_cursor,
    )


_NUMBER_CHARACTERS = frozenset("0123456789+-(). ")


def _search_filter(org_id: uuid.UUID, query: str) -> sa.ColumnElement[bool]:
    """What `query` finds, each way of matching answered by an index. Text with a letter is a name
    fragment (the name's trigram index on PostgreSQL) or an external ref — both on the customers table, so
    the database ORs two index scans. Text of digits and phone punctuation is an external ref, an account's
    last 4 or any of the customer's numbers: a UNION of three small indexed lookups. (A name has no digits
    and a number no letters, so neither kind needs the other's lookups.)"""
    text = query.strip()
    if len(text) > 100:
        raise InvalidInput("search text is longer than 100 characters", field="q")
    if not text or not set(text) <= _NUMBER_CHARACTERS:
        pattern = "%" + text.lower().replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"
        return sa.or_(sa.func.lower(Customer.name).like(pattern, escape="/"), Customer.external_ref == text)
    digits = "".join(ch for ch in text if ch.isdigit())
    matches: list[sa.Select[uuid.UUID]] = [
        sa.select(Customer.id).where(Customer.organization_id == org_id, Customer.external_ref == text)
    ]
    if len(digits) == 4 and digits == text:
        matches.append(
            sa.select(Account.customer_id).where(
                Account.organization_id == org_id, Account.account_last_4 == digits
            )
        )
    if len(digits) >= 7:
        try:
            number = normalize_phone(text)
        except ValueError:
            number = None
        if number:
            matches.append(
                sa.select(CustomerPhone.customer_id).where(
                    CustomerPhone.organization_id == org_id, CustomerPhone.number == number
                )
            )
    return Customer.id.in_(sa.union(*matches))


def update_customer(
    *, session: Session, org_id: uuid.UUID, customer_id: uuid.UUID, customer_in: CustomerUpdate, actor: Actor
) -> CustomerDetail:
    row = _get_row(session, org_id, customer_id)
    before = CustomerPublic.model_validate(row)
    changes = customer_in.model_dump(exclude_unset=True)
    for field in ("name", "postal_code", "segment", "language", "legal_hold", "phone_number"):
        if field in changes and changes[field] is None:
            raise InvalidInput(f"{field} cannot be null", field=field)
    for field, value in changes.items():
        setattr(row, field, value)
    if "postal_code" in changes:
        row.timezone = zone_for_postal_code(row.postal_code)
    if "phone_number" in changes:
        _make_primary(session, org_id, row, changes["phone_number"])
    session.flush()
    after = CustomerPublic.model_validate(row)
    audit.record(
        session=session,
        org_id=org_id,
        actor=actor,
        action="customer.update",
        entity_type="customer",
        entity_id=row.id,
        before=audit.snapshot(before),
        after=audit.snapshot(after),
    )
    return _detail(session, row)


def _make_primary(session: Session, org_id: uuid.UUID, row: Customer, number: str) -> None:
    phones = session.scalars(sa.select(CustomerPhone).where(CustomerPhone.customer_id == row.id)).all()
    found = False
    for phone in phones:
        phone.is_primary = phone.number == number
        found = found or phone.is_primary
    if not found:
        session.add(
            CustomerPhone(
                organization_id=org_id,
                customer_id=row.id,
                number=number,
                line_type=LineType.UNKNOWN,
                label="primary",
                is_primary=True,
            )
        )


def delete_customer(*, session: Session, org_id: uuid.UUID, customer_id: uuid.UUID, actor: Actor) -> None:
    """Delete a customer and everything that is only theirs. Refused when payments exist: money records
    outlive the customer record."""
    row = _get_row(session, org_id, customer_id)
    if session.scalar(sa.select(Payment.id).where(Payment.customer_id == row.id).limit(1)) is not None:
        raise Conflict("customer has payments on record and cannot be deleted", field="customer_id")
    before = CustomerPublic.model_validate(row)
    try:
        with session.begin_nested():
            session.delete(row)
            session.flush()
    except sa.exc.IntegrityError:
        # The payments FK (ON DELETE RESTRICT) refused: a payment was recorded since the check above.
        raise Conflict("customer has payments on record and cannot be deleted", field="customer_id") from None
    audit.record(
        session=session,
        org_id=org_id,
        actor=actor,
        action="customer.delete",
        entity_type="customer",
        entity_id=customer_id,
        before=audit.snapshot(before),
    )


def add_phone(
    *, session: Session, org_id: uuid.UUID, customer_id: uuid.UUID, phone_in: PhoneIn, actor: Actor
) -> PhonePublic:
    row = _get_row(session, org_id, customer_id)
    exists = session.scalar(
        sa.select(CustomerPhone.id).where(
            CustomerPhone.customer_id == row.id, CustomerPhone.number == phone_in.number
        )
    )
    if exists is not None:
        raise Conflict("the customer already has this number", field="number")
    phone = _phone_row(org_id, row.id, phone_in)
    session.add(phone)
    session.flush()
    public = PhonePublic.model_validate(phone)
    audit.record(
        session=session,
        org_id=org_id,
        actor=actor,
        action="customer.phone.add",
        entity_type="customer",
        entity_id=row.id,
        after=audit.snapshot(public),
    )
    return public


def create_account(
    *, session: Session, org_id: uuid.UUID, customer_id: uuid.UUID, account_in: AccountCreate, actor: Actor
) -> AccountPublic:
    customer = _get_row(session, org_id, customer_id)
    _ensure_unique_account_ref(session, org_id, account_in.external_ref, "external_ref")
    account = _account_row(org_id, customer.id, account_in)
    session.add(account)
    session.flush()
    refresh_summary(session=session, customer=customer)
    public = AccountPublic.model_validate(account)
    audit.record(
        session=session,
        org_id=org_id,
        actor=actor,
        action="account.create",
        entity_type="account",
        entity_id=account.id,
        after=audit.snapshot(public),
    )
    return public


def _get_account_row(session: Session, org_id: uuid.UUID, account_id: uuid.UUID) -> Account:
    row = session.scalar(
        sa.select(Account).where(Account.organization_id == org_id, Account.id == account_id)
    )
    if row is None:
        raise NotFound("account not found")
    return row


def get_account(*, session: Session, org_id: uuid.UUID, account_id: uuid.UUID) -> AccountPublic:
    return AccountPublic.model_validate(_get_account_row(session, org_id, account_id))


def list_accounts(*, session: Session, org_id: uuid.UUID, customer_id: uuid.UUID) -> list[AccountPublic]:
    _get_row(session, org_id, customer_id)
    rows = session.scalars(
        sa.select(Account)
        .where(Account.organization_id == org_id, Account.customer_id == customer_id)
        .order_by(Account.created_at, Account.external_ref)
    ).all()
    return [AccountPublic.model_validate(row) for row in rows]


def update_account(
    *, session: Session, org_id: uuid.UUID, account_id: uuid.UUID, account_in: AccountUpdate, actor: Actor
) -> AccountPublic:
    row = _get_account_row(session, org_id, account_id)
    before = AccountPublic.model_validate(row)
    changes = account_in.model_dump(exclude_unset=True)
    for field in ("balance", "past_due_amount", "days_past_due", "status"):
        if field in changes and changes[field] is None:
            raise InvalidInput(f"{field} cannot be null", field=field)
    for field, value in changes.items():
        setattr(row, field, value)
    if row.past_due_amount > row.balance:
        raise InvalidInput("past_due_amount must not exceed balance", field="past_due_amount")
    session.flush()
    customer = session.get(Customer, row.customer_id)
    if customer is not None:
        refresh_summary(session=session, customer=customer)
    after = AccountPublic.model_validate(row)
    audit.record(
        session=session,
        org_id=org_id,
        actor=actor,
        action="account.update",
        entity_type="account",
        entity_id=row.id,
        before=audit.snapshot(before),
        after=audit.snapshot(after),
    )
    return after
