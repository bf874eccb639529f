"""Keeps one call's record without slowing the conversation down.

Everything the call produces — transcript entries, call-row updates (verified, metadata, outcome), live
events and the session-state snapshot — is queued in order and handled by one background task per call:
live events are published at once; entries and updates gathered over a short window (a turn's worth) are
written as one database transaction in a worker thread (never on the event loop), then the session state
is refreshed in the cache (10-minute TTL). `flush()` writes what was queued so far without waiting out the
window; the agent flushes before it ends or transfers a call, so the record is complete by the time the
harness hears `end_call`.

A failing write is retried; the call goes on either way (the live view and the record are best-effort
against a database outage, never a reason to drop a customer)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shared.db.engine import transaction
from shared.models.agent import SESSION_TTL_SECONDS, SessionState, session_key
from shared.models.calls import TranscriptEntryCreate
from shared.models.events import LiveEvent
from shared.runtime import Runtime
from shared.services import calls, live

logger = logging.getLogger(__name__)

Operation = Callable[[Session], Any]
_RETRIES = 3
_SOON = 0.02  # seconds an expedited write waits: long enough for the turn's words to go out first


@dataclass
class _Batch:
    entries: list[TranscriptEntryCreate]
    operations: list[tuple[int, Operation]]  # (position among entries, operation)
    events: list[LiveEvent]
    first_sequence: int  # of entries[0]


class CallRecorder:
    """The ordered, asynchronous record keeper of one call. `org_id` None: nothing is stored."""

    def __init__(
        self,
        runtime: Runtime,
        org_id: uuid.UUID | None,
        call_id: uuid.UUID,
        *,
        first_sequence: int = 0,
        batch_window: float = 0.25,
    ):
        self._runtime = runtime
        self._org_id = org_id
        self._call_id = call_id
        self._entries: list[TranscriptEntryCreate] = []
        self._operations: list[tuple[int, Operation]] = []
        self._events: list[LiveEvent] = []
        self._state: SessionState | None = None
        self._wakeup = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self._urgent = asyncio.Event()
        self._soon = False
        self._window = batch_window  # gather a turn's worth of work into one transaction
        self.next_sequence = first_sequence
        self._batch_first = first_sequence  # sequence of the first entry not yet written

    @property
    def enabled(self) -> bool:
        return self._org_id is not None

    def entry(self, entry: TranscriptEntryCreate, event: LiveEvent | None = None) -> int:
        """Queue a transcript entry (and its live event); returns the entry's sequence number."""
        sequence = self.next_sequence
        self.next_sequence += 1
        if self.enabled:
            self._entries.append(entry)
            if event is not None:
                self._events.append(event)
            self._kick()
        return sequence

    def operation(self, operation: Operation) -> None:
        """Queue a change to the call (run after the entries queued before it, in the same order)."""
        if self.enabled:
            self._operations.append((len(self._entries), operation))
            self._kick()

    def expedite(self) -> None:
        """Write what is queued soon (a fact others rely on): after a short pause that lets the current
        turn's words go out first, instead of the whole batch window."""
        if self.enabled:
            self._soon = True
            self._kick()

    def publish(self, event: LiveEvent) -> None:
        if self.enabled:
            self._events.append(event)
            self._kick()

    def state(self, snapshot: SessionState) -> None:
        """The latest session state; only the newest is written."""
        if self.enabled:
            self._state = snapshot
            self._kick()

    def _kick(self) -> None:
        self._idle.clear()
        self._wakeup.set()
        if self._task is None and not self._closed:
            self._task = asyncio.get_running_loop().create_task(self._run(), name=f"recorder-{self._call_id}")

    def _pending(self) -> bool:
        return bool(self._entries or self._operations or self._events or self._state)

    async def flush(self) -> None:
        """Wait until everything queued so far is stored and published (now, without the batch window)."""
        self._urgent.set()
        if self._pending():
            self._kick()
        await self._idle.wait()

    async def close(self) -> None:
        """Flush, then stop the writer."""
        await self.flush()
        self._closed = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            await self._publish()  # the live view does not wait for the batch window
            if not self._urgent.is_set():
                window = min(self._window, _SOON) if self._soon else self._window
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._urgent.wait(), window)
            self._soon = False
            while self._pending():
                await self._publish()
                batch = _Batch(self._entries, self._operations, [], self._batch_first)
                state, self._state = self._state, None
                self._batch_first += len(batch.entries)
                self._entries, self._operations = [], []
                await self._write(batch)
                if state is not None:
                    await self._store_state(state)
            self._urgent.clear()
            self._idle.set()

    async def _publish(self) -> None:
        events, self._events = self._events, []
        for event in events:
            await live.publish(self._runtime.cache, event)

    async def _write(self, batch: _Batch) -> None:
        if not batch.entries and not batch.operations:
            return
        for attempt in range(1, _RETRIES + 1):
            try:
                # Shielded: a cancelled agent turn must not abandon a write half-way.
                await asyncio.shield(asyncio.to_thread(self._write_sync, batch))
                return
            except Exception:
                if attempt == _RETRIES:
                    logger.exception(
                        "call %s: could not store %d transcript entries", self._call_id, len(batch.entries)
                    )
                    return
                await asyncio.sleep(0.05 * attempt)

    def _write_sync(self, batch: _Batch) -> None:
        try:
            self._write_batch(batch, numbered=True)
        except sa.exc.IntegrityError:
            # Someone else (a webhook) added entries to this call: let the database number ours.
            self._write_batch(batch, numbered=False)

    def _write_batch(self, batch: _Batch, *, numbered: bool) -> None:
        assert self._org_id is not None
        with transaction(self._runtime.sessions) as session:
            start = 0
            for position, operation in [*batch.operations, (len(batch.entries), None)]:
                if position > start:
                    calls.append_entries(
                        session=session,
                        org_id=self._org_id,
                        call_id=self._call_id,
                        entries=batch.entries[start:position],
                        returning=False,
                        first_sequence=batch.first_sequence + start if numbered else None,
                        known_call=True,
                    )
                    start = position
                if operation is not None:
                    operation(session)

    async def _store_state(self, state: SessionState) -> None:
        try:
            await self._runtime.cache.set(
                session_key(state.call_id), state.model_dump_json(), ttl_seconds=SESSION_TTL_SECONDS
            )
        except Exception as exc:  # the cache is best-effort here; the database holds the record
            logger.warning("call %s: session state not cached: %s", self._call_id, exc)
