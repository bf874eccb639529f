"""What Twilio's webhooks do to Archer's calls: answer a call (bridge it to the agent, or refuse it with a
short message), move its status, take the answering-machine result, store its recording.

The routes only validate Twilio's signature and parse; every rule is here:

- **Voice.** An outbound call that is answered is checked again with the compliance engine (a cease request,
  a dispute or the calling window may have changed since it was dialed; the attempt counters are not, as
  this very attempt is already in the ledger) and bridged to the agent, or hung up on with a short message
  that says nothing about a debt. An inbound call-back is looked up by the organization's number and the
  caller id and bridged: the consumer called us, so the outbound rules (window, 7-in-7, cease) do not stop
  the conversation — the agent still verifies before disclosing anything — except attorney representation,
  which sends the caller to a person (`transfer_number`) or ends politely.
- **Status.** Idempotent on Twilio's idempotency token and on CallSid + SequenceNumber; an older event never
  regresses a newer one, and a final status is never replaced. The first final status writes the call's end
  (`campaigns.record_call_end`) and hands back the `call_completed` event for the campaign orchestration, to
  raise once the transaction is committed; `mark_event_raised` notes it was delivered (an undelivered one is
  handed back again by the next callback for the call).
- **AMD.** Stores who answered; a machine (after its greeting ended) makes the call a voicemail: the call is
  redirected to the Regulation F limited-content message (`shared.policy.disclosure.voicemail_message`).
- **Recording.** Stores the recording's SID, URL and duration on the call.

Calls are found by Archer's call id (in the callback URL of the calls Archer places) or by Twilio's CallSid;
a webhook for a call Archer does not know writes nothing."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from shared import telemetry
from shared.config import Settings
from shared.db.tables import Call, Organization
from shared.domain import CallDirection, CallOutcome, CallStatus, CallType
from shared.integrations.twilio import TwilioTelephony
from shared.models.audit import Actor
from shared.models.calls import CallCreate
from shared.models.campaigns import CALL_COMPLETED_EVENT, ORCHESTRATION_INSTANCE_KEY, CallCompleted
from shared.models.organizations import OrganizationSettings
from shared.models.telephony import (
    AmdWebhook,
    CallbackResult,
    CompletionEvent,
    RecordingWebhook,
    StatusWebhook,
    VoiceAnswer,
    VoiceWebhook,
)
from shared.policy import compliance as rules
from shared.policy.disclosure import business_name_violations, voicemail_message
from shared.services import audit, calls, campaigns, compliance, customers

# Call metadata keys this module owns.
TOKENS_KEY = "twilio_callback_tokens"  # idempotency tokens of callbacks already applied (the latest few)
COMPLETION_KEY = "call_completed_event"  # "due" once the first final status is stored, "raised" once sent
VOICEMAIL_KEY = "voicemail"
_TOKENS_KEPT = 64

# The attempt being answered is already in the ledger: counting it again would refuse every 7th call.
_ATTEMPT_COUNT_CODES = frozenset({rules.WEEKLY_LIMIT, rules.STATE_LIMIT})

OUTBOUND_REFUSAL = "Sorry for the interruption. Goodbye."
AGENT_UNAVAILABLE = "We're sorry, we can't continue this call right now. Goodbye."
UNKNOWN_NUMBER = "We're sorry, this number can't take calls right now. Goodbye."
INBOUND_ATTORNEY = "Thank you for calling. We're unable to take your call on this line. Goodbye."

_ACTOR = Actor.system()


def twilio_status(value: str) -> CallStatus | None:
    """Twilio's `CallStatus` (`in-progress`, `no-answer`, ...) as Archer's, or None when unknown."""
    try:
        return CallStatus(value.strip().lower().replace("-", "_"))
    except ValueError:
        return None


def is_machine(answered_by: str | None) -> bool:
    return bool(answered_by) and str(answered_by).startswith("machine")


def sip_uri(
    agent_sip_uri: str, *, call_id: uuid.UUID, org_id: uuid.UUID, traceparent: str | None = None
) -> str:
    """The agent's SIP address carrying Archer's ids (and the call's W3C trace context, so the agent's turns
    join the call's trace) as custom SIP headers (`x-` headers appended as the URI's header part, as
    Twilio's `<Sip>` documents)."""
    separator = "&" if "?" in agent_sip_uri else "?"
    uri = (
        f"{agent_sip_uri}{separator}x-archer-call-id={quote(str(call_id))}"
        f"&x-archer-organization-id={quote(str(org_id))}"
    )
    return f"{uri}&x-archer-traceparent={quote(traceparent)}" if traceparent else uri


def call_trace(session: Session, *, call_id: uuid.UUID | None, call_sid: str) -> dict[str, Any] | None:
    """The metadata of the call a webhook is about (where its trace context lives), read without a lock so
    the webhook's span can start before its work; None for a call Archer does not know yet."""
    query = sa.select(Call.call_metadata)
    query = query.where(Call.id == call_id) if call_id is not None else query.where(Call.call_sid == call_sid)
    metadata: dict[str, Any] | None = session.scalar(query)
    return metadata


# --- Finding the call -------------------------------------------------------------------------------------


def _find_call(session: Session, *, call_id: uuid.UUID | None, call_sid: str) -> Call | None:
    """The call a webhook is about, locked for the transaction (PostgreSQL; SQLite has one writer anyway).
    With a call id, a row that already carries another CallSid is not this call."""
    query = sa.select(Call).with_for_update()
    query = query.where(Call.id == call_id) if call_id is not None else query.where(Call.call_sid == call_sid)
    row = session.scalar(query)
    if row is None:
        return None
    if call_id is not None and row.call_sid not in (None, call_sid):
        return None
    if row.call_sid is None:
        if session.scalar(sa.select(Call.id).where(Call.call_sid == call_sid)) is not None:
            return None  # the SID belongs to another call: this request is not about this one
        row.call_sid = call_sid
    return row


def _audit_call(
    session: Session,
    row: Call,
    action: str,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> None:
    """Audit what a Twilio webhook did to a call (the actor is the system)."""
    audit.record(
        session=session,
        org_id=row.organization_id,
        actor=_ACTOR,
        action=action,
        entity_type="call",
        entity_id=row.id,
        before=before,
        after=after,
        reason=reason,
    )


def _metadata(row: Call) -> dict[str, Any]:
    return dict(row.call_metadata or {})


def _set_metadata(row: Call, **values: Any) -> None:
    row.call_metadata = {**(row.call_metadata or {}), **values}


def _seen(row: Call, token: str | None) -> bool:
    return bool(token) and token in (row.call_metadata or {}).get(TOKENS_KEY, [])


def _remember(row: Call, token: str | None) -> None:
    if not token:
        return
    kept = [*_metadata(row).get(TOKENS_KEY, []), token][-_TOKENS_KEPT:]
    _set_metadata(row, **{TOKENS_KEY: kept})


def _due_event(row: Call) -> CompletionEvent | None:
    """The `call_completed` event of a finished campaign call that has not been delivered yet."""
    metadata = _metadata(row)
    instance = metadata.get(ORCHESTRATION_INSTANCE_KEY)
    if not instance or metadata.get(COMPLETION_KEY) != "due" or not CallStatus(row.status).is_final:
        return None
    completed = CallCompleted(
        call_id=row.id,
        status=CallStatus(row.status),
        outcome=row.outcome,
        answered_by=row.answered_by,
        duration_seconds=row.duration_seconds,
    )
    return CompletionEvent(
        instance_id=str(instance), event_name=CALL_COMPLETED_EVENT, payload=completed.model_dump(mode="json")
    )


def _result(row: Call, **values: Any) -> CallbackResult:
    return CallbackResult(
        call_id=row.id, organization_id=row.organization_id, status=CallStatus(row.status).value, **values
    )


# --- Voice ------------------------------------------------------------------------------------------------


def answer_voice(
    *, session: Session, webhook: VoiceWebhook, agent_sip_uri: str | None, at: datetime
) -> VoiceAnswer:
    """Decide what Twilio does with an answered outbound call (`webhook.call_id` set) or an inbound one."""
    if webhook.call_id is not None:
        return _answer_outbound(session, webhook, agent_sip_uri, at)
    existing = _find_call(session, call_id=None, call_sid=webhook.call_sid)
    if existing is not None:  # Twilio asked again for the same call: the same answer
        return _bridge(existing, agent_sip_uri, record=_records_inbound(session, existing))
    return _answer_inbound(session, webhook, agent_sip_uri, at)


def _bridge(row: Call, agent_sip_uri: str | None, *, record: bool = False) -> VoiceAnswer:
    if not agent_sip_uri:
        _set_metadata(row, voice_refused=["agent_unavailable: ARCHER_AGENT_SIP_URI is not configured"])
        return VoiceAnswer(
            action="hangup",
            call_id=row.id,
            organization_id=row.organization_id,
            say=AGENT_UNAVAILABLE,
            reasons=["agent_unavailable: no agent SIP address is configured"],
        )
    return VoiceAnswer(
        action="bridge",
        call_id=row.id,
        organization_id=row.organization_id,
        sip_uri=sip_uri(
            agent_sip_uri,
            call_id=row.id,
            org_id=row.organization_id,
            traceparent=telemetry.traceparent_from(row.call_metadata),
        ),
        record=record,
    )


def _records_inbound(session: Session, row: Call) -> bool:
    settings = compliance.organization_settings(session=session, org_id=row.organization_id)
    return row.direction is CallDirection.INBOUND and settings.recording_enabled


def _answer_outbound(
    session: Session, webhook: VoiceWebhook, agent_sip_uri: str | None, at: datetime
) -> VoiceAnswer:
    row = _find_call(session, call_id=webhook.call_id, call_sid=webhook.call_sid)
    if row is None:
        return VoiceAnswer(action="hangup", reasons=["unknown_call: Archer placed no such call"])
    if CallStatus(row.status).is_final:
        return VoiceAnswer(
            action="hangup",
            call_id=row.id,
            organization_id=row.organization_id,
            reasons=[f"call_ended: the call is already {CallStatus(row.status).value}"],
        )
    if row.customer_id is not None:
        decision = compliance.check_customer(
            session=session,
            org_id=row.organization_id,
            customer_id=row.customer_id,
            at=at,
            phone_number=row.to_number,
            account_id=row.account_id,
            actor=_ACTOR,
        )
        blocking = [
            reason
            for reason, code in zip(decision.reasons, decision.codes, strict=False)
            if code not in _ATTEMPT_COUNT_CODES
        ]
        if blocking:
            _set_metadata(row, voice_refused=blocking)
            _audit_call(
                session,
                row,
                "call.refused_on_answer",
                after={"reasons": blocking},
                reason="; ".join(blocking),
            )
            return VoiceAnswer(
                action="hangup",
                call_id=row.id,
                organization_id=row.organization_id,
                say=OUTBOUND_REFUSAL,
                reasons=blocking,
            )
    if CallStatus(row.status).rank < CallStatus.IN_PROGRESS.rank:
        row.status = CallStatus.IN_PROGRESS
    row.answered_at = row.answered_at or at
    return _bridge(row, agent_sip_uri)


def _organization_for_number(
    session: Session, number: str | None
) -> tuple[Organization, OrganizationSettings] | None:
    """The organization whose caller id or callback number is `number` (the Twilio number called)."""
    if not number:
        return None
    for row in session.scalars(sa.select(Organization).order_by(Organization.created_at)):
        settings = OrganizationSettings.model_validate(row.settings or {})
        if number in (settings.caller_id_number, settings.callback_number):
            return row, settings
    return None


def _answer_inbound(
    session: Session, webhook: VoiceWebhook, agent_sip_uri: str | None, at: datetime
) -> VoiceAnswer:
    found = _organization_for_number(session, webhook.to_number)
    if found is None:
        return VoiceAnswer(
            action="hangup",
            say=UNKNOWN_NUMBER,
            reasons=["unknown_number: no organization answers this number"],
        )
    organization, settings = found
    matches = (
        customers.find_by_phone(session=session, org_id=organization.id, number=webhook.from_number)
        if webhook.from_number
        else []
    )
    customer = matches[0] if len(matches) == 1 else None  # several people on one number: the agent asks
    codes: list[str] = []
    if customer is not None:
        decision = compliance.check_customer(
            session=session,
            org_id=organization.id,
            customer_id=customer.id,
            at=at,
            phone_number=webhook.from_number,
            actor=_ACTOR,
        )
        standing = {rules.CEASE, rules.DISPUTE, rules.ATTORNEY, rules.CONSENT_REVOKED}
        codes = sorted({code for code in decision.codes if code in standing})
    created = calls.create_call(
        session=session,
        org_id=organization.id,
        call_in=CallCreate(
            call_type=CallType.CALLBACK,
            direction=CallDirection.INBOUND,
            customer_id=customer.id if customer else None,
            call_sid=webhook.call_sid,
            from_number=(webhook.from_number or "")[:20] or None,
            to_number=(webhook.to_number or "")[:20] or None,
            status=CallStatus.IN_PROGRESS,
            start_time=at,
            # The call's trace starts at this webhook (its span is current): later steps continue it.
            metadata=telemetry.inject_traceparent(
                {"caller_matches": len(matches), "standing_preferences": codes}
            ),
        ),
    )
    row = session.get(Call, created.id)
    assert row is not None
    row.answered_at = at
    if rules.ATTORNEY in codes:
        reasons = [f"{rules.ATTORNEY}: the caller's debt is handled through their attorney"]
        _set_metadata(row, voice_refused=reasons)
        if settings.transfer_number:
            return VoiceAnswer(
                action="transfer",
                call_id=row.id,
                organization_id=organization.id,
                transfer_number=settings.transfer_number,
                reasons=reasons,
            )
        return VoiceAnswer(
            action="hangup",
            call_id=row.id,
            organization_id=organization.id,
            say=INBOUND_ATTORNEY,
            reasons=reasons,
        )
    return _bridge(row, agent_sip_uri, record=settings.recording_enabled)


# --- Status -----------------------------------------------------------------------------------------------


def record_status(*, session: Session, webhook: StatusWebhook, at: datetime) -> CallbackResult:
    """Apply one call progress event (idempotent, order-safe); see the module docstring."""
    row = _find_call(session, call_id=webhook.call_id, call_sid=webhook.call_sid)
    if row is None:
        return CallbackResult()
    sequence = webhook.sequence_number
    if _seen(row, webhook.idempotency_token) or (sequence is not None and sequence <= row.status_sequence):
        return _result(row, duplicate=True, event=_due_event(row))
    _remember(row, webhook.idempotency_token)
    if sequence is not None:
        row.status_sequence = sequence
    status = twilio_status(webhook.call_status)
    current = CallStatus(row.status)
    if webhook.answered_by and not row.answered_by:
        row.answered_by = webhook.answered_by
    if status is None or current.is_final:
        # A final status is never replaced; a late event still fills in what the first one lacked.
        if current.is_final and row.duration_seconds is None and webhook.duration_seconds is not None:
            row.duration_seconds = webhook.duration_seconds
        return _result(row, event=_due_event(row))
    if not status.is_final:
        if status.rank > current.rank:
            row.status = status
            if status is CallStatus.IN_PROGRESS:
                row.answered_at = row.answered_at or at
        return _result(row, applied=True)
    before = {"status": current.value}
    campaigns.record_call_end(
        session=session,
        org_id=row.organization_id,
        call_id=row.id,
        completed=CallCompleted(
            call_id=row.id,
            status=status,
            outcome=row.outcome,
            answered_by=row.answered_by,
            duration_seconds=webhook.duration_seconds,
        ),
        ended_at=at,
    )
    if _metadata(row).get(ORCHESTRATION_INSTANCE_KEY):
        _set_metadata(row, **{COMPLETION_KEY: "due"})
    _audit_call(
        session,
        row,
        "call.status",
        before=before,
        after={
            "status": status.value,
            "duration_seconds": row.duration_seconds,
            "answered_by": row.answered_by,
        },
        reason="twilio status callback",
    )
    session.flush()
    return _result(row, applied=True, event=_due_event(row))


def mark_event_raised(*, session: Session, org_id: uuid.UUID, call_id: uuid.UUID) -> None:
    """The call's `call_completed` event reached its orchestration: never hand it out again."""
    row = campaigns.calls_row(session, org_id, call_id)
    _set_metadata(row, **{COMPLETION_KEY: "raised"})
    session.flush()


# --- Answering machine ------------------------------------------------------------------------------------


def record_amd(*, session: Session, webhook: AmdWebhook, at: datetime) -> CallbackResult:
    """Store who answered. A machine makes the call a voicemail: the limited-content message is left (when
    the organization has a callback number and a business name without debt wording) and the call ends; a
    fax is hung up on."""
    row = _find_call(session, call_id=webhook.call_id, call_sid=webhook.call_sid)
    if row is None:
        return CallbackResult()
    if _seen(row, webhook.idempotency_token):
        return _result(row, duplicate=True)
    _remember(row, webhook.idempotency_token)
    row.answered_by = webhook.answered_by
    _set_metadata(row, amd={"answered_by": webhook.answered_by, "detection_ms": webhook.detection_ms})
    action: str = "none"
    say = None
    if is_machine(webhook.answered_by):
        if row.outcome is None:
            row.outcome = CallOutcome.VOICEMAIL
        _set_metadata(row, **{VOICEMAIL_KEY: True})
        if not CallStatus(row.status).is_final:
            action, say = "voicemail", _voicemail_text(session, row.organization_id)
    elif webhook.answered_by == "fax" and not CallStatus(row.status).is_final:
        action = "hangup"
    _audit_call(
        session,
        row,
        "call.answered_by",
        after={"answered_by": webhook.answered_by, "action": action},
        reason="twilio answering-machine detection",
    )
    session.flush()
    return _result(row, applied=True, action=action, say=say)


def _voicemail_text(session: Session, org_id: uuid.UUID) -> str | None:
    """The Regulation F limited-content message, or None when it cannot be left compliantly."""
    settings = compliance.organization_settings(session=session, org_id=org_id)
    organization = session.get(Organization, org_id)
    business = settings.business_name or (organization.name if organization else "")
    if not settings.callback_number or not business or business_name_violations(business):
        return None
    return voicemail_message(
        agent_name=settings.agent_name, business_name=business, callback_number=settings.callback_number
    )


# --- Recording --------------------------------------------------------------------------------------------


def record_recording(*, session: Session, webhook: RecordingWebhook, at: datetime) -> CallbackResult:
    """Store a completed recording's SID, URL and duration on its call (a failed or absent one is noted)."""
    row = _find_call(session, call_id=webhook.call_id, call_sid=webhook.call_sid)
    if row is None:
        return CallbackResult()
    if _seen(row, webhook.idempotency_token):
        return _result(row, duplicate=True)
    _remember(row, webhook.idempotency_token)
    if webhook.recording_status != "completed":
        _set_metadata(row, recording_status=webhook.recording_status)
        return _result(row, applied=True)
    before = {"recording_sid": row.recording_sid}
    row.recording_sid = webhook.recording_sid
    row.recording_url = webhook.recording_url
    row.recording_duration_seconds = webhook.duration_seconds
    _audit_call(
        session,
        row,
        "call.recording",
        before=before,
        after={"recording_sid": webhook.recording_sid, "duration_seconds": webhook.duration_seconds},
        reason="twilio recording callback",
    )
    session.flush()
    return _result(row, applied=True)


# --- Recording control during card capture ----------------------------------------------------------------


class CallRecordings:
    """Pauses a live call's recording while card digits are keyed and resumes it after (PCI: no card
    digits, spoken or as tones, in a recording). A call without a Twilio SID (simulated) or of an
    organization that does not record has nothing to pause."""

    def __init__(self, *, sessions: sessionmaker[Session], telephony: TwilioTelephony) -> None:
        self._sessions = sessions
        self.telephony = telephony

    @classmethod
    def from_settings(cls, settings: Settings, sessions: sessionmaker[Session]) -> CallRecordings | None:
        """The recording control when Twilio is configured, else None (no real call is ever recorded)."""
        adapter = TwilioTelephony.from_settings(settings)
        return None if adapter is None else cls(sessions=sessions, telephony=adapter)

    def _recorded_sid(self, org_id: uuid.UUID, call_id: uuid.UUID) -> str | None:
        with self._sessions() as session:
            row = session.scalar(sa.select(Call).where(Call.organization_id == org_id, Call.id == call_id))
            if row is None or not row.call_sid:
                return None
            settings = compliance.organization_settings(session=session, org_id=org_id)
            return row.call_sid if settings.recording_enabled else None

    async def pause(self, *, org_id: uuid.UUID, call_id: uuid.UUID) -> bool:
        """Pause the call's recording; True when a recording was paused. Raises `ExternalServiceError`
        when Twilio could not be told (the caller must not capture card digits then)."""
        sid = await asyncio.to_thread(self._recorded_sid, org_id, call_id)
        if sid is None:
            return False
        return await asyncio.to_thread(self.telephony.pause_recording, sid)

    async def resume(self, *, org_id: uuid.UUID, call_id: uuid.UUID) -> bool:
        sid = await asyncio.to_thread(self._recorded_sid, org_id, call_id)
        if sid is None:
            return False
        return await asyncio.to_thread(self.telephony.resume_recording, sid)

    async def stop(self, *, org_id: uuid.UUID, call_id: uuid.UUID) -> bool:
        """Stop the call's recording for the rest of the call (an objection to being recorded)."""
        sid = await asyncio.to_thread(self._recorded_sid, org_id, call_id)
        if sid is None:
            return False
        return await asyncio.to_thread(self.telephony.stop_recording, sid)
