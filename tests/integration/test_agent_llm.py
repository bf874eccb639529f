"""The LLM brain: the Line `LlmAgent` through LiteLLM against a local fake OpenAI-compatible server that returns
scripted tool calls. A well-behaved script verifies, quotes the engine's options and records a promise; a
script that leaks the balance before verification is stopped by the output guard."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from agent_host.simulator import run_simulated_call, serve_agent_host
from agent_host.simulator.personas import Action, Persona, Say
from shared.db.engine import transaction
from shared.db.tables import Call, PaymentArrangement
from shared.domain import CallOutcome, Speaker, TranscriptEntryType
from shared.runtime import Runtime
from tests.agent_support import (
    AgentDatabase,
    agent_database,
    agent_runtime,
    llm_runtime,
    make_debtor,
    stored_entries,
)
from tests.fake_openai import (
    FakeOpenAI,
    Reply,
    ToolCall,
    after,
    agree_to_counter,
    last_user,
    quote_options,
    read_back_counter,
    tool_results,
    when_user,
)
from tests.servers import serve_in_thread

__all__ = ["agent_database", "agent_runtime"]


PROMISE_SCRIPT = [
    when_user("Hello?", Reply(tool_calls=(ToolCall("give_disclosures", {"kind": "recording_notice"}),))),
    after(
        "give_disclosures",
        Reply(text="Hi, this is Alex calling from Demo Bank. May I speak with Avery Ashgrove?"),
        kind="recording_notice",
    ),
    when_user("speaking", Reply(tool_calls=(ToolCall("verify_identity", {"name_confirmed": True}),))),
    after(
        "verify_identity",
        Reply(
            text="Thank you. Please tell me the last four digits of your account number and your ZIP code."
        ),
        outcome="name_confirmed",
    ),
    when_user(
        "ZIP",
        Reply(
            tool_calls=(
                ToolCall(
                    "verify_identity",
                    {"name_confirmed": True, "account_last_4": "4321", "postal_code": "85004"},
                ),
            )
        ),
    ),
    after(
        "verify_identity",
        Reply(
            tool_calls=(
                ToolCall("give_disclosures", {"kind": "mini_miranda"}),
                ToolCall("get_account_summary", {}),
                ToolCall("get_payment_options", {}),
            )
        ),
        outcome="verified",
    ),
    after("get_payment_options", quote_options),
    when_user(
        "Friday",
        Reply(
            tool_calls=(
                ToolCall("evaluate_counter_offer", {"kind": "pay_in_full", "first_payment_date": "Friday"}),
            )
        ),
    ),
    after("evaluate_counter_offer", read_back_counter),
    after("confirm_arrangement", Reply(text=""), read_back=True),
    agree_to_counter,
    after(
        "confirm_arrangement",
        Reply(text="Thank you, that's all set. Is there anything else I can help you with?"),
        confirmed=True,
    ),
    when_user(
        "bye", Reply(text="Thank you, goodbye.", tool_calls=(ToolCall("end_call", {"reason": "done"}),))
    ),
]

LEAK_SCRIPT = [
    when_user(
        "Hello?",
        Reply(
            text="Hi Avery, this is Alex from Demo Bank. You owe $1,200.00 on your credit card account ending in 4321. Can you pay today?"
        ),
    ),
    when_user("who is calling", Reply(text="This is Alex from Demo Bank.")),
    when_user("wrong number", Reply(tool_calls=(ToolCall("verify_identity", {"name_confirmed": False}),))),
    after(
        "verify_identity",
        Reply(
            text="I'm sorry to have bothered you. Goodbye.",
            tool_calls=(ToolCall("end_call", {"reason": "wrong party"}),),
        ),
        outcome="wrong_party",
    ),
]


@dataclasses.dataclass
class PromisesFriday(Persona):
    name: str = "promises_friday"
    expected: CallOutcome = CallOutcome.PROMISE_TO_PAY

    def respond(self, agent_text: str) -> list[Action]:
        if "last four digits" in agent_text:
            return [Say("It's 4321, and my ZIP is 85004.")]
        if "May I speak with" in agent_text:
            return [Say("Yes, speaking.")]
        if "Would that work" in agent_text:
            return [Say("Can I pay the full balance on Friday instead?")]
        if "To confirm:" in agent_text:
            return [Say("Yes, I agree.")]
        return [Say("No, that's all. Thank you, bye.")]


@dataclasses.dataclass
class WrongNumber(Persona):
    name: str = "wrong_number"
    expected: CallOutcome = CallOutcome.WRONG_PARTY

    asked: bool = False

    def respond(self, agent_text: str) -> list[Action]:
        if not self.asked:
            self.asked = True
            return [Say("Who is calling, please?")]
        return [Say("Sorry, you have the wrong number.")]


@pytest.fixture
def fake_llm(request: pytest.FixtureRequest) -> Iterator[tuple[FakeOpenAI, str]]:
    fake = FakeOpenAI(rules=list(request.param))
    with serve_in_thread(fake.app()) as url:
        yield fake, url


@pytest.mark.parametrize("fake_llm", [PROMISE_SCRIPT], indirect=True)
async def test_the_llm_brain_verifies_quotes_the_engine_and_records_a_promise(
    fake_llm: tuple[FakeOpenAI, str], agent_runtime: Runtime, agent_database: AgentDatabase
) -> None:
    """Verification, the mini-Miranda and the engine's offers come from tools; the promise is stored once;
    the auditor finds nothing; the model saw no account fact before verification and no card data."""
    fake, base_url = fake_llm
    runtime = llm_runtime(agent_runtime, base_url)
    customer = make_debtor(runtime, agent_database.org_id)
    async with serve_agent_host(runtime) as url:
        result = await run_simulated_call(
            agent_url=url,
            persona=PromisesFriday(),
            metadata={"organization_id": str(agent_database.org_id), "customer_id": str(customer.id)},
            sessions=runtime.sessions,
        )
    assert result.outcome is CallOutcome.PROMISE_TO_PAY, result.transcript
    assert result.findings == []
    said = " ".join(result.agent_messages)
    assert "attempt to collect a debt" in said and "Your balance is $1,200.00." in said
    assert "To confirm: the full balance of $1,200.00 on Friday" in said
    with transaction(runtime.sessions) as session:
        call = session.get(Call, result.call_id)
        assert call is not None and call.brain == "llm" and call.verified
        promises = session.scalars(
            sa.select(PaymentArrangement).where(PaymentArrangement.call_id == result.call_id)
        ).all()
        assert len(promises) == 1 and promises[0].total_amount == customer.balance
    system = fake.requests[0]["messages"][0]
    assert (
        system["role"] == "system"
        and "Avery Ashgrove" in system["content"]
        and "Empathetic Partner" in system["content"]
    )
    assert "1200" not in system["content"] and "1,200" not in system["content"]
    verified_at = next(
        i for i, body in enumerate(fake.requests) if tool_results(body["messages"], "get_account_summary")
    )
    assert all("1200" not in json.dumps(body) for body in fake.requests[:verified_at])
    verify_frames = [
        call
        for call in result.tool_calls
        if call["name"] == "verify_identity" and call["arguments"].get("account_last_4")
    ]
    assert verify_frames and all(call["arguments"]["account_last_4"] == "***" for call in verify_frames)
    entries = stored_entries(runtime, result.call_id)
    assert not [entry for entry in entries if entry.entry_type is TranscriptEntryType.GUARD]


@pytest.mark.parametrize("fake_llm", [LEAK_SCRIPT], indirect=True)
async def test_the_guard_stops_a_model_that_leaks_the_balance_before_verification(
    fake_llm: tuple[FakeOpenAI, str], agent_runtime: Runtime, agent_database: AgentDatabase
) -> None:
    """The model blurts out the debt to whoever answered: the guard holds it back, says a safe line,
    records a guard intervention, and tells the model why; nothing about the debt reaches the wire."""
    fake, base_url = fake_llm
    runtime = llm_runtime(agent_runtime, base_url)
    customer = make_debtor(runtime, agent_database.org_id)
    async with serve_agent_host(runtime) as url:
        result = await run_simulated_call(
            agent_url=url,
            persona=WrongNumber(),
            metadata={"organization_id": str(agent_database.org_id), "customer_id": str(customer.id)},
            sessions=runtime.sessions,
        )
    assert result.outcome is CallOutcome.WRONG_PARTY and result.findings == []
    sent = " ".join(result.agent_messages).lower()
    for forbidden in ("owe", "$", "1,200", "4321", "credit card", "debt"):
        assert forbidden not in sent, forbidden
    assert "only discuss the reason for my call" in sent
    entries = stored_entries(runtime, result.call_id)
    guards = [entry for entry in entries if entry.entry_type is TranscriptEntryType.GUARD]
    assert guards and guards[0].event_type == "guard_intervention"
    assert "disclosure_before_verification" in guards[0].tool_request["rules"]  # type: ignore[index]
    assert "$1,200.00" in guards[0].tool_request["held_text"]  # type: ignore[index]
    spoken = [
        e.text
        for e in entries
        if e.entry_type is TranscriptEntryType.TRANSCRIPT and e.speaker is Speaker.AGENT
    ]
    assert not any("1,200" in text for text in spoken)
    notes = [
        m
        for body in fake.requests
        for m in body["messages"]
        if m["role"] == "system" and "Compliance guard" in str(m["content"])
    ]
    assert notes


def _take_full_payment(messages: list[dict[str, Any]]) -> Reply:
    offer = tool_results(messages, "evaluate_counter_offer")[-1]["offer"]
    return Reply(tool_calls=(ToolCall("take_payment", {"amount": offer["total_amount"]}),))


def _after_payment(messages: list[dict[str, Any]]) -> Reply | None:
    paid = any("Card payment result" in str(m.get("content")) for m in messages if m.get("role") == "system")
    if paid and last_user(messages) and "bye" not in last_user(messages):
        return Reply(text="Is there anything else I can help you with?")
    return None


PAYMENT_SCRIPT = [
    *PROMISE_SCRIPT[:7],
    when_user(
        "full balance now", Reply(tool_calls=(ToolCall("evaluate_counter_offer", {"kind": "pay_in_full"}),))
    ),
    after("evaluate_counter_offer", read_back_counter),
    after("confirm_arrangement", Reply(text=""), read_back=True),
    agree_to_counter,
    after("confirm_arrangement", _take_full_payment, confirmed=True),
    after("take_payment", Reply(text=""), started=True),
    _after_payment,
    when_user(
        "bye", Reply(text="Thank you, goodbye.", tool_calls=(ToolCall("end_call", {"reason": "paid"}),))
    ),
]


@pytest.mark.parametrize("fake_llm", [PAYMENT_SCRIPT], indirect=True)
async def test_the_llm_brain_takes_a_card_payment_by_keypad(
    fake_llm: tuple[FakeOpenAI, str], agent_runtime: Runtime, agent_database: AgentDatabase
) -> None:
    """The model starts take_payment; the card is keyed and charged by the tools, out of the model's sight
    (no digit reaches it); the model learns only the result."""
    fake, base_url = fake_llm
    runtime = llm_runtime(agent_runtime, base_url)
    customer = make_debtor(runtime, agent_database.org_id)
    async with serve_agent_host(runtime) as url:
        result = await run_simulated_call(
            agent_url=url,
            persona="cooperative_payer",
            metadata={"organization_id": str(agent_database.org_id), "customer_id": str(customer.id)},
            sessions=runtime.sessions,
        )
    assert result.outcome is CallOutcome.PAYMENT, result.transcript
    assert result.findings == []
    assert any("ending in 4242 was approved" in message for message in result.agent_messages)
    sent_to_model = json.dumps(fake.requests)
    assert "4242424242424242" not in sent_to_model and "1230" not in sent_to_model
