"""How a model failure is named and whether it is worth a second try: the reason codes recorded in the
transcript and the wait before a retry (Retry-After honoured, never longer than the cap)."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from email.utils import format_datetime

import httpx
import litellm
import pytest

from agent_host.agent.fallback import (
    DEFAULT_RETRY_DELAY_SECONDS,
    RETRY_AFTER_CAP_SECONDS,
    ModelClock,
    failure_reason,
    is_retryable,
    retry_delay,
)
from shared.db.base import utcnow

_REQUEST = httpx.Request("POST", "http://127.0.0.1/v1/chat/completions")


def _response(status: int, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, headers=headers, request=_REQUEST)


def _rate_limited(headers: dict[str, str] | None = None) -> litellm.RateLimitError:
    return litellm.RateLimitError(
        "rate limited", llm_provider="openai", model="gpt-4o-mini", response=_response(429, headers)
    )


def _malformed() -> json.JSONDecodeError:
    try:
        json.loads('{"offer_id": "offer-1", "customer_agreed": tru')
    except json.JSONDecodeError as exc:
        return exc
    raise AssertionError("unreachable")


def _wrapped_read_timeout() -> Exception:
    """A stream that stopped mid-way, as LiteLLM reports it: a 5xx-looking error caused by a read timeout."""
    try:
        try:
            raise httpx.ReadTimeout("Timeout on reading data from socket")
        except httpx.ReadTimeout as inner:
            raise litellm.ServiceUnavailableError("stream stopped", "openai", "gpt-4o-mini") from inner
    except litellm.ServiceUnavailableError as outer:
        return outer


@pytest.mark.parametrize(
    ("exc", "reason", "retry"),
    [
        (TimeoutError(), "timeout", False),
        (litellm.Timeout("slow", model="gpt-4o-mini", llm_provider="openai"), "timeout", False),
        (_wrapped_read_timeout(), "timeout", False),
        (_rate_limited(), "http_429", True),
        (
            litellm.InternalServerError("boom", llm_provider="openai", model="gpt-4o-mini"),
            "http_500",
            True,
        ),
        (litellm.ServiceUnavailableError("down", "openai", "gpt-4o-mini"), "http_503", True),
        (litellm.APIConnectionError("refused", "openai", "gpt-4o-mini"), "error", True),
        (ConnectionResetError("reset by peer"), "error", True),
        (_malformed(), "malformed_tool_call", False),
        (
            litellm.BadRequestError("bad request", model="gpt-4o-mini", llm_provider="openai"),
            "error",
            False,
        ),
        (litellm.AuthenticationError("bad key", "openai", "gpt-4o-mini"), "error", False),
        (KeyError("choices"), "error", False),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, BaseException) else str(value),
)
def test_each_failure_has_its_reason_code_and_only_transient_ones_are_retried(
    exc: BaseException, reason: str, retry: bool
) -> None:
    """Timeouts, HTTP statuses, broken tool JSON and anything else get their code; 429, 5xx and connection
    errors are retried, a timeout or a client error never (the budget is spent or a retry would fail too)."""
    assert failure_reason(exc) == reason
    assert is_retryable(exc) is retry


@pytest.mark.parametrize(
    ("headers", "delay"),
    [
        ({"retry-after": "0"}, 0.0),
        ({"retry-after": "1"}, 1.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"retry-after": "30"}, RETRY_AFTER_CAP_SECONDS),
        ({"retry-after-ms": "250"}, 0.25),
        ({"retry-after-ms": "250", "retry-after": "30"}, 0.25),
        ({"retry-after": "-5"}, 0.0),
        ({"retry-after": "soon"}, DEFAULT_RETRY_DELAY_SECONDS),
        ({}, DEFAULT_RETRY_DELAY_SECONDS),
    ],
)
def test_the_retry_waits_what_retry_after_asks_up_to_the_cap(headers: dict[str, str], delay: float) -> None:
    """Retry-After in seconds or milliseconds is honoured, never beyond the 2 s cap; none or nonsense
    gets the short default."""
    assert retry_delay(_rate_limited(headers)) == pytest.approx(delay)


def test_retry_after_as_a_date_is_honoured_up_to_the_cap() -> None:
    """An HTTP-date Retry-After a minute away waits only the cap; one in the past not at all."""
    later = format_datetime(utcnow() + timedelta(minutes=1), usegmt=True)
    earlier = format_datetime(utcnow() - timedelta(minutes=1), usegmt=True)
    assert retry_delay(_rate_limited({"retry-after": later})) == RETRY_AFTER_CAP_SECONDS
    assert retry_delay(_rate_limited({"retry-after": earlier})) == 0.0


def test_an_error_without_a_response_gets_the_default_wait() -> None:
    """A connection error carries no headers: the short default wait."""
    assert retry_delay(ConnectionError("reset")) == DEFAULT_RETRY_DELAY_SECONDS


async def test_the_models_clock_stops_while_the_calls_own_tools_run() -> None:
    """A tool that takes longer than the model's limits (a slow database write) is not cut off, and the
    time it took is added to the first-words deadline; the model's gap starts again once it is done."""
    loop = asyncio.get_running_loop()
    clock = ModelClock(loop, budget=0.05, gap=0.05)
    deadline = clock.deadline
    async with asyncio.timeout_at(clock.limit()) as clock.scope:
        clock.tool(True)
        await asyncio.sleep(0.2)  # four times the model's limits
        clock.tool(False)
    assert clock.deadline >= deadline + 0.2
    with pytest.raises(TimeoutError):
        async with asyncio.timeout_at(clock.limit()) as clock.scope:
            await asyncio.sleep(1)  # the model itself still may not take longer than its gap
