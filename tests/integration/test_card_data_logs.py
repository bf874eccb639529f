"""Card data goes nowhere but the gateway (PCI DSS 3.2/3.3; issue 11): a customer who reads their card number,
expiry and security code aloud, presses digit keys outside a card capture and keys a card during one, on a
real agent host served over a real websocket with every logger at DEBUG (uvicorn, websockets, httpx, the
Line SDK) — the card data is in none of the log text, the stored transcript, the frames the harness got
or, with the LLM brain, the requests the model server got; nor is the agent token or the model's API key in
the logs."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from agent_host.simulator import load_identity, run_simulated_call, serve_agent_host
from agent_host.simulator.personas import Action, CooperativePayer, DisputesDebt, Keys, Say, offers_something
from shared.config import Settings
from shared.db.engine import transaction
from shared.db.tables import ContactPreference
from shared.domain import CallOutcome, PreferenceKind, Speaker, TranscriptEntryType
from shared.runtime import Runtime
from shared.telemetry import configure_logging
from tests.agent_support import AgentDatabase, agent_database, agent_runtime, make_debtor, stored_entries
from tests.fake_openai import FakeOpenAI
from tests.integration.test_agent_llm import PAYMENT_SCRIPT
from tests.servers import serve_in_thread

__all__ = ["agent_database", "agent_runtime"]  # fixtures used by this module

AGENT_TOKEN = "agent-token-7f3c9d2e51b04a68"
CARD_ALOUD = (
    "um yeah my card number is four two four two four two four two four two four two four two four two"
)
DETAILS_ALOUD = "uh it expires twelve thirty and the cvv is one two three"
# How the card or its parts could show up: numerals (joined, spaced, dashed), the words the customer said.
CARD_FORMS = (
    "4242424242424242",
    "4242 4242",
    "4242-4242",
    "four two four two",
    "two four two four",
    "1230",
    "12/30",
    "twelve thirty",
    "cvv is one two three",
    AGENT_TOKEN,
    "sk-test-fake",
)
# A keypad digit in a frame or its dump: `"button": "4"`, `'button': '4'`, `DTMF received: 4`.
KEYED_DIGIT = re.compile(r"""["']?button["']?\s*[:=]\s*["']?\d|DTMF (?:received|sent):? ?\d""")


@dataclasses.dataclass
class ReadsTheCardAloud(CooperativePayer):
    """Verifies, presses digit keys for no reason, reads the card number, expiry and security code aloud,
    then pays in full by keypad as asked."""

    name: str = "reads_the_card_aloud"

    def negotiate(self, agent_text: str) -> list[Action]:
        if offers_something(agent_text) and not self.memory.get("said"):
            self.memory["said"] = "yes"
            return [
                Keys("4242"),
                Say(CARD_ALOUD),
                Say(DETAILS_ALOUD),
                Say("I'd like to pay the full balance now with my card."),
            ]
        return super().negotiate(agent_text)


@pytest.fixture
def debug_log() -> Iterator[io.StringIO]:
    """Every logger in the process at DEBUG, as `ARCHER_LOG_LEVEL=DEBUG` configures it, into a buffer."""
    stream = io.StringIO()
    configure_logging(level="DEBUG", fmt="console", stream=stream)
    try:
        yield stream
    finally:
        configure_logging(level="INFO", fmt="console")
        logging.getLogger().setLevel(logging.WARNING)


def _with_token(runtime: Runtime, **settings: Any) -> Runtime:
    values = {
        "ARCHER_ENV": "test",
        "ARCHER_DATABASE_URL": runtime.settings.database_url,
        "ARCHER_AGENT_TOKEN": AGENT_TOKEN,
        **settings,
    }
    return dataclasses.replace(runtime, settings=Settings(**values))


def _assert_no_card_data(where: str, text: str) -> None:
    for form in CARD_FORMS:
        assert form not in text, f"{form!r} in the {where}"
    assert KEYED_DIGIT.search(text) is None, f"a keyed digit in the {where}: {KEYED_DIGIT.search(text)}"


async def _call(runtime: Runtime, db: AgentDatabase) -> Any:
    customer = make_debtor(runtime, db.org_id)
    identity = await asyncio.to_thread(load_identity, runtime.sessions, customer.id)
    async with serve_agent_host(runtime) as url:
        return await run_simulated_call(
            agent_url=url,
            persona=ReadsTheCardAloud(identity=identity),
            metadata={
                "organization_id": str(db.org_id),
                "customer_id": str(customer.id),
                "call_type": "test",
            },
            sessions=runtime.sessions,
            token=AGENT_TOKEN,
        )


def _assert_call_clean(runtime: Runtime, result: Any, log_text: str) -> None:
    _assert_no_card_data("debug log", log_text)
    entries = stored_entries(runtime, result.call_id)
    stored = json.dumps(
        [
            {
                "text": e.text,
                "request": e.tool_request,
                "response": e.tool_response,
                "type": e.entry_type.value,
            }
            for e in entries
        ]
    )
    _assert_no_card_data("stored transcript", stored)
    keyed = [e.text for e in entries if e.entry_type is TranscriptEntryType.DTMF]
    assert len(keyed) >= 4 + 26 and set(keyed) == {"*"}
    said = [e.text or "" for e in entries if e.entry_type is TranscriptEntryType.TRANSCRIPT]
    customer = [e.text or "" for e in entries if e.speaker is Speaker.CUSTOMER and e.text in said]
    assert any("[card number removed]" in text for text in customer), customer
    assert any("[expiry removed]" in text and "[security code removed]" in text for text in customer)
    _assert_no_card_data("frames the harness received", json.dumps(result.frames))


async def test_card_data_said_keyed_and_logged_at_debug_goes_nowhere(
    debug_log: io.StringIO, agent_runtime: Runtime, agent_database: AgentDatabase
) -> None:
    """The scripted brain's call: card data said aloud, digit keys outside capture and a keyed card leave
    no trace in the DEBUG logs, the stored transcript or the frames sent to the harness."""
    runtime = _with_token(agent_runtime)
    result = await _call(runtime, agent_database)
    assert result.outcome is CallOutcome.PAYMENT, result.transcript
    log_text = debug_log.getvalue()
    assert "websockets" in log_text and "DEBUG" in log_text  # the third-party frame logs were on
    assert "[card number removed]" in log_text or "[redacted]" in log_text
    _assert_call_clean(runtime, result, log_text)


@pytest.fixture
def fake_llm() -> Iterator[tuple[FakeOpenAI, str]]:
    fake = FakeOpenAI(rules=list(PAYMENT_SCRIPT))
    with serve_in_thread(fake.app()) as url:
        yield fake, url


async def test_with_the_llm_brain_no_card_data_reaches_the_model(
    debug_log: io.StringIO,
    fake_llm: tuple[FakeOpenAI, str],
    agent_runtime: Runtime,
    agent_database: AgentDatabase,
) -> None:
    """The LLM brain's call: the model server's requests hold none of the card data said or keyed, and
    the logs (LiteLLM, httpx and httpcore at DEBUG included), transcript and frames hold none either."""
    fake, base_url = fake_llm
    runtime = _with_token(
        agent_runtime,
        OPENAI_API_KEY="sk-test-fake",
        OPENAI_BASE_URL=f"{base_url}/v1",
        ARCHER_LLM_MODEL="gpt-4o-mini",
    )
    result = await _call(runtime, agent_database)
    assert result.outcome is CallOutcome.PAYMENT, result.transcript
    _assert_no_card_data("requests to the model", json.dumps(fake.requests))
    said = [m["content"] for body in fake.requests for m in body["messages"] if m["role"] == "user"]
    assert any("[card number removed]" in str(text) for text in said)
    _assert_call_clean(runtime, result, debug_log.getvalue())


@dataclasses.dataclass
class DisputesWithTheCardNumber(DisputesDebt):
    """Disputes the debt in the same breath as reading out a card number."""

    def negotiate(self, agent_text: str) -> list[Action]:
        if offers_something(agent_text):
            return [
                Say(
                    "that's not my debt i dispute this i never had an account with you my only card is "
                    "four two four two four two four two four two four two four two four two"
                )
            ]
        return super().negotiate(agent_text)


async def test_a_dispute_reason_said_with_a_card_number_is_stored_without_it(
    agent_runtime: Runtime, agent_database: AgentDatabase
) -> None:
    """The turn is read without the card data, so the dispute recorded holds none either; the caller is
    told to keep card details for the keypad."""
    customer = make_debtor(agent_runtime, agent_database.org_id)
    identity = await asyncio.to_thread(load_identity, agent_runtime.sessions, customer.id)
    async with serve_agent_host(agent_runtime) as url:
        result = await run_simulated_call(
            agent_url=url,
            persona=DisputesWithTheCardNumber(identity=identity),
            metadata={"organization_id": str(agent_database.org_id), "customer_id": str(customer.id)},
            sessions=agent_runtime.sessions,
        )
    assert result.outcome is CallOutcome.DISPUTE, result.transcript
    with transaction(agent_runtime.sessions) as session:
        disputes = session.scalars(
            sa.select(ContactPreference).where(
                ContactPreference.customer_id == customer.id, ContactPreference.kind == PreferenceKind.DISPUTE
            )
        ).all()
    assert disputes, "no dispute recorded"
    stored = json.dumps([dispute.details for dispute in disputes])
    _assert_no_card_data("stored dispute", stored)
    said = " ".join(result.agent_messages)
    assert "keypad" in said  # the caller was stopped from reading card details aloud
