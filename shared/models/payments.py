"""Money on a call: the offers the negotiation engine allows, the arrangements a customer confirmed, and the
payments taken through the gateway (cards kept as a token and the last four digits only)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.domain import ArrangementKind, ArrangementStatus, PaymentStatus
from shared.models.common import PublicSchema, Schema


class OfferKind(StrEnum):
    """The offers a tactic may order (`TacticConfig.offer_order` uses these values)."""

    PAY_IN_FULL = "pay_in_full"
    SETTLEMENT = "settlement"
    PAYMENT_PLAN = "payment_plan"

    @property
    def arrangement_kind(self) -> ArrangementKind:
        return {
            OfferKind.PAY_IN_FULL: ArrangementKind.PROMISE_TO_PAY,
            OfferKind.SETTLEMENT: ArrangementKind.SETTLEMENT,
            OfferKind.PAYMENT_PLAN: ArrangementKind.PAYMENT_PLAN,
        }[self]


Frequency = Literal["once", "weekly", "biweekly", "monthly"]


class ScheduledPayment(BaseModel):
    model_config = ConfigDict(frozen=True)

    due_date: date
    amount: Decimal


class Offer(BaseModel):
    """One concrete offer: what the customer pays, when. `schedule` lists every payment (the down payment
    first, when there is one) and sums to `total_amount`. `as_of` is the customer's local date the engine
    computed it for: the bounds on dates are relative to it."""

    model_config = ConfigDict(frozen=True)

    kind: OfferKind
    balance: Decimal  # the balance the offer resolves
    total_amount: Decimal
    down_payment_amount: Decimal = Decimal("0.00")
    installment_amount: Decimal  # the regular installment (the whole amount for a lump sum)
    installments_count: int = 1  # payments after the down payment
    frequency: Frequency = "once"
    first_payment_date: date
    schedule: tuple[ScheduledPayment, ...]
    hardship: bool = False
    as_of: date

    @property
    def last_payment_date(self) -> date:
        return self.schedule[-1].due_date

    @property
    def amounts(self) -> frozenset[Decimal]:
        """Every amount the offer quotes (for the output guard's approved list)."""
        return frozenset(
            {self.total_amount, self.down_payment_amount, self.installment_amount, self.balance}
            | {item.amount for item in self.schedule}
        ) - {Decimal("0.00")}

    @property
    def dates(self) -> frozenset[date]:
        return frozenset(item.due_date for item in self.schedule)


class PaymentOptions(BaseModel):
    """What the engine allows for one account today, in the tactic's order. `latest_first_payment_date` is
    the last day a first payment may fall on; `settlement_floor_amount` is the lowest lump sum allowed
    (None when no settlement is allowed) — a bound to negotiate against, not an amount to open with."""

    model_config = ConfigDict(frozen=True)

    as_of: date
    balance: Decimal
    hardship: bool
    offers: tuple[Offer, ...]
    latest_first_payment_date: date
    settlement_floor_amount: Decimal | None


class CounterOffer(BaseModel):
    """What a customer proposes, as far as it was understood; every field optional."""

    model_config = ConfigDict(frozen=True)

    kind: OfferKind | None = None
    lump_sum_amount: Decimal | None = None
    installment_amount: Decimal | None = None
    installments_count: int | None = None
    down_payment_amount: Decimal | None = None
    first_payment_date: date | None = None


class Decision(StrEnum):
    ACCEPT = "accept"  # the customer's proposal is inside policy: `offer` is it
    COUNTER = "counter"  # it is not: `offer` is the nearest allowed alternative
    REJECT = "reject"  # nothing allowed comes near it


class NegotiationResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    decision: Decision
    offer: Offer | None
    reasons: tuple[str, ...] = ()


# --- Stored arrangements and payments ---------------------------------------------------------------------


class ArrangementPublic(PublicSchema):
    id: uuid.UUID
    customer_id: uuid.UUID
    account_id: uuid.UUID
    call_id: uuid.UUID | None
    negotiation_policy_id: uuid.UUID | None
    kind: ArrangementKind
    status: ArrangementStatus
    total_amount: Decimal
    down_payment_amount: Decimal
    installment_amount: Decimal
    installments_count: int
    frequency: str
    first_payment_date: date
    schedule: list[dict[str, str]]
    terms_read_back: str
    confirmed_at: datetime
    idempotency_key: str
    created_at: datetime


class CardDetails(Schema):
    """Card data as keyed on the phone. Lives only in memory on its way to the gateway: never stored,
    logged, published or given to a language model."""

    number: str = Field(pattern=r"^\d{12,19}$", repr=False)
    exp_month: int = Field(ge=1, le=12)
    exp_year: int = Field(ge=2000, le=2100)
    security_code: str | None = Field(default=None, pattern=r"^\d{3,4}$", repr=False)

    def __repr__(self) -> str:
        return f"CardDetails(number=****{self.number[-4:]}, exp={self.exp_month:02d}/{self.exp_year})"

    __str__ = __repr__


class CardToken(BaseModel):
    """What the gateway returns for a card: the only card data Archer keeps."""

    model_config = ConfigDict(frozen=True)

    token: str
    last4: str
    brand: str


class ChargeResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: PaymentStatus  # succeeded, declined or failed
    reference: str | None = None
    failure_reason: str | None = None


class PaymentPublic(PublicSchema):
    id: uuid.UUID
    customer_id: uuid.UUID
    account_id: uuid.UUID
    arrangement_id: uuid.UUID | None
    call_id: uuid.UUID | None
    amount: Decimal
    currency: str
    method: str
    status: PaymentStatus
    gateway: str
    gateway_reference: str | None
    card_last4: str | None
    card_brand: str | None
    failure_reason: str | None
    idempotency_key: str
    processed_at: datetime | None
    created_at: datetime
