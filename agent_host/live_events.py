"""Live events for the admin UI: a Socket.IO server (python-socketio, ASGI) that forwards the event bus's
live events (`shared.models.events`) to the browsers of each organization.

- **Auth at connect**: the client sends `auth: {apiKey}`; the key is checked by
  `shared.services.api_keys.authenticate`; a missing, unknown or revoked key refuses the connection with a
  one-line reason (the client sees it as a `connect_error`).
- **One room per organization** (`org:<id>`): a client only ever joins its key's organization's room.
- **Forwarding**: while an organization has at least one client connected to this process, the process
  subscribes to the organization's bus channel (`channel_for(org_id)`) and emits each event to the room, with
  the event `type` (`call.started`, `call.transcript`, `call.tool`, `call.ended`, `campaign.progress`) as the
  Socket.IO event name and the event's JSON as its data.
- **Replicas**: the event bus (Redis pub/sub in production) already reaches every replica, so each replica
  emits bus events to its *own* clients only (`ignore_queue=True`): a client never gets a copy per replica.
  With `ARCHER_REDIS_URL` set the server also runs python-socketio's `AsyncRedisManager`, so anything emitted
  through the server (or by another process with a write-only manager on the same Redis channel) reaches the
  room's clients on every replica.
- **Gaps**: live delivery is best-effort (the database is the record). When the forwarder loses the bus and
  resubscribes, it emits `live.resync` to the room; clients refetch what they show, exactly as they do after
  reconnecting.

Mount it with `mount_live_events(app, runtime)` at `/socket.io` (the local server and the agent host both do).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

import socketio
from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette

from shared.errors import ArcherError
from shared.integrations.cache import EventBus
from shared.models.events import channel_for
from shared.runtime import Runtime
from shared.services import api_keys, live

logger = logging.getLogger(__name__)

SOCKETIO_PATH = "/socket.io"
RESYNC_EVENT = "live.resync"
# python-socketio's own channel on Redis, namespaced like every other Archer key.
MANAGER_CHANNEL = "archer:socketio"
_RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0, 5.0)


def room_for(org_id: uuid.UUID) -> str:
    """The Socket.IO room of one organization's clients."""
    return f"org:{org_id}"


@dataclass
class _Forwarder:
    """One organization's bus subscription in this process, shared by its connected clients."""

    org_id: uuid.UUID
    members: set[str] = field(default_factory=set)
    subscribed: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None


class LiveEventServer:
    """The Socket.IO server and its forwarders. `asgi_app` is what gets mounted."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        bus: EventBus,
        redis_url: str | None = None,
        manager_channel: str = MANAGER_CHANNEL,
        cors_allowed_origins: str | list[str] = "*",
    ) -> None:
        self._sessions = sessions
        self._bus = bus
        manager = (
            socketio.AsyncRedisManager(redis_url, channel=manager_channel, logger=logger)
            if redis_url
            else None
        )
        # Any origin may connect: the credential is the API key sent in `auth`, never a cookie, so a foreign
        # page gains nothing it could not get with the key itself (the UI is served from another origin in
        # production: Static Web Apps in front, the agent host's Container App here).
        self.sio = socketio.AsyncServer(
            async_mode="asgi",
            client_manager=manager,
            cors_allowed_origins=cors_allowed_origins,
            logger=False,
            engineio_logger=False,
        )
        self.sio.on("connect", self._on_connect)
        self.sio.on("disconnect", self._on_disconnect)
        # socketio_path=None: the mount point (`/socket.io`) does the routing.
        self.asgi_app = socketio.ASGIApp(self.sio, socketio_path=None)
        self._forwarders: dict[uuid.UUID, _Forwarder] = {}
        self._lock = asyncio.Lock()
        self._closed = False

    @classmethod
    def from_runtime(cls, runtime: Runtime) -> LiveEventServer:
        return cls(sessions=runtime.sessions, bus=runtime.cache, redis_url=runtime.settings.redis_url)

    def forwarded_organizations(self) -> set[uuid.UUID]:
        """Organizations whose bus channel this process is subscribed to (those with clients here)."""
        return set(self._forwarders)

    # --- connections --------------------------------------------------------------------------------------

    def _authenticate(self, key: str) -> uuid.UUID:
        with self._sessions() as session, session.begin():
            return api_keys.authenticate(session=session, key=key).organization_id

    async def _on_connect(self, sid: str, _environ: dict[str, Any], auth: Any = None) -> None:
        key = auth.get("apiKey") if isinstance(auth, dict) else None
        if not isinstance(key, str) or not key:
            raise socketio.exceptions.ConnectionRefusedError("missing API key: connect with auth {apiKey}")
        try:
            org_id = await asyncio.to_thread(self._authenticate, key)
        except ArcherError as exc:
            raise socketio.exceptions.ConnectionRefusedError(exc.message) from None
        await self.sio.save_session(sid, {"organization_id": str(org_id)})
        await self.sio.enter_room(sid, room_for(org_id))
        forwarder = await self._join(org_id, sid)
        # Connected means subscribed: an event published after the client's connect resolves reaches it.
        await forwarder.subscribed.wait()

    async def _on_disconnect(self, sid: str, *_reason: Any) -> None:
        async with self._lock:
            for org_id, forwarder in list(self._forwarders.items()):
                if sid in forwarder.members:
                    forwarder.members.discard(sid)
                    if not forwarder.members:
                        del self._forwarders[org_id]
                        await _cancel(forwarder.task)

    async def _join(self, org_id: uuid.UUID, sid: str) -> _Forwarder:
        async with self._lock:
            forwarder = self._forwarders.get(org_id)
            if forwarder is None:
                forwarder = _Forwarder(org_id=org_id)
                forwarder.task = asyncio.create_task(self._forward(forwarder), name=f"live-events-{org_id}")
                self._forwarders[org_id] = forwarder
            forwarder.members.add(sid)
            return forwarder

    # --- forwarding ---------------------------------------------------------------------------------------

    async def _forward(self, forwarder: _Forwarder) -> None:
        """Subscribe to the organization's channel and emit its events until cancelled; on a bus failure,
        resubscribe with backoff and tell the room to resynchronize."""
        room = room_for(forwarder.org_id)
        failures = 0
        while True:
            try:
                async with self._bus.subscribe(channel_for(forwarder.org_id)) as subscription:
                    if failures:
                        await self.sio.emit(RESYNC_EVENT, {}, room=room, ignore_queue=True)
                    failures = 0
                    forwarder.subscribed.set()
                    while True:
                        message = await subscription.next(timeout=None)
                        if message is not None:
                            await self._emit(room, forwarder.org_id, message)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                delay = _RETRY_DELAYS[min(failures, len(_RETRY_DELAYS) - 1)]
                failures += 1
                logger.warning(
                    "live events for organization %s: bus subscription failed (%s); retrying in %.1fs",
                    forwarder.org_id,
                    exc,
                    delay,
                )
                # Clients must not wait forever for a subscription that cannot be made right now.
                forwarder.subscribed.set()
                await asyncio.sleep(delay)

    async def _emit(self, room: str, org_id: uuid.UUID, message: str) -> None:
        try:
            event = live.parse(message)
        except ValidationError as exc:
            logger.warning("live events: dropped a malformed bus message (%d errors)", exc.error_count())
            return
        if event.organization_id != org_id:
            logger.warning("live events: dropped an event of another organization on %s", room)
            return
        await self.sio.emit(event.type, event.model_dump(mode="json"), room=room, ignore_queue=True)

    async def aclose(self) -> None:
        """Stop every forwarder and disconnect the clients (on shutdown)."""
        if self._closed:
            return
        self._closed = True
        async with self._lock:
            forwarders = list(self._forwarders.values())
            self._forwarders.clear()
        for forwarder in forwarders:
            await _cancel(forwarder.task)
        with contextlib.suppress(Exception):
            await self.sio.shutdown()


async def _cancel(task: asyncio.Task[None] | None) -> None:
    if task is None or task.done():
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task


def mount_live_events(app: Starlette, runtime: Runtime) -> LiveEventServer:
    """Mount the live-event server at `/socket.io` on `app` and return it; call `aclose()` on shutdown."""
    server = LiveEventServer.from_runtime(runtime)
    app.mount(SOCKETIO_PATH, server.asgi_app, name="live-events")
    return server
