"""The conversation corpus (`tests/conversations/*.yaml`) over the real websocket, on both brains: each
conversation is played turn by turn against the real agent host (scripted brain, and the LLM brain on a
generic fake model that may misbehave in one way), then what went over the wire, what was stored and what
the auditor found are checked against the conversation's `expect`.

One agent host per brain for the whole module; one backend per run (PostgreSQL + Redis when
ARCHER_TEST_DATABASE_URL is set, else SQLite); a fresh debtor per conversation. A per-item summary
(passed/total per brain) is printed at the end."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import re
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from typing import Any

import loguru
import pytest
import pytest_asyncio
import sqlalchemy as sa

from agent_host.simulator import HarnessClient, HarnessError, serve_agent_host
from agent_host.simulator.client import AgentTurn
from shared.config import Settings
from shared.db import migrate
from shared.db.engine import make_engine, make_session_factory, transaction
from shared.db.tables import Call, ContactPreference, Customer, Payment, PaymentArrangement
from shared.domain import PreferenceKind
from shared.integrations.cache import InMemoryCache, RedisCache
from shared.models.audit import Actor
from shared.models.customers import ContactPreferenceCreate
from shared.runtime import Runtime
from shared.services import call_review, calls, contact_preferences
from tests.agent_support import _make_org, make_debtor
from tests.conftest import (
    REQUIRE_SERVICES,
    TEST_DATABASE_URL,
    TEST_REDIS_URL,
    create_postgres_database,
    drop_postgres_database,
    postgres_server_url,
    require_service,
)
from tests.conversations.corpus import ITEMS, Conversation, load_corpus
from tests.conversations.fake_model import CorpusModel, Truth
from tests.servers import serve_in_thread

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.slow]

READ_TIMEOUT = 8.0  # seconds the customer waits for the agent's turn before the call counts as hung
LLM_TIMEOUTS = {"ARCHER_LLM_TIMEOUT_SECONDS": 2, "ARCHER_LLM_TURN_BUDGET_SECONDS": 4}

CORPUS = load_corpus()
CASES = [
    pytest.param(conversation, brain, id=f"{brain}-{conversation.id}")
    for brain in ("scripted", "llm")  # all of one brain first: each host starts once
    for conversation in CORPUS
    if brain in conversation.brains
]
RESULTS: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])  # (item, brain) -> [passed, total]


# --- Fixtures: one database, one host per brain -------------------------------------------------------------


@dataclasses.dataclass
class CorpusDatabase:
    backend: str
    url: str
    org_id: uuid.UUID


@pytest.fixture(scope="module")
def corpus_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CorpusDatabase]:
    """PostgreSQL when the CI services are configured, else a SQLite file: one backend keeps the run short."""
    postgres = bool(TEST_DATABASE_URL) or REQUIRE_SERVICES
    if postgres:
        url = create_postgres_database(postgres_server_url(), prefix="archer_corpus")
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('corpus') / 'archer.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    try:
        yield CorpusDatabase(backend="postgresql" if postgres else "sqlite", url=url, org_id=_make_org(url))
    finally:
        if postgres:
            drop_postgres_database(url)


class LogCapture(logging.Handler):
    """Every log record while the module runs, formatted (what a log sink would receive)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):
            self.lines.append(f"{record.name}: {record.getMessage()}")


@dataclasses.dataclass
class Hosts:
    """The agent hosts, started on first use: `scripted` (no model configured) and `llm` (on the fake)."""

    database: CorpusDatabase
    stack: contextlib.AsyncExitStack
    logs: LogCapture
    model: CorpusModel = dataclasses.field(default_factory=CorpusModel)
    started: dict[str, tuple[str, Runtime]] = dataclasses.field(default_factory=dict)

    async def get(self, brain: str) -> tuple[str, Runtime]:
        if brain not in self.started:
            extra: dict[str, Any] = {}
            if brain == "llm":
                base = self.stack.enter_context(serve_in_thread(self.model.app()))
                extra = {"OPENAI_API_KEY": "sk-test-fake", "OPENAI_BASE_URL": f"{base}/v1",
                         "ARCHER_LLM_MODEL": "gpt-4o-mini", **LLM_TIMEOUTS}  # fmt: skip
            runtime = await self.stack.enter_async_context(_runtime(self.database, brain, extra))
            url = await self.stack.enter_async_context(serve_agent_host(runtime))
            self.started[brain] = (url, runtime)
        return self.started[brain]


@contextlib.asynccontextmanager
async def _runtime(db: CorpusDatabase, brain: str, extra: dict[str, Any]) -> AsyncIterator[Runtime]:
    # Settings ignore names they do not know: timeouts being added elsewhere apply once they exist.
    settings = Settings(ARCHER_ENV="test", ARCHER_DATABASE_URL=db.url, **extra)
    engine = make_engine(settings.database_url, pool_size=10)
    cache: InMemoryCache | RedisCache = InMemoryCache()
    if db.backend == "postgresql":
        redis_url = require_service("Redis", TEST_REDIS_URL, "ARCHER_TEST_REDIS_URL")
        cache = RedisCache(redis_url, f"archer-corpus-{brain}-{uuid.uuid4().hex[:8]}:")
    runtime = Runtime(settings=settings, engine=engine, sessions=make_session_factory(engine), cache=cache)
    try:
        yield runtime
    finally:
        if isinstance(cache, RedisCache):
            async for key in cache._client.scan_iter(match=cache._prefix + "*"):
                await cache._client.delete(key)
        await runtime.aclose()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def hosts(corpus_database: CorpusDatabase) -> AsyncIterator[Hosts]:
    logs = LogCapture()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(logs)
    root.setLevel(logging.INFO)  # what a deployment logs; DEBUG would drown the run in LiteLLM traces
    # The Line SDK logs through loguru (what it received, which tool returned what): a sink of its own.
    sink = loguru.logger.add(lambda message: logs.lines.append(message.record["message"]), level="INFO")
    try:
        async with contextlib.AsyncExitStack() as stack:
            yield Hosts(database=corpus_database, stack=stack, logs=logs)
    finally:
        loguru.logger.remove(sink)
        root.removeHandler(logs)
        root.setLevel(previous)


class _Summary:
    """Prints the per-item counts after the run (a plugin: output from a fixture would be captured)."""

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        _print_summary(terminalreporter)


@pytest.fixture(scope="module", autouse=True)
def _summary_plugin(request: pytest.FixtureRequest) -> None:
    if not request.config.pluginmanager.has_plugin("archer-corpus-summary"):
        request.config.pluginmanager.register(_Summary(), "archer-corpus-summary")


def _print_summary(reporter: Any) -> None:
    if not RESULTS:
        return
    reporter.write_sep("=", "conversation corpus: passed/total per item and brain")
    for item in sorted(ITEMS):
        cells = [
            f"{brain} {RESULTS[(item, brain)][0]}/{RESULTS[(item, brain)][1]}"
            for brain in ("scripted", "llm")
            if (item, brain) in RESULTS
        ]
        if cells:
            reporter.write_line(f"item {item} ({ITEMS[item]}): " + ", ".join(cells))
    for brain in ("scripted", "llm"):
        passed = sum(v[0] for (_, b), v in RESULTS.items() if b == brain)
        total = sum(v[1] for (_, b), v in RESULTS.items() if b == brain)
        if total:
            reporter.write_line(f"{brain}: {passed}/{total}")


# --- Playing one conversation --------------------------------------------------------------------------------


@dataclasses.dataclass
class Played:
    call_id: uuid.UUID
    frames: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    lines: list[str] = dataclasses.field(default_factory=list)  # the call as the customer lived it
    error: str | None = None

    @property
    def agent_texts(self) -> list[str]:
        return [str(f.get("content", "")) for f in self.frames if f.get("type") == "message"]


async def _play(url: str, conversation: Conversation, metadata: dict[str, Any], played: Played) -> None:
    async with HarnessClient.open(url, timeout=READ_TIMEOUT) as client:
        try:
            await client.start(call_id=str(played.call_id), metadata=metadata)
            turn = await client.read_turn()
            _note(played, turn)
            unacknowledged, partial = turn.messages, None
            for step in conversation.turns:
                if turn.finished:
                    break
                if step.heard is not None:
                    partial = step.heard
                    continue
                await client.acknowledge([partial] if partial is not None else unacknowledged)
                partial = None
                if step.hangup:
                    played.lines.append("customer: (hangs up)")
                    break
                if step.say is not None:
                    played.lines.append(f"customer: {step.say}")
                    await client.say(step.say)
                    turn = await client.read_turn()
                    _note(played, turn)
                    unacknowledged = turn.messages
                else:
                    assert step.keys is not None
                    played.lines.append(f"keys: {step.keys}")
                    unacknowledged = []  # each key is answered (mostly with nothing); all of it is then spoken
                    for button in step.keys:
                        await client.press(button)
                        turn = await client.read_turn()
                        _note(played, turn)
                        unacknowledged += turn.messages
                        if turn.finished:
                            break
            else:
                if not turn.finished:
                    await client.acknowledge([partial] if partial is not None else unacknowledged)
        except HarnessError as exc:
            played.error = str(exc)
        finally:
            played.frames = list(client.frames)
            await client.close()


def _note(played: Played, turn: AgentTurn) -> None:
    played.lines += [f"{who}: {text}" for who, text in turn.lines]
    if turn.ended or turn.transferred_to:
        played.lines.append(f"(agent {'transferred' if turn.transferred_to else 'hung up'})")


@dataclasses.dataclass
class Stored:
    call: Call | None
    entries: list[Any]
    preferences: list[ContactPreference]
    arrangements: list[PaymentArrangement]
    payments: list[Payment]
    legal_hold: bool | None
    findings: list[str]


def _read_stored(runtime: Runtime, org_id: uuid.UUID, call_id: uuid.UUID, customer_id: uuid.UUID) -> Stored:
    with transaction(runtime.sessions) as session:
        call = session.get(Call, call_id)
        entries, findings = [], []
        if call is not None:
            entries = calls.list_entries(session=session, org_id=org_id, call_id=call_id)
            review = call_review.review_call(session=session, org_id=org_id, call_id=call_id)
            findings = [str(finding.code) for finding in review.findings]
        customer = session.get(Customer, customer_id)

        def rows(table: Any) -> list[Any]:
            return list(session.scalars(sa.select(table).where(table.customer_id == customer_id)).all())

        preferences = [p for p in rows(ContactPreference) if p.ended_at is None]
        return Stored(
            call=call,
            entries=entries,
            preferences=preferences,
            arrangements=rows(PaymentArrangement),
            payments=rows(Payment),
            legal_hold=getattr(customer, "legal_hold", None),
            findings=findings,
        )


def _on_file(runtime: Runtime, org_id: uuid.UUID, customer_id: uuid.UUID, kinds: list[str]) -> None:
    """Contact preferences the customer already had before this call (e.g. an earlier cease request)."""
    with transaction(runtime.sessions) as session:
        for kind in kinds:
            contact_preferences.add_preference(
                session=session,
                org_id=org_id,
                customer_id=customer_id,
                preference_in=ContactPreferenceCreate(kind=PreferenceKind(kind), source="api"),
                actor=Actor.cli(),
            )


async def _finalized(runtime: Runtime, call_id: uuid.UUID) -> None:
    """The host finalizes the call on its own after the socket closes: wait for the stored outcome."""
    deadline = time.monotonic() + 10

    def done() -> bool:
        with transaction(runtime.sessions) as session:
            call = session.get(Call, call_id)
            return call is not None and call.outcome is not None

    while not await asyncio.to_thread(done) and time.monotonic() < deadline:
        await asyncio.sleep(0.02)


# --- Checking what happened against `expect` -------------------------------------------------------------------


def _matches(pattern: str, text: str) -> bool:
    return re.search(pattern, text, re.IGNORECASE) is not None


def _check(
    conversation: Conversation, played: Played, stored: Stored, model_requests: list[Any], logs: list[str]
) -> list[str]:
    expect, problems = conversation.expect, []
    if played.error:
        problems.append(f"the call broke: {played.error}")
    call = stored.call
    outcome = None if call is None or call.outcome is None else str(call.outcome)
    if expect.outcome is not None and outcome not in expect.outcome:
        problems.append(f"outcome {outcome!r}, expected one of {expect.outcome}")
    if expect.verified is not None and (call is None or bool(call.verified) is not expect.verified):
        problems.append(f"verified {None if call is None else call.verified}, expected {expect.verified}")
    kinds = sorted(str(p.kind) for p in stored.preferences)
    missing = [kind for kind in expect.preferences if not set(kind.split("|")) & set(kinds)]
    if missing:
        problems.append(f"preferences {kinds}, missing {missing}")
    if expect.no_preferences and kinds:
        problems.append(f"preferences {kinds} stored, expected none")
    for kind, patterns in expect.preference_details.items():
        details = json.dumps([p.details for p in stored.preferences if str(p.kind) == kind], default=str)
        lost = [pattern for pattern in patterns if not _matches(pattern, details)]
        if lost:
            problems.append(f"{kind} details {details} do not capture {lost}")
    if expect.legal_hold is not None and stored.legal_hold is not expect.legal_hold:
        problems.append(f"legal_hold {stored.legal_hold}, expected {expect.legal_hold}")
    arranged = [(str(a.kind), f"{a.total_amount:.2f}") for a in stored.arrangements]
    if expect.arrangement == "none" and arranged:
        problems.append(f"arrangements {arranged} stored, expected none")
    elif expect.arrangement not in (None, "none"):
        wanted = expect.arrangement
        fits = [
            a
            for a in arranged
            if (wanted.kind is None or a[0] == wanted.kind)  # type: ignore[union-attr]
            and (wanted.total is None or Decimal(a[1]) == Decimal(wanted.total))  # type: ignore[union-attr]
        ]
        if len(arranged) != 1 or not fits:
            problems.append(f"arrangements {arranged}, expected exactly one {wanted.model_dump()}")  # type: ignore[union-attr]
    paid = [(f"{p.amount:.2f}", str(p.status)) for p in stored.payments]
    charged = [Decimal(a) for a, status in paid if status == "succeeded"]
    if expect.payment == "none" and charged:
        problems.append(f"payments {paid}, expected no charge")
    elif expect.payment not in (None, "none"):
        wanted = expect.payment
        if wanted.amount is not None and charged != [Decimal(wanted.amount)]:  # type: ignore[union-attr]
            problems.append(f"payments {paid}, expected one succeeded charge of {wanted.amount}")  # type: ignore[union-attr]
        attempted = [Decimal(a) for a, _ in paid]
        wrong = [a for a in wanted.never if Decimal(a) in attempted]  # type: ignore[union-attr]
        if wrong:
            problems.append(f"payments {paid} include amounts that must never be charged: {wrong}")
    for pattern in expect.said:
        if not any(_matches(pattern, text) for text in played.agent_texts):
            problems.append(f"the agent never said /{pattern}/")
    for pattern in expect.never_said:
        said = [text for text in played.agent_texts if _matches(pattern, text)]
        if said:
            problems.append(f"the agent said /{pattern}/ on the websocket: {said}")
    for pattern in expect.never_stored:
        places = _where(pattern, played, stored, model_requests, logs)
        if places:
            problems.append(f"/{pattern}/ reached {', '.join(places)}")
    present = {e.event_type for e in stored.entries if e.event_type} | {
        e.tool_name for e in stored.entries if e.tool_name
    }
    for event in expect.events:
        if event not in present:
            problems.append(f"event {event!r} not in the stored transcript ({sorted(present)})")
    if expect.audit == "clean" and stored.findings:
        problems.append(f"the auditor found {stored.findings}, expected a clean call")
    elif isinstance(expect.audit, list):
        unreported = [code for code in expect.audit if code not in stored.findings]
        if unreported:
            problems.append(f"the auditor did not report {unreported} (found {stored.findings})")
    return problems


def _where(
    pattern: str, played: Played, stored: Stored, model_requests: list[Any], logs: list[str]
) -> list[str]:
    """Every place a forbidden pattern reached: stored entries, websocket frames, the model, the logs."""
    places = []
    for entry in stored.entries:
        blob = json.dumps([entry.text, entry.tool_request, entry.tool_response], default=str)
        if _matches(pattern, blob):
            places.append(f"stored entry {entry.sequence} ({entry.entry_type})")
    for frame in played.frames:
        if _matches(pattern, json.dumps(frame, default=str)):
            places.append(f"websocket {frame.get('type')} frame")
    if any(_matches(pattern, json.dumps(body["messages"])) for body in model_requests):
        places.append("the model")
    if any(_matches(pattern, line) for line in logs):
        places.append("the logs")
    return sorted(set(places))


# --- The test ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("conversation", "brain"), CASES)
async def test_conversation(conversation: Conversation, brain: str, hosts: Hosts) -> None:
    """The conversation, played over the real websocket on this brain, meets every expectation it states."""
    RESULTS[(conversation.major, brain)][1] += 1
    url, runtime = await hosts.get(brain)
    org_id = hosts.database.org_id
    c = conversation.customer
    debtor = await asyncio.to_thread(
        make_debtor, runtime, org_id, name=c.name, balance=c.balance, past_due=c.past_due,
        days_past_due=c.days_past_due, last4=c.last4, postal_code=c.postal_code,
    )  # fmt: skip
    if c.preferences:
        await asyncio.to_thread(_on_file, runtime, org_id, debtor.id, c.preferences)
    if brain == "llm":
        truth = Truth(name=c.name, last4=c.last4, postal_code=c.postal_code, balance=c.balance)
        hosts.model.begin(truth, conversation.model, conversation.model_from_turn)
    played = Played(call_id=uuid.uuid4())
    metadata = {
        "organization_id": str(org_id),
        "customer_id": str(debtor.id),
        "call_id": str(played.call_id),
        "call_type": "test",
        "direction": conversation.direction,
        "brain": brain,
    }
    logs_from = len(hosts.logs.lines)
    await _play(url, conversation, metadata, played)
    await _finalized(runtime, played.call_id)
    stored = await asyncio.to_thread(_read_stored, runtime, org_id, played.call_id, debtor.id)
    model_requests = hosts.model.requests_since_begin if brain == "llm" else []
    problems = _check(conversation, played, stored, model_requests, hosts.logs.lines[logs_from:])
    if problems:
        story = "\n".join(f"    {line}" for line in played.lines)
        pytest.fail(
            f"{conversation.id} [{conversation.item}; {conversation.law}] on {brain}:\n  - "
            + "\n  - ".join(problems)
            + f"\n  the call:\n{story}",
            pytrace=False,
        )
    RESULTS[(conversation.major, brain)][0] += 1
