"""A client of the Line harness protocol: what Cartesia's harness does to an agent host, frame for frame.

It opens `/ws`, sends the `start` frame, then speaks a user turn as `user_state: speaking`, `message`,
`user_state: idle` and presses keys as `dtmf` frames; it reads the agent's `message`, `tool_call`,
`transfer`, `end_call`, `custom` and `error` frames up to each `response_end`, and acknowledges the agent's
words as spoken (`agent_state`, `agent_speech`), as the harness does while text-to-speech plays them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed


class HarnessError(RuntimeError):
    """The agent host answered with an error frame, closed early, or did not answer in time."""


@dataclass
class AgentTurn:
    """What the agent sent between two of our actions."""

    messages: list[str] = field(default_factory=list)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    lines: list[tuple[str, str]] = field(default_factory=list)  # (agent | tool, text) in frame order
    custom: list[dict[str, Any]] = field(default_factory=list)
    ended: bool = False
    end_reason: str | None = None
    transferred_to: str | None = None
    closed: bool = False

    @property
    def text(self) -> str:
        return " ".join(self.messages)

    @property
    def finished(self) -> bool:
        return self.ended or self.transferred_to is not None or self.closed


def websocket_url(agent_url: str) -> str:
    """`ws://host:port/ws` from an agent host base URL (`http://127.0.0.1:7071/agent`) or a ws URL."""
    url = agent_url.rstrip("/")
    if url.startswith("http://"):
        url = "ws://" + url.removeprefix("http://")
    elif url.startswith("https://"):
        url = "wss://" + url.removeprefix("https://")
    return url if url.endswith("/ws") else url + "/ws"


class HarnessClient:
    def __init__(self, connection: ClientConnection, timeout: float) -> None:
        self._ws = connection
        self._timeout = timeout
        self.frames: list[dict[str, Any]] = []
        # Seconds from the end of each user turn (`user_state: idle` sent) to the agent's first message.
        self.latencies: list[float] = []
        self._turn_ended_at: float | None = None

    @classmethod
    @contextlib.asynccontextmanager
    async def open(cls, agent_url: str, *, timeout: float = 15.0, token: str | None = None) -> Any:
        """Connect as the harness does; `token` is the agent host's ARCHER_AGENT_TOKEN when it requires one."""
        headers = {"Authorization": f"Bearer {token}"} if token else None
        # No permessage-deflate: on loopback it only costs CPU on both ends.
        async with connect(
            websocket_url(agent_url),
            open_timeout=timeout,
            max_size=2**22,
            compression=None,
            additional_headers=headers,
        ) as connection:
            yield cls(connection, timeout)

    async def _send(self, frame: dict[str, Any]) -> None:
        await self._ws.send(json.dumps(frame))

    async def start(
        self,
        *,
        call_id: str,
        metadata: dict[str, Any],
        from_number: str = "unknown",
        to_number: str = "unknown",
    ) -> None:
        await self._send(
            {
                "type": "start",
                "call_id": call_id,
                "from": from_number,
                "to": to_number,
                "agent_call_id": call_id,
                "agent": {"id": "archer-simulator"},
                "metadata": metadata,
            }
        )

    async def say(self, text: str) -> None:
        await self._send({"type": "user_state", "value": "speaking"})
        await self._send({"type": "message", "content": text})
        await self._send({"type": "user_state", "value": "idle"})
        self._turn_ended_at = time.perf_counter()

    async def acknowledge(self, messages: list[str]) -> None:
        """What the harness sends while the agent's words are spoken: `agent_state: speaking`, the words as
        `agent_speech`, `agent_state: idle`. The Line SDK builds the agent's own history from these."""
        if not messages:
            return
        await self._send({"type": "agent_state", "value": "speaking"})
        for message in messages:
            await self._send({"type": "agent_speech", "content": message})
        await self._send({"type": "agent_state", "value": "idle"})

    async def press(self, button: str) -> None:
        await self._send({"type": "dtmf", "button": button})

    async def close(self) -> None:
        await self._ws.close()

    async def read_turn(self) -> AgentTurn:
        """Frames up to the next `response_end` (or the end of the call)."""
        turn = AgentTurn()
        while True:
            try:
                raw = await asyncio.wait_for(self._ws.recv(), self._timeout)
            except TimeoutError:
                raise HarnessError(f"no response from the agent within {self._timeout} s") from None
            except ConnectionClosed:
                turn.closed = True
                return turn
            frame = json.loads(raw)
            self.frames.append(frame)
            kind = frame.get("type")
            if kind == "message" and self._turn_ended_at is not None:
                self.latencies.append(time.perf_counter() - self._turn_ended_at)
                self._turn_ended_at = None
            if kind == "message":
                turn.messages.append(str(frame.get("content", "")))
                turn.lines.append(("agent", turn.messages[-1]))
            elif kind == "tool_call":
                turn.tool_calls.append(frame)
                if frame.get("result") is not None:
                    turn.lines.append(("tool", f"{frame.get('name')} → {frame.get('result')}"))
            elif kind == "custom":
                turn.custom.append(frame.get("metadata") or {})
            elif kind == "end_call":
                turn.ended, turn.end_reason = True, frame.get("reason")
                return turn
            elif kind == "transfer":
                turn.transferred_to = (frame.get("transfer_destination") or {}).get("value")
                return turn
            elif kind == "error":
                # The SDK sends a traceback; its last line is the exception and its message.
                lines = [line for line in str(frame.get("content", "")).splitlines() if line.strip()]
                raise HarnessError(f"agent error: {lines[-1] if lines else 'unknown'}")
            elif kind == "response_end":
                self._turn_ended_at = None  # a turn the agent answered without words is not timed
                return turn
