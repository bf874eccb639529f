"""The helpers that carry one call's trace across hops without headers: the call's metadata (`inject_traceparent`,
`context_from`, `call_span`), a dial that starts its own trace (`span(root=True)`), the agent's turns
(`traced_stream`), and the Line SDK's utterance lines kept out of the logs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from opentelemetry import trace

from agent_host.logs import _redact
from shared import telemetry as tm
from tests.telemetry_capture import TelemetryCapture


def test_metadata_carries_the_trace_to_the_next_hop(telemetry: TelemetryCapture) -> None:
    """`inject_traceparent` writes the current span's traceparent into a call's metadata; `call_span` over
    that metadata (what the Twilio webhooks do with the call row's `call_metadata`) joins the same trace."""
    assert tm.inject_traceparent({"call_id": "x"}) == {"call_id": "x"}  # no span: nothing to carry
    with tm.span(tm.SPAN_CALL_DIAL) as dial:
        metadata = tm.inject_traceparent({"call_id": "x"})
    assert tm.traceparent_from(metadata) == metadata[tm.TRACEPARENT]
    carried = tm.context_from(metadata)
    assert carried is not None
    assert trace.get_current_span(carried).get_span_context().span_id == dial.get_span_context().span_id
    with tm.call_span(tm.SPAN_CALL_STATUS, metadata, status="completed") as status:
        pass
    with tm.call_span(tm.SPAN_CALL_WEBHOOK, {}) as inbound:  # an inbound call's first webhook: its own trace
        pass
    spans = {span.name: span for span in telemetry.finished_spans()}
    assert spans[tm.SPAN_CALL_STATUS].parent is not None
    assert spans[tm.SPAN_CALL_STATUS].parent.span_id == dial.get_span_context().span_id
    assert status.get_span_context().trace_id == dial.get_span_context().trace_id
    assert inbound.get_span_context().trace_id != dial.get_span_context().trace_id
    assert spans[tm.SPAN_CALL_WEBHOOK].parent is None
    assert tm.inject_traceparent(None, traceparent=metadata[tm.TRACEPARENT]) == {
        tm.TRACEPARENT: metadata[tm.TRACEPARENT]
    }


def test_a_root_span_starts_a_new_trace_linked_to_its_caller(telemetry: TelemetryCapture) -> None:
    """A dial inside an activity's (or a campaign run's) span is not a child of it: each call is its own
    trace, linked back to whatever placed it. A given parent still wins (a later step of the same call)."""
    with tm.span("activity") as activity, tm.span(tm.SPAN_CALL_DIAL, root=True) as dial:
        carried = tm.current_traceparent()
    assert dial.get_span_context().trace_id != activity.get_span_context().trace_id
    finished = {span.name: span for span in telemetry.finished_spans()}
    assert finished[tm.SPAN_CALL_DIAL].parent is None
    assert [link.context.span_id for link in finished[tm.SPAN_CALL_DIAL].links] == [
        activity.get_span_context().span_id
    ]
    with tm.span("later", parent=carried, root=True) as later:
        pass
    assert later.get_span_context().trace_id == dial.get_span_context().trace_id


async def test_a_traced_stream_is_current_while_it_yields_and_ends_when_cancelled(
    telemetry: TelemetryCapture,
) -> None:
    """The agent's turns: spans made while the turn produces output nest under it; a turn cancelled by the
    caller speaking ends its span (marked `cancelled`) and leaves no context attached."""
    with tm.span(tm.SPAN_CALL_DIAL) as dial:
        parent = tm.current_traceparent()
    gate = asyncio.Event()

    async def turn() -> AsyncIterator[str]:
        with tm.span("tool lookup"):
            pass
        yield "hello"
        await gate.wait()  # the caller barges in here
        yield "never"

    first = tm.traced_stream(tm.SPAN_AGENT_TURN, turn(), parent=parent, trigger="user_turn_ended")

    async def run() -> list[str]:
        return [item async for item in first]

    task = asyncio.get_running_loop().create_task(run())
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not trace.get_current_span().get_span_context().is_valid  # nothing left attached here

    async def finished_turn() -> AsyncIterator[str]:
        yield "bye"

    assert [item async for item in tm.traced_stream(tm.SPAN_AGENT_TURN, finished_turn(), parent=parent)] == [
        "bye"
    ]

    spans = telemetry.finished_spans()
    turns = [span for span in spans if span.name == tm.SPAN_AGENT_TURN]
    assert len(turns) == 2
    assert all(
        span.parent is not None and span.parent.span_id == dial.get_span_context().span_id for span in turns
    )
    assert [dict(span.attributes or {}).get("cancelled") for span in turns] == [True, None]
    tool = next(span for span in spans if span.name == "tool lookup")
    assert tool.parent is not None and tool.parent.span_id == turns[0].context.span_id


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            '-> 🧑🗣️ User said: "Hi, this is Quillon Brackenfold at 12 Elm St."',
            "-> 🧑🗣️ User said: [45 characters]",
        ),
        (
            '<- 🤖🔒 Agent said (uninterruptible): "Is this Quillon?"',
            "<- 🤖🔒 Agent said (uninterruptible): [16 characters]",
        ),
        ('Ack-back "Quillon here" consumed by dedup', "Ack-back [12 characters] consumed by dedup"),
        ("-> 🧑🔔 User DTMF received: 4", "-> 🧑🔔 User DTMF received: [redacted]"),
        ("-> 📞 Call started", "-> 📞 Call started"),
    ],
)
def test_sdk_utterance_lines_keep_only_their_length(line: str, expected: str) -> None:
    """What was said (names, addresses) never reaches a log sink — and so never Application Insights."""
    record = {"message": line}
    _redact(record)
    assert record["message"] == expected
