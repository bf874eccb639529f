"""Customer import from CSV: one row per customer, with at most one account.

Every row is validated through the same `CustomerCreate` the API takes and stored in its own SAVEPOINT, so a
bad row never costs the good ones; every refused row is reported with its 1-based line in the file (the
header is line 1), the column at fault and why. Problems with the file as a whole (not UTF-8, no header, a
missing or unknown column, too large) refuse the whole import before anything is stored.

Columns (header names, any order, case-insensitive; empty cells take the API's defaults):
- customer, required: `external_ref`, `name`, `phone_number` (any format), `postal_code`
- customer, optional: `email`, `address_line1`, `city`, `state`, `segment`, `language`, `legal_hold`,
  `primary_line_type`
- account, optional (with `account_external_ref`, then `account_last_4` and `balance` are required):
  `account_external_ref`, `account_last_4`, `balance`, `past_due_amount`, `minimum_payment`,
  `days_past_due`, `product`, `original_creditor`, `account_status`, `opened_on`, `last_payment_on`
"""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.orm import Session

from shared.errors import ArcherError, InvalidInput
from shared.models.audit import Actor
from shared.models.customers import CustomerCreate, CustomerImportReport, ImportRejection
from shared.services import audit, customers

MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_IMPORT_ROWS = 10_000

REQUIRED_COLUMNS = ("external_ref", "name", "phone_number", "postal_code")
CUSTOMER_COLUMNS = (
    *REQUIRED_COLUMNS,
    "email",
    "address_line1",
    "city",
    "state",
    "segment",
    "language",
    "legal_hold",
    "primary_line_type",
)
# CSV column -> AccountCreate field.
ACCOUNT_COLUMNS = {
    "account_external_ref": "external_ref",
    "account_last_4": "account_last_4",
    "balance": "balance",
    "past_due_amount": "past_due_amount",
    "minimum_payment": "minimum_payment",
    "days_past_due": "days_past_due",
    "product": "product",
    "original_creditor": "original_creditor",
    "account_status": "status",
    "opened_on": "opened_on",
    "last_payment_on": "last_payment_on",
}
COLUMNS = CUSTOMER_COLUMNS + tuple(ACCOUNT_COLUMNS)
_COLUMN_OF_ACCOUNT_FIELD = {field: column for column, field in ACCOUNT_COLUMNS.items()}


class ImportTooLarge(ArcherError):
    """The upload is over the size or row cap; split it into smaller files."""

    code = "payload-too-large"
    status = 413


def too_large_message() -> str:
    return (
        f"the import is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MiB or {MAX_IMPORT_ROWS} rows; "
        "split it into smaller files"
    )


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")  # Excel writes a byte-order mark
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"the file is not UTF-8 text (byte {exc.start})", field="file") from None


def _read_header(header: list[str]) -> list[str]:
    columns = [name.strip().lower() for name in header]
    duplicates = sorted({name for name in columns if columns.count(name) > 1})
    if duplicates:
        raise InvalidInput(f"the header repeats {', '.join(duplicates)}", field=duplicates[0])
    unknown = [name for name in columns if name not in COLUMNS]
    if unknown:
        raise InvalidInput(
            f"unknown column {unknown[0]!r}; the columns are: {', '.join(COLUMNS)}",
            field=unknown[0] or "file",
        )
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise InvalidInput(f"the header lacks the required column {missing[0]!r}", field=missing[0])
    return columns


def _customer_in(values: dict[str, str]) -> dict[str, Any]:
    """The `CustomerCreate` input of a row: empty cells are left out so the API's defaults apply."""
    given = {column: value for column, value in values.items() if value.strip()}
    body: dict[str, Any] = {column: given[column] for column in CUSTOMER_COLUMNS if column in given}
    account = {ACCOUNT_COLUMNS[column]: given[column] for column in ACCOUNT_COLUMNS if column in given}
    if account:
        if "external_ref" not in account:
            raise _RowRejected("account_external_ref", "needed when any account column is filled in")
        body["accounts"] = [account]
    return body


class _RowRejected(Exception):
    def __init__(self, field: str | None, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


def _column_of(location: tuple[int | str, ...]) -> str | None:
    """The CSV column a validation error of `CustomerCreate` points at."""
    if not location:
        return None
    if location[0] == "accounts":
        if len(location) >= 3:
            return _COLUMN_OF_ACCOUNT_FIELD.get(str(location[2]), str(location[2]))
        return "past_due_amount"  # the account's only cross-field rule: past due within the balance
    return str(location[0])


def _column_of_field(field: str | None) -> str | None:
    """The CSV column of a service error's `field` (`accounts[0].external_ref` -> `account_external_ref`)."""
    if field and field.startswith("accounts["):
        return _COLUMN_OF_ACCOUNT_FIELD.get(field.rsplit(".", 1)[-1], field)
    return field


def _validation_rejection(exc: ValidationError) -> _RowRejected:
    errors = exc.errors()
    first = errors[0]
    reason = str(first["msg"]).removeprefix("Value error, ")
    others = [
        f"{_column_of(tuple(error['loc']))}: {str(error['msg']).removeprefix('Value error, ')}"
        for error in errors[1:]
    ]
    if others:
        reason += "; also " + "; ".join(others)
    return _RowRejected(_column_of(tuple(first["loc"])), reason)


def read_rows(data: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header's columns and the non-blank data rows, each with the line it starts on."""
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportTooLarge(too_large_message(), field="file")
    reader = csv.reader(io.StringIO(_decode(data), newline=""))
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            raise InvalidInput("the file is empty; the first line must name the columns", field="file")
        columns = _read_header(header)
        rows: list[tuple[int, list[str]]] = []
        line = reader.line_num + 1
        for cells in reader:
            if any(cell.strip() for cell in cells):
                rows.append((line, cells))
                if len(rows) > MAX_IMPORT_ROWS:
                    raise ImportTooLarge(too_large_message(), field="file")
            line = reader.line_num + 1
    except csv.Error as exc:
        raise InvalidInput(f"line {reader.line_num}: the CSV cannot be read: {exc}", field="file") from None
    return columns, rows


def _parse_row(columns: list[str], cells: list[str]) -> CustomerCreate:
    if len(cells) != len(columns):
        raise _RowRejected(None, f"the row has {len(cells)} values; the header has {len(columns)} columns")
    try:
        return CustomerCreate.model_validate(_customer_in(dict(zip(columns, cells, strict=True))))
    except ValidationError as exc:
        raise _validation_rejection(exc) from None


def import_customers(
    *, session: Session, org_id: uuid.UUID, data: bytes, actor: Actor
) -> CustomerImportReport:
    """Store every valid row of the CSV `data` as a customer (audited one by one, and the import as a whole)
    and report every other row. A repeated external ref, in the file or already stored, refuses the row."""
    columns, rows = read_rows(data)
    rejected: list[ImportRejection] = []
    created = 0
    refs_seen: dict[str, int] = {}
    account_refs_seen: dict[str, int] = {}
    for line, cells in rows:
        try:
            customer_in = _parse_row(columns, cells)
            if customer_in.external_ref in refs_seen:
                raise _RowRejected(
                    "external_ref", f"external_ref repeats line {refs_seen[customer_in.external_ref]}"
                )
            for account_in in customer_in.accounts:
                if account_in.external_ref in account_refs_seen:
                    raise _RowRejected(
                        "account_external_ref",
                        f"account_external_ref repeats line {account_refs_seen[account_in.external_ref]}",
                    )
            _store(session, org_id, customer_in, actor)
        except _RowRejected as rejection:
            rejected.append(ImportRejection(line=line, field=rejection.field, reason=rejection.reason))
            continue
        refs_seen[customer_in.external_ref] = line
        for account_in in customer_in.accounts:
            account_refs_seen[account_in.external_ref] = line
        created += 1

    report = CustomerImportReport(total_rows=len(rows), created=created, rejected=rejected)
    audit.record(
        session=session,
        org_id=org_id,
        actor=actor,
        action="customer.import",
        entity_type="customer_import",
        entity_id=None,
        after={"total_rows": report.total_rows, "created": created, "rejected": len(rejected)},
    )
    return report


def _store(session: Session, org_id: uuid.UUID, customer_in: CustomerCreate, actor: Actor) -> None:
    """Create the customer inside a SAVEPOINT: a refusal rolls back this row only."""
    try:
        with session.begin_nested():
            customers.create_customer(session=session, org_id=org_id, customer_in=customer_in, actor=actor)
    except ArcherError as exc:
        raise _RowRejected(_column_of_field(exc.field), exc.message) from None
    except sa.exc.IntegrityError:
        # A concurrent import stored the same reference between our check and our insert.
        raise _RowRejected("external_ref", "conflicts with a customer or account stored meanwhile") from None
