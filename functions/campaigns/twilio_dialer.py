"""The function app's dialer: places each call through the Twilio adapter (`shared.integrations.twilio`).

It only places the call — with the voice URL carrying Archer's call id and the status, AMD and (when the
organization records calls) recording callbacks — and returns Twilio's call SID, which `mark_dialed` stores.
How the call ends arrives later at the status webhook, which raises `call_completed` on the orchestration
named in the call's metadata (none for a call outside a campaign, such as a test call)."""

from __future__ import annotations

import asyncio

from sqlalchemy.orm import Session, sessionmaker

from shared.db.engine import transaction
from shared.domain import CallStatus
from shared.integrations.twilio import TwilioTelephony
from shared.models.campaigns import DialReceipt, DialRequest
from shared.services import compliance, telephony


class TwilioDialer:
    """A `functions.campaigns.ports.Dialer` over Twilio. `dial` raises `ExternalServiceError` (transient:
    certainly not placed; permanent: never will be) or `CallMayHaveBeenPlaced` as the port asks."""

    def __init__(self, *, telephony: TwilioTelephony, sessions: sessionmaker[Session]) -> None:
        self.telephony = telephony
        self._sessions = sessions

    def _records(self, request: DialRequest) -> bool:
        with transaction(self._sessions) as session:
            settings = compliance.organization_settings(session=session, org_id=request.organization_id)
            return settings.recording_enabled

    async def dial(self, request: DialRequest) -> DialReceipt:
        record = await asyncio.to_thread(self._records, request)
        placed = await asyncio.to_thread(
            lambda: self.telephony.place_call(
                call_id=request.call_id,
                to_number=request.to_number,
                from_number=request.from_number,
                record=record,
            )
        )
        return DialReceipt(
            call_sid=placed.call_sid, status=telephony.twilio_status(placed.status) or CallStatus.QUEUED
        )
