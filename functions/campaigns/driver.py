"""The local driver: Durable Functions in-process, for laptops, the local server, the CLI and the tests.

It runs the *same* orchestrator generators as Azure, through the Durable SDK's own replay engine
(`azure.durable_functions.Orchestrator`): each step ("episode") replays the instance's history plus its new
events and reads back what the generator is waiting for — activities, timers, sub-orchestrations, external
events — exactly as the Durable extension would. The history, the unprocessed events and the work in flight
live in the database (`orchestration_instances`), written in one transaction per step, so a driver that is
killed and started again carries on where it was: activities in flight run again (at least once, as in
Azure; the campaign activities are idempotent), timers are re-armed, nothing is lost.

Time is a `Clock`: the real one, or a `VirtualClock` that starts at a chosen instant, runs at real speed
while anything is in flight (an activity, a call), and jumps to the next durable timer when nothing is — so
a campaign started at 3 a.m. dials its day in minutes, every rule checked against virtual time.

The driver imports nothing of the agent host: dialers that need one (the simulated customer) are built by
`dev_server` and given this driver as their `CallHost` (to spawn the call and raise `call_completed`).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import importlib
import inspect
import itertools
import json
import logging
import time
import uuid
from collections.abc import Callable, Coroutine, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from azure.durable_functions import Orchestrator
from azure.durable_functions.models import DurableOrchestrationContext
from azure.durable_functions.models.actions.CallActivityAction import CallActivityAction
from azure.durable_functions.models.actions.CallActivityWithRetryAction import CallActivityWithRetryAction
from azure.durable_functions.models.actions.CallSubOrchestratorAction import CallSubOrchestratorAction
from azure.durable_functions.models.actions.ContinueAsNewAction import ContinueAsNewAction
from azure.durable_functions.models.actions.CreateTimerAction import CreateTimerAction
from azure.durable_functions.models.actions.NoOpAction import NoOpAction
from azure.durable_functions.models.history.HistoryEventType import HistoryEventType as Ev
from azure.durable_functions.models.Task import AtomicTask, RetryAbleTask, TimerTask
from sqlalchemy.orm import Session, sessionmaker

from functions.campaigns.activities import CampaignDeps, Clock, RealClock
from functions.campaigns.ports import ControlAction, RunStatus, run_input
from shared.db.engine import transaction
from shared.db.tables import OrchestrationInstance

logger = logging.getLogger(__name__)

ACTIVE = ("pending", "running")
_RUNTIME_NAMES = {
    "pending": "Pending",
    "running": "Running",
    "completed": "Completed",
    "failed": "Failed",
    "terminated": "Terminated",
}
REPLAY_SCHEMA = 1  # ReplaySchema.V2: actions as one flat list with WhenAll/WhenAny compounds
_OUT_OF_PROC = "\n\n$OutOfProcData$:"
_EPISODES_PER_BATCH = 200  # bounds one transaction; the rest waits for the next batch

OrchestratorFn = Callable[[DurableOrchestrationContext], Any]
ActivityFn = Callable[[Any], Any]


class VirtualClock:
    """Starts at `start`, runs at real speed, and jumps forward on request (never back)."""

    virtual = True

    def __init__(self, start: datetime) -> None:
        self._base = start.astimezone(UTC)
        self._since = time.monotonic()

    def now(self) -> datetime:
        return self._base + timedelta(seconds=time.monotonic() - self._since)

    def jump_to(self, moment: datetime) -> None:
        if moment > self.now():
            self._base, self._since = moment.astimezone(UTC), time.monotonic()


def _parse_timestamp(text: str, **_: Any) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        from dateutil.parser import parse

        return parse(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def install_fast_timestamps() -> None:
    """The SDK parses every history event's timestamp with dateutil on every replay, which is most of what a
    replay costs; the driver writes ISO 8601 timestamps only, which `datetime.fromisoformat` reads some 200
    times faster to the same instant. Installed by the local driver only (the function app never imports
    it); anything that is not ISO 8601 still goes to dateutil."""
    module = importlib.import_module("azure.durable_functions.models.history.HistoryEvent")
    module.dt_parse = _parse_timestamp


def timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def history_event(kind: Ev, at: datetime, event_id: int = -1, **fields: Any) -> dict[str, Any]:
    """A history event in the JSON shape the Durable extension hands the SDK."""
    return {
        "EventType": int(kind),
        "EventId": event_id,
        "IsPlayed": False,
        "Timestamp": timestamp(at),
        **fields,
    }


@dataclass
class Registry:
    """What the driver can run: orchestrators by name, and activities by name bound to their deps."""

    orchestrators: Mapping[str, OrchestratorFn]
    activities: Mapping[str, ActivityFn]

    @classmethod
    def for_campaigns(cls, deps: CampaignDeps) -> Registry:
        from functions.campaigns.activities import ACTIVITIES
        from functions.campaigns.orchestrator import (
            ATTEMPT_ORCHESTRATOR,
            CAMPAIGN_ORCHESTRATOR,
            campaign_attempt,
            campaign_orchestrator,
        )

        def bind(fn: Callable[[Any, CampaignDeps], Any]) -> ActivityFn:
            if inspect.iscoroutinefunction(fn):

                async def bound_async(payload: Any) -> Any:
                    return await fn(payload, deps)

                return bound_async
            return lambda payload: fn(payload, deps)

        return cls(
            orchestrators={
                CAMPAIGN_ORCHESTRATOR: campaign_orchestrator,
                ATTEMPT_ORCHESTRATOR: campaign_attempt,
            },
            activities={name: bind(fn) for name, fn in ACTIVITIES.items()},
        )


@dataclass
class _Step:
    """What one episode (or one delivery) asks of the event loop afterwards."""

    ready: set[str] = field(default_factory=set)
    activities: list[tuple[str, int, dict[str, Any]]] = field(
        default_factory=list
    )  # instance, execution, item
    timers: list[tuple[datetime, str, int, int]] = field(
        default_factory=list
    )  # fire_at, instance, exec, task
    canceled: set[tuple[str, int, int]] = field(default_factory=set)  # timers no longer wanted
    ended: set[tuple[str, int]] = field(default_factory=set)  # executions whose timers all died
    finished: dict[str, str] = field(default_factory=dict)  # instance -> runtime status

    def merge(self, other: _Step) -> None:
        self.ready |= other.ready
        self.activities += other.activities
        self.timers += other.timers
        self.canceled |= other.canceled
        self.ended |= other.ended
        self.finished.update(other.finished)


def replay(
    fn: OrchestratorFn,
    *,
    history: list[dict[str, Any]],
    instance_id: str,
    input_json: str | None,
    parent_instance_id: str | None = None,
) -> tuple[DurableOrchestrationContext, dict[str, Any] | None, str | None]:
    """Replay `history` through the SDK: the context afterwards (its open tasks), the orchestrator state
    JSON the extension would receive, and the error when the orchestrator raised."""
    context = DurableOrchestrationContext.from_json(
        json.dumps(
            {
                "history": history,
                "instanceId": instance_id,
                "isReplaying": False,
                "parentInstanceId": parent_instance_id,
                "input": input_json,
                "upperSchemaVersion": REPLAY_SCHEMA,
            }
        )
    )
    try:
        state = json.loads(Orchestrator(fn).handle(context))
    except Exception as exc:
        return context, None, str(exc).split(_OUT_OF_PROC)[0] or type(exc).__name__
    return context, state, None


class LocalDriver:
    """Durable orchestrations in this process, persisted in the database. See the module docstring."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        registry: Registry,
        clock: Clock | None = None,
        threads: int = 4,
        on_episode: Callable[[str, str, list[dict[str, Any]], dict[str, Any] | None], None] | None = None,
    ) -> None:
        """`on_episode(name, instance_id, history, state)` sees every replay (history recording for tests)."""
        install_fast_timestamps()
        self._sessions = sessions
        self.on_episode = on_episode
        self.registry = registry
        self.clock: Clock = clock or RealClock()
        self._db = ThreadPoolExecutor(1, thread_name_prefix="driver-db")  # the driver's own writes, in order
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="driver-activity")
        self._ready: set[str] = set()
        # Events waiting to be written: (instance, execution or None, completed task or None, event). They are
        # written with the next batch of episodes, in one transaction; one lost in a crash is an activity
        # that runs again, a timer re-armed, or a call's end that a timeout settles.
        self._deliveries: list[tuple[str, int | None, int | None, dict[str, Any]]] = []
        self._timers: list[tuple[datetime, int, str, int, int]] = []
        self._live_timers: set[tuple[str, int, int]] = set()
        self._sequence = itertools.count()
        self._inflight: dict[tuple[str, int, int], asyncio.Task[None]] = {}
        self._outstanding: set[asyncio.Task[Any]] = set()
        self._finished: dict[str, str] = {}
        self._wake = asyncio.Event()
        self._recovered = False
        self._closed = False

    # --- The public face ---------------------------------------------------------------------------------

    async def start_instance(
        self,
        *,
        name: str,
        instance_id: str,
        input_value: Any,
        org_id: uuid.UUID,
        parent: tuple[str, int, int] | None = None,
    ) -> bool:
        """Create the instance and schedule its first episode; False when it already exists and is active."""
        if name not in self.registry.orchestrators:
            raise ValueError(f"no orchestrator named {name!r}")
        step = await self._in_db(self._create, name, instance_id, json.dumps(input_value), org_id, parent)
        self._apply(step)
        return bool(step.ready)

    async def raise_event(self, instance_id: str, name: str, data: Any = None) -> bool:
        """Deliver an external event (with the next batch; an instance that does not exist or has finished
        ignores it)."""
        event = history_event(Ev.EVENT_RAISED, self.clock.now(), Name=name, Input=json.dumps(data))
        self._deliveries.append((instance_id, None, None, event))
        self._wake.set()
        return True

    async def status(self, instance_id: str) -> RunStatus | None:
        return await self._in_db(self._status, instance_id)

    def spawn(self, work: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run `work` (a call in progress) in the background; while it runs the virtual clock does not jump."""
        task = asyncio.get_running_loop().create_task(work)
        self._outstanding.add(task)

        def done(finished: asyncio.Task[Any]) -> None:
            self._outstanding.discard(finished)
            if not finished.cancelled() and finished.exception() is not None:
                logger.error("background call work failed: %s", finished.exception())
            self._wake.set()

        task.add_done_callback(done)
        return task

    async def run_until_finished(self, instance_id: str, *, timeout: float | None = None) -> str:
        """Drive everything until `instance_id` finishes; its runtime status."""
        current = await self.status(instance_id)
        if current is None:
            raise LookupError(f"no orchestration instance {instance_id!r}")
        if current.runtime_status not in ("Pending", "Running"):
            return current.runtime_status
        async with asyncio.timeout(timeout):
            await self._loop(lambda: instance_id in self._finished)
        return self._finished[instance_id]

    async def run_until(self, predicate: Callable[[], bool], *, timeout: float | None = None) -> None:
        """Drive everything until `predicate()` holds (checked after each round of steps)."""
        async with asyncio.timeout(timeout):
            await self._loop(predicate)

    async def run_until_idle(self, *, timeout: float | None = None) -> None:
        """Drive until nothing is ready, in flight or (on a virtual clock) waiting on a timer."""
        async with asyncio.timeout(timeout):
            await self._loop(None, idle_exit=True)

    async def serve(self) -> None:
        """Drive forever (the local server's background task); cancel it to stop."""
        await self._loop(lambda: self._closed)

    async def aclose(self) -> None:
        self._closed = True
        self._wake.set()
        for task in [*self._inflight.values(), *self._outstanding]:
            task.cancel()
        for task in [*self._inflight.values(), *self._outstanding]:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._db.shutdown(wait=True)
        self._pool.shutdown(wait=False, cancel_futures=True)

    # --- The loop ----------------------------------------------------------------------------------------

    async def _loop(self, done: Callable[[], bool] | None, *, idle_exit: bool = False) -> None:
        if not self._recovered:
            self._apply(await self._in_db(self._recover))
            self._recovered = True
        while True:
            self._wake.clear()
            if self._ready or self._deliveries:
                deliveries, ready = self._deliveries, self._ready
                self._deliveries, self._ready = [], set()
                try:
                    step = await self._in_db(self._batch, deliveries, ready)
                except Exception:  # the database refused the batch (busy, unreachable): nothing was written
                    logger.exception("a driver step failed; retrying it")
                    self._deliveries, self._ready = deliveries + self._deliveries, ready | self._ready
                    await asyncio.sleep(0.5)
                    continue
                self._apply(step)
                continue
            if done is not None and done():
                return
            now = self.clock.now()
            due = []
            while (head := self._next_timer()) is not None and head[0] <= now:
                heapq.heappop(self._timers)
                self._live_timers.discard((head[2], head[3], head[4]))
                due.append(head)
            if due:
                for fire_at, _, instance_id, execution, task_id in due:
                    event = history_event(Ev.TIMER_FIRED, now, TimerId=task_id, FireAt=timestamp(fire_at))
                    self._deliveries.append((instance_id, execution, task_id, event))
                continue
            head = self._next_timer()
            idle = not self._ready and not self._deliveries and not self._inflight and not self._outstanding
            virtual = getattr(self.clock, "virtual", False)
            if idle and head is not None and virtual:
                self.clock.jump_to(head[0])  # type: ignore[attr-defined]
                continue
            if idle and idle_exit and (head is None or not virtual):
                return
            wait = None if head is None else max(0.0, (head[0] - self.clock.now()).total_seconds())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)

    def _next_timer(self) -> tuple[datetime, int, str, int, int] | None:
        """The earliest timer still wanted (canceled ones are dropped lazily)."""
        while (
            self._timers
            and (self._timers[0][2], self._timers[0][3], self._timers[0][4]) not in self._live_timers
        ):
            heapq.heappop(self._timers)
        return self._timers[0] if self._timers else None

    def _apply(self, step: _Step) -> None:
        self._ready |= step.ready
        self._finished.update(step.finished)
        self._live_timers -= step.canceled
        if step.ended:
            self._live_timers = {key for key in self._live_timers if key[:2] not in step.ended}
        for fire_at, instance_id, execution, task_id in step.timers:
            heapq.heappush(self._timers, (fire_at, next(self._sequence), instance_id, execution, task_id))
            self._live_timers.add((instance_id, execution, task_id))
        for instance_id, execution, item in step.activities:
            key = (instance_id, execution, item["task_id"])
            if key not in self._inflight:
                self._inflight[key] = asyncio.get_running_loop().create_task(
                    self._run_activity(instance_id, execution, item)
                )
        if step.ready or step.timers or step.activities:
            self._wake.set()

    async def _in_db(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._db, fn, *args)

    async def _run_activity(self, instance_id: str, execution: int, item: dict[str, Any]) -> None:
        name, task_id = item["name"], item["task_id"]
        try:
            fn = self.registry.activities[name]
            payload = json.loads(item["input"]) if item.get("input") else None
            if inspect.iscoroutinefunction(fn) or getattr(fn, "is_async", False):
                result = await fn(payload)
            else:
                result = await asyncio.get_running_loop().run_in_executor(self._pool, fn, payload)
                if inspect.isawaitable(result):
                    result = await result
            event = history_event(
                Ev.TASK_COMPLETED, self.clock.now(), TaskScheduledId=task_id, Result=json.dumps(result)
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            logger.warning("activity %s of %s failed: %s", name, instance_id, exc)
            event = history_event(
                Ev.TASK_FAILED,
                self.clock.now(),
                TaskScheduledId=task_id,
                Reason=str(exc)[:500],
                Details=type(exc).__name__,
            )
        self._deliveries.append((instance_id, execution, task_id, event))
        self._inflight.pop((instance_id, execution, task_id), None)
        self._wake.set()

    # --- Database steps (run one at a time on the driver's DB thread) -----------------------------------

    def _row(self, session: Session, instance_id: str) -> OrchestrationInstance | None:
        """An instance's row, read once per transaction (a batch touches a parent again and again)."""
        rows: dict[str, OrchestrationInstance | None] = session.info.setdefault("archer.instances", {})
        if rows.get(instance_id) is None:
            rows[instance_id] = session.scalar(
                sa.select(OrchestrationInstance).where(OrchestrationInstance.instance_id == instance_id)
            )
        return rows[instance_id]

    def _create(
        self,
        name: str,
        instance_id: str,
        input_json: str,
        org_id: uuid.UUID,
        parent: tuple[str, int, int] | None,
    ) -> _Step:
        with transaction(self._sessions) as session:
            step = self._create_in(
                session,
                name=name,
                instance_id=instance_id,
                input_json=input_json,
                org_id=org_id,
                parent=parent,
            )
        return step

    def _create_in(
        self,
        session: Session,
        *,
        name: str,
        instance_id: str,
        input_json: str,
        org_id: uuid.UUID,
        parent: tuple[str, int, int] | None,
    ) -> _Step:
        now = self.clock.now()
        row = self._row(session, instance_id)
        started = history_event(Ev.EXECUTION_STARTED, now, Name=name, Input=input_json, Version=None)
        if row is not None and row.runtime_status in ACTIVE:
            return _Step()
        if row is None:
            row = OrchestrationInstance(organization_id=org_id, instance_id=instance_id, name=name)
            session.add(row)
        row.name, row.runtime_status, row.execution = name, "pending", (row.execution or 0) + 1
        row.input, row.output, row.custom_status, row.completed_at = input_json, None, None, None
        row.history, row.inbox, row.work = [], [started], []
        row.parent_instance_id, row.parent_task_id, row.parent_execution = parent or (None, None, None)
        row.clock_at = now
        session.flush()
        return _Step(ready={instance_id})

    def _deliver_in(
        self,
        row: OrchestrationInstance | None,
        execution: int | None,
        task_id: int | None,
        event: dict[str, Any],
    ) -> bool:
        """Append `event` to an active instance's inbox (dropping the work item it completes); stale events
        (another execution, a finished instance, a work item already settled) are dropped."""
        if row is None or row.runtime_status not in ACTIVE:
            return False
        if execution is not None and row.execution != execution:
            return False
        if task_id is not None:
            if not any(item["task_id"] == task_id for item in row.work):
                return False
            row.work = [item for item in row.work if item["task_id"] != task_id]
        row.inbox = [*row.inbox, event]
        return True

    def _batch(
        self, deliveries: list[tuple[str, int | None, int | None, dict[str, Any]]], ready: set[str]
    ) -> _Step:
        """Write the buffered events and run every episode they (and `ready`) call for — children started
        and parents notified on the way included — in one transaction."""
        step = _Step()
        with transaction(self._sessions) as session:
            for instance_id, execution, task_id, event in deliveries:
                if self._deliver_in(self._row(session, instance_id), execution, task_id, event):
                    ready.add(instance_id)
            queue = sorted(ready)
            for _ in range(_EPISODES_PER_BATCH):
                if not queue:
                    break
                row = self._row(session, queue.pop(0))
                if row is None or row.runtime_status not in ACTIVE or not row.inbox:
                    continue
                episode = self._episode_in(session, row)
                session.flush()
                step.merge(episode)
                queue += sorted(episode.ready - set(queue))
            step.ready = set(queue)
        return step

    def _status(self, instance_id: str) -> RunStatus | None:
        with self._sessions() as session:
            row = self._row(session, instance_id)
            if row is None:
                return None
            return RunStatus(
                instance_id=row.instance_id,
                runtime_status=_RUNTIME_NAMES.get(row.runtime_status, row.runtime_status),
                created_at=row.created_at,
                last_updated_at=row.updated_at,
                output=None if row.output is None else json.loads(row.output),
                custom_status=None if row.custom_status is None else json.loads(row.custom_status),
            )

    def _recover(self) -> _Step:
        """After a (re)start: every active instance's pending events, timers and activities, back in hand.
        A virtual clock never goes back behind the time any run on this database had reached."""
        step = _Step()
        with self._sessions() as session:
            rows = session.scalars(
                sa.select(OrchestrationInstance).where(OrchestrationInstance.runtime_status.in_(ACTIVE))
            ).all()
            reached = session.scalar(sa.select(sa.func.max(OrchestrationInstance.clock_at)))
            for row in rows:
                if row.inbox:
                    step.ready.add(row.instance_id)
                self._rearm(step, row)
        if reached is not None and hasattr(self.clock, "jump_to"):
            self.clock.jump_to(reached)
        return step

    def _rearm(self, step: _Step, row: OrchestrationInstance) -> None:
        for item in row.work:
            if item["kind"] == "activity":
                step.activities.append((row.instance_id, row.execution, item))
            elif item["kind"] == "timer":
                step.timers.append(
                    (datetime.fromisoformat(item["fire_at"]), row.instance_id, row.execution, item["task_id"])
                )

    def _episode_in(self, session: Session, row: OrchestrationInstance) -> _Step:
        now = self.clock.now()
        fn = self.registry.orchestrators[row.name]
        played = [{**event, "IsPlayed": True} for event in row.history]
        fresh = [history_event(Ev.ORCHESTRATOR_STARTED, now), *row.inbox]
        history = played + fresh
        context, state, error = replay(
            fn,
            history=history,
            instance_id=row.instance_id,
            input_json=row.input,
            parent_instance_id=row.parent_instance_id,
        )
        if self.on_episode is not None:
            self.on_episode(row.name, row.instance_id, history, state)
        row.clock_at = now
        row.inbox = []
        step = _Step()
        if error is not None:
            logger.error("orchestration %s failed: %s", row.instance_id, error)
            row.history = [*history, history_event(Ev.EXECUTION_FAILED, now, Reason=error)]
            self._finish(session, row, status="failed", output=None, error=error, now=now, step=step)
            return step
        assert state is not None
        row.custom_status = None if state.get("customStatus") is None else json.dumps(state["customStatus"])
        if context.will_continue_as_new:
            successor = next(
                action.input_
                for action in context._action_payload_v2
                if isinstance(action, ContinueAsNewAction)
            )
            step.ended.add((row.instance_id, row.execution))
            row.history = []
            row.execution += 1
            row.input = successor
            row.work = []
            row.inbox = [
                history_event(Ev.EXECUTION_STARTED, now, Name=row.name, Input=successor, Version=None)
            ]
            row.runtime_status = "running"
            step.ready.add(row.instance_id)
            return step
        if state.get("isDone"):
            row.history = [
                *history,
                history_event(Ev.EXECUTION_COMPLETED, now, Result=json.dumps(state.get("output"))),
            ]
            output = json.dumps(state.get("output"))
            self._finish(session, row, status="completed", output=output, error=None, now=now, step=step)
            return step
        scheduled = self._schedule(session, row, context, now, step)
        row.history = [*history, *scheduled, history_event(Ev.ORCHESTRATOR_COMPLETED, now)]
        row.runtime_status = "running"
        return step

    def _schedule(
        self,
        session: Session,
        row: OrchestrationInstance,
        context: DurableOrchestrationContext,
        now: datetime,
        step: _Step,
    ) -> list[dict[str, Any]]:
        """Turn the generator's new open tasks into work (and their `...Scheduled` history events); drop the
        timers it canceled."""
        known = {item["task_id"] for item in row.work}
        work = list(row.work)
        scheduled: list[dict[str, Any]] = []
        for key, open_task in sorted(
            ((k, t) for k, t in context.open_tasks.items() if isinstance(k, int)), key=lambda kv: kv[0]
        ):
            task = open_task[0] if isinstance(open_task, list) else open_task
            if not isinstance(task, AtomicTask):
                continue
            action = task.action_repr[0] if isinstance(task.action_repr, list) else task.action_repr
            if isinstance(task, TimerTask) and isinstance(action, CreateTimerAction) and action.is_cancelled:
                work = [item for item in work if item["task_id"] != key]
                step.canceled.add((row.instance_id, row.execution, key))
                continue
            if key in known:
                continue
            item, event = self._work_for(
                session, row, task_id=key, task=task, action=action, now=now, step=step
            )
            if item["kind"] != "settled":
                work.append(item)
            scheduled.append(event)
        row.work = work
        for item in work:
            if item["task_id"] not in known:
                if item["kind"] == "activity":
                    step.activities.append((row.instance_id, row.execution, item))
                elif item["kind"] == "timer":
                    step.timers.append(
                        (
                            datetime.fromisoformat(item["fire_at"]),
                            row.instance_id,
                            row.execution,
                            item["task_id"],
                        )
                    )
        return scheduled

    def _work_for(
        self,
        session: Session,
        row: OrchestrationInstance,
        *,
        task_id: int,
        task: AtomicTask,
        action: Any,
        now: datetime,
        step: _Step,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        if isinstance(action, NoOpAction):  # the SDK's own steps of a -WithRetry call: a delay, then a retry
            parent = task.parent
            assert isinstance(parent, RetryAbleTask)
            if action.metadata == "-WithRetry timer":
                delay = timedelta(milliseconds=parent.retry_options.first_retry_interval_in_milliseconds)
                fire_at = now + delay
                item = {"kind": "timer", "task_id": task_id, "fire_at": fire_at.isoformat()}
                return item, history_event(Ev.TIMER_CREATED, now, task_id, FireAt=timestamp(fire_at))
            action = parent.actions[0] if isinstance(parent.actions, list) else parent.actions
        if isinstance(action, CallActivityAction | CallActivityWithRetryAction):
            item = {
                "kind": "activity",
                "task_id": task_id,
                "name": action.function_name,
                "input": action.input_,
            }
            return item, history_event(
                Ev.TASK_SCHEDULED, now, task_id, Name=action.function_name, Input=action.input_
            )
        if isinstance(action, CreateTimerAction):
            item = {"kind": "timer", "task_id": task_id, "fire_at": action.fire_at.isoformat()}
            return item, history_event(Ev.TIMER_CREATED, now, task_id, FireAt=timestamp(action.fire_at))
        if isinstance(action, CallSubOrchestratorAction):
            child_id = action.instance_id or f"{row.instance_id}:{task_id}"
            item = {"kind": "child", "task_id": task_id, "instance_id": child_id}
            existing = self._row(session, child_id)
            if existing is not None and existing.runtime_status not in ACTIVE:
                # The child already ran to its end (a replay of an old schedule): hand its result back.
                step.ready.add(row.instance_id)
                kind = (
                    Ev.SUB_ORCHESTRATION_INSTANCE_COMPLETED
                    if existing.runtime_status == "completed"
                    else Ev.SUB_ORCHESTRATION_INSTANCE_FAILED
                )
                row.inbox = [
                    *row.inbox,
                    history_event(
                        kind,
                        now,
                        TaskScheduledId=task_id,
                        Result=existing.output,
                        Reason="sub-orchestration failed",
                        Details="",
                    ),
                ]
                item = {"kind": "settled", "task_id": task_id}
            else:
                step_child = self._create_in(
                    session,
                    name=action.function_name,
                    instance_id=child_id,
                    input_json=action._input,
                    org_id=row.organization_id,
                    parent=(row.instance_id, task_id, row.execution),
                )
                step.ready |= step_child.ready
            event = history_event(
                Ev.SUB_ORCHESTRATION_INSTANCE_CREATED,
                now,
                task_id,
                Name=action.function_name,
                InstanceId=child_id,
                Input=action._input,
            )
            return item, event
        raise NotImplementedError(f"the local driver does not run {type(action).__name__}")

    def _finish(
        self,
        session: Session,
        row: OrchestrationInstance,
        *,
        status: str,
        output: str | None,
        error: str | None,
        now: datetime,
        step: _Step,
    ) -> None:
        row.runtime_status, row.output, row.work, row.completed_at = status, output, [], now
        step.finished[row.instance_id] = _RUNTIME_NAMES[status]
        step.ended.add((row.instance_id, row.execution))
        if row.parent_instance_id is None:
            return
        parent = self._row(session, row.parent_instance_id)
        if parent is None or parent.runtime_status not in ACTIVE or parent.execution != row.parent_execution:
            return
        if not any(item["task_id"] == row.parent_task_id for item in parent.work):
            return
        if status == "completed":
            event = history_event(
                Ev.SUB_ORCHESTRATION_INSTANCE_COMPLETED,
                now,
                TaskScheduledId=row.parent_task_id,
                Result=output,
            )
        else:
            event = history_event(
                Ev.SUB_ORCHESTRATION_INSTANCE_FAILED,
                now,
                TaskScheduledId=row.parent_task_id,
                Reason=error or "failed",
                Details="",
            )
        parent.work = [item for item in parent.work if item["task_id"] != row.parent_task_id]
        parent.inbox = [*parent.inbox, event]
        step.ready.add(parent.instance_id)


class LocalCampaignRuns:
    """`CampaignRuns` over the local driver (the local server, the CLI, the tests)."""

    def __init__(self, driver: LocalDriver) -> None:
        self.driver = driver

    async def start_run(self, *, org_id: uuid.UUID, campaign_id: uuid.UUID, instance_id: str) -> None:
        from functions.campaigns.orchestrator import CAMPAIGN_ORCHESTRATOR

        await self.driver.start_instance(
            name=CAMPAIGN_ORCHESTRATOR,
            instance_id=instance_id,
            input_value=run_input(org_id, campaign_id),
            org_id=org_id,
        )

    async def control(self, instance_id: str, action: ControlAction) -> None:
        from functions.campaigns.orchestrator import CONTROL_EVENT

        await self.driver.raise_event(instance_id, CONTROL_EVENT, {"action": action})

    async def status(self, instance_id: str) -> RunStatus | None:
        return await self.driver.status(instance_id)

    async def raise_event(self, instance_id: str, event_name: str, payload: dict[str, Any]) -> None:
        await self.driver.raise_event(instance_id, event_name, payload)
