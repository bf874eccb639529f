"""A real (Twilio) call's recording is paused while the card is keyed and resumed after: the real agent host,
a simulated customer paying by card over the Line websocket protocol, and the real `twilio` client talking to
the local fake Twilio API, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from pydantic import SecretStr

from agent_host.simulator import run_simulated_call, serve_agent_host
from shared.db.engine import transaction
from shared.db.tables import Call, Payment
from shared.domain import CallDirection, CallOutcome, CallType
from shared.models.calls import CallCreate
from shared.runtime import Runtime
from shared.services import calls
from tests.agent_support import AgentDatabase, agent_database, agent_runtime, make_debtor
from tests.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio, running_fake_twilio
from tests.twilio_support import PUBLIC, new_sid

__all__ = ["agent_database", "agent_runtime"]  # fixtures used by this module


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with running_fake_twilio() as fake:
        yield fake


def with_twilio(runtime: Runtime, fake: FakeTwilio) -> Runtime:
    settings = runtime.settings.model_copy(
        update={
            "twilio_account_sid": ACCOUNT_SID,
            "twilio_auth_token": SecretStr(AUTH_TOKEN),
            "public_base_url": PUBLIC,
            "twilio_api_base_url": fake.base_url,
        }
    )
    return dataclasses.replace(runtime, settings=settings)


def twilio_call(runtime: Runtime, org_id: uuid.UUID, customer_id: uuid.UUID, sid: str) -> uuid.UUID:
    """The call row the voice webhook leaves: Twilio's SID on an outbound call to the customer."""
    with transaction(runtime.sessions) as session:
        return calls.create_call(
            session=session,
            org_id=org_id,
            call_in=CallCreate(
                call_type=CallType.CAMPAIGN,
                direction=CallDirection.OUTBOUND,
                customer_id=customer_id,
                call_sid=sid,
            ),
        ).id


async def test_recording_is_paused_for_the_card_and_resumed(
    agent_runtime: Runtime, agent_database: AgentDatabase, fake: FakeTwilio
) -> None:
    """Pause (skipping the span) reaches Twilio before the card is keyed, resume after it is tokenized."""
    runtime = with_twilio(agent_runtime, fake)
    customer = make_debtor(runtime, agent_database.org_id)
    sid = new_sid()
    call_id = twilio_call(runtime, agent_database.org_id, customer.id, sid)
    async with serve_agent_host(runtime) as url:
        result = await run_simulated_call(
            agent_url=url,
            persona="cooperative_payer",
            metadata={"call_id": str(call_id), "organization_id": str(agent_database.org_id)},
            sessions=runtime.sessions,
        )
    assert result.outcome is CallOutcome.PAYMENT
    paused, resumed = fake.recording_updates()
    assert paused.path.endswith(f"/Calls/{sid}/Recordings/Twilio.CURRENT.json")
    assert paused.form_dict == {"Status": "paused", "PauseBehavior": "skip"}
    assert resumed.path == paused.path and resumed.form_dict == {"Status": "in-progress"}


async def test_no_card_is_taken_when_the_recording_cannot_be_paused(
    agent_runtime: Runtime, agent_database: AgentDatabase, fake: FakeTwilio
) -> None:
    """Twilio fails to pause the recording: the agent does not start the card capture, so no digits are
    keyed on a recorded line and no payment is taken."""
    runtime = with_twilio(agent_runtime, fake)
    customer = make_debtor(runtime, agent_database.org_id)
    call_id = twilio_call(runtime, agent_database.org_id, customer.id, new_sid())
    fake.fail_next(500)
    async with serve_agent_host(runtime) as url:
        result = await run_simulated_call(
            agent_url=url,
            persona="cooperative_payer",
            metadata={"call_id": str(call_id), "organization_id": str(agent_database.org_id)},
            sessions=runtime.sessions,
        )
    assert result.outcome is not CallOutcome.PAYMENT
    assert len(fake.recording_updates()) == 1  # the failed pause; nothing to resume
    with transaction(runtime.sessions) as session:
        assert session.scalar(sa.select(Payment).where(Payment.call_id == call_id)) is None


async def test_a_recording_objection_stops_the_twilio_recording_for_the_rest_of_the_call(
    agent_runtime: Runtime, agent_database: AgentDatabase, fake: FakeTwilio
) -> None:
    """ "I don't consent to being recorded" stops the call's recording through the real client (Status
    stopped) at once; a later card capture neither pauses nor resumes it, and the call goes on."""
    from tests.integration.test_agent_authority import converse

    runtime = with_twilio(agent_runtime, fake)
    customer = make_debtor(runtime, agent_database.org_id)
    sid = new_sid()
    call_id = twilio_call(runtime, agent_database.org_id, customer.id, sid)
    meta = {"call_id": str(call_id), "organization_id": str(agent_database.org_id), "brain": "scripted"}
    async with serve_agent_host(runtime) as url:
        talk = await converse(
            url,
            meta,
            [
                "hello",
                "i do not consent to this call being recorded",
                "yes this is avery",
                "four three two one eight five zero zero four",
                "i'll pay the whole thing right now",
                "yes i agree",
                ("keys", "4242424242424242#"),
                ("keys", "1230#"),
                ("keys", "123#"),
            ],
        )
    assert len(talk.turns) > 2, [t.messages for t in talk.turns]
    assert "stopped recording" in talk.turns[2].text
    [stopped] = fake.recording_updates()
    assert stopped.path.endswith(f"/Calls/{sid}/Recordings/Twilio.CURRENT.json")
    assert stopped.form_dict == {"Status": "stopped"}
    assert any("was approved" in m for turn in talk.turns for m in turn.messages)
    with transaction(runtime.sessions) as session:
        row = session.get(Call, call_id)
        assert row is not None and row.call_metadata["recording"] == {"objection": True, "stopped": True}
