"""An arrangement's schedule of payments: what is due now, and what a payment does to it.

The schedule is a list of installments `{"due_date", "amount", "status"[, "paid"]}` (amounts as strings with
two decimals, as stored). A payment settles installments in due-date order: each it covers in full is `paid`,
one it covers in part is `partly_paid` with the amount paid so far. Pure functions: the arrangements service
stores the result."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

ZERO = Decimal("0.00")
SCHEDULED = "scheduled"
PAID = "paid"
PARTLY_PAID = "partly_paid"
_OPEN = {SCHEDULED, PARTLY_PAID}


def _money(value: Any) -> Decimal:
    return Decimal(str(value or "0")).quantize(Decimal("0.01"))


def outstanding(item: Mapping[str, Any]) -> Decimal:
    """What is still owed on one installment."""
    if item.get("status", SCHEDULED) not in _OPEN:
        return ZERO
    return max(ZERO, _money(item.get("amount")) - _money(item.get("paid")))


def amount_due_now(schedule: Sequence[Mapping[str, Any]]) -> Decimal | None:
    """The amount of the first installment not yet paid (what remains of it); None when all are paid."""
    for item in sorted(schedule, key=lambda entry: str(entry.get("due_date", ""))):
        owed = outstanding(item)
        if owed > 0:
            return owed
    return None


@dataclass(frozen=True)
class ScheduleUpdate:
    schedule: list[dict[str, str]]
    fully_paid: bool
    unapplied: Decimal  # paid beyond every installment (kept on the account, not lost)


def apply_payment(schedule: Sequence[Mapping[str, Any]], amount: Decimal) -> ScheduleUpdate:
    """Settle installments in due-date order with `amount`."""
    remaining = _money(amount)
    updated: list[dict[str, str]] = []
    for item in sorted(schedule, key=lambda entry: str(entry.get("due_date", ""))):
        entry = {key: str(value) for key, value in item.items()}
        owed = outstanding(item)
        if owed > 0 and remaining > 0:
            applied = min(owed, remaining)
            remaining -= applied
            paid = _money(item.get("paid")) + applied
            entry["paid"] = f"{paid:.2f}"
            entry["status"] = PAID if applied == owed else PARTLY_PAID
        updated.append(entry)
    fully_paid = all(outstanding(item) == 0 for item in updated)
    return ScheduleUpdate(schedule=updated, fully_paid=fully_paid, unapplied=remaining)
