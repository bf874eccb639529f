"""Replay: histories recorded from real runs (tests/fixtures/campaign_histories.json, written by
`python -m tests.replay_recorder`) fed back through `azure.durable_functions.Orchestrator` give the same
actions and output every time — the orchestrators are deterministic, and today's code still replays the
histories that earlier code wrote (what Azure does to every in-flight instance after a deployment)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from azure.durable_functions import Orchestrator
from azure.durable_functions.models import DurableOrchestrationContext

from functions.campaigns import orchestrator as o
from tests.replay_recorder import FIXTURE

RECORDED: dict[str, dict[str, Any]] = json.loads(FIXTURE.read_text())
FUNCTIONS = {o.CAMPAIGN_ORCHESTRATOR: o.campaign_orchestrator, o.ATTEMPT_ORCHESTRATOR: o.campaign_attempt}


def replay_once(recorded: dict[str, Any]) -> dict[str, Any]:
    context = DurableOrchestrationContext.from_json(
        json.dumps(
            {
                "history": recorded["history"],
                "instanceId": recorded["instance_id"],
                "isReplaying": True,
                "parentInstanceId": None,
                "input": recorded["input"],
                "upperSchemaVersion": 1,
            }
        )
    )
    state: dict[str, Any] = json.loads(Orchestrator(FUNCTIONS[recorded["name"]]).handle(context))
    return state


def test_the_recording_covers_every_path() -> None:
    """The fixture holds a wave, a sleep, a last generation, and attempts that waited, retried, were blocked."""
    assert set(RECORDED) == {
        "run_wave_generation", "run_sleeping_generation", "run_last_generation", "attempt_waited_dialed_completed",
        "attempt_retried_after_transient_failure", "attempt_blocked",
    }  # fmt: skip


@pytest.mark.parametrize("case", sorted(RECORDED))
def test_recorded_history_replays_to_the_same_actions_every_time(case: str) -> None:
    """Three replays of the recorded history each produce exactly the recorded actions and output."""
    recorded = RECORDED[case]
    for _ in range(3):
        state = replay_once(recorded)
        assert state["actions"] == recorded["expected"]["actions"]
        assert state.get("isDone") == recorded["expected"]["isDone"]
        assert state.get("output") == recorded["expected"]["output"]


def test_replay_is_blind_to_the_wall_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Moving the wall clock (and the process's random seed) changes nothing: only the history decides."""
    import datetime as datetime_module
    import random

    class Later(datetime_module.datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return datetime_module.datetime(2031, 1, 1, tzinfo=tz)

    monkeypatch.setattr(datetime_module, "datetime", Later)
    random.seed(12345)
    recorded = RECORDED["run_wave_generation"]
    assert replay_once(recorded)["actions"] == recorded["expected"]["actions"]


def flatten(actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every action, compound ones (WhenAll/WhenAny) opened up, in order."""
    flat: list[dict[str, Any]] = []
    for action in actions:
        flat += flatten(action["compoundActions"]) if "compoundActions" in action else [action]
    return flat


def test_wave_generation_fans_out_one_attempt_per_target_and_continues() -> None:
    """The recorded generation: plan, claim, one sub-orchestration per target (ids made of the run, the
    generation and the attempt's number), progress, then continue-as-new into generation 1."""
    recorded = RECORDED["run_wave_generation"]
    actions = flatten([action for group in recorded["expected"]["actions"] for action in group])
    subs = [action for action in actions if action["actionType"] == 2]
    assert subs, "the recorded generation started attempts"
    assert [sub["instanceId"].split(":")[1:3] for sub in subs] == [["g0", str(n)] for n in range(len(subs))]
    assert all(sub["instanceId"].startswith(recorded["instance_id"] + ":") for sub in subs)
    continued = actions[-1]
    assert continued["actionType"] == 4
    assert (
        json.loads(continued["input"])["generation"] == 1
        and json.loads(continued["input"])["planned"] is True
    )
