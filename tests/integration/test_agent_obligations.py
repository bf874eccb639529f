"""Legal events said on a real call, honoured by code whatever the brain does, and the next campaign dial
that would break them refused by the dial gate.

Each conversation runs over the real websocket on the scripted brain and on the LLM brain driven by a local
fake model that ignores every legal event (it keeps pushing a payment plan). The customer's words are written
as speech recognition delivers them."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from agent_host.simulator import serve_agent_host
from shared.db.engine import transaction
from shared.db.tables import Call, CampaignTarget, ContactPreference, Customer
from shared.models.audit import Actor
from shared.models.campaigns import CampaignCreate, TacticShare
from shared.policy import compliance as c
from shared.runtime import Runtime
from shared.services import campaigns
from tests.agent_support import AgentDatabase, agent_database, agent_runtime, llm_runtime, make_debtor
from tests.fake_openai import FakeOpenAI, Reply, ToolCall, last_tool, last_user
from tests.integration.test_agent_authority import converse
from tests.servers import serve_in_thread

__all__ = ["agent_database", "agent_runtime"]

HELLO, NAME, FACTORS = "hello", "yeah this is avery", "four three two one eight five zero zero four"


@dataclasses.dataclass(frozen=True)
class Case:
    name: str
    lines: list[str]
    outcome: str
    preferences: set[str]
    blocks: str | None  # the dial gate's reason code for the next campaign dial, if it must be refused
    said: str = ""  # words the agent must have said (code's obligation line), lower case


CASES = [
    Case(
        "cease",
        [HELLO, NAME, FACTORS, "look i already told you people stop calling me"],
        "cease_requested",
        {"cease_contact"},
        c.CEASE,
        "stop calling you",
    ),
    Case(
        "cease-before-verification",
        [HELLO, "who is this", "dont call this number again"],
        "cease_requested",
        {"do_not_call_number"},
        c.NUMBER_BLOCKED,
    ),
    Case(
        "attorney-asked-once",
        [
            HELLO,
            NAME,
            FACTORS,
            "um i have a lawyer handling this",
            "his name is john smith five five five two one two three four five six",
        ],
        "cease_requested",
        {"attorney"},
        c.ATTORNEY,
        "attorney",
    ),
    Case(
        "bankruptcy",
        [HELLO, NAME, FACTORS, "yeah we filed chapter seven back in may"],
        "bankruptcy",
        {"bankruptcy"},
        c.BANKRUPTCY,
    ),
    Case(
        "death-reported-by-wife",
        [HELLO, "this is his wife he passed away in march", "no there isn't anyone"],
        "deceased",
        {"deceased"},
        c.DECEASED,
        "sorry for your loss",
    ),
    Case(
        "wrong-number",
        [HELLO, "wrong number there's nobody by that name here"],
        "wrong_party",
        {"do_not_call_number"},
        c.NUMBER_BLOCKED,
    ),
    Case(
        "employer-prohibits",
        [HELLO, "this is the front desk at rio salado dental she can't take personal calls at work"],
        "wrong_party",
        {"do_not_call_number"},
        c.NUMBER_BLOCKED,
        "won't call this number again",
    ),
    Case(
        "at-work",
        [HELLO, NAME, FACTORS, "i'm at work call after six"],
        "inconvenient_time",
        {"inconvenient_time"},
        c.INCONVENIENT,
    ),
    Case(
        "dispute",
        [HELLO, NAME, FACTORS, "i don't owe this i already paid it off last year"],
        "dispute",
        {"dispute"},
        c.DISPUTE,
    ),
]


PUSH = "I hear you, but you owe $1,200.00. Can we set up a payment plan today?"


def _ignores_everything(messages: list[dict[str, Any]]) -> Reply | None:
    """A model that hears nothing but money: verifies, then pushes a plan whatever the customer says."""
    user = last_user(messages)
    verified = last_tool(messages, "verify_identity")
    reply: Reply | None = None
    if verified is not None:
        reply = (
            Reply(tool_calls=(ToolCall("give_disclosures", {"kind": "mini_miranda"}),))
            if verified.get("outcome") == "verified"
            else Reply(text="Please tell me the last four digits of your account and your ZIP code.")
        )
    elif last_tool(messages, "give_disclosures") is not None:
        reply = Reply(text=PUSH)
    elif user == HELLO:
        reply = Reply(text="Hi, this is Alex from Demo Bank. May I speak with Avery Ashgrove?")
    elif user and ("avery" in user or "four three" in user):
        reply = Reply(tool_calls=(ToolCall("verify_identity", {"name_confirmed": True}),))
    elif user:
        reply = Reply(text=PUSH)
    return reply


@pytest.fixture(scope="module")
def fake_model() -> Iterator[tuple[FakeOpenAI, str]]:
    fake = FakeOpenAI(rules=[_ignores_everything])
    with serve_in_thread(fake.app()) as url:
        yield fake, url


def _with_brain(runtime: Runtime, brain: str, base_url: str) -> Runtime:
    return runtime if brain == "scripted" else llm_runtime(runtime, base_url)


@pytest.mark.parametrize("brain", ["scripted", "llm"])
async def test_legal_events_said_on_a_call_are_honoured_and_block_the_next_dial(
    agent_runtime: Runtime,
    agent_database: AgentDatabase,
    fake_model: tuple[FakeOpenAI, str],
    brain: str,
) -> None:
    """Cease (all contact, and this number from whoever answered), attorney (asked once for the contact),
    bankruptcy, a death reported by a relative, a wrong number, an employer who forbids calls at work, a bad time
    with standing hours, and a dispute:
    each is answered by code and ends the call with its outcome and records, whatever the model wanted to
    say, no debt figure reaches the line after it, and the next campaign dial that would break it is
    refused by the dial gate."""
    runtime = _with_brain(agent_runtime, brain, fake_model[1])
    org_id = agent_database.org_id
    # Landlines: no TCPA consent is needed to dial them, so only what was said on the call can refuse a dial.
    people = {case.name: make_debtor(runtime, org_id, primary_line_type="landline") for case in CASES}
    control = make_debtor(runtime, org_id, primary_line_type="landline")
    talks = {}
    async with serve_agent_host(runtime) as url:
        for case in CASES:
            meta = {"organization_id": str(org_id), "customer_id": str(people[case.name].id)}
            talks[case.name] = await converse(url, {**meta, "brain": brain}, case.lines)

    # Earlier calls (and other tests) left verified conversations: put this test's calls 10 days back so the
    # 7-day quiet period is not what refuses the dial.
    now = datetime.now(UTC).replace(hour=18, minute=0, second=0, microsecond=0) + timedelta(days=1)
    with transaction(runtime.sessions) as session:
        for case in CASES:
            talk = talks[case.name]
            finished = [t for t in talk.turns if t.finished]
            assert finished, (case.name, talk.said)
            if case.said:
                assert case.said in talk.said.lower(), (case.name, talk.said)
            last_words = talk.turns[-1].text.lower()
            assert "1,200" not in last_words and "payment plan" not in last_words, (case.name, last_words)
            call = session.get(Call, talk.call_id)
            assert call is not None and call.outcome is not None
            assert call.outcome.value == case.outcome, (case.name, call.outcome, talk.said)
            kinds = {
                row.kind.value
                for row in session.scalars(
                    sa.select(ContactPreference).where(ContactPreference.customer_id == people[case.name].id)
                )
            }
            assert case.preferences <= kinds, (case.name, kinds)
            session.execute(
                sa.update(Call)
                .where(Call.customer_id == people[case.name].id)
                .values(start_time=now - timedelta(days=10), end_time=now - timedelta(days=10))
            )
        campaign_id = campaigns.create_campaign(
            session=session,
            org_id=org_id,
            actor=Actor.cli(),
            campaign_in=CampaignCreate(
                name=f"After the calls {uuid.uuid4().hex[:6]}",
                tactics=[TacticShare(tactic_name="empathetic_partner")],
            ),
        ).id
        run = campaigns.begin_run(
            session=session, org_id=org_id, campaign_id=campaign_id, actor=Actor.cli(), at=now
        )
        campaigns.plan_targets(session=session, org_id=org_id, campaign_id=campaign_id)
        target_of = dict(
            session.execute(
                sa.select(CampaignTarget.customer_id, CampaignTarget.id).where(
                    CampaignTarget.campaign_id == campaign_id
                )
            ).all()
        )
        for case in [*CASES, None]:
            customer = control if case is None else people[case.name]
            decided = campaigns.open_attempt(
                session=session,
                org_id=org_id,
                campaign_id=campaign_id,
                target_id=target_of[customer.id],
                attempt_instance_id=f"{run.instance_id}:{customer.id}",
                run_instance_id=run.instance_id or "",
                at=now,  # 11:00 in Phoenix, inside every window
            )
            if case is None:
                assert decided.action == "dial", decided
                continue
            assert decided.action in {"blocked", "wait"} and decided.request is None, (case.name, decided)
            assert any(reason.startswith(f"{case.blocks}: ") for reason in decided.reasons), (
                case.name,
                decided.reasons,
            )
        held = {
            key: value
            for key, value in session.execute(
                sa.select(Customer.id, Customer.legal_hold).where(
                    Customer.id.in_([people["bankruptcy"].id, people["death-reported-by-wife"].id])
                )
            )
        }
        assert all(held.values())


CLAIMS_HUMAN = [
    lambda messages: (
        Reply(text="No, I'm a real person, not a robot.")
        if "robot" in last_user(messages) or "real person" in last_user(messages)
        else None
    ),
    _ignores_everything,
]


@pytest.fixture(scope="module")
def human_claiming_model() -> Iterator[tuple[FakeOpenAI, str]]:
    fake = FakeOpenAI(rules=list(CLAIMS_HUMAN))
    with serve_in_thread(fake.app()) as url:
        yield fake, url


@pytest.mark.parametrize("brain", ["scripted", "llm"])
async def test_asked_whether_it_is_a_machine_the_agent_says_so_and_asks_its_question_again(
    agent_runtime: Runtime,
    agent_database: AgentDatabase,
    human_claiming_model: tuple[FakeOpenAI, str],
    brain: str,
) -> None:
    """ "Am I talking to a robot" gets the truth — an automated assistant calling for the bank — from code,
    never a model's claim to be human; the agent's last question follows and the call goes on. An
    objection to being recorded is answered and noted on the call, which goes on too."""
    runtime = _with_brain(agent_runtime, brain, human_claiming_model[1])
    customer = make_debtor(runtime, agent_database.org_id)
    meta = {"organization_id": str(agent_database.org_id), "customer_id": str(customer.id), "brain": brain}
    async with serve_agent_host(runtime) as url:
        talk = await converse(
            url, meta, [HELLO, "wait am i talking to a robot", "i don't consent to being recorded", NAME]
        )
    answer = talk.turns[2].text
    assert "automated assistant calling for Demo Bank" in answer and "real person" not in talk.said
    assert answer.rstrip().endswith("?"), answer  # the question it had asked, asked again
    assert "stopped recording" in talk.turns[3].text
    assert not any(turn.finished for turn in talk.turns[:4])
    with transaction(runtime.sessions) as session:
        call = session.get(Call, talk.call_id)
        assert call is not None and call.call_metadata.get("recording", {}).get("objection") is True
