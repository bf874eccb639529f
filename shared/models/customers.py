"""Customers, their phone numbers and accounts (debts), and contact preferences."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import Field, model_validator

from shared.domain import AccountStatus, LineType, PreferenceKind
from shared.models.common import (
    Last4,
    MoneyAmount,
    Page,
    PhoneNumber,
    PostalCode,
    PublicSchema,
    Schema,
    StateCode,
)


class PhoneIn(Schema):
    number: PhoneNumber
    line_type: LineType = LineType.UNKNOWN
    label: str | None = Field(default=None, max_length=30)


class PhonePublic(PublicSchema):
    id: uuid.UUID
    number: str
    line_type: LineType
    label: str | None
    is_primary: bool


class AccountCreate(Schema):
    external_ref: str = Field(min_length=1, max_length=64)
    account_last_4: Last4
    product: str = Field(default="credit_card", min_length=1, max_length=40)
    original_creditor: str | None = Field(default=None, max_length=100)
    balance: MoneyAmount
    past_due_amount: MoneyAmount = Decimal("0.00")
    minimum_payment: MoneyAmount | None = None
    days_past_due: int = Field(default=0, ge=0, le=10_000)
    status: AccountStatus = AccountStatus.ACTIVE
    opened_on: date | None = None
    last_payment_on: date | None = None

    @model_validator(mode="after")
    def _past_due_within_balance(self) -> AccountCreate:
        if self.past_due_amount > self.balance:
            raise ValueError("past_due_amount must not exceed balance")
        return self


class AccountUpdate(Schema):
    balance: MoneyAmount | None = None
    past_due_amount: MoneyAmount | None = None
    minimum_payment: MoneyAmount | None = None
    days_past_due: int | None = Field(default=None, ge=0, le=10_000)
    status: AccountStatus | None = None
    last_payment_on: date | None = None


class AccountPublic(PublicSchema):
    id: uuid.UUID
    customer_id: uuid.UUID
    external_ref: str
    account_last_4: str
    product: str
    original_creditor: str | None
    balance: Decimal
    past_due_amount: Decimal
    minimum_payment: Decimal | None
    days_past_due: int
    status: AccountStatus
    currency: str
    opened_on: date | None
    last_payment_on: date | None
    created_at: datetime
    updated_at: datetime


class CustomerCreate(Schema):
    external_ref: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=100)
    phone_number: PhoneNumber
    other_phones: list[PhoneIn] = Field(default_factory=list, max_length=10)
    primary_line_type: LineType = LineType.UNKNOWN
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    address_line1: str | None = Field(default=None, max_length=200)
    city: str | None = Field(default=None, max_length=100)
    state: StateCode | None = None
    postal_code: PostalCode
    segment: str = Field(default="standard", min_length=1, max_length=20)
    language: str = Field(default="en", pattern=r"^[a-z]{2}(-[A-Z]{2})?$")
    legal_hold: bool = False
    accounts: list[AccountCreate] = Field(default_factory=list, max_length=50)


class CustomerUpdate(Schema):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    phone_number: PhoneNumber | None = None
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    address_line1: str | None = Field(default=None, max_length=200)
    city: str | None = Field(default=None, max_length=100)
    state: StateCode | None = None
    postal_code: PostalCode | None = None
    segment: str | None = Field(default=None, min_length=1, max_length=20)
    language: str | None = Field(default=None, pattern=r"^[a-z]{2}(-[A-Z]{2})?$")
    legal_hold: bool | None = None


class CustomerPublic(PublicSchema):
    id: uuid.UUID
    organization_id: uuid.UUID
    external_ref: str
    name: str
    phone_number: str
    email: str | None
    address_line1: str | None
    city: str | None
    state: str | None
    postal_code: str
    timezone: str | None
    account_last_4: str
    balance: Decimal
    days_overdue: int
    segment: str
    language: str
    legal_hold: bool
    created_at: datetime
    updated_at: datetime


class CustomersPage(Page[CustomerPublic]):
    """A page of customers. `count` is exact up to 1,000 matches; beyond it `count` is the cap and
    `count_capped` is true (a broad name fragment matches thousands)."""

    count_capped: bool = False


class CustomerDetail(CustomerPublic):
    phones: list[PhonePublic]
    accounts: list[AccountPublic]


class ContactPreferenceCreate(Schema):
    kind: PreferenceKind
    account_id: uuid.UUID | None = None
    phone_number: PhoneNumber | None = None
    details: dict[str, Any] = Field(default_factory=dict)
    source: str = Field(default="api", max_length=20)

    @model_validator(mode="after")
    def _consent_names_a_number(self) -> ContactPreferenceCreate:
        if self.kind is PreferenceKind.PHONE_CONSENT:
            if self.phone_number is None:
                raise ValueError("phone_consent needs phone_number")
            if self.details.get("status") not in {"granted", "revoked"}:
                raise ValueError("phone_consent needs details.status 'granted' or 'revoked'")
        if self.kind is PreferenceKind.DO_NOT_CALL_NUMBER and self.phone_number is None:
            raise ValueError("do_not_call_number needs phone_number")
        return self


class ContactPreferencePublic(PublicSchema):
    id: uuid.UUID
    customer_id: uuid.UUID
    account_id: uuid.UUID | None
    kind: PreferenceKind
    phone_number: str | None
    details: dict[str, Any]
    source: str
    call_id: uuid.UUID | None
    effective_at: datetime
    ended_at: datetime | None


class ContactPreferenceEnd(Schema):
    """Why a preference ends (a dispute resolved, an attorney withdrawn); kept in the audit log."""

    reason: str | None = Field(default=None, max_length=500)


class ImportRejection(PublicSchema):
    """A CSV row that was not stored: its 1-based line in the file (the header is line 1), the column at
    fault (None when the row as a whole is wrong) and why."""

    line: int
    field: str | None
    reason: str


class CustomerImportReport(PublicSchema):
    """What a CSV import did: data rows read, customers stored, and every row refused."""

    total_rows: int
    created: int
    rejected: list[ImportRejection]
