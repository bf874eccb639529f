"""The declarative base and the column types every table uses, so PostgreSQL and SQLite store the same thing.

- keys are UUIDs (native `uuid` on PostgreSQL, 32-char text on SQLite: SQLAlchemy's `Uuid`);
- timestamps are timezone-aware and always UTC when read back, on both databases (`UTCDateTime`);
- money is `Numeric(12, 2)` read as `Decimal` (`Money`);
- documents are JSONB on PostgreSQL and JSON on SQLite through one type (`JSONDocument`).
"""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# Constraint names are fixed by convention so that Alembic migrations are stable and reversible.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """`timestamp with time zone` on PostgreSQL; on SQLite naive UTC text. Naive input is refused."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: Archer stores timezone-aware timestamps only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONDocument = sa.JSON().with_variant(JSONB(), "postgresql")
Money = sa.Numeric(12, 2, asdecimal=True)


def enum_column(enum_type: type[enum.StrEnum]) -> sa.Enum:
    """A closed set stored as its string values in a VARCHAR (no native enum: adding a value needs no DDL)."""
    return sa.Enum(
        enum_type,
        native_enum=False,
        create_constraint=False,
        length=32,
        validate_strings=True,
        values_callable=lambda members: [member.value for member in members],
    )


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UTCDateTime(),
        uuid.UUID: sa.Uuid(),
        Decimal: Money,
        dict[str, Any]: JSONDocument,
        list[Any]: JSONDocument,
    }


class IdMixin:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=sa.text("CURRENT_TIMESTAMP"))
    updated_at: Mapped[datetime] = mapped_column(
        default=utcnow, onupdate=utcnow, server_default=sa.text("CURRENT_TIMESTAMP")
    )
