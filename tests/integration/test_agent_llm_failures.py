"""The model fails mid-call and the call goes on: the LLM brain (Line `LlmAgent` through LiteLLM) against the
local fake OpenAI server, made to answer 500, 429, nothing at all, a stream that stalls after some words, or a
tool call whose JSON is cut off — on the first turn, after the name is confirmed, and with an offer on the
table. The customer always hears words, the scripted brain takes the call to a real outcome from where it was
(an arrangement stored when the customer agrees), the transcript records the switch, and nothing the
harness received looks like an error."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa

from agent_host.agent.fallback import APOLOGY
from agent_host.simulator import HarnessClient, serve_agent_host
from agent_host.simulator.client import AgentTurn
from agent_host.simulator.personas import Keys
from shared import telemetry as tm
from shared.db.engine import transaction
from shared.db.tables import Call, PaymentArrangement
from shared.domain import CallOutcome, TranscriptEntryType
from shared.models.agent import AgentEvent
from shared.runtime import Runtime
from tests.agent_support import AgentDatabase, agent_database, agent_runtime, make_debtor, stored_entries
from tests.agent_support import llm_runtime as with_llm
from tests.fake_openai import (
    HANG,
    FakeOpenAI,
    Reply,
    Rule,
    ToolCall,
    after,
    agree_to_counter,
    http_error,
    last_user,
    quote_options,
    read_back_counter,
    tool_results,
    when_user,
)
from tests.servers import serve_in_thread
from tests.telemetry_capture import TelemetryCapture

__all__ = ["agent_database", "agent_runtime"]


# --- The model's script (a well-behaved model) ----------------------------------------------------------


# What the customer says, as speech recognition hands it over: lower case, numbers as words, fillers.
HELLO = "hello"
NAME = "yeah this is avery speaking"
FACTORS = "um yeah it's four three two one and my zip is eight five zero zero four"
PROPOSAL = "uh can i just pay the whole thing on friday"
AGREE = "yes i agree"
BYE = "no that's it thanks bye"
LINES = (HELLO, NAME, FACTORS, PROPOSAL, AGREE, BYE)

RULES: dict[str, Rule] = {
    "hello": when_user(
        HELLO, Reply(tool_calls=(ToolCall("give_disclosures", {"kind": "recording_notice"}),))
    ),
    "greeting": after(
        "give_disclosures",
        Reply(text="Hi, this is Alex calling from Demo Bank. May I speak with Avery Ashgrove?"),
        kind="recording_notice",
    ),
    "name": when_user(
        "this is avery", Reply(tool_calls=(ToolCall("verify_identity", {"name_confirmed": True}),))
    ),
    "inbound_name": when_user(
        "avery ashgrove", Reply(tool_calls=(ToolCall("verify_identity", {"name_confirmed": True}),))
    ),
    "ask_factors": after(
        "verify_identity",
        Reply(
            text="Thank you. Please tell me the last four digits of your account number and your ZIP code."
        ),
        outcome="name_confirmed",
    ),
    "factors": when_user(
        "four three two one",
        Reply(
            tool_calls=(
                ToolCall(
                    "verify_identity",
                    {"name_confirmed": True, "account_last_4": "4321", "postal_code": "85004"},
                ),
            )
        ),
    ),
    "verified": after(
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
    "quote": after("get_payment_options", quote_options),
    "proposal": when_user(
        "whole thing",
        Reply(
            tool_calls=(
                ToolCall("evaluate_counter_offer", {"kind": "pay_in_full", "first_payment_date": "Friday"}),
            )
        ),
    ),
    "read_back": after("evaluate_counter_offer", read_back_counter),
    "after_read_back": after("confirm_arrangement", Reply(text=""), read_back=True),
    "agree": agree_to_counter,
    "all_set": after(
        "confirm_arrangement",
        Reply(text="Thank you, that's all set. Is there anything else I can help you with?"),
        confirmed=True,
    ),
    "bye": when_user(
        "bye", Reply(text="Thank you, goodbye.", tool_calls=(ToolCall("end_call", {"reason": "done"}),))
    ),
}


def _failing(rule: Rule, faults: tuple[Reply, ...]) -> Rule:
    """`rule`, except that its first matches get `faults` (one each) instead of its reply."""
    pending = list(faults)

    def wrapped(messages: list[dict[str, Any]]) -> Reply | None:
        reply = rule(messages)
        if reply is None:
            return None
        return pending.pop(0) if pending else reply

    return wrapped


def script(failures: dict[str, tuple[Reply, ...]], rules: dict[str, Rule] | None = None) -> list[Rule]:
    return [
        _failing(rule, failures[name]) if name in failures else rule
        for name, rule in (rules or RULES).items()
    ]


def _take_full_payment(messages: list[dict[str, Any]]) -> Reply:
    offer = tool_results(messages, "evaluate_counter_offer")[-1]["offer"]
    return Reply(tool_calls=(ToolCall("take_payment", {"amount": offer["total_amount"]}),))


PAY_NOW = "uh i wanna pay the whole thing right now with my card"
# The customer pays by card at once: the model starts the keypad capture.
PAYMENT_RULES: dict[str, Rule] = {
    **RULES,
    "proposal": when_user(
        "right now", Reply(tool_calls=(ToolCall("evaluate_counter_offer", {"kind": "pay_in_full"}),))
    ),
    # The terms are read back and agreed (code stores them only on the caller's own yes), then the card.
    "all_set": after("confirm_arrangement", _take_full_payment, confirmed=True),
    "capture": after("take_payment", Reply(text=""), started=True),
}


MALFORMED_CONFIRM = Reply(
    tool_calls=(
        ToolCall("confirm_arrangement", raw_arguments='{"offer_id": "offer-1", "customer_agreed": tru'),
    )
)
MALFORMED_DISCLOSURE = Reply(
    tool_calls=(ToolCall("give_disclosures", raw_arguments='{"kind": "recording_no'),)
)
STALL = Reply(text="Okay, let me look at that for you. One", stall_after=8)


# --- Driving a call over the websocket ------------------------------------------------------------------


@dataclass
class Played:
    call_id: uuid.UUID
    turns: list[AgentTurn] = field(default_factory=list)  # the agent's answer to the start, then to each line
    frames: list[dict[str, Any]] = field(default_factory=list)

    @property
    def said(self) -> list[str]:
        return [message for turn in self.turns for message in turn.messages]


async def play(
    url: str,
    db: AgentDatabase,
    customer_id: uuid.UUID,
    lines: tuple[str | Keys, ...],
    *,
    direction: str = "outbound",
) -> Played:
    """A call (outbound: the customer picks up; inbound: the customer called): the customer says `lines`
    one turn at a time (or keys them in, one button at a time), whatever the agent says."""
    played = Played(call_id=uuid.uuid4())
    metadata = {
        "direction": direction,
        "organization_id": str(db.org_id),
        "customer_id": str(customer_id),
        "call_id": str(played.call_id),
    }
    async with HarnessClient.open(url, timeout=20) as client:
        await client.start(call_id=str(played.call_id), metadata=metadata)
        played.turns.append(await client.read_turn())
        await client.acknowledge(played.turns[-1].messages)
        for line in lines:
            if played.turns[-1].finished:
                break
            if isinstance(line, Keys):
                turn = AgentTurn()
                for button in line.buttons:
                    await client.press(button)
                    step = await client.read_turn()
                    turn.messages += step.messages
                    turn.ended = turn.ended or step.ended
                played.turns.append(turn)
            else:
                await client.say(line)
                played.turns.append(await client.read_turn())
            await client.acknowledge(played.turns[-1].messages)
        await client.close()
        played.frames = client.frames
    return played


async def stored_call(runtime: Runtime, call_id: uuid.UUID) -> Call:
    """The call row once the host has finalized it."""
    deadline = time.monotonic() + 15

    def load() -> Call | None:
        with transaction(runtime.sessions) as session:
            row = session.get(Call, call_id)
            if row is not None and row.outcome is not None:
                session.expunge(row)
                return row
            return None

    while (row := await asyncio.to_thread(load)) is None:
        assert time.monotonic() < deadline, "the call was not finalized"
        await asyncio.sleep(0.05)
    return row


def arrangements(runtime: Runtime, call_id: uuid.UUID) -> list[PaymentArrangement]:
    with transaction(runtime.sessions) as session:
        return list(
            session.scalars(sa.select(PaymentArrangement).where(PaymentArrangement.call_id == call_id)).all()
        )


# Anything that looks like an error leaking to the harness: a traceback, an exception class, LiteLLM itself.
_ERROR_LOOK = re.compile(
    r"Traceback|\b[A-Z]\w*(?:Error|Exception|Timeout)\b|\b(?:Error|Exception)\b|litellm|LiteLLM|Internal Server"
)


def error_looking_frames(frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        frame for frame in frames if frame.get("type") == "error" or _ERROR_LOOK.search(json.dumps(frame))
    ]


def fallbacks_counted(telemetry: TelemetryCapture, reason: str) -> float:
    """The `archer.brain.fallbacks` counter for `reason` so far (cumulative over the test session)."""
    points = telemetry.metric_points(tm.METRIC_BRAIN_FALLBACKS)
    return sum(point.value for point in points if point.attributes.get("reason") == reason)


@pytest.fixture
def fake_llm(request: pytest.FixtureRequest) -> Iterator[tuple[FakeOpenAI, str]]:
    """The fake model following the script, with the failures named by the parameter (made afresh per test:
    a failing rule counts its matches)."""
    failures, rules = request.param if isinstance(request.param, tuple) else (request.param, RULES)
    fake = FakeOpenAI(rules=script(failures, rules))
    with serve_in_thread(fake.app()) as url:
        try:
            yield fake, url
        finally:
            fake.close()


def llm_runtime(runtime: Runtime, base_url: str) -> Runtime:
    """Small limits so a failure shows in a second: the behaviour is asserted, never the clock."""
    return with_llm(
        runtime,
        base_url,
        ARCHER_LLM_TIMEOUT_SECONDS=1.0,
        ARCHER_LLM_TURN_BUDGET_SECONDS=2.0,
        ARCHER_LLM_MAX_RETRIES=1,
    )


# --- The failures ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Failure:
    failures: dict[str, tuple[Reply, ...]]
    reason: str
    failed_on: str  # the customer's line whose turn the model failed in
    apology: bool  # the caller had heard nothing yet that turn, and had been greeted before
    first_words: str | None = None  # what the model said before it failed, heard first in that turn

    def __str__(self) -> str:
        return f"{self.reason}-on-{self.failed_on.split()[-1]}"


FAILURES = [
    # The first turn: nothing said yet, so the scripted brain greets as it always does.
    Failure({"hello": (http_error(500), http_error(500))}, "http_500", HELLO, apology=False),
    Failure({"hello": (HANG,)}, "timeout", HELLO, apology=False),
    Failure({"hello": (MALFORMED_DISCLOSURE,)}, "malformed_tool_call", HELLO, apology=False),
    Failure({"greeting": (HANG,)}, "timeout", HELLO, apology=False),  # after the recording notice
    # After the name is confirmed: the factors the customer gave are not lost.
    Failure({"factors": (http_error(429, "0"), http_error(429, "0"))}, "http_429", FACTORS, apology=True),
    Failure({"ask_factors": (HANG,)}, "timeout", NAME, apology=True),
    Failure({"factors": (http_error(503), http_error(503))}, "http_503", FACTORS, apology=True),
    # An offer on the table.
    Failure({"proposal": (http_error(500), http_error(500))}, "http_500", PROPOSAL, apology=True),
    Failure(
        {"proposal": (STALL,)},
        "timeout",
        PROPOSAL,
        apology=False,
        first_words="Okay, let me look at that for you.",
    ),
    Failure({"read_back": (HANG,)}, "timeout", PROPOSAL, apology=True),
    Failure({"agree": (MALFORMED_CONFIRM,)}, "malformed_tool_call", AGREE, apology=True),
]


@pytest.mark.parametrize(
    ("fake_llm", "failure"), [pytest.param(f.failures, f, id=str(f)) for f in FAILURES], indirect=["fake_llm"]
)
async def test_the_scripted_brain_takes_over_when_the_model_fails_and_the_call_reaches_its_outcome(
    fake_llm: tuple[FakeOpenAI, str],
    failure: Failure,
    agent_runtime: Runtime,
    agent_database: AgentDatabase,
    *,
    caplog: pytest.LogCaptureFixture,
    telemetry: TelemetryCapture,
) -> None:
    """Whatever the model does wrong and wherever, every customer turn is answered with words, the scripted
    brain verifies and stores the promise the customer agrees to, the switch is recorded once with its
    reason (transcript event, call metadata, counter) and logged as one warning line without a stack, the
    model is not asked again, and no frame the harness got looks like an error."""
    caplog.set_level(logging.WARNING)
    counted = fallbacks_counted(telemetry, failure.reason)
    fake, base_url = fake_llm
    runtime = llm_runtime(agent_runtime, base_url)
    customer = make_debtor(runtime, agent_database.org_id)
    async with serve_agent_host(runtime) as url:
        played = await play(url, agent_database, customer.id, LINES)

    assert error_looking_frames(played.frames) == []
    assert all(turn.messages for turn in played.turns[1:]), played.said
    assert played.turns[-1].ended, played.said
    failed_turn = played.turns[1 + LINES.index(failure.failed_on)]
    assert (APOLOGY in " ".join(failed_turn.messages)) is failure.apology, failed_turn.messages
    assert sum(message.count(APOLOGY) for message in played.said) == int(failure.apology)
    if (
        failure.failed_on == HELLO
    ):  # nobody was greeted yet: the scripted brain greets, asking for the customer
        assert "avery ashgrove" in " ".join(failed_turn.messages).lower(), failed_turn.messages
    if failure.first_words:
        assert failed_turn.messages[0] == failure.first_words, failed_turn.messages

    call = await stored_call(runtime, played.call_id)
    assert call.outcome is CallOutcome.PROMISE_TO_PAY, played.said
    assert call.brain == "llm" and call.verified
    assert call.call_metadata.get("brain_fallback") == failure.reason
    stored = arrangements(runtime, played.call_id)
    assert len(stored) == 1 and stored[0].total_amount == customer.balance
    events = [
        entry
        for entry in stored_entries(runtime, played.call_id)
        if entry.entry_type is TranscriptEntryType.EVENT
        and entry.event_type == AgentEvent.BRAIN_FALLBACK.value
    ]
    assert [event.text for event in events] == [failure.reason]
    assert not any(BYE in last_user(body["messages"]) for body in fake.requests)
    assert fallbacks_counted(telemetry, failure.reason) == counted + 1
    switched = [record for record in caplog.records if record.name == "agent_host.agent.fallback"]
    assert len(switched) == 1 and switched[0].levelno == logging.WARNING and switched[0].exc_info is None
    assert failure.reason in switched[0].getMessage()
    assert not [record for record in caplog.records if record.exc_info or record.levelno >= logging.ERROR]


@pytest.mark.parametrize("fake_llm", [{"factors": (http_error(429, "0"),)}], indirect=True, ids=["429-once"])
async def test_a_single_429_is_retried_and_the_model_carries_on(
    fake_llm: tuple[FakeOpenAI, str], agent_runtime: Runtime, agent_database: AgentDatabase
) -> None:
    """One rate-limited request is retried once; the model answers and runs the rest of the call: no
    fallback is recorded and the promise is stored by the model's own tool calls."""
    fake, base_url = fake_llm
    runtime = llm_runtime(agent_runtime, base_url)
    customer = make_debtor(runtime, agent_database.org_id)
    async with serve_agent_host(runtime) as url:
        played = await play(url, agent_database, customer.id, LINES)

    assert error_looking_frames(played.frames) == []
    assert APOLOGY not in " ".join(played.said)
    assert "Your balance is $1,200.00." in " ".join(played.said)
    factor_requests = [body for body in fake.requests if "four three two one" in last_user(body["messages"])]
    assert len(factor_requests) == 2
    call = await stored_call(runtime, played.call_id)
    assert call.outcome is CallOutcome.PROMISE_TO_PAY and "brain_fallback" not in call.call_metadata
    assert len(arrangements(runtime, played.call_id)) == 1
    assert any(BYE in last_user(body["messages"]) for body in fake.requests)
    entries = stored_entries(runtime, played.call_id)
    assert not [entry for entry in entries if entry.event_type == AgentEvent.BRAIN_FALLBACK.value]


@pytest.mark.parametrize("fake_llm", [{"name": (http_error(500),) * 5}], indirect=True, ids=["500-always"])
async def test_the_retry_budget_is_one_retry_then_the_scripted_brain(
    fake_llm: tuple[FakeOpenAI, str], agent_runtime: Runtime, agent_database: AgentDatabase
) -> None:
    """A model that keeps failing is asked exactly twice for the turn (LiteLLM's and the OpenAI client's
    own retries are off), then the scripted brain answers the customer's words."""
    fake, base_url = fake_llm
    runtime = llm_runtime(agent_runtime, base_url)
    customer = make_debtor(runtime, agent_database.org_id)
    async with serve_agent_host(runtime) as url:
        played = await play(url, agent_database, customer.id, LINES)

    assert len([body for body in fake.requests if "this is avery" in last_user(body["messages"])]) == 2
    assert error_looking_frames(played.frames) == []
    call = await stored_call(runtime, played.call_id)
    assert (
        call.outcome is CallOutcome.PROMISE_TO_PAY and call.call_metadata.get("brain_fallback") == "http_500"
    )


@pytest.mark.parametrize(
    "fake_llm",
    [pytest.param(({"capture": (HANG,)}, PAYMENT_RULES), id="hang-in-card-capture")],
    indirect=True,
)
async def test_a_card_capture_the_model_started_is_finished_by_the_scripted_brain(
    fake_llm: tuple[FakeOpenAI, str], agent_runtime: Runtime, agent_database: AgentDatabase
) -> None:
    """The model starts taking the card and then never answers: the keypad entry goes on, the payment is
    charged, the call ends as a payment, and no card digit reaches the model or a frame."""
    fake, base_url = fake_llm
    runtime = llm_runtime(agent_runtime, base_url)
    customer = make_debtor(runtime, agent_database.org_id)
    card = ("4242424242424242#", "1230#", "123#")
    lines = (HELLO, NAME, FACTORS, PAY_NOW, AGREE, *(Keys(keys) for keys in card), BYE)
    async with serve_agent_host(runtime) as url:
        played = await play(url, agent_database, customer.id, lines)

    assert error_looking_frames(played.frames) == []
    assert played.turns[-1].ended, played.said
    assert any("ending in 4242 was approved" in message for message in played.said), played.said
    call = await stored_call(runtime, played.call_id)
    assert call.outcome is CallOutcome.PAYMENT and call.call_metadata.get("brain_fallback") == "timeout"
    wire = json.dumps(played.frames) + json.dumps(fake.requests)
    # Whole numbers only: a latency metric such as 0.0281230 is not the expiry date.
    assert not re.search(r"(?<!\d)(?:4242424242424242|1230)(?!\d)", wire)


INBOUND_NAME = "uh hi yeah it's avery ashgrove"


@pytest.mark.parametrize(
    "fake_llm",
    [pytest.param({"inbound_name": (http_error(500), http_error(500))}, id="500-on-inbound-name")],
    indirect=True,
)
async def test_an_inbound_caller_who_gave_their_name_is_not_asked_again(
    fake_llm: tuple[FakeOpenAI, str], agent_runtime: Runtime, agent_database: AgentDatabase
) -> None:
    """The caller heard the greeting and gave their name, then the model failed: one apology, the scripted
    brain takes the name they gave and goes on to verification and the promise."""
    fake, base_url = fake_llm
    runtime = llm_runtime(agent_runtime, base_url)
    customer = make_debtor(runtime, agent_database.org_id)
    lines = (INBOUND_NAME, FACTORS, PROPOSAL, AGREE, BYE)
    async with serve_agent_host(runtime) as url:
        played = await play(url, agent_database, customer.id, lines, direction="inbound")

    assert error_looking_frames(played.frames) == []
    assert played.turns[0].messages, "the inbound caller is greeted at once"
    name_turn = " ".join(played.turns[1].messages)
    assert name_turn.startswith(APOLOGY) and "last four digits" in name_turn.lower()
    assert "name" not in name_turn.lower()
    assert played.turns[-1].ended, played.said
    call = await stored_call(runtime, played.call_id)
    assert call.outcome is CallOutcome.PROMISE_TO_PAY and call.verified
    assert call.call_metadata.get("brain_fallback") == "http_500"
    assert len(arrangements(runtime, played.call_id)) == 1
    assert [last_user(body["messages"]) for body in fake.requests] == [INBOUND_NAME, INBOUND_NAME]


# A bare "nope": no legal event for code to end the call on, so the model's own wrong-party call decides.
WRONG_NUMBER = "nope"
WRONG_PARTY_RULES: dict[str, Rule] = {
    **RULES,
    "wrong_number": when_user(
        "nope", Reply(tool_calls=(ToolCall("verify_identity", {"name_confirmed": False}),))
    ),
    "goodbye": after(
        "verify_identity",
        Reply(
            text="Sorry to have bothered you.", tool_calls=(ToolCall("end_call", {"reason": "wrong party"}),)
        ),
        outcome="wrong_party",
    ),
}


@pytest.mark.parametrize(
    "fake_llm",
    [pytest.param(({"goodbye": (HANG,)}, WRONG_PARTY_RULES), id="hang-after-wrong-party")],
    indirect=True,
)
async def test_a_wrong_party_the_model_recorded_is_let_go_without_a_word_about_the_debt(
    fake_llm: tuple[FakeOpenAI, str], agent_runtime: Runtime, agent_database: AgentDatabase
) -> None:
    """The person who answered is not the customer and the model recorded it, then never answered: the
    scripted brain ends the call politely, as a wrong party, saying nothing about the debt."""
    _fake, base_url = fake_llm
    runtime = llm_runtime(agent_runtime, base_url)
    customer = make_debtor(runtime, agent_database.org_id)
    async with serve_agent_host(runtime) as url:
        played = await play(url, agent_database, customer.id, (HELLO, WRONG_NUMBER, BYE))

    assert error_looking_frames(played.frames) == []
    assert played.turns[2].messages and played.turns[2].ended, played.said
    assert APOLOGY not in " ".join(played.said)  # "let me continue" would be odd right before goodbye
    said = " ".join(played.said).lower()
    for forbidden in ("debt", "balance", "owe", "$", "1,200", "4321", "account"):
        assert forbidden not in said, forbidden
    call = await stored_call(runtime, played.call_id)
    assert call.outcome is CallOutcome.WRONG_PARTY and not call.verified
    assert call.call_metadata.get("brain_fallback") == "timeout"
