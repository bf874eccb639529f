"""A local fake of OpenAI's chat completions API (streaming), for the LLM brain's tests: LiteLLM talks to it
over HTTP on loopback exactly as it would to OpenAI. It answers from a script — rules that look at the last
message (what the customer said, or which tool just returned what) — and records every request.

A reply can also make the server misbehave for that request, as real model APIs do: an HTTP error (500,
429 with Retry-After), no answer at all (`hang`: until the client gives up), a stream that stops after some
words (`stall_after`), or a tool call whose arguments are not JSON (`ToolCall.raw_arguments`). A hanging or
stalled request ends when its client disconnects, or when the fake is closed (`close`, done by the fixture
before the server stops), so the server always shuts down."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    raw_arguments: str | None = None  # sent verbatim instead of `arguments` (e.g. truncated, malformed JSON)


@dataclass(frozen=True)
class Reply:
    """What the model "says": text, then tool calls — or how it fails to."""

    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    status: int = 200  # another status: that HTTP error (an OpenAI-style error body) instead of a stream
    retry_after: str | None = None  # the Retry-After header of an error
    hang: bool = False  # never answer: no status, no headers
    stall_after: int | None = None  # stream this many words of `text`, then nothing more


def http_error(status: int, retry_after: str | None = None) -> Reply:
    return Reply(status=status, retry_after=retry_after)


HANG = Reply(hang=True)


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
    closing: threading.Event = field(default_factory=threading.Event)

    def close(self) -> None:
        """Let every hanging or stalled request end (the server's shutdown waits for them)."""
        self.closing.set()

    async def _wait_for_disconnect(self, request: Request) -> None:
        while not self.closing.is_set() and not await request.is_disconnected():
            await asyncio.sleep(0.02)

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
            if reply.hang:
                await self._wait_for_disconnect(request)
                return JSONResponse({"error": {"message": "gave up"}}, status_code=504)
            if reply.status != 200:
                headers = {"retry-after": reply.retry_after} if reply.retry_after is not None else None
                return JSONResponse(
                    {"error": {"message": f"fake failure {reply.status}", "type": "server_error"}},
                    status_code=reply.status,
                    headers=headers,
                )
            stream = _stream(reply, body.get("model", "gpt"), len(self.requests))
            if reply.stall_after is not None:
                stream = self._stalled(stream, reply.stall_after + 1, request)  # + the role chunk
            return StreamingResponse(stream, media_type="text/event-stream")

        return app

    async def _stalled(self, stream: AsyncIterator[str], chunks: int, request: Request) -> AsyncIterator[str]:
        sent = 0
        async for chunk in stream:
            if sent == chunks:
                break
            yield chunk
            sent += 1
        await self._wait_for_disconnect(request)


def _chunk(model: str, delta: dict[str, Any], finish: str | None = None) -> str:
    payload = {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": 1_700_000_000,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(payload)}\n\n"


async def _stream(reply: Reply, model: str, request_number: int) -> AsyncIterator[str]:
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
                        "function": {
                            "name": call.name,
                            "arguments": call.raw_arguments
                            if call.raw_arguments is not None
                            else json.dumps(call.arguments),
                        },
                    }
                ]
            },
        )
    yield _chunk(model, {}, "tool_calls" if reply.tool_calls else "stop")
    yield "data: [DONE]\n\n"


def when_user(phrase: str, reply: Reply) -> Rule:
    """A rule: `reply` when the customer's last words contain `phrase`."""
    return lambda messages: reply if phrase in last_user(messages) else None


def after(tool: str, reply: Reply | Rule, **match: Any) -> Rule:
    """A rule: `reply` (or `reply(messages)`) right after tool `tool` returned a result holding `match`."""

    def rule(messages: list[dict[str, Any]]) -> Reply | None:
        result = last_tool(messages, tool)
        if result is None or any(result.get(key) != value for key, value in match.items()):
            return None
        return reply(messages) if callable(reply) else reply

    return rule


# --- A well-behaved model's moves, shared by the LLM-brain tests ---------------------------------------------


def quote_options(messages: list[dict[str, Any]]) -> Reply:
    """The model quotes what the engine returned: the balance and the first offer's own summary."""
    summary = tool_results(messages, "get_account_summary")[-1]
    options = tool_results(messages, "get_payment_options")[-1]
    balance = f"${float(summary['balance']):,.2f}"
    return Reply(
        text=f"Your balance is {balance}. {options['offers'][0]['summary']} Would that work for you?"
    )


def read_back_counter(messages: list[dict[str, Any]]) -> Reply:
    """The model asks for the read-back of the offer the engine answered the customer's proposal with."""
    offer_id = tool_results(messages, "evaluate_counter_offer")[-1]["offer"]["id"]
    return Reply(tool_calls=(ToolCall("confirm_arrangement", {"offer_id": offer_id}),))


def agree_to_counter(messages: list[dict[str, Any]]) -> Reply | None:
    """After the customer says "i agree", the model confirms that offer with customer_agreed=true."""
    if "i agree" not in last_user(messages).lower():
        return None
    offer_id = tool_results(messages, "evaluate_counter_offer")[-1]["offer"]["id"]
    return Reply(
        tool_calls=(ToolCall("confirm_arrangement", {"offer_id": offer_id, "customer_agreed": True}),)
    )
