"""Agent turn latency and memory per concurrent call, on PostgreSQL.

Measures what the agent host itself adds to a conversation: from the end of a user turn (the harness sends
`user_state: idle`) to the agent's first `message` frame, over the real Line websocket protocol, for

- the scripted brain on PostgreSQL (the production composition: `agent_host.app.create_app`, masked
  logging at WARNING), driven by the simulated personas — at least 1,000 spoken turns;
- a bare Line echo agent behind the same harness protocol and the same server, as the floor.

Each host runs in its own process (its memory is its own); the clients run here. Then 200 calls are held
open at once mid-conversation (verified, an offer on the table) and the host's resident memory is compared
with its idle baseline: memory per concurrent call.

    .venv/bin/python bench/agent_turns.py                       # scratch database on the local PostgreSQL
    .venv/bin/python bench/agent_turns.py --turns 2000 --concurrency 16 --memory-calls 200

Then the LLM brain against a local fake model that answers after a fixed 40 ms: its turn latency minus those
40 ms is what Archer's model path adds (history, LiteLLM, HTTP, the guard's sentence check).

Targets: p95 ≤ 15 ms and ≤ 2x the echo floor; host CPU ≤ 4 ms per turn; ≤ 2 MB per concurrent call; the
model path adds ≤ 25 ms at p95. The figures depend on the
machine (other processes share its cores); the table says what was measured."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SERVER_URL = os.environ.get("ARCHER_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PERSONA_MIX = (
    "cooperative_payer", "needs_plan", "settlement_seeker", "hardship", "hostile_refuser", "disputes_debt",
    "stop_calling", "busy_callback", "asks_for_human", "fails_verification",
)  # fmt: skip


# --- The servers (each in its own process) ------------------------------------------------------------------


def serve(kind: str, database_url: str) -> None:
    """`--serve agent|echo`: serve on a free loopback port, print `PORT <n>`, run until killed."""
    import uvicorn

    from shared.config import Settings
    from shared.telemetry import configure_logging

    configure_logging(level="WARNING")
    samples: list[float] = []
    if kind == "model":
        app = fake_model_app()
    elif kind == "llm":
        from agent_host.app import create_app
        from shared.runtime import build_runtime, tune_gc

        settings = Settings(
            ARCHER_ENV="test",
            ARCHER_DATABASE_URL=database_url,
            ARCHER_DB_POOL_SIZE=20,
            OPENAI_API_KEY="sk-bench-fake",
            OPENAI_BASE_URL=os.environ["ARCHER_BENCH_MODEL_URL"],
            ARCHER_LLM_MODEL="gpt-4o-mini",
        )
        app = create_app(build_runtime(settings))
        tune_gc()
    elif kind == "agent":
        from agent_host.app import create_app
        from shared.runtime import build_runtime, tune_gc

        time_agent_logic(samples)

        settings = Settings(ARCHER_ENV="test", ARCHER_DATABASE_URL=database_url, ARCHER_DB_POOL_SIZE=20)
        app: Any = create_app(build_runtime(settings))
        tune_gc()  # as `python -m agent_host` does
    else:
        app = echo_app()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_config=None, lifespan="on", ws="websockets-sansio"
    )
    server = uvicorn.Server(config)

    # Our own SIGTERM handling (uvicorn would re-raise it after shutting down, before the samples are saved).
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]

    async def run() -> None:
        asyncio.get_running_loop().add_signal_handler(
            signal.SIGTERM, lambda: setattr(server, "should_exit", True)
        )
        task = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.01)
        print(f"PORT {server.servers[0].sockets[0].getsockname()[1]}", flush=True)
        await task

    asyncio.run(run())
    if os.environ.get("ARCHER_BENCH_SAMPLES"):
        Path(os.environ["ARCHER_BENCH_SAMPLES"]).write_text(json.dumps(samples))


def time_agent_logic(samples: list[float]) -> None:
    """Time Archer's own part of each user turn: the agent (guard, brain, tools) from the turn's event to
    its first output, inside the host — no SDK, no socket, no client."""
    from line.events import UserTurnEnded

    from agent_host import guard

    process = guard.GuardedAgent.process

    async def timed(self: Any, env: Any, event: Any) -> Any:
        started, first = time.perf_counter(), isinstance(event, UserTurnEnded)
        async for output in process(self, env, event):
            if first:
                samples.append(time.perf_counter() - started)
                first = False
            yield output

    guard.GuardedAgent.process = timed  # type: ignore[method-assign]


MODEL_TTFT_SECONDS = 0.040  # the fake model's time to first token: what a real model's fastest answers take


def fake_model_app() -> Any:
    """A local OpenAI-compatible chat completions endpoint that streams a short reply after a fixed time to
    first token: the LLM brain's turn latency minus this is what Archer's model path adds."""
    from fastapi import FastAPI
    from fastapi.responses import StreamingResponse

    app = FastAPI()
    words = [
        "Thank",
        "you",
        "for",
        "that.",
        "Could",
        "you",
        "tell",
        "me",
        "a",
        "little",
        "more",
        "about",
        "your",
        "situation?",
    ]

    def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
        body = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "gpt-4o-mini",
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}  # fmt: skip
        return f"data: {json.dumps(body)}\n\n"

    @app.post("/v1/chat/completions")
    async def completions() -> StreamingResponse:
        async def stream() -> Any:
            await asyncio.sleep(MODEL_TTFT_SECONDS)
            yield chunk({"role": "assistant", "content": ""})
            for index, word in enumerate(words):
                yield chunk({"content": word + (" " if index < len(words) - 1 else "")})
            yield chunk({}, "stop")
            yield "data: [DONE]\n\n"

        return StreamingResponse(stream(), media_type="text/event-stream")

    return app


async def llm_call(url: str, org_id: str, customer_id: str, replies: int) -> list[float]:
    """One LLM-brain call of `replies` customer turns (the fake model answers each with words)."""
    from agent_host.simulator import HarnessClient

    lines = ["Hello?", "Yes, speaking.", "Who is this again?", "I see.", "Okay.", "Go on."]
    async with HarnessClient.open(url) as client:
        await client.start(
            call_id=str(uuid.uuid4()), metadata={"organization_id": org_id, "customer_id": customer_id}
        )
        turn = await client.read_turn()
        await client.acknowledge(turn.messages)
        for index in range(replies):
            await client.say(lines[index % len(lines)])
            turn = await client.read_turn()
            await client.acknowledge(turn.messages)
        await client.close()
        return client.latencies[1:]  # the first answer waits for the greeting's recording notice tool


def echo_app() -> Any:
    """The floor: a bare Line agent that says back what it heard."""
    from line import VoiceAgentApp
    from line.events import AgentSendText, UserTextSent, UserTurnEnded

    async def echo(env: Any, event: Any) -> Any:
        if isinstance(event, UserTurnEnded):
            text = " ".join(item.content for item in event.content if isinstance(item, UserTextSent))
            yield AgentSendText(text=f"You said: {text}")

    async def get_agent(env: Any, call_request: Any) -> Any:
        return echo

    return VoiceAgentApp(get_agent=get_agent).fastapi_app


class Server:
    def __init__(self, kind: str, database_url: str, **env: str) -> None:
        self.samples_path = Path(tempfile.mkdtemp()) / "samples.json"
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve", kind, "--database-url", database_url],
            stdout=subprocess.PIPE,
            env={
                **os.environ,
                "ARCHER_LOG_LEVEL": "WARNING",
                "ARCHER_BENCH_SAMPLES": str(self.samples_path),
                **env,
            },
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("PORT "):
            self.process.kill()
            raise RuntimeError(f"the {kind} server did not start")
        self.url = f"ws://127.0.0.1:{int(line.split()[1])}/ws"

    def cpu_seconds(self) -> float:
        """User + system CPU time the server process has used (load-independent, unlike wall time)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS")

    def stop(self) -> list[float]:
        """Stop the server (again is fine); the agent-logic samples it recorded (empty for the echo)."""
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        if not self.samples_path.exists():
            return []
        samples: list[float] = json.loads(self.samples_path.read_text())
        return samples


# --- Data -----------------------------------------------------------------------------------------------------


def prepare_database(url: str | None) -> tuple[str, bool]:
    """A migrated database: the given URL, or a scratch database on the local server (dropped afterwards)."""
    import sqlalchemy as sa

    from shared.db import migrate
    from shared.db.engine import make_engine

    created = False
    if url is None:
        name = f"archer_bench_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(SERVER_URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        admin.dispose()
        url = sa.engine.make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)
        created = True
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return url, created


def drop_database(url: str) -> None:
    import sqlalchemy as sa

    parsed = sa.engine.make_url(url)
    admin = sa.create_engine(SERVER_URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
    admin.dispose()


def make_customers(url: str, count: int) -> tuple[str, list[tuple[str, Any]]]:
    """An organization like a bank and `count` debtors: (organization id, [(customer id, identity)])."""
    from agent_host.simulator import Identity
    from shared.db.engine import make_engine, make_session_factory, transaction
    from shared.models.audit import Actor
    from shared.models.customers import CustomerCreate
    from shared.models.organizations import OrganizationCreate, OrganizationSettings
    from shared.services import customers, organizations

    engine = make_engine(url)
    sessions = make_session_factory(engine)
    actor = Actor.cli()
    people = []
    with transaction(sessions) as session:
        org = organizations.create_organization(
            session=session,
            org_in=OrganizationCreate(
                name=f"Bench Bank {uuid.uuid4().hex[:6]}",
                settings=OrganizationSettings(
                    business_name="Bench Bank", callback_number="+18005550100", transfer_number="+18005550199"
                ),
            ),
            actor=actor,
        ).organization
        organizations.install_defaults(session=session, org_id=org.id, actor=actor)
        for n in range(count):
            last4 = f"{(n * 37) % 10000:04d}"
            customer = customers.create_customer(
                session=session,
                org_id=org.id,
                customer_in=CustomerCreate(
                    external_ref=f"BENCH-{n:06d}",
                    name="Avery Ashgrove",
                    phone_number=f"+1602555{n % 10000:04d}",
                    postal_code="85004",
                    accounts=[
                        {
                            "external_ref": f"BENCHA-{n:06d}",
                            "account_last_4": last4,
                            "balance": Decimal("1200.00") + n,
                            "past_due_amount": Decimal("300.00"),
                            "minimum_payment": Decimal("36.00"),
                            "days_past_due": 200,
                        }
                    ],
                ),
                actor=actor,
                audited=False,
            )
            people.append(
                (str(customer.id), Identity(name=customer.name, account_last4=last4, postal_code="85004"))
            )
    engine.dispose()
    return str(org.id), people


# --- Measurements ---------------------------------------------------------------------------------------------


async def echo_call(url: str, replies: int, chars: int) -> list[float]:
    """One echo call of `replies` turns whose replies total about `chars` characters."""
    from agent_host.simulator import HarnessClient

    per_reply = max(20, chars // max(1, replies))
    words = f"Turn of the echo call, {'and so on ' * (per_reply // 10 + 1)}"[: max(10, per_reply - 10)]
    async with HarnessClient.open(url) as client:
        await client.start(call_id=str(uuid.uuid4()), metadata={})
        await client.read_turn()
        for _ in range(replies):
            await client.say(words)
            turn = await client.read_turn()
            await client.acknowledge(turn.messages)
        await client.close()
        return client.latencies


async def paired_latencies(
    agent_url: str, echo_url: str, org_id: str, people: list[tuple[str, Any]], *, turns: int, concurrency: int
) -> tuple[list[float], list[float], int]:
    """Scripted calls in `concurrency` lanes; after each, an echo call with that call's exact shape (as
    many timed replies, as many characters) in the same lane — both see the same machine at the same time.
    Returns (scripted latencies, echo latencies, calls)."""
    from agent_host.simulator import run_simulated_call

    scripted: list[float] = []
    floor: list[float] = []
    queue = list(enumerate(people))
    calls = 0

    async def lane() -> None:
        nonlocal calls
        while queue and len(scripted) < turns:
            index, (customer_id, identity) = queue.pop(0)
            result = await run_simulated_call(
                agent_url=agent_url,
                persona=PERSONA_MIX[index % len(PERSONA_MIX)],
                identity=identity,
                metadata={"organization_id": org_id, "customer_id": customer_id, "brain": "scripted"},
            )
            scripted.extend(result.latencies)
            chars = sum(len(message) for message in result.agent_messages)
            floor.extend(await echo_call(echo_url, max(1, len(result.latencies)), chars))
            calls += 1

    await asyncio.gather(*(lane() for _ in range(concurrency)))
    return scripted, floor, calls


async def held_calls(
    url: str, org_id: str, people: list[tuple[str, Any]], server: Server
) -> tuple[float, float, int]:
    """Hold len(people) calls open mid-conversation at once; (baseline MB, with calls MB, calls held)."""
    from agent_host.simulator import HarnessClient

    gc.collect()
    await asyncio.sleep(1.0)
    baseline = server.rss_mb()
    ready = 0
    all_ready = asyncio.Event()
    release = asyncio.Event()

    async def one(customer_id: str, identity: Any) -> None:
        nonlocal ready
        async with HarnessClient.open(url, timeout=120) as client:
            await client.start(
                call_id=str(uuid.uuid4()), metadata={"organization_id": org_id, "customer_id": customer_id}
            )
            await client.read_turn()
            for words in ("Hello?", "Yes, speaking.", f"{identity.account_last4}, {identity.postal_code}"):
                await client.say(words)
                turn = await client.read_turn()
                await client.acknowledge(turn.messages)
            ready += 1
            if ready == len(people):
                all_ready.set()
            await release.wait()
            await client.close()

    tasks = [asyncio.create_task(one(customer_id, identity)) for customer_id, identity in people]
    await asyncio.wait_for(all_ready.wait(), timeout=600)
    await asyncio.sleep(1.0)
    loaded = server.rss_mb()
    release.set()
    await asyncio.gather(*tasks)
    return baseline, loaded, ready


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def row(name: str, values: list[float]) -> str:
    ms = [value * 1000 for value in values]
    return (
        f"| {name} | {len(ms)} | {statistics.median(ms):.2f} | {percentile(ms, 0.95):.2f} | "
        f"{percentile(ms, 0.99):.2f} | {max(ms):.2f} |"
    )


async def main(args: argparse.Namespace) -> int:
    url, created = prepare_database(args.database_url)
    try:
        started = time.perf_counter()
        org_id, people = make_customers(url, args.calls + args.memory_calls)
        print(
            f"database ready ({len(people)} debtors) in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
        agent, echo = Server("agent", url), Server("echo", url)
        try:
            warm, rest = people[:20], people[20 : args.calls]
            await paired_latencies(
                agent.url, echo.url, org_id, warm, turns=10**9, concurrency=args.concurrency
            )
            cpu_agent, cpu_echo = agent.cpu_seconds(), echo.cpu_seconds()
            scripted, floor, calls = await paired_latencies(
                agent.url, echo.url, org_id, rest, turns=args.turns, concurrency=args.concurrency
            )
            cpu_agent, cpu_echo = agent.cpu_seconds() - cpu_agent, echo.cpu_seconds() - cpu_echo
            echo.stop()
            baseline, loaded, held = await held_calls(agent.url, org_id, people[args.calls :], agent)
        finally:
            logic = agent.stop()
            echo.stop()
        model = Server("model", url)
        llm = Server(
            "llm",
            url,
            ARCHER_BENCH_MODEL_URL=model.url.replace("ws://", "http://").removesuffix("/ws") + "/v1",
        )
        try:
            model_path: list[float] = []
            for customer_id, _identity in people[: args.llm_calls]:
                model_path.extend(await llm_call(llm.url, org_id, customer_id, 5))
        finally:
            llm.stop()
            model.stop()
    finally:
        if created:
            drop_database(url)
    memory_per_call = (loaded - baseline) / held
    p95_ratio = percentile(scripted, 0.95) / percentile(floor, 0.95)
    print(
        f"\nAgent turn latency: user turn end → first agent message, PostgreSQL, {args.concurrency} lane(s)"
    )
    print(f"({calls} scripted calls, each followed in its lane by an echo call of the same shape)\n")
    print("| agent | turns | p50 ms | p95 ms | p99 ms | max ms | host CPU ms per turn |")
    print("|---|---|---|---|---|---|---|")
    print(row("bare Line echo agent (floor)", floor) + f" {cpu_echo * 1000 / len(floor):.2f} |")
    print(row("Archer scripted brain", scripted) + f" {cpu_agent * 1000 / len(scripted):.2f} |")
    if logic:
        print(row("of which Archer's agent logic (guard, brain, tools)", logic) + " |")
    print(
        f"\np95 scripted / p95 echo: {p95_ratio:.2f}x (target ≤ 2x); "
        f"p95 scripted: {percentile(scripted, 0.95) * 1000:.2f} ms (target ≤ 15 ms)"
    )
    added = [value - MODEL_TTFT_SECONDS for value in model_path]
    print(
        f"\nLLM brain: user turn end → first agent words, over a local fake model answering after "
        f"{MODEL_TTFT_SECONDS * 1000:.0f} ms; the model path's added latency is the rest\n"
    )
    print("| path | turns | p50 ms | p95 ms | p99 ms | max ms |")
    print("|---|---|---|---|---|---|")
    print(row("LLM brain turn", model_path))
    print(row("added over the model's time to first token", added))
    print(f"\nadded p95: {percentile(added, 0.95) * 1000:.2f} ms (target ≤ 25 ms)")
    print(f"\nMemory: {held} concurrent calls held mid-conversation (verified, offer on the table)\n")
    print("| host RSS idle MB | host RSS with calls MB | per concurrent call MB | target |")
    print("|---|---|---|---|")
    print(f"| {baseline:.1f} | {loaded:.1f} | {memory_per_call:.3f} | ≤ 2 MB |")
    return 0


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--serve", choices=["agent", "echo", "llm", "model"], help=argparse.SUPPRESS)
    parser.add_argument(
        "--database-url", help="a PostgreSQL URL (default: a scratch database, dropped after)"
    )
    parser.add_argument("--turns", type=int, default=1200, help="spoken turns measured per agent (≥ 1000)")
    parser.add_argument("--calls", type=int, default=400, help="debtors available for the latency run")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=1,
        help="lanes of calls during the latency run (1: the agent's own latency)",
    )
    parser.add_argument("--memory-calls", type=int, default=200, help="calls held open at once for memory")
    parser.add_argument("--llm-calls", type=int, default=60, help="LLM-brain calls (5 timed turns each)")
    return parser.parse_args()


if __name__ == "__main__":
    arguments = parse()
    if arguments.serve:
        serve(arguments.serve, arguments.database_url)
        sys.exit(0)
    sys.exit(asyncio.run(main(arguments)))
