"""Loads synthetic customers in bulk and seeds the demo organization. Idempotent: existing external refs are
skipped, so a second run adds no row."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from psycopg.types.json import Jsonb
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from shared.db.base import Base, utcnow
from shared.db.tables import Account, ContactPreference, Customer, CustomerPhone
from shared.domain import Role
from shared.errors import Conflict
from shared.models.audit import Actor
from shared.models.organizations import ApiKeyCreate, OrganizationCreate, OrganizationSettings
from shared.policy.zones import zone_for_postal_code
from shared.seed.synthetic import DEFAULT_SEED, SyntheticCustomer, generate, segment_for
from shared.services import api_keys, audit, customers, organizations

DEMO_ORGANIZATION = "Demo Bank"
DEMO_CUSTOMERS = 240
# What the agent says in voicemails and where it sends callers (fictional 555-01xx numbers).
DEMO_SETTINGS = OrganizationSettings(
    business_name="Demo Bank", callback_number="+18005550100", transfer_number="+18005550199"
)


@dataclass
class SeedReport:
    organization_id: uuid.UUID
    created: dict[str, int] = field(default_factory=dict)

    @property
    def rows_added(self) -> int:
        return sum(self.created.values())


def _existing_refs(session: Session, org_id: uuid.UUID, refs: list[str]) -> set[str]:
    """The refs of `refs` the organization already has. On PostgreSQL the list travels as ONE array
    parameter: an `IN ($2, ..., $2001)` list is prepared by psycopg after a few batches, and PostgreSQL's
    generic plan for it filters every customer of the organization against the unhashed list (seconds per
    batch at 50k customers, quadratic over a load); `= ANY($2)` stays an index probe per ref."""
    if session.get_bind().dialect.name == "postgresql":
        matches = Customer.external_ref == sa.any_(sa.literal(refs, type_=postgresql.ARRAY(sa.String)))
    else:
        matches = Customer.external_ref.in_(refs)
    return set(
        session.scalars(sa.select(Customer.external_ref).where(Customer.organization_id == org_id, matches))
    )


def _insert_batch(session: Session, org_id: uuid.UUID, batch: list[SyntheticCustomer]) -> dict[str, int]:
    existing = _existing_refs(session, org_id, [item.external_ref for item in batch])
    now = utcnow()
    customer_rows: list[dict[str, Any]] = []
    phone_rows: list[dict[str, Any]] = []
    account_rows: list[dict[str, Any]] = []
    preference_rows: list[dict[str, Any]] = []
    for item in batch:
        if item.external_ref in existing:
            continue
        customer_id = uuid.uuid4()
        balance, days_overdue, last4 = customers.summarize_accounts(item.accounts)
        customer_rows.append(
            {
                "id": customer_id,
                "organization_id": org_id,
                "external_ref": item.external_ref,
                "name": item.name,
                "phone_number": item.phone_number,
                "email": item.email,
                "address_line1": item.address_line1,
                "city": item.locale.city,
                "state": item.locale.state,
                "postal_code": item.locale.postal_code,
                "timezone": zone_for_postal_code(item.locale.postal_code),
                "account_last_4": last4,
                "balance": balance,
                "days_overdue": days_overdue,
                "segment": segment_for(days_overdue),
                "language": item.language,
                "legal_hold": item.legal_hold,
                "created_at": now,
                "updated_at": now,
            }
        )
        phones = [(item.phone_number, item.primary_line_type, "primary", True)]
        phones += [(number, kind, label, False) for number, kind, label in item.other_phones]
        seen: set[str] = set()
        for number, kind, label, is_primary in phones:
            if number in seen:
                continue
            seen.add(number)
            phone_rows.append(
                {
                    "id": uuid.uuid4(),
                    "organization_id": org_id,
                    "customer_id": customer_id,
                    "number": number,
                    "line_type": kind,
                    "label": label,
                    "is_primary": is_primary,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        account_ids = []
        for account in item.accounts:
            account_id = uuid.uuid4()
            account_ids.append(account_id)
            account_rows.append(
                {
                    "id": account_id,
                    "organization_id": org_id,
                    "customer_id": customer_id,
                    "external_ref": account.external_ref,
                    "account_last_4": account.account_last_4,
                    "product": account.product,
                    "original_creditor": None,
                    "balance": account.balance,
                    "past_due_amount": account.past_due_amount,
                    "minimum_payment": account.minimum_payment,
                    "days_past_due": account.days_past_due,
                    "status": account.status,
                    "currency": "USD",
                    "opened_on": account.opened_on,
                    "last_payment_on": account.last_payment_on,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        for preference_kind, consent_number, details, account_index in item.preferences:
            preference_rows.append(
                {
                    "id": uuid.uuid4(),
                    "organization_id": org_id,
                    "customer_id": customer_id,
                    "account_id": None if account_index is None else account_ids[account_index],
                    "kind": preference_kind,
                    "phone_number": consent_number,
                    "details": details,
                    "source": "import",
                    "effective_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
            )
    for table, rows in (
        (Customer.__tablename__, customer_rows),
        (CustomerPhone.__tablename__, phone_rows),
        (Account.__tablename__, account_rows),
        (ContactPreference.__tablename__, preference_rows),
    ):
        bulk_insert(session, Base.metadata.tables[table], rows)
    return {
        "customers": len(customer_rows),
        "customer_phones": len(phone_rows),
        "accounts": len(account_rows),
        "contact_preferences": len(preference_rows),
    }


def _enum_value(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def _copy_converter(column: sa.Column[Any]) -> Callable[[Any], Any] | None:
    """How a Python value of `column` is handed to COPY, decided once per column rather than once per
    cell: enums as their stored value (psycopg would dump an Enum's name), JSON documents as JSONB."""
    if isinstance(column.type, sa.Enum):
        return _enum_value
    if isinstance(column.type, sa.JSON):
        return Jsonb
    return None


def bulk_insert(session: Session, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Insert many rows fast: PostgreSQL's COPY when the session is on PostgreSQL (an order of magnitude
    quicker than INSERTs), executemany elsewhere. Rows must carry every column they need (no ORM defaults)."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(table.insert(), rows)
        return
    columns = list(rows[0])
    converters = [
        (position, converter)
        for position, column in enumerate(columns)
        if (converter := _copy_converter(table.c[column])) is not None
    ]
    driver_connection = connection.connection.driver_connection
    assert driver_connection is not None
    statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    with driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            values = [row[column] for column in columns]
            for position, converter in converters:
                if values[position] is not None:
                    values[position] = converter(values[position])
            copy.write_row(values)


def load_customers(
    *,
    session: Session,
    org_id: uuid.UUID,
    population: Iterable[SyntheticCustomer],
    batch_size: int = 1000,
    on_batch: Callable[[dict[str, int]], None] | None = None,
) -> dict[str, int]:
    """Insert the customers of `population` that the organization does not have yet, in batches.
    `on_batch` is called after each batch (the benchmark commits and reports there)."""
    totals = {"customers": 0, "customer_phones": 0, "accounts": 0, "contact_preferences": 0}
    batch: list[SyntheticCustomer] = []

    def flush() -> None:
        counts = _insert_batch(session, org_id, batch)
        for key, value in counts.items():
            totals[key] += value
        batch.clear()
        if on_batch is not None:
            on_batch(counts)

    for item in population:
        batch.append(item)
        if len(batch) >= batch_size:
            flush()
    if batch:
        flush()
    return totals


def seed_demo(
    *,
    session: Session,
    bootstrap_api_key: str | None,
    customer_count: int = DEMO_CUSTOMERS,
    seed: int = DEFAULT_SEED,
) -> SeedReport:
    """The demo organization with its bootstrap key (hashed), default configuration and synthetic customers."""
    actor = Actor.cli()
    created: dict[str, int] = {}
    existing = organizations.find_by_name(session=session, name=DEMO_ORGANIZATION)
    if existing is None:
        result = organizations.create_organization(
            session=session,
            org_in=OrganizationCreate(name=DEMO_ORGANIZATION, settings=DEMO_SETTINGS),
            actor=actor,
            api_key=bootstrap_api_key,
        )
        org_id = result.organization.id
        created["organizations"] = 1
        created["api_keys"] = 1
    else:
        org_id = existing.id
        if bootstrap_api_key:
            found = api_keys.find_by_key(session=session, key=bootstrap_api_key)
            if found is not None and found.organization_id != org_id:
                raise Conflict("ARCHER_BOOTSTRAP_API_KEY already belongs to another organization")
            if found is None:
                api_keys.create_api_key(
                    session=session,
                    org_id=org_id,
                    key_in=ApiKeyCreate(name="bootstrap admin", role=Role.ADMIN),
                    actor=actor,
                    key=bootstrap_api_key,
                )
                created["api_keys"] = 1
    for key, value in organizations.install_defaults(session=session, org_id=org_id, actor=actor).items():
        if value:
            created[key] = value
    for key, value in load_customers(
        session=session, org_id=org_id, population=generate(customer_count, seed=seed)
    ).items():
        if value:
            created[key] = value
    if created.get("customers"):
        audit.record(
            session=session,
            org_id=org_id,
            actor=actor,
            action="seed.customers",
            entity_type="organization",
            entity_id=org_id,
            after={key: value for key, value in created.items() if key != "organizations"},
        )
    session.flush()
    return SeedReport(organization_id=org_id, created=created)
