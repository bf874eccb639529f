"""Records the Durable histories that the replay tests feed back through the SDK.

    .venv/bin/python -m tests.replay_recorder     # rewrites tests/fixtures/campaign_histories.json

It runs a small campaign through the local driver (virtual clock, recording fake dialer) and keeps the
final history of representative executions — a run generation that fans out a wave, one that sleeps until
the next target is due, the last one, an attempt that waits for the window and dials, one whose dial is
refused once and retried, one blocked by a cease request — each with the orchestrator state (actions,
output) the SDK produced for it. Re-record only when an orchestrator change is meant to change behavior:
the point of the file is that histories recorded by yesterday's code replay identically with today's."""

from __future__ import annotations

import asyncio
import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from functions.campaigns.driver import LocalCampaignRuns, VirtualClock
from functions.campaigns.orchestrator import ATTEMPT_ORCHESTRATOR, CAMPAIGN_ORCHESTRATOR
from shared.db import migrate
from shared.db.engine import make_engine, make_session_factory, transaction
from shared.domain import PreferenceKind
from shared.models.audit import Actor
from shared.models.campaigns import CampaignCreate, DialRequest, TacticShare
from shared.services import campaigns
from tests.campaign_support import NO_ANSWER, PROMISE, Answer, add_customer, build_driver, make_bank

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "campaign_histories.json"
START = datetime(2026, 7, 15, 14, 50, tzinfo=UTC)  # 07:50 in Phoenix: ten minutes before the window opens


def _types(history: list[dict[str, Any]]) -> set[int]:
    return {event["EventType"] for event in history}


def _kind(name: str, history: list[dict[str, Any]], state: dict[str, Any] | None) -> str | None:
    """Which representative case an execution's final episode is, if any."""
    if state is None:
        return None
    types = _types(history)
    continued = any(action.get("actionType") == 4 for group in state["actions"] for action in group)
    if name == CAMPAIGN_ORCHESTRATOR:
        cases = [
            (bool(state.get("isDone")) and not continued, "run_last_generation"),
            (continued and 7 in types, "run_wave_generation"),  # SubOrchestrationInstanceCreated
            (continued and 10 in types, "run_sleeping_generation"),  # TimerCreated
        ]
    elif name == ATTEMPT_ORCHESTRATOR and state.get("isDone"):
        output = state.get("output") or {}
        cases = [
            (6 in types, "attempt_retried_after_transient_failure"),  # TaskFailed, then the retry
            (output.get("action") == "blocked", "attempt_blocked"),
            (15 in types and 11 in types, "attempt_waited_dialed_completed"),  # EventRaised, TimerFired
        ]
    else:
        cases = []
    return next((kind for matched, kind in cases if matched), None)


async def record() -> dict[str, Any]:
    episodes: dict[str, dict[str, Any]] = {}

    def keep(
        name: str, instance_id: str, history: list[dict[str, Any]], state: dict[str, Any] | None
    ) -> None:
        kind = _kind(name, history, state)
        if kind is not None and kind not in episodes and state is not None:
            input_event = next(event for event in history if event["EventType"] == 0)
            episodes[kind] = {
                "name": name,
                "instance_id": instance_id,
                "input": input_event["Input"],
                "history": history,
                "expected": {key: state.get(key) for key in ("isDone", "actions", "output")},
            }

    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'replay.db'}")
        migrate.upgrade(engine)
        sessions = make_session_factory(engine)
        org_id = make_bank(sessions, name="Replay Bank")
        answers, _ = add_customer(sessions, org_id, phone="+16025550161")
        add_customer(sessions, org_id, phone="+16025550162")
        refused, _ = add_customer(sessions, org_id, phone="+16025550163")
        add_customer(
            sessions, org_id, phone="+16025550164", preferences=((PreferenceKind.CEASE_CONTACT, {}),)
        )
        with transaction(sessions) as session:
            campaign = campaigns.create_campaign(
                session=session,
                org_id=org_id,
                campaign_in=CampaignCreate(
                    name="Replay", tactics=[TacticShare(tactic_name="empathetic_partner")], max_concurrent_calls=4,
                    max_attempts_per_target=2,
                ),
                actor=Actor.cli(),
            )  # fmt: skip

        def script(request: DialRequest, count: int) -> Answer:
            return PROMISE if request.customer_id == answers else NO_ANSWER

        clock = VirtualClock(START)
        driver, _ = build_driver(sessions, clock, script, refuse_first={refused}, on_episode=keep)
        with transaction(sessions) as session:
            run = campaigns.begin_run(
                session=session, org_id=org_id, campaign_id=campaign.id, actor=Actor.cli(), at=clock.now()
            )
        assert run.instance_id is not None
        await LocalCampaignRuns(driver).start_run(
            org_id=org_id, campaign_id=campaign.id, instance_id=run.instance_id
        )
        await driver.run_until_finished(run.instance_id, timeout=120)
        await driver.aclose()
        engine.dispose()
    missing = {
        "run_wave_generation", "run_sleeping_generation", "run_last_generation", "attempt_waited_dialed_completed",
        "attempt_retried_after_transient_failure", "attempt_blocked",
    } - set(episodes)  # fmt: skip
    if missing:
        raise RuntimeError(f"the recording run did not produce: {sorted(missing)}")
    return dict(sorted(episodes.items()))


def main() -> None:
    episodes = asyncio.run(record())
    FIXTURE.parent.mkdir(exist_ok=True)
    FIXTURE.write_text(json.dumps(episodes, indent=1, sort_keys=True) + "\n")
    print(f"recorded {len(episodes)} histories into {FIXTURE}")


if __name__ == "__main__":
    main()
