"""Seed data: the demo organization, its configuration and a realistic synthetic population — idempotent."""

from __future__ import annotations

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
from shared.seed.loader import DEMO_ORGANIZATION, seed_demo
from shared.seed.synthetic import make_customer
from shared.services import api_keys

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
    assert session.scalar(sa.select(sa.func.count()).select_from(NegotiationPolicy)) == 1


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
