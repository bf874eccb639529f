"""Authority from the caller's words, not the model's: over the real websocket, a local fake model that
misbehaves — invents verification digits, invents consent, overcharges — is contained by the tools, which
read identity, factors, consent and the amount due from what the customer said. The scripted brain's
read-back, cut off by a barge-in, is read again before a yes counts."""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from agent_host.simulator import serve_agent_host
from agent_host.simulator.client import AgentTurn, HarnessClient
from shared.db.engine import transaction
from shared.db.tables import Call, Payment, PaymentArrangement
from shared.domain import TranscriptEntryType
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
    last_user,
    tool_results,
    when_user,
)
from tests.servers import serve_in_thread

__all__ = ["agent_database", "agent_runtime"]


@dataclasses.dataclass
class Conversation:
    call_id: uuid.UUID
    turns: list[AgentTurn]

    @property
    def said(self) -> str:
        return " ".join(message for turn in self.turns for message in turn.messages)

    @property
    def tool_results(self) -> list[dict[str, Any]]:
        """Every tool result the harness saw (sent as JSON text), with the tool's name."""
        found = []
        for turn in self.turns:
            for frame in turn.tool_calls:
                result: Any = frame.get("result")
                while isinstance(result, str):
                    try:
                        result = json.loads(result)
                    except ValueError:
                        break
                if isinstance(result, dict):
                    found.append({"name": frame.get("name"), **result})
        return found


async def converse(
    url: str,
    metadata: dict[str, Any],
    lines: list[str | tuple[str, str]],
    *,
    heard: dict[int, str] | None = None,
) -> Conversation:
    """Say `lines` in order, each after the agent's turn; `("keys", "123#")` presses keys. The harness reports
    each agent turn as spoken in full, except turn `i` in `heard`, reported cut off after those words."""
    call_id = uuid.UUID(str(metadata["call_id"])) if metadata.get("call_id") else uuid.uuid4()
    turns: list[AgentTurn] = []
    async with HarnessClient.open(url) as client:
        await client.start(call_id=str(call_id), metadata={**metadata, "call_id": str(call_id)})
        turn = await client.read_turn()
        turns.append(turn)
        for index, line in enumerate(lines):
            if turn.finished:
                break
            await client.acknowledge([heard[index]] if heard and index in heard else turn.messages)
            if isinstance(line, tuple):
                merged = AgentTurn()
                for button in line[1]:
                    await client.press(button)
                    step = await client.read_turn()
                    merged.messages += step.messages
                    merged.tool_calls += step.tool_calls
                    merged.ended = step.ended
                turn = merged
            else:
                await client.say(line)
                turn = await client.read_turn()
            turns.append(turn)
    return Conversation(call_id=call_id, turns=turns)


def _arrangements(runtime: Runtime, call_id: uuid.UUID) -> list[PaymentArrangement]:
    with transaction(runtime.sessions) as session:
        rows = session.scalars(sa.select(PaymentArrangement).where(PaymentArrangement.call_id == call_id))
        return list(rows.all())


# --- The scripted brain: a read-back cut off by a barge-in ---------------------------------------------------


async def test_a_yes_over_an_interrupted_read_back_is_not_consent(
    agent_runtime: Runtime, agent_database: AgentDatabase
) -> None:
    """The harness reports only "To confirm:" spoken before the caller's "yes": the terms are read again and
    nothing is stored until the caller says yes to terms they heard in full."""
    customer = make_debtor(agent_runtime, agent_database.org_id)
    meta = _meta(agent_database, customer.id, brain="scripted")
    async with serve_agent_host(agent_runtime) as url:
        talk = await converse(
            url,
            meta,
            [
                "hello",
                "yeah speaking",
                "four three two one eight five zero zero four",
                "um i can pay the whole thing on friday",
                "yes",
                "yes i agree",
                "no that's all thanks bye",
            ],
            heard={4: "To confirm:"},
        )
    read_backs = [m for turn in talk.turns for m in turn.messages if "To confirm:" in m]
    assert len(read_backs) == 2 and "read that again" in talk.turns[5].text
    stored = _arrangements(agent_runtime, talk.call_id)
    assert len(stored) == 1 and stored[0].total_amount == Decimal("1200.00")


# --- The LLM brain against a misbehaving model ---------------------------------------------------------------


def _offer_id(messages: list[dict[str, Any]]) -> str:
    offers = tool_results(messages, "get_payment_options")[-1]["offers"]
    return str(next(offer["id"] for offer in offers if offer["kind"] == "payment_plan"))


OPENING = [
    when_user(
        "hello", Reply(text="Hi, this is Alex calling from Demo Bank. May I speak with Avery Ashgrove?")
    ),
]
# A model that believes whatever it is told — and tells the tools the customer's true digits.
# The customer's true digits, whatever was said.
TRUE_DIGITS = Reply(
    tool_calls=(
        ToolCall(
            "verify_identity", {"name_confirmed": True, "account_last_4": "4321", "postal_code": "85004"}
        ),
    )
)
INVENTED_VERIFICATION = [
    *OPENING,
    when_user("zero", TRUE_DIGITS),
    when_user("his numbers", TRUE_DIGITS),
    after(
        "verify_identity",
        Reply(tool_calls=(ToolCall("get_account_summary", {}),)),
    ),
    after("get_account_summary", Reply(text="Your balance is $1,200.00 on the account ending in 4321.")),
    when_user("speaking", Reply(text="Thanks. Your last four and ZIP code, please?")),
]

# A model that negotiates properly up to the read-back, then invents the customer's consent.
NEGOTIATE = [
    *OPENING,
    when_user("speaking", Reply(text="Thank you. Please tell me the last four digits and your ZIP code.")),
    when_user(
        "eight five",
        Reply(tool_calls=(ToolCall("verify_identity", {"name_confirmed": True}),)),
    ),
    after(
        "verify_identity",
        Reply(
            tool_calls=(
                ToolCall("give_disclosures", {"kind": "mini_miranda"}),
                ToolCall("get_payment_options", {}),
            )
        ),
        outcome="verified",
    ),
    after("get_payment_options", Reply(text="We can set up a monthly plan. Would that work for you?")),
]


def _read_back_and_agree(messages: list[dict[str, Any]]) -> Reply:
    """Reads back and claims the customer's agreement in the same response, before any answer."""
    offer_id = _offer_id(messages)
    return Reply(
        tool_calls=(
            ToolCall("confirm_arrangement", {"offer_id": offer_id}),
            ToolCall("confirm_arrangement", {"offer_id": offer_id, "customer_agreed": True}),
        )
    )


def _agree_regardless(messages: list[dict[str, Any]]) -> Reply | None:
    text = last_user(messages)
    if not text or not tool_results(messages, "confirm_arrangement"):
        return None
    return Reply(
        tool_calls=(
            ToolCall("confirm_arrangement", {"offer_id": _offer_id(messages), "customer_agreed": True}),
        )
    )


INVENTED_CONSENT = [
    *NEGOTIATE,
    lambda messages: _read_back_and_agree(messages) if "plan" in last_user(messages) else None,
    _agree_regardless,
]
OVERCHARGE = [
    *NEGOTIATE,
    lambda messages: (
        Reply(tool_calls=(ToolCall("confirm_arrangement", {"offer_id": _offer_id(messages)}),))
        if "plan" in last_user(messages)
        else None
    ),
    after("confirm_arrangement", Reply(text=""), read_back=True),
    lambda messages: (
        Reply(
            tool_calls=(
                ToolCall("confirm_arrangement", {"offer_id": _offer_id(messages), "customer_agreed": True}),
            )
        )
        if "agree" in last_user(messages)
        else None
    ),
    after(
        "confirm_arrangement",
        Reply(tool_calls=(ToolCall("take_payment", {"amount": "1200.00"}),)),
        confirmed=True,
    ),
    after("take_payment", Reply(text=""), started=True),
]


@pytest.fixture
def fake_llm(request: pytest.FixtureRequest) -> Iterator[tuple[FakeOpenAI, str]]:
    fake = FakeOpenAI(rules=list(request.param))
    with serve_in_thread(fake.app()) as url:
        yield fake, url


def _meta(database: AgentDatabase, customer_id: uuid.UUID, **extra: str) -> dict[str, Any]:
    return {"organization_id": str(database.org_id), "customer_id": str(customer_id), **extra}


@pytest.mark.parametrize("fake_llm", [INVENTED_VERIFICATION], indirect=True)
@pytest.mark.parametrize(
    ("lines", "event"),
    [
        (
            ["hello", "yes speaking", "zero zero zero zero and zero zero zero zero zero"],
            "verification_failed",
        ),
        (
            [
                "hello",
                "this is his wife he's not home but i have his numbers four three two one eight five zero zero four",
            ],
            "legal_event",  # a third party: code ends the call before the model can act on the digits
        ),
    ],
    ids=["wrong-digits", "spouse-knows-the-digits"],
)
async def test_a_model_cannot_verify_a_caller_the_customer_s_words_do_not(
    fake_llm: tuple[FakeOpenAI, str],
    agent_runtime: Runtime,
    agent_database: AgentDatabase,
    lines: list[str],
    event: str,
) -> None:
    """The model hands verify_identity the true last 4 and ZIP; code checks what the caller said: wrong
    digits use a try, a spouse is not the customer, and the balance never reaches the line."""
    _fake, base_url = fake_llm
    runtime = llm_runtime(agent_runtime, base_url)
    customer = make_debtor(runtime, agent_database.org_id)
    async with serve_agent_host(runtime) as url:
        talk = await converse(url, _meta(agent_database, customer.id), lines)
    assert "1,200" not in talk.said and "4321" not in talk.said
    verifications = [r for r in talk.tool_results if r["name"] == "verify_identity"]
    assert not any(r.get("verified") for r in verifications)
    entries = stored_entries(runtime, talk.call_id)
    events = {entry.event_type for entry in entries if entry.entry_type is TranscriptEntryType.EVENT}
    assert "verified" not in events and event in events
    with transaction(runtime.sessions) as session:
        call = session.get(Call, talk.call_id)
        assert call is not None and not call.verified


@pytest.mark.parametrize("fake_llm", [INVENTED_CONSENT], indirect=True)
@pytest.mark.parametrize(
    "answer",
    ["no i don't agree", "um i guess", "yes but settle it for fifty dollars"],
    ids=["no", "hedge", "counter"],
)
async def test_a_model_cannot_invent_the_customer_s_consent(
    fake_llm: tuple[FakeOpenAI, str], agent_runtime: Runtime, agent_database: AgentDatabase, answer: str
) -> None:
    """Read-back and "customer_agreed" in one response stores nothing (no answer yet); a later "agreed"
    after a no, a hedge or a counter-offer stores nothing either."""
    _fake, base_url = fake_llm
    runtime = llm_runtime(agent_runtime, base_url)
    customer = make_debtor(runtime, agent_database.org_id)
    async with serve_agent_host(runtime) as url:
        talk = await converse(
            url,
            _meta(agent_database, customer.id),
            [
                "hello",
                "yes speaking",
                "four three two one eight five zero zero four",
                "a plan please",
                answer,
            ],
        )
    confirms = [r for r in talk.tool_results if r["name"] == "confirm_arrangement"]
    assert confirms and not any(r.get("confirmed") for r in confirms)
    assert any(r.get("awaiting") for r in confirms)  # the same-response "agreed" waited for an answer
    assert _arrangements(runtime, talk.call_id) == []


@pytest.mark.parametrize("fake_llm", [OVERCHARGE], indirect=True)
async def test_take_payment_charges_only_the_installment_due_and_says_it_first(
    fake_llm: tuple[FakeOpenAI, str], agent_runtime: Runtime, agent_database: AgentDatabase
) -> None:
    """The model asks to charge the whole balance against a payment plan: the amount due now under the plan
    is said before the keypad prompt, charged, and marked paid in the plan's schedule."""
    fake, base_url = fake_llm
    runtime = llm_runtime(agent_runtime, base_url)
    customer = make_debtor(runtime, agent_database.org_id)
    async with serve_agent_host(runtime) as url:
        talk = await converse(
            url,
            _meta(agent_database, customer.id),
            [
                "hello",
                "yes speaking",
                "four three two one eight five zero zero four",
                "a plan please",
                "yes i agree",
                ("keys", "4242424242424242#"),
                ("keys", "1230#"),
                ("keys", "123#"),
            ],
        )
    [plan] = _arrangements(runtime, talk.call_id)
    due = Decimal(plan.schedule[0]["amount"])
    assert plan.total_amount == Decimal("1200.00") and due < plan.total_amount
    said = [m for turn in talk.turns for m in turn.messages]
    prompt = next(i for i, m in enumerate(said) if "keypad" in m)
    announced = " ".join(said[max(0, prompt - 1) : prompt + 1])
    assert f"The payment today is ${due:,.2f}." in announced and "1,200" not in announced
    with transaction(runtime.sessions) as session:
        payments = session.scalars(sa.select(Payment).where(Payment.call_id == talk.call_id)).all()
        assert [p.amount for p in payments] == [due]
        stored = session.get(PaymentArrangement, plan.id)
        assert stored is not None and stored.schedule[0]["status"] == "paid"
        assert all(item["status"] == "scheduled" for item in stored.schedule[1:])
    assert "4242424242424242" not in json.dumps(fake.requests)


async def test_a_caller_reading_card_digits_aloud_is_stopped_and_sent_to_the_keypad(
    agent_runtime: Runtime, agent_database: AgentDatabase
) -> None:
    """Card details read aloud outside a card capture are cut out of the record, answered by code with
    "use the keypad" and the question the agent had asked, and never shape the conversation."""
    customer = make_debtor(agent_runtime, agent_database.org_id)
    meta = _meta(agent_database, customer.id, brain="scripted")
    async with serve_agent_host(agent_runtime) as url:
        talk = await converse(
            url,
            meta,
            [
                "hello",
                "yeah speaking",
                "four three two one eight five zero zero four",
                "here's my card four two four two four two four two four two four two four two four two",
            ],
        )
    answer = talk.turns[4].text
    assert "keypad" in answer and answer.rstrip().endswith("?"), answer
    stored = json.dumps([[e.text, e.tool_request] for e in stored_entries(agent_runtime, talk.call_id)])
    assert "4242" not in stored.replace("4321", "") and "four two four two" not in stored
