"""Seed data: the demo organization, its configuration and a realistic synthetic population — idempotent."""

from __future__ import annotations

import json
import re
from collections import Counter

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shared.db.base import Base
from shared.db.tables import (
    Account,
    ApiKey,
    BehavioralTactic,
    ContactPreference,
    Customer,
    CustomerPhone,
    NegotiationPolicy,
    Organization,
    SystemPrompt,
)
from shared.domain import LineType, PreferenceKind
from shared.models.configuration import TacticConfig
from shared.policy.zones import zones_for_phone
from shared.seed.loader import DEMO_ORGANIZATION, _existing_refs, load_customers, seed_demo
from shared.seed.synthetic import generate, make_customer
from shared.services import api_keys
from tests.factories import make_org

KEY = "archer-local-dev-key"


def _row_counts(session: Session) -> dict[str, int]:
    return {
        name: session.scalar(sa.select(sa.func.count()).select_from(table)) or 0
        for name, table in Base.metadata.tables.items()
    }


def test_seed_twice_adds_nothing_the_second_time(session: Session) -> None:
    """The second run changes no table."""
    first = seed_demo(session=session, bootstrap_api_key=KEY)
    after_first = _row_counts(session)
    second = seed_demo(session=session, bootstrap_api_key=KEY)
    assert second.organization_id == first.organization_id
    assert second.rows_added == 0
    assert _row_counts(session) == after_first


def test_demo_organization_and_hashed_bootstrap_key(session: Session) -> None:
    """Demo Bank exists with the bootstrap key, stored only as its hash."""
    report = seed_demo(session=session, bootstrap_api_key=KEY, customer_count=5)
    org = session.get(Organization, report.organization_id)
    assert org is not None and org.name == DEMO_ORGANIZATION
    key_row = session.scalar(sa.select(ApiKey).where(ApiKey.organization_id == org.id))
    assert key_row is not None and key_row.key_hash == api_keys.hash_key(KEY)
    assert api_keys.authenticate(session=session, key=KEY).organization_id == org.id


def test_tactics_prompts_and_policy(session: Session) -> None:
    """At least 15 tactics in 4 archetypes with their levels, the prompts and one policy."""
    report = seed_demo(session=session, bootstrap_api_key=KEY, customer_count=0)
    rows = session.scalars(
        sa.select(BehavioralTactic).where(BehavioralTactic.organization_id == report.organization_id)
    ).all()
    assert len({row.archetype for row in rows}) == 4
    configs = [TacticConfig.model_validate(row.config) for row in rows]
    assert sum(len(config.tactics) for config in configs) >= 15
    names = {item.name for config in configs for item in config.tactics}
    assert {
        "Anchoring",
        "Loss aversion",
        "Implementation intention",
        "Social proof",
        "Genuine deadline",
    } <= names
    assert all(item.guidance for config in configs for item in config.tactics)  # truthful use is spelled out
    prompts = session.scalars(sa.select(SystemPrompt.name)).all()
    assert {"collections_agent", "voicemail"} <= set(prompts)
    policies = sa.select(sa.func.count()).where(NegotiationPolicy.organization_id == report.organization_id)
    assert session.scalar(policies) == 1


def test_synthetic_population_is_realistic_and_fictional(session: Session) -> None:
    """200+ customers over every US zone, with fictional numbers and the special cases collections meets."""
    report = seed_demo(session=session, bootstrap_api_key=KEY)
    org_id = report.organization_id
    people = session.scalars(sa.select(Customer).where(Customer.organization_id == org_id)).all()
    assert len(people) >= 200
    zones = Counter(person.timezone for person in people)
    for zone in (
        "America/New_York",
        "America/Chicago",
        "America/Denver",
        "America/Phoenix",
        "America/Los_Angeles",
        "America/Anchorage",
        "Pacific/Honolulu",
    ):
        assert zones[zone] > 0, zone
    assert None not in zones
    numbers = session.scalars(
        sa.select(CustomerPhone.number).where(CustomerPhone.organization_id == org_id)
    ).all()
    assert all(re.fullmatch(r"\+1\d{3}5550(1\d\d)", number) for number in numbers)
    assert all(person.email.endswith("@example.com") for person in people if person.email)
    assert len(set(numbers)) == len(numbers)  # nobody shares a number in the demo set

    accounts = session.scalars(sa.select(Account).where(Account.organization_id == org_id)).all()
    per_customer = Counter(account.customer_id for account in accounts)
    assert set(per_customer.values()) >= {1, 2}
    assert {account.customer_id for account in accounts} == {person.id for person in people}
    for person in people:
        mine = [a for a in accounts if a.customer_id == person.id]
        assert person.balance == sum(a.balance for a in mine)
        assert person.days_overdue == max(a.days_past_due for a in mine)

    preferences = session.scalars(
        sa.select(ContactPreference).where(ContactPreference.organization_id == org_id)
    ).all()
    kinds = Counter(preference.kind for preference in preferences)
    for kind in (PreferenceKind.CEASE_CONTACT, PreferenceKind.DISPUTE, PreferenceKind.ATTORNEY):
        assert kinds[kind] >= 1, kind
    consented = {p.phone_number for p in preferences if p.kind is PreferenceKind.PHONE_CONSENT}
    mobiles = session.scalars(
        sa.select(CustomerPhone.number).where(
            CustomerPhone.organization_id == org_id, CustomerPhone.line_type == LineType.MOBILE
        )
    ).all()
    assert any(number not in consented for number in mobiles)  # some mobiles lack TCPA consent
    phones_by_customer: dict[object, list[str]] = {}
    for phone in session.scalars(sa.select(CustomerPhone).where(CustomerPhone.organization_id == org_id)):
        phones_by_customer.setdefault(phone.customer_id, []).append(phone.number)
    multi_zone = [
        numbers
        for numbers in phones_by_customer.values()
        if len({zone for number in numbers for zone in zones_for_phone(number)}) > 1
    ]
    assert len(multi_zone) >= 5  # several numbers in different zones
    assert any(person.state == "MA" for person in people)


def test_population_is_deterministic() -> None:
    """Customer i is the same on every run, so re-seeding can tell what is missing."""
    assert make_customer(17) == make_customer(17)
    assert make_customer(17).external_ref == "DEMO-000017"
    assert make_customer(17) != make_customer(18)


def test_bulk_loader_stores_exactly_what_the_generator_made(session: Session) -> None:
    """Every value the generator made reaches the tables unchanged (COPY on PostgreSQL, executemany on
    SQLite), enums as their values and preference details as JSON documents."""
    org_id = make_org(session).id
    population = list(generate(120, ref_prefix="LOAD"))
    totals = load_customers(session=session, org_id=org_id, population=population, batch_size=50)
    assert totals["customers"] == 120
    stored = {
        customer.external_ref: customer
        for customer in session.scalars(sa.select(Customer).where(Customer.organization_id == org_id))
    }
    for item in population:
        customer = stored[item.external_ref]
        assert (customer.name, customer.phone_number, customer.email, customer.address_line1) == (
            item.name,
            item.phone_number,
            item.email,
            item.address_line1,
        )
        assert (customer.postal_code, customer.language, customer.legal_hold) == (
            item.locale.postal_code,
            item.language,
            item.legal_hold,
        )
        phones = session.scalars(
            sa.select(CustomerPhone).where(CustomerPhone.customer_id == customer.id)
        ).all()
        expected_phones = {(item.phone_number, item.primary_line_type, True)} | {
            (number, kind, False) for number, kind, _ in item.other_phones
        }
        assert {(p.number, p.line_type, p.is_primary) for p in phones} == expected_phones
        accounts = session.scalars(sa.select(Account).where(Account.customer_id == customer.id)).all()
        assert sorted(
            (
                a.external_ref,
                a.account_last_4,
                a.product,
                a.balance,
                a.past_due_amount,
                a.days_past_due,
                a.status,
            )
            for a in accounts
        ) == sorted(
            (
                a.external_ref,
                a.account_last_4,
                a.product,
                a.balance,
                a.past_due_amount,
                a.days_past_due,
                a.status,
            )
            for a in item.accounts
        )
        preferences = session.scalars(
            sa.select(ContactPreference).where(ContactPreference.customer_id == customer.id)
        ).all()
        account_refs = {a.id: a.external_ref for a in accounts}
        assert sorted(
            (
                p.kind,
                p.phone_number or "",
                json.dumps(p.details, sort_keys=True),
                account_refs.get(p.account_id),
            )
            for p in preferences
        ) == sorted(
            (
                kind,
                number or "",
                json.dumps(details, sort_keys=True),
                None if index is None else item.accounts[index].external_ref,
            )
            for kind, number, details, index in item.preferences
        )
    again = load_customers(session=session, org_id=org_id, population=population, batch_size=50)
    assert sum(again.values()) == 0


def test_existing_refs_lookup_is_one_array_parameter_on_postgres(session: Session) -> None:
    """On PostgreSQL the per-batch "which refs exist" query binds the refs as ONE array, whatever the batch
    size. An `IN` list of one parameter per ref gets prepared by psycopg after five batches, and PostgreSQL's
    generic plan for it then filters all of the organization's customers against the list for every batch:
    the 100k benchmark went from 10 s to over 70 s that way. (SQLite has no arrays: one query, a list.)"""
    postgres = session.get_bind().dialect.name == "postgresql"
    org_id = make_org(session).id
    load_customers(session=session, org_id=org_id, population=generate(30, ref_prefix="ARR"))
    lookups: list[object] = []

    def capture(_conn: object, _cursor: object, statement: str, parameters: object, *_: object) -> None:
        if "FROM customers" in statement and "external_ref" in statement:
            lookups.append(parameters)

    engine = session.get_bind()
    sa.event.listen(engine, "before_cursor_execute", capture)
    try:
        refs = [f"ARR-{index:06d}" for index in range(0, 600)]
        assert _existing_refs(session, org_id, refs) == {f"ARR-{index:06d}" for index in range(30)}
    finally:
        sa.event.remove(engine, "before_cursor_execute", capture)
    assert len(lookups) == 1
    parameters = lookups[0]
    values = list(parameters.values()) if isinstance(parameters, dict) else list(parameters)  # type: ignore[call-overload]
    if postgres:
        assert len(values) == 2 and sorted(values[1]) == refs
    else:
        assert sorted(str(value) for value in values[1:]) == refs
