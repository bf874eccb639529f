"""The API routes for customers, their accounts and contact preferences, and CSV import. Parsing and auth
only: the rules live in `shared.services.{customers,contact_preferences,customer_import}`."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from functions.api.deps import ActorDep, OperatorKey, OrgId, SessionDep, ViewerKey
from functions.api.problem_docs import problem_responses
from shared.errors import InvalidInput
from shared.models.common import Page
from shared.models.customers import (
    AccountCreate,
    AccountPublic,
    AccountUpdate,
    ContactPreferenceCreate,
    ContactPreferenceEnd,
    ContactPreferencePublic,
    CustomerCreate,
    CustomerDetail,
    CustomerImportReport,
    CustomersPage,
    CustomerUpdate,
)
from shared.services import contact_preferences, customer_import, customers

router = APIRouter(tags=["customers"])

_CSV_TYPES = {
    "text/csv",
    "application/csv",
    "text/plain",
    "application/vnd.ms-excel",
    "application/octet-stream",
}

_IMPORT_EXAMPLE = (
    "external_ref,name,phone_number,postal_code,state,email,account_external_ref,account_last_4,balance,"
    "past_due_amount,days_past_due\n"
    "C-9001,Jordan Ashgrove,(602) 555-0142,85004,AZ,jordan@example.com,A-9001,4321,1200.00,300.00,45\n"
)


@router.get("/customers", response_model=CustomersPage)
def list_customers(
    *,
    session: SessionDep,
    org_id: OrgId,
    _key: ViewerKey,
    q: Annotated[
        str | None,
        Query(max_length=100, description="name, phone (any format), account last 4 or external ref"),
    ] = None,
    segment: Annotated[str | None, Query(max_length=20)] = None,
    limit: Annotated[int | None, Query()] = None,
    cursor: Annotated[str | None, Query()] = None,
) -> Any:
    return customers.list_customers(
        session=session, org_id=org_id, query=q, segment=segment, limit=limit, cursor=cursor
    )


@router.post("/customers", response_model=CustomerDetail, status_code=status.HTTP_201_CREATED)
def create_customer(
    customer_in: CustomerCreate, session: SessionDep, org_id: OrgId, actor: ActorDep, _key: OperatorKey
) -> Any:
    return customers.create_customer(session=session, org_id=org_id, customer_in=customer_in, actor=actor)


async def _upload(request: Request) -> bytes:
    """The CSV of an import request — the `text/csv` body or the multipart `file` field — read at most
    `MAX_IMPORT_BYTES` (413 beyond, before anything is parsed)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > customer_import.MAX_IMPORT_BYTES + 64 * 1024:
        raise customer_import.ImportTooLarge(customer_import.too_large_message(), field="file")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > customer_import.MAX_IMPORT_BYTES + 64 * 1024:  # room for the multipart envelope
            raise customer_import.ImportTooLarge(customer_import.too_large_message(), field="file")
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type == "multipart/form-data":
        data = bytes(body)

        async def replay() -> dict[str, Any]:
            return {"type": "http.request", "body": data, "more_body": False}

        form = await Request(request.scope, replay).form()
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InvalidInput("send the CSV in the multipart field `file`", field="file")
        return await upload.read()
    if media_type in _CSV_TYPES:
        return bytes(body)
    raise InvalidInput(
        f"send the CSV as a text/csv body or a multipart/form-data `file` field, not {media_type or 'no type'}",
        field="content-type",
    )


@router.post(
    "/customers/import",
    response_model=CustomerImportReport,
    responses=problem_responses(413),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {"schema": {"type": "string"}, "example": _IMPORT_EXAMPLE},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": {"type": "string", "format": "binary"}},
                        "required": ["file"],
                    }
                },
            },
        }
    },
)
async def import_customers(
    request: Request, session: SessionDep, org_id: OrgId, actor: ActorDep, _key: OperatorKey
) -> Any:
    """Import customers from CSV (columns: docs/API.md). Every valid row is stored; every refused row is
    reported with its line number (the header is line 1), column and reason. Over 5 MiB or 10,000 rows: 413."""
    data = await _upload(request)
    # The rows are stored with the blocking database session: off the event loop.
    return await run_in_threadpool(
        customer_import.import_customers, session=session, org_id=org_id, data=data, actor=actor
    )


@router.get("/customers/{customer_id}", response_model=CustomerDetail)
def get_customer(customer_id: uuid.UUID, session: SessionDep, org_id: OrgId, _key: ViewerKey) -> Any:
    return customers.get_customer(session=session, org_id=org_id, customer_id=customer_id)


@router.patch("/customers/{customer_id}", response_model=CustomerDetail)
def update_customer(
    customer_id: uuid.UUID,
    customer_in: CustomerUpdate,
    session: SessionDep,
    org_id: OrgId,
    actor: ActorDep,
    _key: OperatorKey,
) -> Any:
    return customers.update_customer(
        session=session, org_id=org_id, customer_id=customer_id, customer_in=customer_in, actor=actor
    )


@router.delete("/customers/{customer_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
def delete_customer(
    customer_id: uuid.UUID, session: SessionDep, org_id: OrgId, actor: ActorDep, _key: OperatorKey
) -> Response:
    """Delete the customer with its accounts, phones, preferences and calls; 409 when payments exist."""
    customers.delete_customer(session=session, org_id=org_id, customer_id=customer_id, actor=actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/customers/{customer_id}/accounts", response_model=Page[AccountPublic])
def list_accounts(customer_id: uuid.UUID, session: SessionDep, org_id: OrgId, _key: ViewerKey) -> Any:
    accounts = customers.list_accounts(session=session, org_id=org_id, customer_id=customer_id)
    return Page[AccountPublic](data=accounts, count=len(accounts))


@router.post(
    "/customers/{customer_id}/accounts", response_model=AccountPublic, status_code=status.HTTP_201_CREATED
)
def create_account(
    customer_id: uuid.UUID,
    account_in: AccountCreate,
    session: SessionDep,
    org_id: OrgId,
    actor: ActorDep,
    _key: OperatorKey,
) -> Any:
    return customers.create_account(
        session=session, org_id=org_id, customer_id=customer_id, account_in=account_in, actor=actor
    )


@router.get("/accounts/{account_id}", response_model=AccountPublic)
def get_account(account_id: uuid.UUID, session: SessionDep, org_id: OrgId, _key: ViewerKey) -> Any:
    return customers.get_account(session=session, org_id=org_id, account_id=account_id)


@router.patch("/accounts/{account_id}", response_model=AccountPublic)
def update_account(
    account_id: uuid.UUID,
    account_in: AccountUpdate,
    session: SessionDep,
    org_id: OrgId,
    actor: ActorDep,
    _key: OperatorKey,
) -> Any:
    return customers.update_account(
        session=session, org_id=org_id, account_id=account_id, account_in=account_in, actor=actor
    )


@router.get("/customers/{customer_id}/contact-preferences", response_model=Page[ContactPreferencePublic])
def list_contact_preferences(
    customer_id: uuid.UUID,
    session: SessionDep,
    org_id: OrgId,
    _key: ViewerKey,
    active_only: Annotated[bool, Query(description="only preferences not ended")] = False,
) -> Any:
    preferences = contact_preferences.list_preferences(
        session=session, org_id=org_id, customer_id=customer_id, active_only=active_only, must_exist=True
    )
    return Page[ContactPreferencePublic](data=preferences, count=len(preferences))


@router.post(
    "/customers/{customer_id}/contact-preferences",
    response_model=ContactPreferencePublic,
    status_code=status.HTTP_201_CREATED,
)
def add_contact_preference(
    customer_id: uuid.UUID,
    preference_in: ContactPreferenceCreate,
    session: SessionDep,
    org_id: OrgId,
    actor: ActorDep,
    _key: OperatorKey,
) -> Any:
    """Record a cease, dispute, attorney, inconvenient-time or phone-consent request; it applies to the next
    compliance decision."""
    return contact_preferences.add_preference(
        session=session, org_id=org_id, customer_id=customer_id, preference_in=preference_in, actor=actor
    )


@router.post("/contact-preferences/{preference_id}/end", response_model=ContactPreferencePublic)
def end_contact_preference(
    preference_id: uuid.UUID,
    session: SessionDep,
    org_id: OrgId,
    actor: ActorDep,
    _key: OperatorKey,
    end_in: ContactPreferenceEnd | None = None,
) -> Any:
    """End a preference (a dispute resolved, an attorney withdrawn); the row stays as history."""
    return contact_preferences.end_preference(
        session=session,
        org_id=org_id,
        preference_id=preference_id,
        actor=actor,
        reason=end_in.reason if end_in else None,
    )
