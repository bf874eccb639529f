"""The campaign orchestrators, without the host: unwrapped from the function app (`.build().get_user_function()`)
and driven by `azure.durable_functions.testing.orchestrator_generator_wrapper` against a recording context
whose tasks resolve as a scripted engine would. The tests assert what the orchestrator asked for, in order."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from azure.durable_functions.testing import orchestrator_generator_wrapper

from functions.campaigns import orchestrator as o

NOW = datetime(2026, 7, 15, 15, 0, tzinfo=UTC)
ORG, CAMPAIGN = uuid.UUID(int=1), uuid.UUID(int=2)
T1, T2, T3 = uuid.UUID(int=11), uuid.UUID(int=12), uuid.UUID(int=13)
RUN = f"campaign-{CAMPAIGN}-run-1"


PENDING = object()  # a responder's answer for a task that has not completed yet


class FakeTask:
    """A task as the wrapper sees it: `.result` returns the value, or raises the failure."""

    def __init__(self, kind: str, name: str = "", payload: Any = None, **extra: Any) -> None:
        self.kind, self.name, self.payload, self.extra = kind, name, payload, extra
        self.value: Any = None
        self.error: Exception | None = None
        self.cancelled = False
        self.is_completed = True

    @property
    def result(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.value

    def cancel(self) -> None:
        self.cancelled = True


Responder = Callable[[FakeTask], Any]


class RecordingContext:
    """Stands in for `DurableOrchestrationContext`: records every task the orchestrator creates and lets
    `respond` settle it (a value, an exception to raise, or which child of a `task_any` wins)."""

    def __init__(self, payload: dict[str, Any], respond: Responder, instance_id: str = RUN) -> None:
        self._input, self._respond, self.instance_id = payload, respond, instance_id
        self.current_utc_datetime = NOW
        self.tasks: list[FakeTask] = []
        self.continued_with: dict[str, Any] | None = None

    def get_input(self, expected_type: type | None = None) -> dict[str, Any]:
        return self._input

    def _task(self, task: FakeTask) -> FakeTask:
        self.tasks.append(task)
        outcome = self._respond(task)
        if outcome is PENDING:
            task.is_completed = False
        elif isinstance(outcome, Exception):
            task.error = outcome
        else:
            task.value = outcome
        return task

    def call_activity(self, name: str, payload: Any = None, expected_type: type | None = None) -> FakeTask:
        return self._task(FakeTask("activity", name, payload))

    def call_activity_with_retry(
        self, name: str, retry: Any, payload: Any = None, expected_type: type | None = None
    ) -> FakeTask:
        return self._task(FakeTask("activity", name, payload, retry=retry))

    def call_sub_orchestrator(
        self,
        name: str,
        payload: Any = None,
        instance_id: str | None = None,
        expected_type: type | None = None,
    ) -> FakeTask:
        return self._task(FakeTask("sub", name, payload, instance_id=instance_id))

    def create_timer(self, fire_at: datetime) -> FakeTask:
        return self._task(FakeTask("timer", payload=fire_at))

    def wait_for_external_event(self, name: str, expected_type: type | None = None) -> FakeTask:
        return self._task(FakeTask("event", name))

    def task_all(self, children: list[FakeTask]) -> FakeTask:
        return self._task(FakeTask("all", payload=children))

    def task_any(self, children: list[FakeTask]) -> FakeTask:
        return self._task(FakeTask("any", payload=children))

    def continue_as_new(self, payload: dict[str, Any]) -> None:
        self.continued_with = payload

    def asked(self, kind: str) -> list[FakeTask]:
        return [task for task in self.tasks if task.kind == kind]


@pytest.fixture(scope="module")
def orchestrators() -> dict[str, Callable[..., Any]]:
    """The generator functions as the function app registers them."""
    from functions.campaigns import blueprint

    return {
        name: builder.build().get_user_function().orchestrator_function
        for name, builder in (
            (o.CAMPAIGN_ORCHESTRATOR, blueprint.campaign_orchestrator),
            (o.ATTEMPT_ORCHESTRATOR, blueprint.campaign_attempt),
        )
    }


def drive(fn: Callable[..., Any], context: RecordingContext) -> Any:
    """Run the orchestrator to its end through the SDK's test wrapper; its return value."""
    *_, result = orchestrator_generator_wrapper(fn(context))
    return result


def run_input(**overrides: Any) -> dict[str, Any]:
    return {
        "organization_id": str(ORG),
        "campaign_id": str(CAMPAIGN),
        "generation": 0,
        "planned": False,
        **overrides,
    }


def claims(*waves: dict[str, Any]) -> Callable[[], dict[str, Any]]:
    remaining = iter(waves)
    return lambda: next(remaining)


def finish_any(task: FakeTask) -> FakeTask:
    """A `task_any` resolves with its first completed child, or completes the first one now."""
    for child in task.payload:
        if child.is_completed:
            return child
    first: FakeTask = task.payload[0]
    first.is_completed, first.value = True, {"status": "done"}
    return first


def test_first_generation_plans_fills_its_window_and_continues(
    orchestrators: dict[str, Callable[..., Any]],
) -> None:
    """Generation 0 plans, claims up to the campaign's concurrency, starts one attempt per target under an
    id made of the run, the generation and the attempt's number, claims again as attempts end until it has
    started its share (twice the concurrency), publishes progress and continues as generation 1."""
    claim = claims(
        {
            "status": "running",
            "targets": [{"target_id": str(T1), "attempts": 0}],
            "remaining": 2,
            "capacity": 1,
        },
        {
            "status": "running",
            "targets": [{"target_id": str(T2), "attempts": 1}],
            "remaining": 2,
            "capacity": 1,
        },
    )

    def respond(task: FakeTask) -> Any:
        if task.name == o.CLAIM_ACTIVITY:
            return claim()
        if task.kind == "any":
            return finish_any(task)
        return {"status": "done"} if task.kind == "sub" else {}

    context = RecordingContext(run_input(), respond)
    assert drive(orchestrators[o.CAMPAIGN_ORCHESTRATOR], context) is None
    activities = [task.name for task in context.asked("activity")]
    assert activities == [o.PLAN_ACTIVITY, o.CLAIM_ACTIVITY, o.CLAIM_ACTIVITY, o.PROGRESS_ACTIVITY]
    first, second = context.asked("activity")[1:3]
    assert first.payload == {"organization_id": str(ORG), "campaign_id": str(CAMPAIGN), "instance_id": RUN,
                             "at": NOW.isoformat(), "exclude": [], "limit": None}  # fmt: skip
    assert second.payload["exclude"] == [] and second.payload["limit"] == 1
    subs = context.asked("sub")
    assert [task.extra["instance_id"] for task in subs] == [f"{RUN}:g0:0:{T1.hex}", f"{RUN}:g0:1:{T2.hex}"]
    assert all(
        task.name == o.ATTEMPT_ORCHESTRATOR and task.payload["run_instance_id"] == RUN for task in subs
    )
    assert context.continued_with == run_input(generation=1, planned=True)


def test_window_never_claims_a_target_in_flight(orchestrators: dict[str, Callable[..., Any]]) -> None:
    """While an attempt is in flight its target is excluded from every claim; the window refills as others
    end; with nothing left to claim and nothing in flight, the run finishes and returns its summary."""
    claim = claims(
        {"status": "running", "targets": [{"target_id": str(T1), "attempts": 0}, {"target_id": str(T2), "attempts": 0}],
         "remaining": 3, "capacity": 2},
        {"status": "running", "targets": [{"target_id": str(T3), "attempts": 0}], "remaining": 3, "capacity": 2},
        {"status": "running", "targets": [], "remaining": 1, "capacity": 2},
        {"status": "running", "targets": [], "remaining": 0, "capacity": 2},
    )  # fmt: skip
    summary = {"total": 3, "percent_done": 100.0}

    def respond(task: FakeTask) -> Any:
        if task.name == o.CLAIM_ACTIVITY:
            return claim()
        if task.kind == "sub":
            return PENDING if task.payload["target_id"] == str(T2) else {"status": "done"}
        if task.kind == "any":
            return finish_any(task)
        return summary if task.name == o.PROGRESS_ACTIVITY else {}

    context = RecordingContext(run_input(planned=True), respond)
    assert drive(orchestrators[o.CAMPAIGN_ORCHESTRATOR], context) == summary
    claimed = [task.payload for task in context.asked("activity") if task.name == o.CLAIM_ACTIVITY]
    assert [payload["exclude"] for payload in claimed] == [[], [str(T2)], [str(T2)], []]
    assert [payload["limit"] for payload in claimed] == [None, 1, 1, 1]
    assert [task.name for task in context.asked("activity")][-2:] == [o.FINISH_ACTIVITY, o.PROGRESS_ACTIVITY]
    assert context.continued_with is None


def test_nothing_due_sleeps_until_the_next_target_or_a_control_event(
    orchestrators: dict[str, Callable[..., Any]],
) -> None:
    """With nothing due, a generation waits on a durable timer until the earliest target is due, racing the
    control event; a control event cancels the timer. Either way it continues as new without planning."""
    due = NOW + timedelta(hours=3)
    for control_wins in (False, True):

        def respond(task: FakeTask, control_wins: bool = control_wins) -> Any:
            if task.name == o.CLAIM_ACTIVITY:
                return {"status": "running", "targets": [], "remaining": 5, "next_due_at": due.isoformat()}
            if task.kind == "any":
                timer, control = task.payload
                return control if control_wins else timer
            return {"action": "pause"} if task.kind == "event" else None

        context = RecordingContext(run_input(generation=4, planned=True), respond)
        drive(orchestrators[o.CAMPAIGN_ORCHESTRATOR], context)
        assert [task.name for task in context.asked("activity")] == [o.CLAIM_ACTIVITY]
        (timer,) = context.asked("timer")
        assert timer.payload == due
        assert [task.name for task in context.asked("event")] == [o.CONTROL_EVENT]
        assert timer.cancelled is control_wins
        assert context.continued_with == run_input(generation=5, planned=True)


def test_paused_run_polls_and_finished_run_completes(orchestrators: dict[str, Callable[..., Any]]) -> None:
    """A paused run sleeps an hour (or until resumed); a run with nothing left finishes and returns the
    progress summary instead of continuing."""

    def paused(task: FakeTask) -> Any:
        if task.name == o.CLAIM_ACTIVITY:
            return {"status": "paused"}
        return task.payload[0] if task.kind == "any" else None

    context = RecordingContext(run_input(planned=True), paused)
    drive(orchestrators[o.CAMPAIGN_ORCHESTRATOR], context)
    assert context.asked("timer")[0].payload == NOW + o.PAUSED_POLL

    summary = {"total": 2, "percent_done": 100.0}

    def finished(task: FakeTask) -> Any:
        if task.name == o.CLAIM_ACTIVITY:
            return {"status": "running", "targets": [], "remaining": 0}
        return summary if task.name == o.PROGRESS_ACTIVITY else {"status": "completed"}

    context = RecordingContext(run_input(planned=True), finished)
    assert drive(orchestrators[o.CAMPAIGN_ORCHESTRATOR], context) == summary
    assert [task.name for task in context.asked("activity")] == [
        o.CLAIM_ACTIVITY,
        o.FINISH_ACTIVITY,
        o.PROGRESS_ACTIVITY,
    ]
    assert context.continued_with is None


def attempt_input() -> dict[str, Any]:
    return {
        "organization_id": str(ORG),
        "campaign_id": str(CAMPAIGN),
        "target_id": str(T1),
        "run_instance_id": RUN,
    }


def test_attempt_waits_for_the_window_dials_and_records(orchestrators: dict[str, Callable[..., Any]]) -> None:
    """An attempt told to wait 10 minutes waits on a durable timer and asks again; dialed, it waits for
    `call_completed` (racing a 2-hour timeout it then cancels) and records the payload it received."""
    opens = NOW + timedelta(minutes=10)
    gates = iter(
        [{"action": "wait", "next_allowed_at": opens.isoformat()}, {"action": "dial", "placed": True}]
    )
    completed = {"call_id": str(uuid.uuid4()), "status": "completed", "outcome": "promise_to_pay"}

    def respond(task: FakeTask) -> Any:
        if task.name == o.PLACE_CALL_ACTIVITY:
            return next(gates)
        if task.kind == "event":
            return completed
        if task.kind == "any":
            return task.payload[0]
        return {"status": "done"} if task.name == o.RECORD_ACTIVITY else None

    context = RecordingContext(attempt_input(), respond, instance_id=f"{RUN}:w0:{T1.hex}")
    assert drive(orchestrators[o.ATTEMPT_ORCHESTRATOR], context) == {"status": "done"}
    assert [task.name for task in context.asked("activity")] == [o.PLACE_CALL_ACTIVITY, o.PLACE_CALL_ACTIVITY,
                                                                 o.RECORD_ACTIVITY]  # fmt: skip
    assert all(task.extra["retry"] is o.TRANSIENT_RETRY for task in context.asked("activity"))
    window_timer, timeout = context.asked("timer")
    assert window_timer.payload == opens and timeout.payload == NOW + o.CALL_TIMEOUT and timeout.cancelled
    assert [task.name for task in context.asked("event")] == ["call_completed"]
    record = context.asked("activity")[-1].payload
    assert record["completed"] == completed and record["attempt_instance_id"] == context.instance_id
    assert record["target_id"] == str(T1) and record["run_instance_id"] == RUN


def test_attempt_defers_long_waits_and_settles_failures(orchestrators: dict[str, Callable[..., Any]]) -> None:
    """A wait longer than the inline limit ends the attempt without a timer (the run picks the target up
    later); a timeout records no payload; an activity that fails even after retries is settled, not raised."""

    def deferred(task: FakeTask) -> Any:
        later = NOW + o.INLINE_WAIT + timedelta(minutes=1)
        return {
            "action": "wait",
            "next_allowed_at": later.isoformat(),
            "reasons": ["outside_calling_window: x"],
        }

    context = RecordingContext(attempt_input(), deferred)
    outcome = drive(orchestrators[o.ATTEMPT_ORCHESTRATOR], context)
    assert outcome["action"] == "wait" and context.asked("timer") == []

    def timed_out(task: FakeTask) -> Any:
        if task.name == o.PLACE_CALL_ACTIVITY:
            return {"action": "dial", "placed": True}
        return task.payload[1] if task.kind == "any" else {"status": "pending"}

    context = RecordingContext(attempt_input(), timed_out)
    drive(orchestrators[o.ATTEMPT_ORCHESTRATOR], context)
    assert context.asked("activity")[-1].payload["completed"] is None
    assert context.asked("timer")[0].cancelled is False

    def broken(task: FakeTask) -> Any:
        if task.name == o.PLACE_CALL_ACTIVITY:
            return RuntimeError("database unreachable")
        return {"status": "pending"}

    context = RecordingContext(attempt_input(), broken)
    assert drive(orchestrators[o.ATTEMPT_ORCHESTRATOR], context) == {"status": "pending"}
    record = context.asked("activity")[-1]
    assert record.name == o.RECORD_ACTIVITY and "database unreachable" in record.payload["error"]
