"""A local fake of OpenAI's chat completions API (streaming), for the LLM brain's tests: LiteLLM talks to it
over HTTP on loopback exactly as it would to OpenAI. It answers from a script — rules that look at the last
message (what the customer said, or which tool just returned what) — and records every request."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class Reply:
    """What the model "says": text, then tool calls."""

    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()


Rule = Callable[[list[dict[str, Any]]], Reply | None]


def last(messages: list[dict[str, Any]]) -> dict[str, Any]:
    return messages[-1] if messages else {}


def last_user(messages: list[dict[str, Any]]) -> str:
    message = last(messages)
    return str(message.get("content") or "") if message.get("role") == "user" else ""


def last_tool(messages: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    """The result of the last message when it is tool `name`'s."""
    message = last(messages)
    if message.get("role") != "tool" or message.get("name") != name:
        return None
    try:
        result = json.loads(message.get("content") or "null")
    except ValueError:
        return {"raw": message.get("content")}
    return result if isinstance(result, dict) else {"raw": result}


def tool_results(messages: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    """Every result tool `name` returned so far in the conversation."""
    found = []
    for message in messages:
        if message.get("role") == "tool" and message.get("name") == name:
            try:
                value = json.loads(message.get("content") or "null")
            except ValueError:
                continue
            if isinstance(value, dict):
                found.append(value)
    return found


@dataclass
class FakeOpenAI:
    rules: list[Rule]
    requests: list[dict[str, Any]] = field(default_factory=list)

    def reply_for(self, messages: list[dict[str, Any]]) -> Reply:
        for rule in self.rules:
            reply = rule(messages)
            if reply is not None:
                return reply
        return Reply(text="")

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1/chat/completions", response_model=None)
        async def completions(request: Request) -> StreamingResponse | JSONResponse:
            body = await request.json()
            self.requests.append(body)
            if request.headers.get("authorization") != "Bearer sk-test-fake":
                return JSONResponse({"error": {"message": "bad key"}}, status_code=401)
            reply = self.reply_for(body["messages"])
            return StreamingResponse(
                _stream(reply, body.get("model", "gpt"), len(self.requests)), media_type="text/event-stream"
            )

        return app


def _chunk(model: str, delta: dict[str, Any], finish: str | None = None) -> str:
    payload = {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": 1_700_000_000,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(payload)}\n\n"


def _stream(reply: Reply, model: str, request_number: int) -> Iterator[str]:
    yield _chunk(model, {"role": "assistant"})
    words = reply.text.split(" ") if reply.text else []
    for index, word in enumerate(words):  # streamed a word at a time, as a model would
        yield _chunk(model, {"content": word + (" " if index < len(words) - 1 else "")})
    for index, call in enumerate(reply.tool_calls):
        yield _chunk(
            model,
            {
                "tool_calls": [
                    {
                        "index": index,
                        "id": f"call_{request_number}_{index}",
                        "type": "function",
                        "function": {"name": call.name, "arguments": json.dumps(call.arguments)},
                    }
                ]
            },
        )
    yield _chunk(model, {}, "tool_calls" if reply.tool_calls else "stop")
    yield "data: [DONE]\n\n"
