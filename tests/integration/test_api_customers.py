"""The customer, account and contact-preference routes over HTTP: search in every form the contract names,
roles, problem+json with the field at fault, the payments guard on delete, and an audit row with before and
after for every change."""

from __future__ import annotations

import uuid
from decimal import Decimal

import sqlalchemy as sa

from shared.db.tables import AuditLogEntry, Customer, Payment
from shared.domain import Role
from tests.api_support import API, ApiHarness, customer_body, problem_of


def audit_rows(harness: ApiHarness, action: str) -> list[AuditLogEntry]:
    with harness.session() as session:
        return list(
            session.scalars(
                sa.select(AuditLogEntry)
                .where(AuditLogEntry.organization_id == harness.org_id, AuditLogEntry.action == action)
                .order_by(AuditLogEntry.created_at)
            )
        )


async def create(api: ApiHarness, **overrides: object) -> dict[str, object]:
    response = await api.client.post(
        f"{API}/customers", json=customer_body(**overrides), headers=api.headers(Role.OPERATOR)
    )
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


async def test_an_operator_creates_a_customer_with_phones_and_accounts(api: ApiHarness) -> None:
    """The detail has the normalized primary phone, the account and the summary; the audit log has the
    customer as created. A viewer may not create."""
    viewer = await api.client.post(f"{API}/customers", json=customer_body(), headers=api.headers(Role.VIEWER))
    assert viewer.status_code == 403
    body = await create(
        api, other_phones=[{"number": "808-555-0101", "line_type": "mobile"}], email="jordan@example.com"
    )
    assert body["phone_number"] == "+16025550142" and body["timezone"] == "America/Phoenix"
    assert [p["number"] for p in body["phones"]] == ["+16025550142", "+18085550101"]  # type: ignore[attr-defined]
    assert body["balance"] == "1200.00" and body["account_last_4"] == "4321"
    [row] = audit_rows(api, "customer.create")
    assert row.entity_id == body["id"] and row.after is not None and row.after["name"] == "Jordan Ashgrove"
    got = await api.client.get(f"{API}/customers/{body['id']}", headers=api.headers(Role.VIEWER))
    assert got.status_code == 200 and got.json()["accounts"][0]["external_ref"] == "A-1001"


async def test_bad_input_is_a_problem_naming_the_field(api: ApiHarness) -> None:
    """A phone that is not one, a bad postal code, an unknown field, a repeated external ref: each is a
    problem+json naming the field, and nothing is stored."""
    for overrides, field in (
        ({"phone_number": "not-a-phone"}, "phone_number"),
        ({"postal_code": "ABCDE"}, "postal_code"),
        ({"nickname": "JJ"}, "nickname"),
    ):
        response = await api.client.post(
            f"{API}/customers", json=customer_body(**overrides), headers=api.headers(Role.OPERATOR)
        )
        assert response.status_code == 422, response.text
        problem = problem_of(response)
        assert problem["type"] == "urn:archer:problem:invalid-input" and problem["field"] == field
        assert problem["errors"][0]["field"] == field
    await create(api)
    again = await api.client.post(
        f"{API}/customers", json=customer_body(accounts=[]), headers=api.headers(Role.OPERATOR)
    )
    assert again.status_code == 409 and problem_of(again)["field"] == "external_ref"
    with api.session() as session:
        count = session.scalar(
            sa.select(sa.func.count()).select_from(Customer).where(Customer.organization_id == api.org_id)
        )
    assert count == 1


async def test_search_by_name_phone_last4_and_external_ref(api: ApiHarness) -> None:
    """`q` finds a customer by part of the name, the phone in any format, an account's last 4 or the
    external ref; `segment` filters; pages continue with the cursor."""
    jordan = await create(api)
    riley = await create(
        api,
        external_ref="C-2002",
        name="Riley Brookfield",
        phone_number="+1 808 555 0101",
        postal_code="96813",
        state="HI",
        segment="early_stage",
        accounts=[{"external_ref": "A-2002", "account_last_4": "8765", "balance": "640.50"}],
    )
    await create(api, external_ref="C-3003", name="Casey Brookline", phone_number="6025550177", accounts=[])

    async def names(**params: object) -> list[str]:
        response = await api.client.get(f"{API}/customers", params=params, headers=api.headers(Role.VIEWER))
        assert response.status_code == 200, response.text
        return [c["name"] for c in response.json()["data"]]

    assert await names(q="brook") == ["Casey Brookline", "Riley Brookfield"]
    assert await names(q="(808) 555-0101") == ["Riley Brookfield"]
    assert await names(q="808.555.0101") == ["Riley Brookfield"]
    assert await names(q="4321") == ["Jordan Ashgrove"]
    assert await names(q="C-2002") == ["Riley Brookfield"]
    assert await names(segment="early_stage") == ["Riley Brookfield"]
    assert await names(q="nobody") == []
    first = (await api.client.get(f"{API}/customers?limit=2", headers=api.headers(Role.VIEWER))).json()
    assert first["count"] == 3 and len(first["data"]) == 2 and first["next_cursor"]
    rest = (
        await api.client.get(
            f"{API}/customers", params={"limit": 2, "cursor": first["next_cursor"]}, headers=api.headers()
        )
    ).json()
    assert [c["id"] for c in first["data"]][1] == jordan["id"]  # by name: Casey, Jordan | Riley
    assert [c["id"] for c in rest["data"]] == [riley["id"]] and rest["next_cursor"] is None
    bad = await api.client.get(f"{API}/customers?limit=500", headers=api.headers())
    assert bad.status_code == 422 and problem_of(bad)["field"] == "limit"


async def test_update_and_delete_are_audited(api: ApiHarness) -> None:
    """A PATCH changes only what it names and is audited with before and after; a delete answers 204, is
    audited, and the customer is gone (404)."""
    customer = await create(api)
    url = f"{API}/customers/{customer['id']}"
    assert (
        await api.client.patch(url, json={"name": "X"}, headers=api.headers(Role.VIEWER))
    ).status_code == 403
    changed = await api.client.patch(
        url, json={"name": "Jordan A. Ashgrove", "postal_code": "96813"}, headers=api.headers(Role.OPERATOR)
    )
    assert changed.status_code == 200, changed.text
    assert (
        changed.json()["timezone"] == "Pacific/Honolulu" and changed.json()["phone_number"] == "+16025550142"
    )
    [row] = audit_rows(api, "customer.update")
    assert row.before is not None and row.after is not None
    assert (row.before["name"], row.after["name"]) == ("Jordan Ashgrove", "Jordan A. Ashgrove")
    null = await api.client.patch(url, json={"name": None}, headers=api.headers(Role.OPERATOR))
    assert null.status_code == 422 and problem_of(null)["field"] == "name"
    deleted = await api.client.delete(url, headers=api.headers(Role.OPERATOR))
    assert deleted.status_code == 204 and deleted.content == b""
    assert (await api.client.get(url, headers=api.headers())).status_code == 404
    [gone] = audit_rows(api, "customer.delete")
    assert gone.before is not None and gone.before["id"] == customer["id"] and gone.after is None


async def test_a_customer_with_payments_cannot_be_deleted(api: ApiHarness) -> None:
    """Money records outlive the customer: the delete is a 409 and the customer stays."""
    customer = await create(api)
    with api.session() as session:
        session.add(
            Payment(
                organization_id=api.org_id,
                customer_id=uuid.UUID(str(customer["id"])),
                account_id=uuid.UUID(customer["accounts"][0]["id"]),  # type: ignore[index]
                amount=Decimal("50.00"),
                gateway="sandbox",
                idempotency_key=f"test-{uuid.uuid4()}",
            )
        )
    refused = await api.client.delete(f"{API}/customers/{customer['id']}", headers=api.headers(Role.OPERATOR))
    assert refused.status_code == 409 and problem_of(refused)["type"] == "urn:archer:problem:conflict"
    assert (
        await api.client.get(f"{API}/customers/{customer['id']}", headers=api.headers())
    ).status_code == 200


async def test_accounts_are_listed_added_and_changed(api: ApiHarness) -> None:
    """A customer's accounts list as a page; adding one refreshes the customer's summary; a PATCH is audited
    and refuses a past-due amount above the balance."""
    customer = await create(api)
    added = await api.client.post(
        f"{API}/customers/{customer['id']}/accounts",
        json={"external_ref": "A-7777", "account_last_4": "7777", "balance": "2500.00", "days_past_due": 90},
        headers=api.headers(Role.OPERATOR),
    )
    assert added.status_code == 201, added.text
    page = (
        await api.client.get(f"{API}/customers/{customer['id']}/accounts", headers=api.headers(Role.VIEWER))
    ).json()
    assert page["count"] == 2 and {a["external_ref"] for a in page["data"]} == {"A-1001", "A-7777"}
    summary = (await api.client.get(f"{API}/customers/{customer['id']}", headers=api.headers())).json()
    assert (
        summary["balance"] == "3700.00"
        and summary["days_overdue"] == 90
        and summary["account_last_4"] == "7777"
    )
    account_url = f"{API}/accounts/{added.json()['id']}"
    assert (await api.client.get(account_url, headers=api.headers(Role.VIEWER))).json()[
        "balance"
    ] == "2500.00"
    refused = await api.client.patch(
        account_url, json={"past_due_amount": "9000.00"}, headers=api.headers(Role.OPERATOR)
    )
    assert refused.status_code == 422 and problem_of(refused)["field"] == "past_due_amount"
    paid = await api.client.patch(
        account_url, json={"balance": "0.00", "status": "paid_in_full"}, headers=api.headers(Role.OPERATOR)
    )
    assert paid.status_code == 200 and paid.json()["status"] == "paid_in_full"
    [row] = audit_rows(api, "account.update")
    assert row.before is not None and row.after is not None
    assert (row.before["balance"], row.after["balance"]) == ("2500.00", "0.00")
    duplicate = await api.client.post(
        f"{API}/customers/{customer['id']}/accounts",
        json={"external_ref": "A-7777", "account_last_4": "7777", "balance": "1.00"},
        headers=api.headers(Role.OPERATOR),
    )
    assert duplicate.status_code == 409 and problem_of(duplicate)["field"] == "external_ref"
    assert (await api.client.get(f"{API}/accounts/{uuid.uuid4()}", headers=api.headers())).status_code == 404


async def test_contact_preferences_are_added_listed_and_ended(api: ApiHarness) -> None:
    """A dispute is recorded, listed as active, and ended with a reason that the audit log keeps; the row
    stays as history. Phone consent without a number is a 422; a viewer may not add one."""
    customer = await create(api)
    url = f"{API}/customers/{customer['id']}/contact-preferences"
    assert (
        await api.client.post(url, json={"kind": "dispute"}, headers=api.headers(Role.VIEWER))
    ).status_code == 403
    added = await api.client.post(
        url, json={"kind": "dispute", "details": {"note": "not mine"}}, headers=api.headers(Role.OPERATOR)
    )
    assert added.status_code == 201, added.text
    consent = await api.client.post(
        url,
        json={"kind": "phone_consent", "details": {"status": "granted"}},
        headers=api.headers(Role.OPERATOR),
    )
    assert consent.status_code == 422 and problem_of(consent)["type"] == "urn:archer:problem:invalid-input"
    ended = await api.client.post(
        f"{API}/contact-preferences/{added.json()['id']}/end",
        json={"reason": "verified"},
        headers=api.headers(Role.OPERATOR),
    )
    assert ended.status_code == 200 and ended.json()["ended_at"] is not None
    listed = (await api.client.get(url, headers=api.headers(Role.VIEWER))).json()
    assert listed["count"] == 1 and listed["data"][0]["ended_at"] is not None
    active = (
        await api.client.get(url, params={"active_only": True}, headers=api.headers(Role.VIEWER))
    ).json()
    assert active["data"] == []
    [row] = audit_rows(api, "contact_preference.end")
    assert row.reason == "verified" and row.before is not None and row.before["ended_at"] is None
    assert row.after is not None and row.after["ended_at"] is not None
    bare = await api.client.post(
        f"{API}/contact-preferences/{added.json()['id']}/end", headers=api.headers(Role.OPERATOR)
    )
    assert bare.status_code == 200
    other = await create(api, external_ref="C-5005", name="Other Person", phone_number="6025550155")
    wrong_account = await api.client.post(
        url,
        json={"kind": "cease_contact", "account_id": other["accounts"][0]["id"]},
        headers=api.headers(Role.OPERATOR),  # type: ignore[index]
    )
    assert wrong_account.status_code == 404
