"""The agent host end to end: the real `VoiceAgentApp` served on loopback, simulated customers speaking the
Line harness protocol over a real websocket, the scripted brain, on SQLite and PostgreSQL (with Redis)."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import uuid
from datetime import datetime

import pytest
import sqlalchemy as sa

from agent_host.simulator import (
    PERSONAS,
    HarnessClient,
    HarnessError,
    Identity,
    load_identity,
    run_simulated_call,
    serve_agent_host,
)
from agent_host.simulator.personas import Action, HangUp, NeedsPlan, Say, asks_anything_else, offers_something
from shared.db.engine import transaction
from shared.db.tables import AuditLogEntry, Call, ContactPreference, Payment, PaymentArrangement
from shared.domain import (
    ActorType,
    CallDirection,
    CallOutcome,
    CallStatus,
    CallType,
    PreferenceKind,
    Speaker,
    TranscriptEntryType,
)
from shared.models.agent import SESSION_TTL_SECONDS, session_key
from shared.models.calls import CallCreate
from shared.models.events import channel_for
from shared.policy.guard import account_detail_findings, protected_terms_for
from shared.runtime import Runtime
from shared.services import calls, live
from tests.agent_support import AgentDatabase, agent_database, agent_runtime, make_debtor, stored_entries

__all__ = ["agent_database", "agent_runtime"]  # fixtures used by this module

VERIFIED_PERSONAS = {
    "cooperative_payer", "needs_plan", "settlement_seeker", "hardship", "hostile_refuser", "disputes_debt",
    "asks_for_human", "stop_calling", "busy_callback",
}  # fmt: skip
UNVERIFIED_PERSONAS = ("wrong_person", "fails_verification", "prompt_injection")


def _metadata(db: AgentDatabase, customer_id: uuid.UUID, **extra: object) -> dict[str, object]:
    return {"organization_id": str(db.org_id), "customer_id": str(customer_id), "call_type": "test", **extra}


@pytest.mark.parametrize("persona", sorted(PERSONAS))
async def test_every_persona_reaches_its_outcome_with_no_findings(
    persona: str, agent_runtime: Runtime, agent_database: AgentDatabase
) -> None:
    """Each persona reaches its expected outcome with the scripted brain, the auditor finds nothing, and
    the database holds the whole call in order: every agent message as sent, every customer turn."""
    customer = make_debtor(agent_runtime, agent_database.org_id)
    async with serve_agent_host(agent_runtime) as url:
        result = await run_simulated_call(
            agent_url=url,
            persona=persona,
            metadata=_metadata(agent_database, customer.id),
            sessions=agent_runtime.sessions,
        )
    assert result.outcome is result.expected_outcome, result.transcript
    assert result.findings == []
    entries = stored_entries(agent_runtime, result.call_id)
    assert [entry.sequence for entry in entries] == list(range(len(entries)))
    assert all(a.timestamp <= b.timestamp for a, b in itertools.pairwise(entries))
    said = [
        e.text
        for e in entries
        if e.entry_type is TranscriptEntryType.TRANSCRIPT and e.speaker is Speaker.AGENT
    ]
    assert said == result.agent_messages
    heard = [
        e for e in entries if e.entry_type is TranscriptEntryType.TRANSCRIPT and e.speaker is Speaker.CUSTOMER
    ]
    assert len(heard) == sum(1 for line in result.transcript if line.speaker == "customer")
    assert not [e for e in entries if e.entry_type is TranscriptEntryType.GUARD]
    assert entries[-1].event_type == "call_ended"
    with transaction(agent_runtime.sessions) as session:
        call = session.get(Call, result.call_id)
        assert call is not None
        assert (call.status, call.outcome, call.brain) == (CallStatus.COMPLETED, result.outcome, "scripted")
        assert call.end_time is not None and call.behavioral_tactic_id and call.system_prompt_id
        assert call.negotiation_policy_id is not None
        assert call.verified is (persona in VERIFIED_PERSONAS)
        assert (call.answered_at is not None) is call.verified


@pytest.mark.parametrize("persona", UNVERIFIED_PERSONAS)
async def test_unverified_callers_never_hear_the_debt(
    persona: str, agent_runtime: Runtime, agent_database: AgentDatabase
) -> None:
    """Wrong person, failed verification and prompt injection: nothing the agent sent mentions the debt,
    the balance or any account detail (plain text search and the guard's detector), and no account tool
    returned data."""
    customer = make_debtor(
        agent_runtime, agent_database.org_id, balance="2345.67", past_due="345.67", last4="8642"
    )
    async with serve_agent_host(agent_runtime) as url:
        result = await run_simulated_call(
            agent_url=url,
            persona=persona,
            metadata=_metadata(agent_database, customer.id),
            sessions=agent_runtime.sessions,
        )
    assert result.outcome is result.expected_outcome and result.findings == []
    sent = " ".join(result.agent_messages).lower()
    for forbidden in (
        "debt",
        "balance",
        "$",
        "2,345",
        "2345",
        "345.67",
        "8642",
        "past due",
        "owe",
        "collect",
        "credit card",
        "dollar",
    ):
        assert forbidden not in sent, forbidden
    protected = protected_terms_for(account_last4s=["8642"], amounts=[customer.balance])
    assert all(account_detail_findings(message, protected) == [] for message in result.agent_messages)
    for call in result.tool_calls:
        if call["name"] in {"get_account_summary", "get_payment_options"}:
            assert json.loads(call["result"]).get("refused")


class HangsUpAfterTheOffer(NeedsPlan):
    """Verifies, hears the first offer, and hangs up."""

    def negotiate(self, agent_text: str) -> list[Action]:
        return [HangUp()] if offers_something(agent_text) else super().negotiate(agent_text)


async def test_a_dropped_websocket_is_finalized_as_abandoned_with_its_transcript(
    agent_runtime: Runtime, agent_database: AgentDatabase
) -> None:
    """The customer hangs up mid-call: the host finalizes the call as abandoned and keeps the transcript."""
    customer = make_debtor(agent_runtime, agent_database.org_id)
    identity = await asyncio.to_thread(load_identity, agent_runtime.sessions, customer.id)
    async with serve_agent_host(agent_runtime) as url:
        result = await run_simulated_call(
            agent_url=url,
            persona=HangsUpAfterTheOffer(identity=identity),
            metadata=_metadata(agent_database, customer.id),
            sessions=agent_runtime.sessions,
        )
    assert result.ended_by == "customer" and result.outcome is CallOutcome.ABANDONED
    assert result.findings == []
    entries = stored_entries(agent_runtime, result.call_id)
    said = [
        e.text
        for e in entries
        if e.speaker is Speaker.AGENT and e.entry_type is TranscriptEntryType.TRANSCRIPT
    ]
    assert said == result.agent_messages and any("Would that work" in text for text in said)
    assert [e.text for e in entries if e.event_type == "call_ended"] == ["websocket closed"]


async def test_a_connection_cut_mid_turn_still_saves_what_was_said(
    agent_runtime: Runtime, agent_database: AgentDatabase
) -> None:
    """The socket closes right after the customer speaks, before the agent answers: the customer's words
    are stored and the call is abandoned."""
    customer = make_debtor(agent_runtime, agent_database.org_id)
    call_id = uuid.uuid4()
    async with serve_agent_host(agent_runtime) as url, HarnessClient.open(url) as client:
        await client.start(
            call_id=str(call_id), metadata=_metadata(agent_database, customer.id, call_id=str(call_id))
        )
        await client.read_turn()
        await client.say("Hello?")
        await client.read_turn()
        await client.say("Yes, speaking, and my last four are 4321")
        await client.close()
        for _ in range(200):
            with transaction(agent_runtime.sessions) as session:
                call = session.get(Call, call_id)
                if call is not None and call.outcome is not None:
                    break
            await asyncio.sleep(0.02)
    assert call is not None and call.outcome is CallOutcome.ABANDONED and call.end_time is not None
    customer_lines = [e.text for e in stored_entries(agent_runtime, call_id) if e.speaker is Speaker.CUSTOMER]
    assert customer_lines[-1] == "Yes, speaking, and my last four are 4321"


async def test_an_unknown_number_gets_a_generic_greeting(
    agent_runtime: Runtime, agent_database: AgentDatabase
) -> None:
    """No customer for the number dialed: a polite greeting that discloses nothing, recorded unknown_party."""
    async with serve_agent_host(agent_runtime) as url:
        result = await run_simulated_call(
            agent_url=url,
            persona="cooperative_payer",
            metadata={
                "organization_id": str(agent_database.org_id),
                "to": "+15055550123",
                "direction": "outbound",
            },
            sessions=agent_runtime.sessions,
        )
    assert result.outcome is CallOutcome.UNKNOWN_PARTY and result.findings == []
    assert "don't have the right details" in " ".join(result.agent_messages)
    with transaction(agent_runtime.sessions) as session:
        call = session.get(Call, result.call_id)
        assert call is not None and call.customer_id is None and call.to_number == "+15055550123"


async def test_an_inbound_caller_is_found_by_caller_id_and_verified_by_name(
    agent_runtime: Runtime, agent_database: AgentDatabase
) -> None:
    """An inbound call is greeted first; the caller is found from `from`, says their name, verifies."""
    customer = make_debtor(agent_runtime, agent_database.org_id, name="Jordan Quillfeather")
    identity = Identity(name=customer.name, account_last4="4321", postal_code=customer.postal_code)
    async with serve_agent_host(agent_runtime) as url:
        result = await run_simulated_call(
            agent_url=url,
            persona="needs_plan",
            identity=identity,
            metadata={
                "organization_id": str(agent_database.org_id),
                "direction": "inbound",
                "from": customer.phone_number,
            },
            sessions=agent_runtime.sessions,
        )
    # The recording notice first, and the greeting in the same breath (one message).
    assert result.agent_messages[0].startswith("This call may be recorded")
    assert "Thank you for calling Demo Bank" in result.agent_messages[0]
    assert result.outcome is CallOutcome.PAYMENT_PLAN and result.findings == []
    with transaction(agent_runtime.sessions) as session:
        call = session.get(Call, result.call_id)
        assert (
            call is not None and call.direction is CallDirection.INBOUND and call.customer_id == customer.id
        )


async def test_the_start_metadata_attaches_to_a_precreated_call(
    agent_runtime: Runtime, agent_database: AgentDatabase
) -> None:
    """A call row made by the campaign driver or test-call API is the one the agent conducts and marks
    verified (Regulation F's conversation) with its answered time."""
    customer = make_debtor(agent_runtime, agent_database.org_id)
    with transaction(agent_runtime.sessions) as session:
        created = calls.create_call(
            session=session,
            org_id=agent_database.org_id,
            call_in=CallCreate(
                call_type=CallType.CAMPAIGN, direction=CallDirection.OUTBOUND, customer_id=customer.id
            ),
        )
    async with serve_agent_host(agent_runtime) as url:
        result = await run_simulated_call(
            agent_url=url,
            persona="hostile_refuser",
            metadata={"call_id": str(created.id), "organization_id": str(agent_database.org_id)},
            sessions=agent_runtime.sessions,
        )
    assert result.call_id == created.id and result.outcome is CallOutcome.REFUSED
    with transaction(agent_runtime.sessions) as session:
        call = session.get(Call, created.id)
        assert call is not None and call.verified and isinstance(call.answered_at, datetime)
        assert (
            call.call_type is CallType.CAMPAIGN and call.call_metadata["tactic_name"] == "empathetic_partner"
        )


async def test_live_events_and_session_state(agent_runtime: Runtime, agent_database: AgentDatabase) -> None:
    """The call publishes call.started, call.transcript, call.tool and call.ended on the organization's
    channel, without card digits; its session state sits in the cache with a TTL of at most 10 minutes."""
    customer = make_debtor(agent_runtime, agent_database.org_id)
    received: list[str] = []
    async with agent_runtime.cache.subscribe(channel_for(agent_database.org_id)) as subscription:
        async with serve_agent_host(agent_runtime) as url:
            result = await run_simulated_call(
                agent_url=url,
                persona="cooperative_payer",
                metadata=_metadata(agent_database, customer.id),
                sessions=agent_runtime.sessions,
            )
        while (message := await subscription.next(timeout=1)) is not None:
            received.append(message)
    events = [
        event for event in map(live.parse, received) if getattr(event, "call_id", None) == result.call_id
    ]
    kinds = [event.type for event in events]
    assert kinds[0] == "call.started" and kinds[-1] == "call.ended"
    assert {"call.transcript", "call.tool"} <= set(kinds)
    assert events[-1].outcome is CallOutcome.PAYMENT  # type: ignore[union-attr]
    assert not any("4242424242424242" in message or "4242 4242" in message for message in received)
    state = await agent_runtime.cache.get(session_key(result.call_id))
    assert state is not None and json.loads(state)["verified"] is True
    ttl = await agent_runtime.cache.ttl(session_key(result.call_id))
    assert ttl is not None and 0 < ttl <= SESSION_TTL_SECONDS


async def test_payments_keep_no_card_digits_and_requests_are_recorded(
    agent_runtime: Runtime, agent_database: AgentDatabase
) -> None:
    """A card payment stores a token and the last 4 (no card number anywhere in the call's record); a stop
    request, a dispute and a callback are stored as the agent's actions on the call."""
    org_id = agent_database.org_id
    people = {
        name: make_debtor(agent_runtime, org_id)
        for name in ("cooperative_payer", "stop_calling", "disputes_debt", "busy_callback")
    }
    async with serve_agent_host(agent_runtime) as url:
        results = {
            name: await run_simulated_call(
                agent_url=url,
                persona=name,
                metadata=_metadata(agent_database, person.id),
                sessions=agent_runtime.sessions,
            )
            for name, person in people.items()
        }
    paid = results["cooperative_payer"]
    dump = json.dumps(
        [{"text": e.text, "req": e.tool_request, "res": e.tool_response} for e in paid.stored_transcript]
    )
    # Ids are hex and may hold "1230" by chance; the card's expiry must not appear anywhere else.
    without_ids = re.sub(r"[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}|tok_\w+", "<id>", dump)
    assert "4242424242424242" not in dump and "1230" not in without_ids
    assert [e.text for e in paid.stored_transcript if e.entry_type is TranscriptEntryType.DTMF] == ["*"] * 26
    with transaction(agent_runtime.sessions) as session:
        payment = session.scalar(sa.select(Payment).where(Payment.call_id == paid.call_id))
        assert (
            payment is not None
            and payment.card_last4 == "4242"
            and payment.card_token.startswith("tok_sandbox_")
        )
        assert session.scalar(
            sa.select(PaymentArrangement.id).where(PaymentArrangement.call_id == paid.call_id)
        )
        kinds = {
            row.kind: row
            for row in session.scalars(
                sa.select(ContactPreference).where(
                    ContactPreference.organization_id == org_id,
                    ContactPreference.source.in_(("agent", "call")),
                )
            )
        }
        cease = kinds[PreferenceKind.CEASE_CONTACT]
        assert (
            cease.customer_id == people["stop_calling"].id
            and cease.call_id == results["stop_calling"].call_id
        )
        assert kinds[PreferenceKind.DISPUTE].account_id == people["disputes_debt"].accounts[0].id
        actors = session.scalars(
            sa.select(AuditLogEntry.actor_id).where(
                AuditLogEntry.organization_id == org_id, AuditLogEntry.actor_type == ActorType.AGENT
            )
        ).all()
        assert str(results["stop_calling"].call_id) in actors
        callback = session.get(Call, results["busy_callback"].call_id)
        assert callback is not None and callback.call_metadata["callback"]["time_of_day"] == "afternoon"


@pytest.mark.parametrize(
    ("tactic", "first_words"),
    [("anchor_and_frame", "You could pay the full balance"), ("empathetic_partner", "I'd like to find")],
)
async def test_the_tactic_orders_the_offers(
    tactic: str, first_words: str, agent_runtime: Runtime, agent_database: AgentDatabase
) -> None:
    """`tactic_name` changes which offer comes first and how it is worded, never the bounds."""
    customer = make_debtor(agent_runtime, agent_database.org_id)
    async with serve_agent_host(agent_runtime) as url:
        result = await run_simulated_call(
            agent_url=url,
            persona="needs_plan",
            metadata=_metadata(agent_database, customer.id, tactic_name=tactic),
            sessions=agent_runtime.sessions,
        )
    first_offer = next(message for message in result.agent_messages if "Would that work" in message)
    assert first_offer.split("past due. ")[-1].startswith(first_words)
    assert result.outcome is CallOutcome.PAYMENT_PLAN and result.findings == []


async def test_bad_start_metadata_is_an_error_frame(
    agent_runtime: Runtime, agent_database: AgentDatabase
) -> None:
    """A malformed call_id or an unknown tactic is refused with an error frame naming the field."""
    customer = make_debtor(agent_runtime, agent_database.org_id)
    async with serve_agent_host(agent_runtime) as url:
        for extra, message in (
            ({"call_id": "nope"}, r"metadata\.call_id is not a UUID"),
            ({"tactic_name": "bogus"}, "no active tactic named 'bogus'"),
        ):
            async with HarnessClient.open(url) as client:
                await client.start(
                    call_id="harness-1", metadata=_metadata(agent_database, customer.id, **extra)
                )
                with pytest.raises(HarnessError, match=message):
                    await client.read_turn()


async def test_concurrent_calls_keep_their_own_state(
    agent_runtime: Runtime, agent_database: AgentDatabase
) -> None:
    """Many calls at once on one host: each persona still reaches its own outcome."""
    names = sorted(PERSONAS)
    people = [make_debtor(agent_runtime, agent_database.org_id) for _ in names]
    async with serve_agent_host(agent_runtime) as url:
        results = await asyncio.gather(
            *(
                run_simulated_call(
                    agent_url=url,
                    persona=name,
                    metadata=_metadata(agent_database, person.id),
                    sessions=agent_runtime.sessions,
                )
                for name, person in zip(names, people, strict=True)
            )
        )
    assert [(r.persona, r.outcome) for r in results] == [(r.persona, r.expected_outcome) for r in results]
    assert all(r.findings == [] for r in results)


def test_personas_answer_anything_else() -> None:
    assert asks_anything_else("Is there anything else I can help you with today?")
    assert isinstance(
        PERSONAS["needs_plan"]().negotiate("Is there anything else I can help you with?")[0], Say
    )


class SaysTheCardAloud(NeedsPlan):
    """Reads a card number out loud, then asks for a plan."""

    def negotiate(self, agent_text: str) -> list[Action]:
        if offers_something(agent_text) and not self.memory.get("said"):
            self.memory["said"] = "yes"
            return [Say("Can I just give you my card number, 4242 4242 4242 4242, expiry 12/30?")]
        return super().negotiate(agent_text)


async def test_a_card_number_said_aloud_is_never_stored(
    agent_runtime: Runtime, agent_database: AgentDatabase
) -> None:
    """Card digits the customer speaks are masked in the stored transcript and its live events."""
    customer = make_debtor(agent_runtime, agent_database.org_id)
    identity = await asyncio.to_thread(load_identity, agent_runtime.sessions, customer.id)
    async with serve_agent_host(agent_runtime) as url:
        result = await run_simulated_call(
            agent_url=url,
            persona=SaysTheCardAloud(identity=identity),
            metadata=_metadata(agent_database, customer.id),
            sessions=agent_runtime.sessions,
        )
    assert result.findings == []
    stored = json.dumps([entry.model_dump(mode="json") for entry in result.stored_transcript])
    assert "4242 4242 4242 4242" not in stored and "4242424242424242" not in stored
    assert "[card number removed]" in stored


class HasAnAttorney(NeedsPlan):
    def negotiate(self, agent_text: str) -> list[Action]:
        if offers_something(agent_text):
            return [Say("I have an attorney handling this. Talk to my lawyer.")]
        return super().negotiate(agent_text)


async def test_an_attorney_is_recorded_and_the_call_ends(
    agent_runtime: Runtime, agent_database: AgentDatabase
) -> None:
    """A verified customer represented by an attorney: an attorney preference, recorded by the agent."""
    customer = make_debtor(agent_runtime, agent_database.org_id)
    identity = await asyncio.to_thread(load_identity, agent_runtime.sessions, customer.id)
    async with serve_agent_host(agent_runtime) as url:
        result = await run_simulated_call(
            agent_url=url,
            persona=HasAnAttorney(identity=identity),
            metadata=_metadata(agent_database, customer.id),
            sessions=agent_runtime.sessions,
        )
    assert result.outcome is CallOutcome.CEASE_REQUESTED and result.findings == []
    with transaction(agent_runtime.sessions) as session:
        kinds = session.scalars(
            sa.select(ContactPreference.kind).where(ContactPreference.customer_id == customer.id)
        ).all()
    assert kinds == [PreferenceKind.ATTORNEY]


async def test_another_organizations_customer_is_an_unknown_party(
    agent_runtime: Runtime, agent_database: AgentDatabase
) -> None:
    """A start frame naming one organization and another's customer: the agent treats the caller as
    unknown and discloses nothing about that customer."""
    from tests.agent_support import _make_org

    other_org = _make_org(agent_database.url)
    customer = make_debtor(agent_runtime, agent_database.org_id, name="Quinn Sablethorne")
    async with serve_agent_host(agent_runtime) as url:
        result = await run_simulated_call(
            agent_url=url,
            persona="cooperative_payer",
            metadata={"organization_id": str(other_org), "customer_id": str(customer.id)},
            sessions=agent_runtime.sessions,
        )
    assert result.outcome is CallOutcome.UNKNOWN_PARTY
    assert "Quinn" not in " ".join(result.agent_messages) and "Sablethorne" not in " ".join(
        result.agent_messages
    )
    with transaction(agent_runtime.sessions) as session:
        call = session.get(Call, result.call_id)
        assert call is not None and call.organization_id == other_org and call.customer_id is None
