"""An in-memory OpenTelemetry pipeline for tests: Archer's own `configure_telemetry` with in-memory exporters in
place of Azure Monitor's, so what a test reads is what would have been exported (masked, in order)."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.sdk._logs import ReadableLogRecord
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, LogRecordExportResult
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter


class GatedSpanExporter(InMemorySpanExporter):
    """Keeps spans only while a test is capturing, so the rest of the suite does not pile them up."""

    recording = False

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return super().export(spans) if self.recording else SpanExportResult.SUCCESS


class GatedLogExporter(InMemoryLogRecordExporter):
    recording = False

    def export(self, batch: Sequence[ReadableLogRecord]) -> LogRecordExportResult:  # type: ignore[override]
        return super().export(batch) if self.recording else LogRecordExportResult.SUCCESS


@dataclass
class MetricPoint:
    name: str
    attributes: dict[str, Any]
    value: Any


@dataclass
class TelemetryCapture:
    spans: GatedSpanExporter = field(default_factory=GatedSpanExporter)
    logs: GatedLogExporter = field(default_factory=GatedLogExporter)
    metrics: InMemoryMetricReader = field(default_factory=InMemoryMetricReader)

    def start(self) -> None:
        self.spans.clear()
        self.logs.clear()
        self.spans.recording = self.logs.recording = True

    def stop(self) -> None:
        self.spans.recording = self.logs.recording = False

    def finished_spans(self) -> list[ReadableSpan]:
        return list(self.spans.get_finished_spans())

    def log_records(self) -> list[Any]:
        return [item.log_record for item in self.logs.get_finished_logs()]

    def metric_points(self, name: str | None = None) -> list[MetricPoint]:
        data = self.metrics.get_metrics_data()
        points: list[MetricPoint] = []
        for resource_metrics in data.resource_metrics if data else ():
            for scope_metrics in resource_metrics.scope_metrics:
                for metric in scope_metrics.metrics:
                    if name is not None and metric.name != name:
                        continue
                    for point in metric.data.data_points:
                        value = getattr(point, "value", None)
                        if value is None:
                            value = getattr(point, "sum", None)
                        points.append(MetricPoint(metric.name, dict(point.attributes or {}), value))
        return points

    def everything_exported(self) -> Iterator[str]:
        """Every string a backend would receive: span names, attributes, events, links, status; log bodies
        and attributes; metric names and dimensions."""
        for span in self.finished_spans():
            yield span.name
            yield from _strings(span.attributes)
            for event in span.events:
                yield event.name
                yield from _strings(event.attributes)
            for link in span.links:
                yield from _strings(link.attributes)
            if span.status.description:
                yield span.status.description
        for record in self.log_records():
            yield str(record.body)
            yield from _strings(record.attributes)
        for point in self.metric_points():
            yield point.name
            yield from _strings(point.attributes)


def _strings(attributes: Any) -> Iterator[str]:
    for key, value in dict(attributes or {}).items():
        yield str(key)
        if isinstance(value, list | tuple):
            yield from (str(item) for item in value)
        else:
            yield str(value)


def install() -> TelemetryCapture:
    """Configure the process's telemetry once with in-memory exporters (OpenTelemetry's providers are global)."""
    from shared import telemetry
    from shared.config import Settings

    capture = TelemetryCapture()
    mode = telemetry.configure_telemetry(
        Settings(ARCHER_ENV="test"),
        service_name="archer-test",
        span_exporter=capture.spans,
        metric_reader=capture.metrics,
        log_exporter=capture.logs,
    )
    assert mode == "exporters", f"telemetry was already configured as {mode!r} in this test process"
    return capture


def root_logging_handlers() -> list[logging.Handler]:
    return list(logging.getLogger().handlers)
