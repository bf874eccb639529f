"""Retention: a call's transcript, tool payloads and recording are kept for the organization's retention
period (`OrganizationSettings.retention_days`) and then purged — unless the customer is on legal hold, in
which case nothing of theirs is touched. Every purge is audited per organization with what it removed.

The call row itself stays (outcome, times, campaign, verification flag: the Regulation F ledger and the
analytics need them); its recording reference is cleared and `metadata.retention_purged_at` set."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shared.db.tables import Call, CallTranscriptEntry, Customer, Organization
from shared.models.audit import Actor
from shared.models.compliance import RetentionPurged, RetentionReport
from shared.models.organizations import OrganizationSettings
from shared.services import audit

_BATCH = 1000
_AUDITED_IDS = 500  # call ids listed in the audit entry; the counts are always complete


def _expired(org_id: uuid.UUID, cutoff: datetime) -> sa.ColumnElement[bool]:
    ended = sa.func.coalesce(Call.end_time, Call.start_time)
    return sa.and_(Call.organization_id == org_id, ended < cutoff)


def _on_hold() -> sa.ColumnElement[bool]:
    held = sa.select(Customer.id).where(Customer.id == Call.customer_id, Customer.legal_hold.is_(True))
    return held.exists()


def purge_organization(*, session: Session, org_id: uuid.UUID, at: datetime) -> RetentionPurged:
    """Purge one organization's expired call records; audited as `retention.purge`."""
    org = session.get(Organization, org_id)
    settings = OrganizationSettings.model_validate(org.settings if org is not None else {})
    cutoff = at - timedelta(days=settings.retention_days)
    has_entries = sa.select(CallTranscriptEntry.id).where(CallTranscriptEntry.call_id == Call.id).exists()
    has_recording = sa.or_(Call.recording_sid.is_not(None), Call.recording_url.is_not(None))
    candidates = sa.and_(_expired(org_id, cutoff), sa.or_(has_entries, has_recording))
    held_back = (
        session.scalar(sa.select(sa.func.count()).select_from(Call).where(candidates, _on_hold())) or 0
    )
    call_ids = list(
        session.scalars(sa.select(Call.id).where(candidates, sa.not_(_on_hold())).order_by(Call.id))
    )
    entries = recordings = 0
    for start in range(0, len(call_ids), _BATCH):
        batch = call_ids[start : start + _BATCH]
        deleted = session.execute(
            sa.delete(CallTranscriptEntry).where(CallTranscriptEntry.call_id.in_(batch))
        )
        entries += deleted.rowcount or 0  # type: ignore[attr-defined]
        for call in session.scalars(sa.select(Call).where(Call.id.in_(batch))):
            if call.recording_sid or call.recording_url:
                recordings += 1
            call.recording_sid = call.recording_url = None
            call.recording_duration_seconds = None
            call.call_metadata = {**(call.call_metadata or {}), "retention_purged_at": at.isoformat()}
    session.flush()
    purged = RetentionPurged(
        organization_id=org_id,
        cutoff=cutoff,
        calls=len(call_ids),
        transcript_entries=entries,
        recordings=recordings,
        held_back_calls=held_back,
    )
    if call_ids or held_back:
        audit.record(
            session=session,
            org_id=org_id,
            actor=Actor.system(),
            action="retention.purge",
            entity_type="organization",
            entity_id=org_id,
            after={
                **purged.model_dump(mode="json"),
                "call_ids": [str(call_id) for call_id in call_ids[:_AUDITED_IDS]],
            },
            reason=f"retention period of {settings.retention_days} days; customers on legal hold kept",
        )
    return purged


def purge_expired(*, session: Session, at: datetime) -> RetentionReport:
    """Every organization's purge (the daily timer)."""
    report = RetentionReport(at=at)
    for org_id in session.scalars(sa.select(Organization.id).order_by(Organization.id)):
        report.organizations.append(purge_organization(session=session, org_id=org_id, at=at))
    return report
