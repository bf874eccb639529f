"""Who may open a call on the agent host (`/chats`, `/ws`; `/status` stays open for probes).

Two callers are legitimate:
- the Cartesia harness bridging a phone call, holding the shared secret `ARCHER_AGENT_TOKEN` (an
  `Authorization: Bearer` header, or `?token=` in the agent URL configured in Cartesia);
- an operator's test call from the admin UI, holding an organization API key (operator or admin role) in the
  `start` frame's `metadata.api_key` — browsers cannot set headers on a websocket, and a key in a URL ends up
  in access logs. The key is removed from the metadata, and the call is pinned to the key's organization as a
  test call: another organization's customer or call id then simply resolves to nothing.

With neither a token configured nor production (a laptop, the test suite), unauthenticated calls are let
through; once `ARCHER_AGENT_TOKEN` is set they are refused, and production refuses to start without it.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from typing import Any
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.config import ConfigurationError, Settings
from shared.domain import Role
from shared.errors import Unauthorized
from shared.models.organizations import ApiKeyPublic
from shared.runtime import Runtime
from shared.services import api_keys

logger = logging.getLogger(__name__)

CLOSE_UNAUTHORIZED = 4401  # a websocket close code in the application range, mirroring HTTP 401
_GUARDED_SUFFIXES = ("/ws", "/chats")
# Metadata a test call may not carry: it would tie the test to a campaign's ledger.
_TEST_CALL_DROPS = ("campaign_id", "campaign_target_id", "api_key")


def required_token(settings: Settings) -> str | None:
    """The configured agent token; production without one is a startup error naming the setting."""
    token = settings.agent_token.get_secret_value() if settings.agent_token else None
    if settings.is_production and not token:
        raise ConfigurationError(
            "ARCHER_AGENT_TOKEN is required for the agent host in production (the Cartesia harness presents it)"
        )
    return token


class AgentAccess:
    """ASGI middleware in front of the Line `VoiceAgentApp`."""

    def __init__(self, app: ASGIApp, *, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime
        self.token = required_token(runtime.settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or not scope["path"].endswith(_GUARDED_SUFFIXES):
            await self.app(scope, receive, send)
            return
        if self._harness(scope):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        else:
            await self.app(scope, _StartFrameCheck(self, receive, send), send)

    def _harness(self, scope: Scope) -> bool:
        if not self.token:
            return False
        headers = dict(scope.get("headers") or [])
        presented = ""
        authorization = headers.get(b"authorization", b"").decode("latin-1")
        if authorization.lower().startswith("bearer "):
            presented = authorization[7:].strip()
        if not presented:
            presented = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token", [""])[0]
        return bool(presented) and hmac.compare_digest(presented.encode(), self.token.encode())

    @property
    def open_without_credentials(self) -> bool:
        return self.token is None and not self.runtime.settings.is_production

    async def authenticate(self, key: str) -> ApiKeyPublic:
        """The API key's record, if it may place test calls; Unauthorized otherwise."""

        def lookup() -> ApiKeyPublic:
            with self.runtime.sessions() as session, session.begin():
                return api_keys.authenticate(session=session, key=key)

        found = await asyncio.to_thread(lookup)
        if found.role not in (Role.OPERATOR, Role.ADMIN):
            raise Unauthorized("test calls need an operator or admin API key")
        return found

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers") or [])
        key = headers.get(b"x-api-key", b"").decode("latin-1")
        if key:
            try:
                await self.authenticate(key)
            except Unauthorized as exc:
                await _refuse_http(send, exc.message)
                return
        elif not self.open_without_credentials:
            await _refuse_http(send, "the agent host needs the harness token or an API key")
            return
        await self.app(scope, receive, send)


class _StartFrameCheck:
    """Wraps `receive` for one websocket: checks (and rewrites) the first frame, the `start` message."""

    def __init__(self, access: AgentAccess, receive: Receive, send: Send) -> None:
        self.access = access
        self.receive = receive
        self.send = send
        self.checked = False

    async def __call__(self) -> Message:
        message = await self.receive()
        if self.checked or message["type"] != "websocket.receive":
            return message
        self.checked = True
        try:
            return await self._admit(message)
        except Unauthorized as exc:
            logger.warning("agent websocket refused: %s", exc.message)
            error = json.dumps({"type": "error", "content": f"unauthorized: {exc.message}"})
            await self.send({"type": "websocket.send", "text": error})
            await self.send({"type": "websocket.close", "code": CLOSE_UNAUTHORIZED})
            return {"type": "websocket.disconnect", "code": CLOSE_UNAUTHORIZED}

    async def _admit(self, message: Message) -> Message:
        frame = _json(message)
        metadata = frame.get("metadata") if isinstance(frame, dict) else None
        key = metadata.get("api_key") if isinstance(metadata, dict) else None
        if not key:
            if self.access.open_without_credentials:
                return message
            raise Unauthorized("the agent host needs the harness token or an API key")
        found = await self.access.authenticate(str(key))
        assert isinstance(frame, dict) and isinstance(metadata, dict)
        for name in _TEST_CALL_DROPS:
            metadata.pop(name, None)
        metadata.update(organization_id=str(found.organization_id), call_type="test")
        return {"type": "websocket.receive", "text": json.dumps(frame)}


def _json(message: Message) -> Any:
    raw = message.get("text")
    if raw is None and message.get("bytes") is not None:
        raw = message["bytes"].decode("utf-8", errors="replace")
    try:
        return json.loads(raw or "")
    except ValueError:
        return None


async def _refuse_http(send: Send, detail: str) -> None:
    body = json.dumps(
        {"type": "urn:archer:problem:unauthorized", "title": "Unauthorized", "status": 401, "detail": detail}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 401,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
