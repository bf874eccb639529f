"""Building blocks shared by every schema family: base config, pages, phone and money types."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Generic, TypeVar

import phonenumbers
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

T = TypeVar("T")


class Schema(BaseModel):
    """Base of request schemas: unknown fields are errors, so a typo never silently does nothing."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PublicSchema(BaseModel):
    """Base of response schemas, read straight from ORM rows."""

    model_config = ConfigDict(from_attributes=True)


class Page(PublicSchema, Generic[T]):
    """A page of a list. `count` is the total matching rows; `next_cursor` fetches the next page (None at
    the end) where the list is cursor-paginated."""

    data: list[T]
    count: int
    next_cursor: str | None = None


def normalize_phone(value: str, region: str = "US") -> str:
    """E.164 form of a phone number (`+16025550142`), or ValueError when it is not a possible number."""
    try:
        parsed = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"not a phone number: {exc}") from None
    if not phonenumbers.is_possible_number(parsed):
        raise ValueError("not a possible phone number")
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))


PhoneNumber = Annotated[str, Field(min_length=3, max_length=32), AfterValidator(normalize_phone)]
MoneyAmount = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]
Last4 = Annotated[str, Field(pattern=r"^\d{4}$")]
PostalCode = Annotated[str, Field(pattern=r"^\d{5}(-\d{4})?$")]
StateCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
