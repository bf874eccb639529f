"""The organization, organizations, API-key and audit-log routes over HTTP: roles, keys shown once and stored
hashed, revocation that bites at once, the last admin key kept, settings validated and merged, and an audit
row with before and after for every change."""

from __future__ import annotations

import hashlib
import uuid

import sqlalchemy as sa

from shared.db.tables import ApiKey, AuditLogEntry, BehavioralTactic
from shared.domain import Role
from tests.api_support import API, ApiHarness, problem_of


def audit_rows(harness: ApiHarness, action: str, org_id: uuid.UUID | None = None) -> list[AuditLogEntry]:
    with harness.session() as session:
        return list(
            session.scalars(
                sa.select(AuditLogEntry)
                .where(
                    AuditLogEntry.organization_id == (org_id or harness.org_id),
                    AuditLogEntry.action == action,
                )
                .order_by(AuditLogEntry.created_at)
            )
        )


async def test_a_viewer_reads_the_organization_and_its_settings(api: ApiHarness) -> None:
    """Any role reads its own organization with its typed settings."""
    response = await api.client.get(f"{API}/organization", headers=api.headers(Role.VIEWER))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == str(api.org_id)
    assert body["settings"]["calling_window"] == {"start": "08:00:00", "end": "21:00:00"}


async def test_no_key_or_a_wrong_key_is_401(api: ApiHarness) -> None:
    """Without a key, or with one that does not exist, every route answers a 401 problem."""
    missing = await api.client.get(f"{API}/organization")
    assert missing.status_code == 401 and problem_of(missing)["type"] == "urn:archer:problem:unauthorized"
    wrong = await api.client.get(f"{API}/customers", headers={"X-API-Key": "ak_not-a-key"})
    assert wrong.status_code == 401 and problem_of(wrong)


async def test_only_an_admin_changes_the_organization(api: ApiHarness) -> None:
    """Viewers and operators get 403; an admin's partial settings change keeps the other settings, and the
    audit log records the before and after."""
    for role in (Role.VIEWER, Role.OPERATOR):
        refused = await api.client.patch(f"{API}/organization", json={"name": "x"}, headers=api.headers(role))
        assert refused.status_code == 403 and problem_of(refused)["type"] == "urn:archer:problem:forbidden"
    new_name = f"Renamed Bank {uuid.uuid4().hex[:6]}"
    changed = await api.client.patch(
        f"{API}/organization",
        json={
            "name": new_name,
            "settings": {"agent_name": "Sam", "calling_window": {"start": "09:00", "end": "20:00"}},
        },
        headers=api.headers(),
    )
    assert changed.status_code == 200, changed.text
    settings = changed.json()["settings"]
    assert changed.json()["name"] == new_name and settings["agent_name"] == "Sam"
    assert settings["calling_window"] == {"start": "09:00:00", "end": "20:00:00"}
    assert settings["timezone"] == "America/New_York" and settings["retention_days"] == 1095  # kept
    [row] = audit_rows(api, "organization.update")
    assert row.before is not None and row.after is not None
    assert row.before["settings"]["agent_name"] == "Alex" and row.after["settings"]["agent_name"] == "Sam"
    assert row.actor_id == str(api.tenant.key_ids[Role.ADMIN])


async def test_bad_settings_are_a_problem_naming_the_field(api: ApiHarness) -> None:
    """A calling window wider than 08:00-21:00, an unknown zone or an unknown setting is a 422 problem with
    the field at fault, and nothing changes."""
    wide = await api.client.patch(
        f"{API}/organization",
        json={"settings": {"calling_window": {"start": "07:00", "end": "21:00"}}},
        headers=api.headers(),
    )
    assert wide.status_code == 422
    assert problem_of(wide)["field"] == "settings.calling_window"
    zone = await api.client.patch(
        f"{API}/organization", json={"settings": {"timezone": "Mars/Olympus"}}, headers=api.headers()
    )
    assert zone.status_code == 422 and problem_of(zone)["field"] == "settings.timezone"
    typo = await api.client.patch(f"{API}/organization", json={"nmae": "x"}, headers=api.headers())
    assert typo.status_code == 422 and problem_of(typo)["field"] == "nmae"
    assert audit_rows(api, "organization.update") == []


async def test_an_admin_creates_another_organization_and_its_key_is_shown_once(api: ApiHarness) -> None:
    """The new organization comes with the default configuration and one admin key, shown in the response
    only; that key sees the new organization, not the creator's. A repeated name is a 409; operators 403."""
    name = f"Second Bank {uuid.uuid4().hex[:6]}"
    refused = await api.client.post(
        f"{API}/organizations", json={"name": name}, headers=api.headers(Role.OPERATOR)
    )
    assert refused.status_code == 403
    created = await api.client.post(f"{API}/organizations", json={"name": name}, headers=api.headers())
    assert created.status_code == 201, created.text
    body = created.json()
    new_id = uuid.UUID(body["organization"]["id"])
    assert new_id != api.org_id and body["api_key"]["role"] == "admin" and body["api_key"]["key"]
    mine = await api.client.get(f"{API}/organization", headers={"X-API-Key": body["api_key"]["key"]})
    assert mine.json()["id"] == str(new_id)
    listed = await api.client.get(f"{API}/api-keys", headers={"X-API-Key": body["api_key"]["key"]})
    assert [k["id"] for k in listed.json()["data"]] == [body["api_key"]["id"]]
    assert "key" not in listed.json()["data"][0]
    with api.session() as session:
        assert session.scalar(
            sa.select(sa.func.count())
            .select_from(BehavioralTactic)
            .where(BehavioralTactic.organization_id == new_id)
        )
    assert str(new_id) in [row.entity_id for row in audit_rows(api, "organization.create")]
    again = await api.client.post(f"{API}/organizations", json={"name": name}, headers=api.headers())
    assert again.status_code == 409 and problem_of(again)["field"] == "name"


async def test_keys_are_shown_once_and_stored_hashed(api: ApiHarness) -> None:
    """A created key is in the creation response only; the table holds its SHA-256, never the key; lists
    show the prefix. Operators and viewers cannot list or create keys."""
    for role in (Role.VIEWER, Role.OPERATOR):
        assert (await api.client.get(f"{API}/api-keys", headers=api.headers(role))).status_code == 403
        denied = await api.client.post(f"{API}/api-keys", json={"name": "x"}, headers=api.headers(role))
        assert denied.status_code == 403
    created = await api.client.post(
        f"{API}/api-keys", json={"name": "ops laptop", "role": "viewer"}, headers=api.headers()
    )
    assert created.status_code == 201, created.text
    key = created.json()["key"]
    assert created.json()["prefix"] == key[:10] and created.json()["role"] == "viewer"
    with api.session() as session:
        row = session.get(ApiKey, uuid.UUID(created.json()["id"]))
        assert row is not None
        assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
        stored = session.execute(sa.select(ApiKey.__table__)).all()
    assert all(key not in str(tuple(values)) for values in stored)
    listed = (await api.client.get(f"{API}/api-keys", headers=api.headers())).json()
    assert listed["count"] == 4 and all("key" not in item for item in listed["data"])
    assert key not in str(listed)
    [audit] = audit_rows(api, "api_key.create")[-1:]
    assert audit.after is not None and "key" not in audit.after and audit.entity_id == created.json()["id"]
    bad_role = await api.client.post(
        f"{API}/api-keys", json={"name": "x", "role": "root"}, headers=api.headers()
    )
    assert bad_role.status_code == 422 and problem_of(bad_role)["field"] == "role"


async def test_a_revoked_key_is_refused_at_once(api: ApiHarness) -> None:
    """Revoking answers the revoked key; the very next request with it is a 401; the audit log has the
    before and after."""
    operator = api.tenant.keys[Role.OPERATOR]
    assert (await api.client.get(f"{API}/customers", headers={"X-API-Key": operator})).status_code == 200
    key_id = api.tenant.key_ids[Role.OPERATOR]
    revoked = await api.client.delete(f"{API}/api-keys/{key_id}", headers=api.headers())
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked_at"] is not None
    after = await api.client.get(f"{API}/customers", headers={"X-API-Key": operator})
    assert after.status_code == 401 and problem_of(after)["type"] == "urn:archer:problem:unauthorized"
    [row] = audit_rows(api, "api_key.revoke")
    assert row.before is not None and row.before["revoked_at"] is None
    assert row.after is not None and row.after["revoked_at"] is not None
    missing = await api.client.delete(f"{API}/api-keys/{uuid.uuid4()}", headers=api.headers())
    assert missing.status_code == 404 and problem_of(missing)["type"] == "urn:archer:problem:not-found"


async def test_the_last_active_admin_key_cannot_revoke_itself(api: ApiHarness) -> None:
    """An admin key that is the organization's only active one cannot be revoked (409); once a second
    admin key exists, it can."""
    admin_id = api.tenant.key_ids[Role.ADMIN]
    refused = await api.client.delete(f"{API}/api-keys/{admin_id}", headers=api.headers())
    assert refused.status_code == 409 and problem_of(refused)["type"] == "urn:archer:problem:conflict"
    assert (await api.client.get(f"{API}/organization", headers=api.headers())).status_code == 200
    second = await api.client.post(
        f"{API}/api-keys", json={"name": "second", "role": "admin"}, headers=api.headers()
    )
    revoked = await api.client.delete(f"{API}/api-keys/{admin_id}", headers=api.headers())
    assert revoked.status_code == 200
    assert (await api.client.get(f"{API}/organization", headers=api.headers())).status_code == 401
    still = await api.client.get(f"{API}/organization", headers={"X-API-Key": second.json()["key"]})
    assert still.status_code == 200


async def test_the_audit_log_is_newest_first_filtered_and_paginated(api: ApiHarness) -> None:
    """Admins page through the audit log newest first with a cursor, filter it by entity and action;
    others get 403; a forged cursor is a 422 naming `cursor`."""
    ids = []
    for n in range(3):
        created = await api.client.post(
            f"{API}/api-keys", json={"name": f"k{n}", "role": "viewer"}, headers=api.headers()
        )
        ids.append(created.json()["id"])
    first = await api.client.get(f"{API}/audit-log?action=api_key.create&limit=2", headers=api.headers())
    assert first.status_code == 200, first.text
    page = first.json()
    assert page["count"] == 6  # three keys of the harness (one per role) and these three
    assert [entry["entity_id"] for entry in page["data"]] == [ids[2], ids[1]]
    rest = (
        await api.client.get(
            f"{API}/audit-log",
            params={"action": "api_key.create", "limit": 2, "cursor": page["next_cursor"]},
            headers=api.headers(),
        )
    ).json()
    assert rest["data"][0]["entity_id"] == ids[0] and len(rest["data"]) == 2
    one = (
        await api.client.get(
            f"{API}/audit-log", params={"entity_type": "api_key", "entity_id": ids[1]}, headers=api.headers()
        )
    ).json()
    assert [entry["entity_id"] for entry in one["data"]] == [ids[1]] and one["data"][0]["after"][
        "name"
    ] == "k1"
    for role in (Role.VIEWER, Role.OPERATOR):
        assert (await api.client.get(f"{API}/audit-log", headers=api.headers(role))).status_code == 403
    for forged in ("not-a-cursor", "WyJ4IiwieSJd"):
        bad = await api.client.get(f"{API}/audit-log", params={"cursor": forged}, headers=api.headers())
        assert bad.status_code == 422 and problem_of(bad)["field"] == "cursor"
