"""Service layer: every operation is scoped by organization, audited, and returns API models."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.orm import Session

from shared.db.tables import ApiKey, AuditLogEntry
from shared.domain import LineType, PreferenceKind, Role
from shared.errors import Conflict, InvalidInput, NotFound, Unauthorized
from shared.models.audit import Actor
from shared.models.configuration import NegotiationRules, PromptCreate, PromptUpdate, TacticUpdate
from shared.models.customers import (
    AccountCreate,
    AccountUpdate,
    ContactPreferenceCreate,
    CustomerCreate,
    CustomerUpdate,
    PhoneIn,
)
from shared.models.organizations import ApiKeyCreate, OrganizationCreate
from shared.seed.catalog import DEFAULT_NEGOTIATION_RULES
from shared.services import (
    api_keys,
    audit,
    contact_preferences,
    customers,
    organizations,
    policies,
    prompts,
    tactics,
)

ACTOR = Actor.cli()


def _org(session: Session, name: str | None = None) -> uuid.UUID:
    created = organizations.create_organization(
        session=session, org_in=OrganizationCreate(name=name or f"Bank {uuid.uuid4().hex[:8]}"), actor=ACTOR
    )
    organizations.install_defaults(session=session, org_id=created.organization.id, actor=ACTOR)
    return created.organization.id


def _customer_in(**overrides: object) -> CustomerCreate:
    values: dict[str, object] = {
        "external_ref": f"C-{uuid.uuid4().hex[:8]}",
        "name": "Jordan Ashgrove",
        "phone_number": "(602) 555-0142",
        "postal_code": "85004",
        "state": "AZ",
        "other_phones": [{"number": "+1 808 555 0101", "line_type": "mobile"}],
        "accounts": [
            {"external_ref": f"A-{uuid.uuid4().hex[:8]}", "account_last_4": "1111", "balance": "900.00",
             "past_due_amount": "100.00", "days_past_due": 40},
            {"external_ref": f"A-{uuid.uuid4().hex[:8]}", "account_last_4": "2222", "balance": "1500.50",
             "past_due_amount": "300.00", "days_past_due": 95},
        ],
    }  # fmt: skip
    values.update(overrides)
    return CustomerCreate.model_validate(values)


def test_organization_key_is_shown_once_and_stored_hashed(session: Session) -> None:
    """Creating an organization returns its admin key once; the database holds only its SHA-256."""
    created = organizations.create_organization(
        session=session, org_in=OrganizationCreate(name="Hash Bank"), actor=ACTOR
    )
    key = created.api_key.key
    assert key.startswith("ak_") and len(key) > 40
    stored = session.scalars(sa.select(ApiKey).where(ApiKey.organization_id == created.organization.id)).all()
    assert len(stored) == 1
    assert stored[0].key_hash == api_keys.hash_key(key) != key
    assert key not in {str(getattr(stored[0], c.key)) for c in ApiKey.__table__.columns}
    assert api_keys.authenticate(session=session, key=key).role is Role.ADMIN


def test_revoked_and_unknown_keys_are_refused(session: Session) -> None:
    """A revoked key, a wrong key and an empty key all fail authentication."""
    org_id = _org(session)
    extra = api_keys.create_api_key(
        session=session, org_id=org_id, key_in=ApiKeyCreate(name="ops", role=Role.VIEWER), actor=ACTOR
    )
    api_keys.revoke_api_key(session=session, org_id=org_id, key_id=extra.id, actor=ACTOR)
    for bad in (extra.key, "ak_nope", ""):
        with pytest.raises(Unauthorized):
            api_keys.authenticate(session=session, key=bad)


def test_organization_names_are_unique(session: Session) -> None:
    """A second organization with the same name is a conflict on `name`."""
    _org(session, "Twin Bank")
    with pytest.raises(Conflict) as raised:
        organizations.create_organization(
            session=session, org_in=OrganizationCreate(name="Twin Bank"), actor=ACTOR
        )
    assert raised.value.field == "name"


def test_customer_create_normalizes_and_summarizes(session: Session) -> None:
    """Phones become E.164, the address zone comes from the ZIP code, and the summary columns add up."""
    org_id = _org(session)
    detail = customers.create_customer(
        session=session, org_id=org_id, customer_in=_customer_in(), actor=ACTOR
    )
    assert detail.phone_number == "+16025550142"
    assert detail.timezone == "America/Phoenix"
    assert [(p.number, p.is_primary) for p in detail.phones] == [
        ("+16025550142", True),
        ("+18085550101", False),
    ]
    assert detail.balance == Decimal("2400.50")
    assert detail.days_overdue == 95
    assert detail.account_last_4 == "2222"  # the largest open account


def test_customers_are_invisible_to_other_organizations(session: Session) -> None:
    """Every read and write with another organization's id answers NotFound and changes nothing."""
    mine, theirs = _org(session), _org(session)
    detail = customers.create_customer(session=session, org_id=mine, customer_in=_customer_in(), actor=ACTOR)
    with pytest.raises(NotFound):
        customers.get_customer(session=session, org_id=theirs, customer_id=detail.id)
    with pytest.raises(NotFound):
        customers.update_customer(
            session=session,
            org_id=theirs,
            customer_id=detail.id,
            customer_in=CustomerUpdate(name="X"),
            actor=ACTOR,
        )
    with pytest.raises(NotFound):
        customers.delete_customer(session=session, org_id=theirs, customer_id=detail.id, actor=ACTOR)
    with pytest.raises(NotFound):
        customers.get_account(session=session, org_id=theirs, account_id=detail.accounts[0].id)
    assert customers.list_customers(session=session, org_id=theirs, query="Ashgrove").count == 0
    assert customers.find_by_phone(session=session, org_id=theirs, number="+16025550142") == []
    assert (
        customers.get_customer(session=session, org_id=mine, customer_id=detail.id).name == "Jordan Ashgrove"
    )


def test_search_by_name_phone_and_account(session: Session) -> None:
    """Search finds a customer by part of the name, any of their numbers in any format, or an account's last 4."""
    org_id = _org(session)
    detail = customers.create_customer(
        session=session, org_id=org_id, customer_in=_customer_in(), actor=ACTOR
    )
    customers.create_customer(
        session=session,
        org_id=org_id,
        customer_in=_customer_in(
            name="Avery Brackenfold", phone_number="+12125550100", other_phones=[], accounts=[]
        ),
        actor=ACTOR,
    )
    for query in ("ashgrove", "808-555-0101", "(602) 555 0142", "2222", detail.external_ref):
        page = customers.list_customers(session=session, org_id=org_id, query=query)
        assert [c.id for c in page.data] == [detail.id], query
    assert customers.list_customers(session=session, org_id=org_id, query="100%_").count == 0


def test_customer_pages_are_stable(session: Session) -> None:
    """Cursor pages cover every customer exactly once, in name order."""
    org_id = _org(session)
    for i in range(7):
        customers.create_customer(
            session=session,
            org_id=org_id,
            customer_in=_customer_in(name=f"Customer {i % 3}", other_phones=[], accounts=[]),
            actor=ACTOR,
        )
    seen, cursor = [], None
    while True:
        page = customers.list_customers(session=session, org_id=org_id, limit=3, cursor=cursor)
        assert page.count == 7
        seen += page.data
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len({c.id for c in seen}) == 7
    assert [c.name for c in seen] == sorted(c.name for c in seen)
    with pytest.raises(InvalidInput):
        customers.list_customers(session=session, org_id=org_id, cursor="garbage!")


def test_account_changes_refresh_the_summary_and_are_audited(session: Session) -> None:
    """Updating or adding an account updates the customer's totals; each change has an audit entry."""
    org_id = _org(session)
    detail = customers.create_customer(
        session=session, org_id=org_id, customer_in=_customer_in(), actor=ACTOR
    )
    customers.update_account(
        session=session,
        org_id=org_id,
        account_id=detail.accounts[1].id,
        account_in=AccountUpdate(status="paid_in_full", balance=Decimal("0"), past_due_amount=Decimal("0")),
        actor=ACTOR,
    )
    customers.create_account(
        session=session,
        org_id=org_id,
        customer_id=detail.id,
        account_in=AccountCreate(
            external_ref="A-NEW", account_last_4="3333", balance=Decimal("50"), days_past_due=10
        ),
        actor=ACTOR,
    )
    after = customers.get_customer(session=session, org_id=org_id, customer_id=detail.id)
    assert after.balance == Decimal("950.00")
    assert after.days_overdue == 40
    actions = [
        e.action for e in audit.list_entries(session=session, org_id=org_id, entity_type="account").data
    ]
    assert sorted(actions) == ["account.create", "account.update"]
    update = audit.list_entries(session=session, org_id=org_id, action="account.update").data[0]
    assert update.before["status"] == "active" and update.after["status"] == "paid_in_full"


def test_duplicate_refs_are_conflicts_on_the_field(session: Session) -> None:
    """A repeated customer or account reference is refused, naming the field, and stores nothing."""
    org_id = _org(session)
    first = _customer_in()
    customers.create_customer(session=session, org_id=org_id, customer_in=first, actor=ACTOR)
    with pytest.raises(Conflict) as raised:
        customers.create_customer(session=session, org_id=org_id, customer_in=first, actor=ACTOR)
    assert raised.value.field == "external_ref"
    clash = _customer_in(accounts=[first.accounts[0].model_dump()])
    with pytest.raises(Conflict) as raised:
        customers.create_customer(session=session, org_id=org_id, customer_in=clash, actor=ACTOR)
    assert raised.value.field == "accounts[0].external_ref"
    assert customers.list_customers(session=session, org_id=org_id).count == 1


def test_input_validation_names_the_field() -> None:
    """Bad phone numbers, postal codes and money are refused by the schema with the field named."""
    for field, value in (("phone_number", "12"), ("postal_code", "ABCDE"), ("state", "Arizona")):
        with pytest.raises(ValidationError) as raised:
            _customer_in(**{field: value})
        assert raised.value.errors()[0]["loc"][0] == field
    with pytest.raises(ValidationError):
        AccountCreate(external_ref="A", account_last_4="12", balance=Decimal("1"))
    with pytest.raises(ValidationError):
        AccountCreate(
            external_ref="A", account_last_4="1234", balance=Decimal("1"), past_due_amount=Decimal("2")
        )


def test_delete_customer_is_audited(session: Session) -> None:
    """Deleting a customer removes it and records who did it, with the before picture."""
    org_id = _org(session)
    detail = customers.create_customer(
        session=session, org_id=org_id, customer_in=_customer_in(), actor=ACTOR
    )
    customers.delete_customer(session=session, org_id=org_id, customer_id=detail.id, actor=ACTOR)
    with pytest.raises(NotFound):
        customers.get_customer(session=session, org_id=org_id, customer_id=detail.id)
    entry = audit.list_entries(session=session, org_id=org_id, action="customer.delete").data[0]
    assert entry.before is not None and entry.before["name"] == "Jordan Ashgrove"
    assert entry.actor_type.value == "cli"


def test_add_phone_refuses_duplicates(session: Session) -> None:
    org_id = _org(session)
    detail = customers.create_customer(
        session=session, org_id=org_id, customer_in=_customer_in(), actor=ACTOR
    )
    customers.add_phone(
        session=session,
        org_id=org_id,
        customer_id=detail.id,
        phone_in=PhoneIn(number="+19075550111", line_type=LineType.MOBILE),
        actor=ACTOR,
    )
    with pytest.raises(Conflict):
        customers.add_phone(
            session=session,
            org_id=org_id,
            customer_id=detail.id,
            phone_in=PhoneIn(number="907 555 0111"),
            actor=ACTOR,
        )


def test_tactic_updates_create_versions(session: Session) -> None:
    """An update inserts version n+1; the old version stays readable by id; lists show the newest."""
    org_id = _org(session)
    v1 = tactics.get_current_tactic(session=session, org_id=org_id, name="empathetic_partner")
    v2 = tactics.update_tactic(
        session=session,
        org_id=org_id,
        name="empathetic_partner",
        tactic_in=TacticUpdate(description="v2"),
        actor=ACTOR,
    )
    assert (v1.version, v2.version) == (1, 2)
    assert v2.config == v1.config and v2.description == "v2"
    assert tactics.get_tactic(session=session, org_id=org_id, tactic_id=v1.id).description != "v2"
    current = {t.name: t.version for t in tactics.list_tactics(session=session, org_id=org_id)}
    assert current["empathetic_partner"] == 2
    assert [
        t.version for t in tactics.tactic_history(session=session, org_id=org_id, name="empathetic_partner")
    ] == [
        2,
        1,
    ]


def test_prompt_templates_must_declare_their_variables(session: Session) -> None:
    """A template using an undeclared variable is refused; rendering without a value names the variable."""
    org_id = _org(session)
    with pytest.raises(ValidationError, match="undeclared variables: balance"):
        PromptCreate(name="p", prompt_template="Hello {name}, you owe {balance}", variables={"name": "x"})
    with pytest.raises(InvalidInput, match="nobody") as raised:
        prompts.update_prompt(
            session=session,
            org_id=org_id,
            name="voicemail",
            prompt_in=PromptUpdate(prompt_template="Call {nobody}"),
            actor=ACTOR,
        )
    assert raised.value.field == "prompt_template"
    with pytest.raises(InvalidInput, match="callback_number"):
        prompts.render("Call {callback_number}", {})
    rendered = prompts.render(
        prompts.get_current_prompt(session=session, org_id=org_id, name="voicemail").prompt_template,
        {"agent_name": "Alex", "business_name": "Demo Bank", "callback_number": "(800) 555-0100"},
    )
    assert "debt" not in rendered.lower() and "Alex" in rendered


def test_negotiation_policy_is_validated_and_versioned(session: Session) -> None:
    """A floor above 100 % is refused; a valid change is stored as the next version."""
    org_id = _org(session)
    bad = DEFAULT_NEGOTIATION_RULES.model_dump()
    bad["settlement_floors"][1]["floor_pct"] = "120"
    with pytest.raises(ValidationError, match="settlement_floors"):
        NegotiationRules.model_validate(bad)
    changed = DEFAULT_NEGOTIATION_RULES.model_copy(update={"max_installments": 6})
    stored = policies.put_policy(session=session, org_id=org_id, rules=changed, actor=ACTOR)
    assert stored.version == 2
    assert policies.get_active_policy(session=session, org_id=org_id).rules.max_installments == 6


def test_contact_preferences_take_effect_and_end_with_history(session: Session) -> None:
    """A cease request is active at once; ending it keeps the row with its end time."""
    org_id = _org(session)
    detail = customers.create_customer(
        session=session, org_id=org_id, customer_in=_customer_in(), actor=ACTOR
    )
    cease = contact_preferences.add_preference(
        session=session,
        org_id=org_id,
        customer_id=detail.id,
        preference_in=ContactPreferenceCreate(kind=PreferenceKind.CEASE_CONTACT),
        actor=ACTOR,
    )
    active = contact_preferences.list_preferences(
        session=session, org_id=org_id, customer_id=detail.id, active_only=True
    )
    assert [p.kind for p in active] == [PreferenceKind.CEASE_CONTACT]
    contact_preferences.end_preference(session=session, org_id=org_id, preference_id=cease.id, actor=ACTOR)
    assert (
        contact_preferences.list_preferences(
            session=session, org_id=org_id, customer_id=detail.id, active_only=True
        )
        == []
    )
    assert (
        len(contact_preferences.list_preferences(session=session, org_id=org_id, customer_id=detail.id)) == 1
    )
    with pytest.raises(ValidationError, match="phone_number"):
        ContactPreferenceCreate(kind=PreferenceKind.PHONE_CONSENT, details={"status": "granted"})


def test_every_change_is_audited_in_its_own_organization(session: Session) -> None:
    """Audit entries are written per change and listed only to their organization."""
    mine, theirs = _org(session), _org(session)
    customers.create_customer(session=session, org_id=mine, customer_in=_customer_in(), actor=ACTOR)
    assert audit.list_entries(session=session, org_id=mine, action="customer.create").count == 1
    assert audit.list_entries(session=session, org_id=theirs, action="customer.create").count == 0
    total = session.scalar(sa.select(sa.func.count()).select_from(AuditLogEntry)) or 0
    assert total >= 2
