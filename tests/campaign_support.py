"""Campaign test support: a recording fake dialer at the telephony boundary (it records every request it
receives and plays a scripted customer), and helpers that set up an organization with customers in a
database the local driver commits to."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from functions.campaigns.activities import CampaignDeps, Clock
from functions.campaigns.driver import LocalDriver, Registry
from shared.db.engine import transaction
from shared.domain import CallOutcome, CallStatus, LineType, PreferenceKind
from shared.errors import ExternalServiceError
from shared.integrations.cache import EventBus
from shared.models.audit import Actor
from shared.models.campaigns import CALL_COMPLETED_EVENT, CallCompleted, DialReceipt, DialRequest
from shared.models.customers import AccountCreate, ContactPreferenceCreate, CustomerCreate
from shared.models.organizations import OrganizationCreate
from shared.services import campaigns, contact_preferences, customers, organizations


@dataclass(frozen=True)
class Answer:
    """How the scripted customer answers one call."""

    status: CallStatus
    outcome: CallOutcome | None = None
    answered_by: str | None = None
    verified: bool = False
    seconds: int = 0


NO_ANSWER = Answer(CallStatus.NO_ANSWER)
BUSY = Answer(CallStatus.BUSY)
VOICEMAIL = Answer(CallStatus.COMPLETED, CallOutcome.VOICEMAIL, "machine_end_beep", seconds=25)
PROMISE = Answer(CallStatus.COMPLETED, CallOutcome.PROMISE_TO_PAY, "human", verified=True, seconds=240)

Script = Callable[[DialRequest, int], Answer]  # (request, how many times this target was dialed) -> answer


class RecordingDialer:
    """The telephony boundary of the tests. Records each `DialRequest`; after `delay` seconds writes the
    scripted end of the call on its row (as the Twilio status callback would) and raises `call_completed`
    on the instance the request names. With `log_path`, every dial is also appended (and fsynced) to a file,
    so a test can count dials across a killed process."""

    def __init__(
        self,
        driver: LocalDriver,
        sessions: sessionmaker[Session],
        script: Script,
        *,
        delay: float = 0.01,
        log_path: Path | None = None,
        refuse_first: set[uuid.UUID] | None = None,
    ) -> None:
        self.driver, self.sessions, self.script, self.delay, self.log_path = (
            driver,
            sessions,
            script,
            delay,
            log_path,
        )
        self.requests: list[DialRequest] = []
        self.refused: list[DialRequest] = []
        self._dialed: dict[uuid.UUID, int] = {}
        self._refuse_first = set(refuse_first or ())

    async def dial(self, request: DialRequest) -> DialReceipt:
        if request.customer_id in self._refuse_first:  # the carrier answers 503 once: certainly not placed
            self._refuse_first.discard(request.customer_id)
            self.refused.append(request)
            raise ExternalServiceError("carrier busy (503)", service="telephony", is_transient=True)
        self.requests.append(request)
        if self.log_path is not None:
            with self.log_path.open("a") as log:
                log.write(request.model_dump_json() + "\n")
                log.flush()
                os.fsync(log.fileno())
        count = self._dialed[request.campaign_target_id] = self._dialed.get(request.campaign_target_id, 0) + 1
        answer = self.script(request, count)
        self.driver.spawn(self._finish(request, answer))
        return DialReceipt(call_sid=f"SIM{request.call_id.hex[:20]}", status=CallStatus.INITIATED)

    async def _finish(self, request: DialRequest, answer: Answer) -> None:
        await asyncio.sleep(self.delay)
        completed = CallCompleted(
            call_id=request.call_id,
            status=answer.status,
            outcome=answer.outcome,
            answered_by=answer.answered_by,
            duration_seconds=answer.seconds,
        )
        ended = self.driver.clock.now()

        def write() -> None:
            with transaction(self.sessions) as session:
                campaigns.record_call_end(
                    session=session,
                    org_id=request.organization_id,
                    call_id=request.call_id,
                    completed=completed,
                    ended_at=ended,
                    verified=answer.verified,
                )

        await asyncio.to_thread(write)
        await self.driver.raise_event(
            request.orchestration_instance_id, CALL_COMPLETED_EVENT, completed.model_dump(mode="json")
        )


def build_driver(
    sessions: sessionmaker[Session],
    clock: Clock,
    script: Script,
    *,
    bus: EventBus | None = None,
    delay: float = 0.01,
    log_path: Path | None = None,
    refuse_first: set[uuid.UUID] | None = None,
    on_episode: Any = None,
) -> tuple[LocalDriver, RecordingDialer]:
    deps = CampaignDeps(sessions=sessions, dialer=None, clock=clock, bus=bus)  # type: ignore[arg-type]
    driver = LocalDriver(
        sessions=sessions, registry=Registry.for_campaigns(deps), clock=clock, on_episode=on_episode
    )
    dialer = RecordingDialer(
        driver, sessions, script, delay=delay, log_path=log_path, refuse_first=refuse_first
    )
    deps.dialer = dialer
    return driver, dialer


def make_bank(sessions: sessionmaker[Session], name: str | None = None) -> uuid.UUID:
    with transaction(sessions) as session:
        created = organizations.create_organization(
            session=session,
            org_in=OrganizationCreate(name=name or f"Bank {uuid.uuid4().hex[:8]}"),
            actor=Actor.cli(),
        )
        organizations.install_defaults(session=session, org_id=created.organization.id, actor=Actor.cli())
    return created.organization.id


def add_customer(
    sessions: sessionmaker[Session],
    org_id: uuid.UUID,
    *,
    phone: str = "+16025550150",
    postal_code: str = "85004",
    state: str = "AZ",
    line_type: LineType = LineType.LANDLINE,
    days_past_due: int = 45,
    balance: str = "1200.00",
    preferences: tuple[tuple[PreferenceKind, dict[str, Any]], ...] = (),
) -> tuple[uuid.UUID, uuid.UUID]:
    """A customer with one account; returns (customer id, account id)."""
    ref = uuid.uuid4().hex[:10]
    with transaction(sessions) as session:
        customer = customers.create_customer(
            session=session,
            org_id=org_id,
            customer_in=CustomerCreate(
                external_ref=f"C-{ref}",
                name=f"Avery Ashgrove {ref[:4]}",
                phone_number=phone,
                primary_line_type=line_type,
                postal_code=postal_code,
                state=state,
                accounts=[
                    AccountCreate(
                        external_ref=f"A-{ref}",
                        account_last_4="4321",
                        balance=Decimal(balance),
                        past_due_amount=Decimal("100.00"),
                        days_past_due=days_past_due,
                    )
                ],
            ),
            actor=Actor.cli(),
            audited=False,
        )
        for kind, details in preferences:
            contact_preferences.add_preference(
                session=session,
                org_id=org_id,
                customer_id=customer.id,
                preference_in=ContactPreferenceCreate(kind=kind, details=details),
                actor=Actor.cli(),
            )
    return customer.id, customer.accounts[0].id


def dials_in_log(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def local(moment: datetime, zone: str) -> datetime:
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo(zone))
