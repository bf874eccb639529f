"""Versioned configuration the agent reads per call: behavioral tactics, system prompts, negotiation policy."""

from __future__ import annotations

import string
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from shared.models.common import MoneyAmount, PublicSchema, Schema

Level = Annotated[int, Field(ge=1, le=5)]


class TacticItem(Schema):
    """One persuasion technique, truthful by construction: `guidance` says how to use it without deceiving."""

    name: str = Field(min_length=1, max_length=60)
    description: str = Field(min_length=1, max_length=500)
    guidance: str = Field(default="", max_length=1000)
    example: str = Field(default="", max_length=500)


class TacticConfig(Schema):
    urgency_level: Level
    empathy_index: Level
    persistence_level: Level
    tactics: list[TacticItem] = Field(min_length=1, max_length=20)
    # How the negotiation engine's allowed offers are ordered for this archetype (never which are allowed).
    offer_order: list[str] = Field(default_factory=lambda: ["pay_in_full", "settlement", "payment_plan"])


class TacticCreate(Schema):
    name: str = Field(min_length=1, max_length=50, pattern=r"^[a-z0-9_]+$")
    archetype: str = Field(min_length=1, max_length=50)
    description: str = Field(default="", max_length=2000)
    config: TacticConfig


class TacticUpdate(Schema):
    """Any change creates the next version; unspecified fields carry over from the current one."""

    archetype: str | None = Field(default=None, min_length=1, max_length=50)
    description: str | None = Field(default=None, max_length=2000)
    config: TacticConfig | None = None
    is_active: bool | None = None


class TacticPublic(PublicSchema):
    id: uuid.UUID
    name: str
    version: int
    archetype: str
    description: str
    config: TacticConfig
    is_active: bool
    created_at: datetime


def _field_error(field: str, message: str, value: Any) -> ValidationError:
    """A cross-field check's error located at `field` (so the API's problem names it, not the body)."""
    return ValidationError.from_exception_data(
        "configuration",
        [InitErrorDetails(type=PydanticCustomError("value_error", message), loc=(field,), input=value)],
    )


def template_fields(template: str) -> set[str]:
    """The `{names}` a `str.format` template uses."""
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


def template_problem(template: str) -> str | None:
    """Why `template` is not a plain `{name}` template (positional `{}`, `{a.b}` / `{a[0]}` lookups and
    nested `{a:{b}}` specs would fail or reach into objects when rendered), or None."""
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:
        return f"not a valid template: {exc}"
    for _, field, spec, _ in parts:
        if field is None:
            continue
        if not field.isidentifier():
            return (
                f"{{{field}}} is not a variable name: use {{name}} (write {{{{ and }}}} for literal braces)"
            )
        if spec and "{" in spec:
            return f"{{{field}:{spec}}} nests a variable in a format spec"
    return None


class PromptCreate(Schema):
    name: str = Field(min_length=1, max_length=50, pattern=r"^[a-z0-9_]+$")
    environment: str = Field(default="all", pattern=r"^(all|local|test|production)$")
    prompt_template: str = Field(min_length=1, max_length=20_000)
    variables: dict[str, str] = Field(default_factory=dict)  # name -> description

    @model_validator(mode="after")
    def _variables_declared(self) -> PromptCreate:
        problem = template_problem(self.prompt_template)
        if problem:
            raise _field_error("prompt_template", problem, self.prompt_template)
        used = template_fields(self.prompt_template)
        undeclared = sorted(used - set(self.variables))
        if undeclared:
            raise _field_error(
                "prompt_template", f"uses undeclared variables: {', '.join(undeclared)}", self.prompt_template
            )
        return self


class PromptUpdate(Schema):
    environment: str | None = Field(default=None, pattern=r"^(all|local|test|production)$")
    prompt_template: str | None = Field(default=None, min_length=1, max_length=20_000)
    variables: dict[str, str] | None = None
    is_active: bool | None = None


class PromptPublic(PublicSchema):
    id: uuid.UUID
    name: str
    version: int
    environment: str
    prompt_template: str
    variables: dict[str, Any]
    is_active: bool
    created_at: datetime


class PromptPreviewRequest(Schema):
    """Whom to render the prompt for: a customer of the organization, and the tactic (default: the one a
    call without an assigned tactic gets)."""

    customer_id: uuid.UUID
    tactic_name: str | None = Field(default=None, min_length=1, max_length=50)


class PromptPreview(PublicSchema):
    """A prompt version rendered exactly as the agent would for a call to the customer."""

    prompt_name: str
    prompt_version: int
    customer_id: uuid.UUID
    tactic_name: str | None
    tactic_version: int | None
    variables: dict[str, str]
    rendered: str


Percent = Annotated[Decimal, Field(gt=0, le=100, max_digits=5, decimal_places=2)]


class SettlementFloor(Schema):
    """From `min_days_past_due` on, a lump-sum settlement may go down to `floor_pct` of the balance."""

    min_days_past_due: int = Field(ge=0, le=10_000)
    floor_pct: Percent


class HardshipRules(Schema):
    """Gentler bounds for a customer who states financial hardship."""

    max_installments: int = Field(ge=1, le=120)
    min_installment_amount: MoneyAmount
    max_days_to_first_payment: int = Field(ge=0, le=120)


class NegotiationRules(Schema):
    settlement_floors: list[SettlementFloor] = Field(min_length=1, max_length=20)
    allow_settlement: bool = True
    min_down_payment_pct: Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]
    max_installments: int = Field(ge=1, le=120)
    min_installment_amount: MoneyAmount
    max_days_to_first_payment: int = Field(ge=0, le=120)
    hardship: HardshipRules | None = None

    @field_validator("settlement_floors")
    @classmethod
    def _floors_ordered(cls, floors: list[SettlementFloor]) -> list[SettlementFloor]:
        days = [floor.min_days_past_due for floor in floors]
        if len(set(days)) != len(days):
            raise ValueError("settlement_floors must not repeat min_days_past_due")
        ordered = sorted(floors, key=lambda floor: floor.min_days_past_due)
        if ordered[0].min_days_past_due != 0:
            raise ValueError("settlement_floors must start at min_days_past_due 0")
        return ordered


class NegotiationPolicyUpdate(Schema):
    rules: NegotiationRules


class NegotiationPolicyPublic(PublicSchema):
    id: uuid.UUID
    name: str
    version: int
    rules: NegotiationRules
    is_active: bool
    created_at: datetime
