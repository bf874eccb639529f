"""The campaign orchestrators: generator functions the Durable Functions SDK replays. The same code runs in
Azure and in the local driver.

Deterministic by rule: no I/O, no clock but `context.current_utc_datetime`, no randomness; every decision
with weight is an activity (whose result the history records) and every rule lives in `shared`.

A run is one `campaign_orchestrator` instance (id `campaign-<campaign>-run-<n>`), in generations linked by
continue-as-new so its history stays bounded: each generation claims one wave of due targets (at most the
campaign's concurrency), fans out one `campaign_attempt` sub-orchestration per target and waits for all of
them; or, when nothing is due, sleeps on a durable timer until the earliest target is due — woken early by
a control event (pause, resume, cancel). Each attempt asks the gate (compliance, then the ledger) for the next
allowed time, waits on a durable timer when that is close, places the call (retried only for transient
errors), waits for `call_completed` with a timeout, and records the disposition."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Generator
from datetime import datetime, timedelta
from typing import Any

import azure.durable_functions as df
from pydantic import BaseModel

from shared.models.campaigns import CALL_COMPLETED_EVENT, AttemptGate, Wave

CAMPAIGN_ORCHESTRATOR = "campaign_orchestrator"
ATTEMPT_ORCHESTRATOR = "campaign_attempt"
PLAN_ACTIVITY = "campaign_plan"
CLAIM_ACTIVITY = "campaign_claim_wave"
PLACE_CALL_ACTIVITY = "campaign_place_call"
RECORD_ACTIVITY = "campaign_record_disposition"
PROGRESS_ACTIVITY = "campaign_progress"
FINISH_ACTIVITY = "campaign_finish"
CONTROL_EVENT = "campaign_control"

# Activities raise only for transient failures (a permanent one is a result, not an exception), so these
# retries never repeat a refused call.
TRANSIENT_RETRY = df.RetryOptions(first_retry_interval_in_milliseconds=5_000, max_number_of_attempts=4)
INLINE_WAIT = timedelta(
    minutes=15
)  # an attempt waits this long on its own timer; longer waits go back to the run
MAX_INLINE_WAITS = 4
CALL_TIMEOUT = timedelta(hours=2)  # longer than any call (the dialer caps call length below it)
PAUSED_POLL = timedelta(hours=1)  # a paused run re-reads its state this often, should a resume event be lost
MIN_SLEEP = timedelta(seconds=1)
GENERATION_SHARE = (
    2  # attempts a generation starts, in multiples of the concurrency, before continuing as new
)
REFILL_FRACTION = 10  # refill the window once a tenth of it (at least one slot) is free

Task = Any  # azure.durable_functions.models.Task.TaskBase; untyped in the SDK
Orchestration = Generator[Task, Any, Any]


class RunInput(BaseModel):
    """A run generation's input; continue-as-new hands the next generation its successor."""

    organization_id: uuid.UUID
    campaign_id: uuid.UUID
    generation: int = 0
    planned: bool = False

    def ids(self) -> dict[str, str]:
        return {"organization_id": str(self.organization_id), "campaign_id": str(self.campaign_id)}


class AttemptInput(BaseModel):
    organization_id: uuid.UUID
    campaign_id: uuid.UUID
    target_id: uuid.UUID
    run_instance_id: str


def attempt_instance_id(run_instance_id: str, generation: int, number: int, target_id: uuid.UUID) -> str:
    """The `number`-th attempt started by a run generation: the id (and so the attempt's idempotency key) is
    the same every time the generation is replayed, and new for every other attempt."""
    return f"{run_instance_id}:g{generation}:{number}:{target_id.hex}"


def _now(context: df.DurableOrchestrationContext) -> datetime:
    moment: datetime = context.current_utc_datetime
    return moment


def campaign_orchestrator(context: df.DurableOrchestrationContext) -> Orchestration:
    """One generation of a campaign run: a sliding window of at most the campaign's concurrency of attempts,
    refilled from the due targets as attempts end, until the generation has started its share (then it
    drains and continues as new, bounding the history), nothing is left (the run finishes), or nothing is
    due (it sleeps until the earliest target is due, or a control event)."""
    run = RunInput.model_validate(context.get_input(expected_type=dict))
    if not run.planned:
        yield context.call_activity_with_retry(PLAN_ACTIVITY, TRANSIENT_RETRY, run.ids(), expected_type=dict)
        run = run.model_copy(update={"planned": True})
    running: dict[uuid.UUID, Task] = {}
    started = 0
    wave = Wave(status="running", remaining=1)
    capacity = budget = 1
    while True:
        free = capacity - len(running)
        if (
            wave.status == "running"
            and started < budget
            and (free >= max(1, capacity // REFILL_FRACTION) or not running)
        ):
            claimed = yield context.call_activity_with_retry(
                CLAIM_ACTIVITY,
                TRANSIENT_RETRY,
                {
                    **run.ids(),
                    "instance_id": context.instance_id,
                    "at": _now(context).isoformat(),
                    "exclude": [str(target_id) for target_id in running],
                    "limit": None if started == 0 else min(free, budget - started),
                },
                expected_type=dict,
            )
            wave = Wave.model_validate(claimed)
            capacity = wave.capacity
            budget = GENERATION_SHARE * capacity
            for target in wave.targets:
                running[target.target_id] = context.call_sub_orchestrator(
                    ATTEMPT_ORCHESTRATOR,
                    AttemptInput(
                        organization_id=run.organization_id,
                        campaign_id=run.campaign_id,
                        target_id=target.target_id,
                        run_instance_id=context.instance_id,
                    ).model_dump(mode="json"),
                    attempt_instance_id(context.instance_id, run.generation, started, target.target_id),
                    expected_type=dict,
                )
                started += 1
        if not running:
            break
        # Wait for an attempt to end — or, with room in the window, for the next target to come due.
        waits = list(running.values())
        timer = None
        free = capacity - len(running)
        if wave.status == "running" and free > 0 and started < budget and wave.next_due_at is not None:
            timer = context.create_timer(max(wave.next_due_at, _now(context) + MIN_SLEEP))
            waits.append(timer)
        # Attempts settle their own failures; should one fail anyway, the database holds its target's state.
        with contextlib.suppress(Exception):
            yield context.task_any(waits)
        if timer is not None and not timer.is_completed:
            timer.cancel()
        running = {target_id: task for target_id, task in running.items() if not task.is_completed}
    finished = wave.status in ("canceled", "superseded") or (
        wave.status == "running" and not wave.targets and wave.remaining == 0
    )
    if finished:
        yield context.call_activity_with_retry(
            FINISH_ACTIVITY,
            TRANSIENT_RETRY,
            {**run.ids(), "instance_id": context.instance_id, "at": _now(context).isoformat()},
            expected_type=dict,
        )
        summary = yield context.call_activity(PROGRESS_ACTIVITY, run.ids(), expected_type=dict)
        return summary
    if started:
        yield context.call_activity(PROGRESS_ACTIVITY, run.ids(), expected_type=dict)
    else:
        now = _now(context)
        wake = now + PAUSED_POLL if wave.status == "paused" or wave.next_due_at is None else wave.next_due_at
        sleep = context.create_timer(max(wake, now + MIN_SLEEP))
        control = context.wait_for_external_event(CONTROL_EVENT, expected_type=dict)
        winner = yield context.task_any([sleep, control])
        if winner is control:
            sleep.cancel()
    context.continue_as_new(run.model_copy(update={"generation": run.generation + 1}).model_dump(mode="json"))
    return None


def campaign_attempt(context: df.DurableOrchestrationContext) -> Orchestration:
    """One attempt on one target: gate, (short) wait, dial, wait for the call's end, record it."""
    attempt = AttemptInput.model_validate(context.get_input(expected_type=dict))
    payload = {**attempt.model_dump(mode="json"), "attempt_instance_id": context.instance_id}
    try:
        gate = AttemptGate(action="skip")
        for _ in range(MAX_INLINE_WAITS):
            opened = yield context.call_activity_with_retry(
                PLACE_CALL_ACTIVITY,
                TRANSIENT_RETRY,
                {**payload, "at": _now(context).isoformat()},
                expected_type=dict,
            )
            gate = AttemptGate.model_validate(opened)
            close = _now(context) + INLINE_WAIT
            if gate.action == "wait" and gate.next_allowed_at is not None and gate.next_allowed_at <= close:
                yield context.create_timer(gate.next_allowed_at)
                continue
            break
        if gate.action != "dial":
            return {"target_id": str(attempt.target_id), "action": gate.action, "reasons": gate.reasons}
        completion = context.wait_for_external_event(CALL_COMPLETED_EVENT, expected_type=dict)
        timeout = context.create_timer(_now(context) + CALL_TIMEOUT)
        winner = yield context.task_any([completion, timeout])
        completed = None
        if winner is completion:
            timeout.cancel()
            completed = completion.result
        outcome = yield context.call_activity_with_retry(
            RECORD_ACTIVITY,
            TRANSIENT_RETRY,
            {**payload, "completed": completed, "at": _now(context).isoformat()},
            expected_type=dict,
        )
        return outcome
    except Exception as exc:  # an activity failed even after its retries: settle the target, do not fail
        outcome = yield context.call_activity_with_retry(
            RECORD_ACTIVITY,
            TRANSIENT_RETRY,
            {**payload, "completed": None, "at": _now(context).isoformat(), "error": str(exc)[:300]},
            expected_type=dict,
        )
        return outcome
