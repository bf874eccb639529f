"""The conversation corpus's schema and loader: `tests/conversations/*.yaml`, each a list of conversations
written from the law and from how people talk through speech recognition. A file that breaks the schema
fails loading with the file, the conversation and the field named."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)

from tests.conversations.fake_model import MISBEHAVIOURS

CORPUS_DIR = Path(__file__).resolve().parent
ITEMS = {
    "1": "facts from the customer's words",
    "2": "legal events",
    "3": "consent and money",
    "4": "card data",
    "5": "the guard",
    "6": "model failures",
}
Brain = Literal["scripted", "llm"]


class CorpusError(ValueError):
    """A corpus file that cannot be loaded: which file, which conversation, what is wrong."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Turn(_Strict):
    """One thing the customer does: speaks (ASR text), presses keys, hears only part of the agent's last
    message (barge-in: the harness acknowledges `heard` instead of the whole message), or hangs up."""

    say: StrictStr | None = None
    keys: StrictStr | None = None
    heard: StrictStr | None = None
    hangup: StrictBool | None = None

    @model_validator(mode="after")
    def _one_action(self) -> Turn:
        given = [name for name in ("say", "keys", "heard", "hangup") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(f"a turn is exactly one of say, keys, heard, hangup (got {given or 'none'})")
        if self.keys is not None and not re.fullmatch(r"[0-9*#]+", self.keys):
            raise ValueError(f"keys may only be 0-9, * and # (got {self.keys!r})")
        if self.say is not None and self.say != self.say.lower():
            raise ValueError(f"customer lines are lower case, as speech recognition gives them: {self.say!r}")
        return self


class Customer(_Strict):
    name: StrictStr = "Avery Ashgrove"
    last4: StrictStr = "4321"
    postal_code: StrictStr = "85004"
    balance: StrictStr = "1200.00"
    past_due: StrictStr = "300.00"
    days_past_due: int = 200
    preferences: list[StrictStr] = Field(
        default_factory=list
    )  # contact preference kinds on file before the call


class Arrangement(_Strict):
    kind: StrictStr | None = None
    total: StrictStr | None = None


class PaymentExpect(_Strict):
    """`amount`: exactly one succeeded charge of it; `never`: amounts that must not be charged (the call may
    legitimately take no payment)."""

    amount: StrictStr | None = None
    never: list[StrictStr] = Field(default_factory=list)

    @model_validator(mode="after")
    def _amounts(self) -> PaymentExpect:
        for value in [self.amount, *self.never]:
            if value is not None:
                Decimal(value)
        if self.amount is None and not self.never:
            raise ValueError("payment needs amount or never")
        return self


class Expect(_Strict):
    outcome: list[StrictStr] | None = None  # one or a list of acceptable outcomes; None: any
    verified: StrictBool | None = None
    preferences: list[StrictStr] = Field(default_factory=list)  # each "kind" or "kind|other_kind"
    preference_details: dict[StrictStr, list[StrictStr]] = Field(default_factory=dict)  # kind -> regexes
    no_preferences: StrictBool = False
    legal_hold: StrictBool | None = None
    arrangement: Arrangement | Literal["none"] | None = None
    payment: PaymentExpect | Literal["none"] | None = None
    said: list[StrictStr] = Field(default_factory=list)  # regexes some agent text must match
    never_said: list[StrictStr] = Field(default_factory=list)
    never_stored: list[StrictStr] = Field(default_factory=list)
    events: list[StrictStr] = Field(default_factory=list)
    audit: list[StrictStr] | Literal["clean"] | None = None

    @field_validator("outcome", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("said", "never_said", "never_stored")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            re.compile(pattern)
        return patterns

    @model_validator(mode="after")
    def _consistent(self) -> Expect:
        if self.no_preferences and self.preferences:
            raise ValueError("no_preferences and preferences together")
        return self


class Conversation(_Strict):
    id: StrictStr
    item: StrictStr
    law: StrictStr
    brains: list[Brain] = Field(default_factory=lambda: ["scripted", "llm"])
    direction: Literal["outbound", "inbound"] = "outbound"
    customer: Customer = Field(default_factory=Customer)
    model: StrictStr | None = None
    model_from_turn: int = 0  # the model fails (malformed_json, http_*, hang) after this many customer turns
    note: StrictStr | None = None
    turns: list[Turn]
    expect: Expect

    @field_validator("turns", mode="before")
    @classmethod
    def _bare_hangup(cls, turns: Any) -> Any:
        if isinstance(turns, list):
            return [{"hangup": True} if turn == "hangup" else turn for turn in turns]
        return turns

    @field_validator("item")
    @classmethod
    def _known_item(cls, item: str) -> str:
        if item.split(".", maxsplit=1)[0] not in ITEMS:
            raise ValueError(
                f"item {item!r} is not one of the issue's items {sorted(ITEMS)} (e.g. '2.cease')"
            )
        return item

    @field_validator("model")
    @classmethod
    def _known_model(cls, model: str | None) -> str | None:
        if model is not None and model not in MISBEHAVIOURS:
            raise ValueError(f"model {model!r} is not one of {sorted(MISBEHAVIOURS)}")
        return model

    @model_validator(mode="after")
    def _checks(self) -> Conversation:
        if self.model is not None and "llm" not in self.brains:
            raise ValueError("a model misbehaviour only means something on the llm brain")
        return self

    @property
    def major(self) -> str:
        return self.item.split(".")[0]


def load_file(path: Path) -> list[Conversation]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CorpusError(f"{path.name}: not valid YAML: {exc}") from exc
    if not isinstance(raw, list):
        raise CorpusError(f"{path.name}: the file must be a list of conversations")
    conversations = []
    for index, entry in enumerate(raw):
        label = entry.get("id", f"#{index}") if isinstance(entry, dict) else f"#{index}"
        try:
            conversations.append(Conversation.model_validate(entry))
        except ValidationError as exc:
            raise CorpusError(f"{path.name}: conversation {label}: {exc}") from exc
    return conversations


def load_corpus(directory: Path = CORPUS_DIR) -> list[Conversation]:
    """Every conversation of every file; ids are unique across the corpus."""
    conversations: list[Conversation] = []
    for path in sorted(directory.glob("*.yaml")):
        conversations += load_file(path)
    seen: set[str] = set()
    for conversation in conversations:
        if conversation.id in seen:
            raise CorpusError(f"conversation id {conversation.id!r} is used twice")
        seen.add(conversation.id)
    return conversations
