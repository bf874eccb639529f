"""CSV customer import over HTTP: good rows stored, every bad row reported with its line, column and reason
(nothing of it stored), duplicates in the file or already stored refused per row, the text/csv body and the
multipart `file` field, whole-file problems, the size cap, and the audit log."""

from __future__ import annotations

import sqlalchemy as sa

from shared.db.tables import Account, AuditLogEntry, Customer
from shared.domain import Role
from shared.services import customer_import
from tests.api_support import API, ApiHarness, problem_of

HEADER = "external_ref,name,phone_number,postal_code,state,email,account_external_ref,account_last_4,balance,past_due_amount,days_past_due"


def stored_refs(api: ApiHarness) -> dict[str, list[str]]:
    """The organization's customers' external refs and the external refs of their accounts."""
    with api.session() as session:
        rows = session.execute(
            sa.select(Customer.external_ref, Account.external_ref)
            .outerjoin(Account, Account.customer_id == Customer.id)
            .where(Customer.organization_id == api.org_id)
        ).all()
    found: dict[str, list[str]] = {}
    for customer, account in rows:
        found.setdefault(customer, [])
        if account:
            found[customer].append(account)
    return found


async def post_csv(api: ApiHarness, text: str, role: Role = Role.OPERATOR) -> dict[str, object]:
    response = await api.client.post(
        f"{API}/customers/import",
        content=text.encode(),
        headers={**api.headers(role), "Content-Type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


async def test_the_ui_sample_imports_whole(api: ApiHarness) -> None:
    """The example the import page offers (with a phone in two formats and an empty optional cell) is
    stored in full, each customer with its account."""
    sample = "\n".join(
        [
            HEADER,
            "C-9001,Jordan Ashgrove,(602) 555-0142,85004,AZ,jordan@example.com,A-9001,4321,1200.00,300.00,45",
            "C-9002,Riley Brookfield,+1 808 555 0101,96813,HI,,A-9002,8765,640.50,120.00,32",
            "",
        ]
    )
    report = await post_csv(api, sample)
    assert report == {"total_rows": 2, "created": 2, "rejected": []}
    assert stored_refs(api) == {"C-9001": ["A-9001"], "C-9002": ["A-9002"]}
    customers = (await api.client.get(f"{API}/customers?q=808-555-0101", headers=api.headers())).json()
    assert (
        customers["data"][0]["balance"] == "640.50" and customers["data"][0]["timezone"] == "Pacific/Honolulu"
    )


async def test_bad_rows_are_reported_with_line_field_and_reason_and_good_rows_stored(api: ApiHarness) -> None:
    """Every refused row is reported with its 1-based line (header = 1, a quoted multi-line cell counted),
    the column at fault and why; none of it is stored, and every valid row is."""
    csv = "\n".join(
        [
            "external_ref,name,phone_number,postal_code,state,account_external_ref,account_last_4,balance,past_due_amount",
            "E-1,Morgan Fairweather,(602) 555-0199,85004,AZ,EA-1,2468,950.00,",  # line 2: good
            "E-2,Casey Bad Phone,not-a-phone,85004,AZ,EA-2,1357,100.00,",  # line 3
            "E-3,Drew Bad Zip,(602) 555-0198,ABCDE,AZ,EA-3,1122,300.00,",  # line 4
            '"E-4","Quinn ""Q"" Multi\nLine",(602) 555-0197,85004,AZ,EA-4,1133,10.00,',  # lines 5-6: good
            "E-5,Over Due,(602) 555-0196,85004,AZ,EA-5,1144,100.00,200.00",  # line 7
            "E-6,No Account Ref,(602) 555-0195,85004,AZ,,1155,100.00,",  # line 8
            "E-1,Repeat Ref,(602) 555-0194,85004,AZ,EA-9,1166,1.00,",  # line 9
            "E-7,Repeat Account,(602) 555-0193,85004,AZ,EA-1,1177,1.00,",  # line 10
            "E-8,Too Many,(602) 555-0192,85004,AZ,EA-8,1188,1.00,,extra",  # line 11
            ",,,,,,,,",  # line 12: blank, skipped
            "E-9,Bad Last Four,(602) 555-0191,85004,AZ,EA-10,12,1.00,",  # line 13
            "E-10,No Account,(602) 555-0190,85004,AZ,,,,",  # line 14: good, no account
        ]
    )
    report = await post_csv(api, csv)
    assert report["total_rows"] == 11 and report["created"] == 3
    rejected = {item["line"]: (item["field"], item["reason"]) for item in report["rejected"]}  # type: ignore[attr-defined]
    assert sorted(rejected) == [3, 4, 7, 8, 9, 10, 11, 13]
    assert rejected[3][0] == "phone_number" and "phone" in rejected[3][1]
    assert rejected[4][0] == "postal_code"
    assert rejected[7] == ("past_due_amount", "past_due_amount must not exceed balance")
    assert rejected[8][0] == "account_external_ref"
    assert rejected[9] == ("external_ref", "external_ref repeats line 2")
    assert rejected[10] == ("account_external_ref", "account_external_ref repeats line 2")
    assert rejected[11][0] is None and "10 values" in rejected[11][1]
    assert rejected[13][0] == "account_last_4"
    assert stored_refs(api) == {"E-1": ["EA-1"], "E-4": ["EA-4"], "E-10": []}
    with api.session() as session:
        name = session.scalar(
            sa.select(Customer.name).where(
                Customer.organization_id == api.org_id, Customer.external_ref == "E-4"
            )
        )
    assert name == 'Quinn "Q" Multi\nLine'


async def test_refs_already_stored_are_refused_per_row(api: ApiHarness) -> None:
    """A second import of the same rows refuses each (customer or account ref already stored) with a 200
    report, never a 500, and stores nothing new."""
    first = "\n".join(
        [
            HEADER,
            "D-1,Ada One,(602) 555-0111,85004,AZ,,DA-1,1111,10.00,,",
            "D-2,Bo Two,(602) 555-0112,85004,AZ,,DA-2,2222,10.00,,",
        ]
    )
    assert (await post_csv(api, first))["created"] == 2
    second = "\n".join(
        [
            HEADER,
            "D-1,Ada Again,(602) 555-0111,85004,AZ,,DA-7,1111,10.00,,",
            "D-3,Cy Three,(602) 555-0113,85004,AZ,,DA-2,3333,10.00,,",
        ]
    )
    report = await post_csv(api, second)
    assert report["created"] == 0
    assert [(r["line"], r["field"]) for r in report["rejected"]] == [
        (2, "external_ref"),
        (3, "account_external_ref"),
    ]  # type: ignore[attr-defined]
    assert stored_refs(api) == {"D-1": ["DA-1"], "D-2": ["DA-2"]}


async def test_a_multipart_file_is_imported_too(api: ApiHarness) -> None:
    """The same CSV sent as the multipart field `file` (with a byte-order mark and CRLF line ends, as Excel
    writes it) is imported the same way."""
    csv = (
        "\ufeff"
        + "\r\n".join(
            [
                HEADER,
                "M-1,Mo Multipart,602-555-0121,85004,AZ,,MA-1,1212,50.00,,",
                "M-2,Bad,602-555-0122,85004,AZ,,MA-2,12,50.00,,",
            ]
        )
        + "\r\n"
    )
    response = await api.client.post(
        f"{API}/customers/import",
        files={"file": ("customers.csv", csv.encode(), "text/csv")},
        headers=api.headers(Role.OPERATOR),
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "total_rows": 2,
        "created": 1,
        "rejected": [
            {"line": 3, "field": "account_last_4", "reason": response.json()["rejected"][0]["reason"]}
        ],
    }
    assert stored_refs(api) == {"M-1": ["MA-1"]}
    no_file = await api.client.post(
        f"{API}/customers/import",
        files={"other": ("x.csv", b"a", "text/csv")},
        headers=api.headers(Role.OPERATOR),
    )
    assert no_file.status_code == 422 and problem_of(no_file)["field"] == "file"


async def test_whole_file_problems_refuse_the_import(api: ApiHarness) -> None:
    """An empty file, a missing required column, an unknown column, text that is not UTF-8 or a JSON body
    are 422 problems naming the column or `file`; nothing is stored. Viewers may not import."""
    cases = [
        (b"", "file"),
        (b"external_ref,name,phone_number\nX-1,A,6025550101\n", "postal_code"),
        (b"external_ref,name,phone_number,postal_code,nickname\nX-1,A,6025550101,85004,Al\n", "nickname"),
        ("external_ref,name,phone_number,postal_code\nX-1,Zoë,6025550101,85004\n".encode("latin-1"), "file"),
    ]
    for body, field in cases:
        response = await api.client.post(
            f"{API}/customers/import",
            content=body,
            headers={**api.headers(Role.OPERATOR), "Content-Type": "text/csv"},
        )
        assert response.status_code == 422, (field, response.text)
        assert problem_of(response)["field"] == field
    as_json = await api.client.post(
        f"{API}/customers/import", json={"rows": []}, headers=api.headers(Role.OPERATOR)
    )
    assert as_json.status_code == 422 and problem_of(as_json)["field"] == "content-type"
    viewer = await api.client.post(
        f"{API}/customers/import",
        content=b"external_ref\n",
        headers={**api.headers(Role.VIEWER), "Content-Type": "text/csv"},
    )
    assert viewer.status_code == 403
    assert stored_refs(api) == {}


async def test_an_upload_over_the_cap_is_a_413_problem(api: ApiHarness) -> None:
    """A body over the size cap is refused with a payload-too-large problem before anything is read or
    stored, whether it says its length or not."""
    big = HEADER.encode() + b"\n" + b"x" * (customer_import.MAX_IMPORT_BYTES + 100 * 1024)
    declared = await api.client.post(
        f"{API}/customers/import",
        content=big,
        headers={**api.headers(Role.OPERATOR), "Content-Type": "text/csv"},
    )
    assert declared.status_code == 413
    problem = problem_of(declared)
    assert problem["type"] == "urn:archer:problem:payload-too-large" and "MiB" in problem["detail"]

    async def chunks():  # type: ignore[no-untyped-def]
        for start in range(0, len(big), 256 * 1024):
            yield big[start : start + 256 * 1024]

    streamed = await api.client.post(
        f"{API}/customers/import",
        content=chunks(),
        headers={**api.headers(Role.OPERATOR), "Content-Type": "text/csv"},
    )
    assert streamed.status_code == 413 and problem_of(streamed)["field"] == "file"
    assert stored_refs(api) == {}


async def test_an_import_is_audited_row_by_row_and_as_a_whole(api: ApiHarness) -> None:
    """Each stored customer has its `customer.create` audit row; the import has one with its counts."""
    csv = "\n".join(
        [HEADER, "U-1,Una,(602) 555-0131,85004,AZ,,UA-1,1313,5.00,,", "U-2,Bad,x,85004,AZ,,UA-2,1414,5.00,,"]
    )
    await post_csv(api, csv)
    with api.session() as session:
        rows = session.scalars(
            sa.select(AuditLogEntry).where(
                AuditLogEntry.organization_id == api.org_id,
                AuditLogEntry.action.in_(["customer.create", "customer.import"]),
            )
        ).all()
    by_action = {row.action: row for row in rows}
    assert len(rows) == 2 and by_action["customer.create"].after["external_ref"] == "U-1"  # type: ignore[index]
    assert by_action["customer.import"].after == {"total_rows": 2, "created": 1, "rejected": 1}
