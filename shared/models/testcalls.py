"""Test calls: an operator starts one call of the agent — a simulated customer playing a persona, or a real
phone through Twilio when it is configured — and follows it live and in the call's record."""

from __future__ import annotations

import uuid
from typing import ClassVar, Literal

from pydantic import Field

from shared.domain import CallStatus
from shared.models.common import PhoneNumber, PublicSchema, Schema


class TestCallCreate(Schema):
    """`persona`: who the simulated customer plays (see the 422 for the list); `customer_id`: whose account
    the call is about (default: the organization's first customer); `tactic_name`: the tactic to use
    (default: the agent's choice); `phone_number`: the number Twilio dials (default: the customer's)."""

    __test__: ClassVar[bool] = False  # not a pytest test class

    persona: str = Field(min_length=1, max_length=40, examples=["cooperative_payer"])
    customer_id: uuid.UUID | None = None
    tactic_name: str | None = Field(
        default=None, min_length=1, max_length=50, examples=["empathetic_partner"]
    )
    phone_number: PhoneNumber | None = None


class TestCallPublic(PublicSchema):
    __test__: ClassVar[bool] = False

    call_id: uuid.UUID
    mode: Literal["simulated", "twilio"]
    status: CallStatus
    persona: str
    customer_id: uuid.UUID | None
    tactic_name: str | None
