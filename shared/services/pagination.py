"""Opaque keyset cursors: a page continues after the last row's sort key, so pages stay stable and fast at
any depth (no OFFSET scans)."""

from __future__ import annotations

import base64
import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shared.errors import InvalidInput

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
COUNT_CAP = 1_000
"""Rows a list counts exactly per request; beyond it the page says `count_capped` (counting every match of a
broad filter on every page would cost more than the page itself)."""


def encode_cursor(*values: Any) -> str:
    raw = json.dumps([str(value) for value in values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, *, parts: int) -> list[str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput(
            "cursor is not valid; use the next_cursor of a previous page", field="cursor"
        ) from None
    if not isinstance(values, list) or len(values) != parts or not all(isinstance(v, str) for v in values):
        raise InvalidInput("cursor is not valid; use the next_cursor of a previous page", field="cursor")
    return values


def clamp_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    if limit < 1 or limit > MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}", field="limit")
    return limit


def capped_count(session: Session, matching: sa.Select[Any], cap: int = COUNT_CAP) -> tuple[int, bool]:
    """How many rows `matching` selects, counted up to `cap` (a bounded subquery, so the database stops
    there): `(count, capped)`."""
    bounded = matching.limit(cap + 1).subquery()
    count = session.scalar(sa.select(sa.func.count()).select_from(bounded)) or 0
    return min(count, cap), count > cap
