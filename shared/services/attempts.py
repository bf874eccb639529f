"""The Regulation F ledger (`call_attempts`): every outbound attempt to a person about a debt, answered or
not, each under an idempotency key so that placing an attempt is safe to retry — a crashed or replayed
campaign driver finds the attempt it already recorded instead of dialing again."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shared.db.tables import CallAttempt
from shared.domain import AttemptResult, CallDirection
from shared.errors import NotFound
from shared.models.compliance import CallAttemptPublic


def attempt_key(attempt_instance_id: str) -> str:
    """The idempotency key of a campaign attempt: one per attempt orchestration instance (unique per run,
    wave and target, and the same every time that instance's activities run again)."""
    digest = hashlib.blake2b(attempt_instance_id.encode(), digest_size=16).hexdigest()
    return f"attempt:{digest}"


def get_by_key(*, session: Session, org_id: uuid.UUID, idempotency_key: str) -> CallAttemptPublic | None:
    row = session.scalar(
        sa.select(CallAttempt).where(
            CallAttempt.organization_id == org_id, CallAttempt.idempotency_key == idempotency_key
        )
    )
    return None if row is None else CallAttemptPublic.model_validate(row)


def record_attempt(
    *,
    session: Session,
    org_id: uuid.UUID,
    customer_id: uuid.UUID,
    account_id: uuid.UUID | None,
    phone_number: str,
    idempotency_key: str,
    attempted_at: datetime,
    call_id: uuid.UUID | None = None,
    campaign_target_id: uuid.UUID | None = None,
    direction: CallDirection = CallDirection.OUTBOUND,
    looked_up: bool = False,
) -> tuple[CallAttemptPublic, bool]:
    """Record an attempt, or return the one already recorded under `idempotency_key`. The flag says whether
    this call created it. A concurrent insert of the same key loses to the unique constraint, not twice.
    `looked_up`: the caller has just found no attempt under the key in this transaction."""
    existing = (
        None if looked_up else get_by_key(session=session, org_id=org_id, idempotency_key=idempotency_key)
    )
    if existing is not None:
        return existing, False
    row = CallAttempt(
        organization_id=org_id,
        customer_id=customer_id,
        account_id=account_id,
        call_id=call_id,
        campaign_target_id=campaign_target_id,
        phone_number=phone_number,
        direction=direction,
        attempted_at=attempted_at,
        result=AttemptResult.PENDING,
        idempotency_key=idempotency_key,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except sa.exc.IntegrityError:
        found = get_by_key(session=session, org_id=org_id, idempotency_key=idempotency_key)
        if found is None:
            raise
        return found, False
    return CallAttemptPublic.model_validate(row), True


def set_result(
    *,
    session: Session,
    org_id: uuid.UUID,
    attempt_id: uuid.UUID,
    result: AttemptResult,
    is_conversation: bool | None = None,
) -> CallAttemptPublic:
    """Record how the attempt ended (and whether it was a conversation about the debt)."""
    row = session.get(CallAttempt, attempt_id)
    if row is None or row.organization_id != org_id:
        raise NotFound("call attempt not found")
    row.result = result
    if is_conversation is not None:
        row.is_conversation = is_conversation
    session.flush()
    return CallAttemptPublic.model_validate(row)


def list_attempts(
    *,
    session: Session,
    org_id: uuid.UUID,
    customer_id: uuid.UUID,
    since: datetime | None = None,
    until: datetime | None = None,
    campaign_target_id: uuid.UUID | None = None,
) -> list[CallAttemptPublic]:
    """A customer's attempts, oldest first."""
    query = sa.select(CallAttempt).where(
        CallAttempt.organization_id == org_id, CallAttempt.customer_id == customer_id
    )
    if since is not None:
        query = query.where(CallAttempt.attempted_at >= since)
    if until is not None:
        query = query.where(CallAttempt.attempted_at <= until)
    if campaign_target_id is not None:
        query = query.where(CallAttempt.campaign_target_id == campaign_target_id)
    rows = session.scalars(query.order_by(CallAttempt.attempted_at, CallAttempt.id)).all()
    return [CallAttemptPublic.model_validate(row) for row in rows]
