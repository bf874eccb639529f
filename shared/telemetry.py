"""Logging, tracing and metrics for both deployables, with personal and card data masked in every record,
span and metric, whichever code — ours, a library's, or the Line SDK's loguru — produced it.

Logs: structured (JSON) or console lines.

Masking happens when a record is created (a `logging` record factory), so handlers added later by libraries
(uvicorn, Azure Monitor) only ever see masked text; formatters mask their output once more, which also covers
exception tracebacks. What is masked: e-mail addresses, card numbers, phone numbers, US social security
numbers, and account numbers (long digit runs, or any digits after the word "account"), also when they are
percent-encoded in a URL.

Traces and metrics (OpenTelemetry): `configure_telemetry` sends them to Application Insights through
`azure-monitor-opentelemetry` when `APPLICATIONINSIGHTS_CONNECTION_STRING` is set, joins the provider the Azure
Functions Python worker already set up (`PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY=true`), prints them with
`ARCHER_TELEMETRY_CONSOLE=true`, and otherwise leaves OpenTelemetry's no-op API in place. Either way a
`MaskingSpanProcessor` and a `MaskingLogRecordProcessor` run before any exporter, and the metric helpers mask
their dimensions. The rest of the code uses `span(...)`, `tool_call(...)`, `current_traceparent()` and the
`record_*` helpers below; a call is one trace because its `traceparent` travels with it (the dial or webhook →
call metadata → the agent's start metadata → the status callback and the disposition): `inject_traceparent`,
`context_from` and `call_span` carry it, the `SPAN_*` names below are its steps (docs/OPERATIONS.md).
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import re
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Generic, TextIO, TypeVar
from urllib.parse import unquote

from opentelemetry.sdk._logs import LogRecordProcessor, ReadWriteLogRecord
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor

from shared.policy.card_data import redact_card_data

if TYPE_CHECKING:
    from opentelemetry.context import Context
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import LogRecordExporter
    from opentelemetry.sdk.metrics.export import MetricReader
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.trace import Span, SpanKind

    from shared.config import Settings

_T = TypeVar("_T")

# A digit run is only PII when it stands alone: digits glued to letters or hyphens are ids (Twilio SIDs,
# UUIDs), which stay readable so operators can correlate logs.
_LEFT = r"(?<![\w-])"
_RIGHT = r"(?![\w-])"

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
_CARD = re.compile(_LEFT + r"(?:\d[ -]?){12,18}\d" + _RIGHT)
_SSN = re.compile(_LEFT + r"\d{3}-\d{2}-\d{4}" + _RIGHT)
_PHONE = re.compile(
    r"(?<![\w+-])(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}"
    + _RIGHT
    + r"|(?<![\w+])\+\d{8,15}"
    + _RIGHT
)
_ACCOUNT_CONTEXT = re.compile(
    r"(?i)\b(account|acct|a/c)(\s*(?:number|no\.?|num|#))?([\s:=#]*)(\d[\d -]{2,}\d)"
)
_LONG_DIGITS = re.compile(_LEFT + r"\d{8,19}" + _RIGHT)

# Keypad presses in harness frames and their dumps (`{"type": "dtmf", "button": "4"}`, `button=4`) and in the
# Line SDK's lines (`DTMF received: 4`): any key may be a card digit.
_KEYPAD_FIELD = re.compile(r"""(?i)(["']?\b(?:button|digits?|dtmf)\b["']?\s*[:=]\s*["']?)[0-9A-D*#]+""")
_KEYPAD_LINE = re.compile(r"(DTMF (?:received|sent):? ?)\S+")
# Credentials in headers, query strings and payloads, in the forms logs print them: `X-API-Key: k`,
# `authorization: Bearer t`, `(b'x-api-key', b'k')`, `{"api_key": "k"}`, `?token=t`.
_CREDENTIAL_NAMES = (
    r"x-api-key|api[_-]?key|apikey|x-agent-token|agent[_-]?token|access[_-]?token|refresh[_-]?token|"
    r"id[_-]?token|token|auth|authorization|proxy-authorization|password|passwd|client[_-]?secret|secret|"
    r"signature"
)
_SECRET_FIELD = re.compile(
    r"""(?i)(["']?(?<![\w-])(?:""" + _CREDENTIAL_NAMES + r""")(?![\w-])["']?"""
    r"""(?:\s*[:=]\s*|["']\s*,\s*)(?:b?["'])?)((?:bearer|basic|token|digest)\s+)?[^\s"',;&)}\]{\[<>]+"""
)
_COOKIE_FIELD = re.compile(
    r"""(?i)(["']?(?<![\w-])(?:set-)?cookie["']?(?:\s*[:=]\s*|["']\s*,\s*)(?:b?["'])?)[^"'\r\n]+"""
)
# A cheap test before the secret patterns: most records name no credential at all.
_SECRET_HINTS = ("key", "token", "auth", "cookie", "passw", "secret", "signature")
_SECRET_VALUES: set[str] = set()
_secret_values: re.Pattern[str] | None = None
REDACTED = "[redacted]"


def register_secrets(*values: str | None) -> None:
    """Values (the agent token, API keys) that are masked wherever they appear in a log record or span, in
    whatever field or URL; values shorter than 8 characters are ignored (they would mask ordinary words)."""
    global _secret_values  # noqa: PLW0603 - one process-wide list, like the record factory
    new = {value for value in values if value and len(value) >= 8} - _SECRET_VALUES
    if not new:
        return
    _SECRET_VALUES.update(new)
    ordered = sorted(_SECRET_VALUES, key=len, reverse=True)
    _secret_values = re.compile("|".join(re.escape(value) for value in ordered))
    mask_text.cache_clear()  # a text masked before may hold one of the new secrets


def register_settings_secrets(settings: Settings) -> None:
    """`register_secrets` for every secret setting (the agent token, API keys, the Twilio auth token, the
    connection string): their values never reach a log record or span, wherever they end up in one."""
    from pydantic import SecretStr

    register_secrets(
        *(value.get_secret_value() for value in vars(settings).values() if isinstance(value, SecretStr))
    )


def _mask_secrets(text: str, lowered: str) -> str:
    # Named fields first (`Authorization: Bearer [redacted]` keeps its scheme), then known values anywhere.
    if any(hint in lowered for hint in _SECRET_HINTS):
        text = _SECRET_FIELD.sub(lambda m: f"{m.group(1)}{m.group(2) or ''}{REDACTED}", text)
        text = _COOKIE_FIELD.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
    if _secret_values is not None and any(value in text for value in _SECRET_VALUES):
        text = _secret_values.sub(REDACTED, text)
    return text


# What was said, in dumps of harness frames (websockets and uvicorn log every frame at DEBUG, cut in the
# middle when long — which can leave a piece of a card number no pattern recognizes): its length only, as
# the Line SDK's own utterance lines get (agent_host.logs).
_SPEECH_FRAME = re.compile(
    r"""(["']type["']\s*:\s*["'](?:message|agent_speech|user_speech|transcript)["']\s*,\s*["']content["']\s*:\s*")"""
    r"""((?:[^"\\]|\\.)*)(")"""
)


def _speech_length(match: re.Match[str]) -> str:
    return f"{match.group(1)}[{len(match.group(2))} characters]{match.group(3)}"


def _mask_keypad(text: str) -> str:
    if "DTMF" in text:
        text = _KEYPAD_LINE.sub(r"\1[redacted]", text)
    return _KEYPAD_FIELD.sub(lambda m: f"{m.group(1)}*", text)


# Before the full parse of spoken card data (most records say no number words and no card cue, so the parse
# stays off the hot path): three number words in a row, or an expiry or security-code cue.
_NUMBER_WORDS = frozenset(
    {
        "zero", "oh", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
        "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty",
        "thirty", "forty", "fourty", "fifty", "sixty", "seventy", "eighty", "ninety", "double", "triple",
    }
)  # fmt: skip
_CARD_CUES = (
    "expir", "exp ", "cvv", "cvc", "c v v", "cid ", "csc ", "security code", "security number",
    "security digits", "verification code", "verification number", "on the back", "valid th", "valid until",
    "good th", "good until",
)  # fmt: skip
_CUE = re.compile("|".join(re.escape(cue) for cue in _CARD_CUES))
_NUMBER_WORD = "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
# Three number words in a row; numerals and punctuation between them keep the run going.
_NUMBER_RUN = re.compile(rf"(?<![a-z])(?:{_NUMBER_WORD})(?:[^a-z]+(?:{_NUMBER_WORD})(?![a-z])){{2}}")


def _may_say_card_data(lowered: str) -> bool:
    return bool(_CUE.search(lowered) or _NUMBER_RUN.search(lowered))


def _keep_last4(digits_text: str, prefix: str = "") -> str:
    digits = re.sub(r"\D", "", digits_text)
    return f"{prefix}***{digits[-4:]}" if len(digits) > 4 else f"{prefix}***"


@functools.lru_cache(maxsize=4096)  # span attributes and log lines repeat (tool names, event texts, ids)
def mask_text(text: str) -> str:
    """Mask e-mails, card/account/phone/SSN numbers in `text`, keeping at most the last four digits; remove
    card data said in words (`shared.policy.card_data`), keypad presses and credentials (header, query and
    payload fields named like one, and the values given to `register_secrets`)."""
    lowered = text.lower()
    if '"content"' in text:
        text = _SPEECH_FRAME.sub(_speech_length, text)
    text = _mask_secrets(text, lowered)
    if _may_say_card_data(lowered):
        text = redact_card_data(text).text
    if "%" in text:
        # A URL or form body carries `%2B16025550142` or `a%40b.com`: decode, and keep the decoded form only
        # when it held something to mask (plain percent signs stay as they were).
        decoded = unquote(text)
        if decoded != text:
            masked = _mask_plain(decoded)
            if masked != decoded:
                return masked
    return _mask_plain(text)


def _mask_plain(text: str) -> str:
    if not any(ch.isdigit() for ch in text) and "@" not in text:
        return text
    text = _mask_keypad(text)
    text = _EMAIL.sub(lambda m: f"***@{m.group(1)}", text)
    text = _SSN.sub("***-**-****", text)
    text = _CARD.sub(lambda m: _keep_last4(m.group(0), "card:"), text)
    text = _PHONE.sub(lambda m: _keep_last4(m.group(0), "tel:"), text)
    text = _ACCOUNT_CONTEXT.sub(
        lambda m: f"{m.group(1)}{m.group(2) or ''}{m.group(3)}{_keep_last4(m.group(4))}", text
    )
    return _LONG_DIGITS.sub(lambda m: _keep_last4(m.group(0)), text)


def mask_value(value: Any) -> Any:
    """Mask every string inside `value` (dicts, lists, tuples), leaving other types as they are."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, Mapping):
        return {key: mask_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(mask_value(item) for item in value)
    return value


_EXCEPTION_FORMATTER = logging.Formatter()

_STANDARD_RECORD_ATTRS = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", (), None)).keys() | {"message", "asctime", "taskName"}
)


def mask_record(record: logging.LogRecord) -> logging.LogRecord:
    """Mask a record in place: the formatted message (args folded in) and every `extra` field. Idempotent
    (masked text has nothing left to mask), so the factory, filters and formatters may all apply it: the
    factory runs before `extra` fields are attached, the handler filter after. A message this function
    already masked (and nobody changed since) is not masked again: a long one (a model request at DEBUG)
    costs milliseconds."""
    if record.args is not None or getattr(record, "_archer_masked", None) is not record.msg:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a bad format string must not lose the record
            message = f"{record.msg!s} {record.args!r}"
        record.msg = mask_text(message)
        record.args = None
        record._archer_masked = record.msg
    # Any formatter reuses `exc_text` when set, so tracebacks are masked for handlers we do not own too.
    if record.exc_info and not record.exc_text:
        record.exc_text = _EXCEPTION_FORMATTER.formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = mask_text(record.exc_text)
    if record.stack_info:
        record.stack_info = mask_text(record.stack_info)
    for key, value in list(vars(record).items()):
        if key not in _STANDARD_RECORD_ATTRS and not key.startswith("_"):
            setattr(record, key, mask_value(value))
    return record


class PiiMaskingFilter(logging.Filter):
    """A handler or logger filter that masks each record, `extra` fields included."""

    def filter(self, record: logging.LogRecord) -> bool:
        mask_record(record)
        return True


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {
        key: value
        for key, value in vars(record).items()
        if key not in _STANDARD_RECORD_ATTRS and not key.startswith("_")
    }


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, extras, exception — all masked."""

    def format(self, record: logging.LogRecord) -> str:
        mask_record(record)
        document: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        document.update({key: _jsonable(value) for key, value in _extras(record).items()})
        if record.exc_text:
            document["exc"] = record.exc_text
        return json.dumps(document, default=str)


class ConsoleFormatter(logging.Formatter):
    """`time level logger: message key=value ...`, masked."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        mask_record(record)
        line = super().format(record)
        extras = _extras(record)
        if extras:
            line += " " + " ".join(f"{key}={value}" for key, value in extras.items())
        return mask_text(line)


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
    except TypeError:
        return str(value)
    return value


_original_factory: Callable[..., logging.LogRecord] | None = None


def install_masking_record_factory() -> None:
    """Mask every record at creation, for every logger in the process. Safe to call more than once."""
    global _original_factory  # noqa: PLW0603 - the process-wide record factory is global by nature
    if _original_factory is not None:
        return
    _original_factory = logging.getLogRecordFactory()
    original = _original_factory

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return mask_record(original(*args, **kwargs))

    logging.setLogRecordFactory(factory)


class _LoguruToLogging:
    """A loguru sink that re-emits into `logging`, so the Line SDK's logs get the same masking and handlers."""

    def write(self, message: Any) -> None:
        record = message.record
        level = record["level"].name
        logging.getLogger(record["name"] or "loguru").log(
            logging.getLevelName(level) if isinstance(logging.getLevelName(level), int) else logging.INFO,
            record["message"],
        )


def route_loguru_to_logging(level: str = "DEBUG") -> None:
    """Send loguru's records to `logging`. At `level` and above only: below it loguru drops a record before
    formatting it (the Line SDK logs every frame of every call at INFO)."""
    try:
        from loguru import logger as loguru_logger
    except ImportError:  # loguru arrives with the Line SDK; the function app may run without it
        return
    loguru_logger.remove()
    loguru_logger.add(_LoguruToLogging(), format="{message}", level=level.upper())


def configure_logging(*, level: str = "INFO", fmt: str = "console", stream: TextIO | None = None) -> None:
    """Set up the root logger once for the process: one handler, the chosen format, masking everywhere."""
    install_masking_record_factory()
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_archer", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler._archer = True  # type: ignore[attr-defined]
    handler.setFormatter(JsonFormatter() if fmt == "json" else ConsoleFormatter())
    handler.addFilter(PiiMaskingFilter())
    root.addHandler(handler)
    root.setLevel(level.upper())
    # Libraries that bring their own handlers (uvicorn) still pass through the record factory; give their
    # handlers the filter too in case a record was made before the factory was installed.
    for name in list(logging.root.manager.loggerDict):
        existing = logging.getLogger(name)
        for library_handler in existing.handlers:
            library_handler.addFilter(PiiMaskingFilter())
    # Alembic narrates every migration context (the readiness probe opens one per request).
    logging.getLogger("alembic").setLevel(max(root.level, logging.WARNING))
    logging.captureWarnings(True)
    route_loguru_to_logging(level)


# --- Tracing and metrics (OpenTelemetry) -------------------------------------------------------------------

TRACER_NAME = "archer"
TRACEPARENT = "traceparent"

# The spans of one call's trace (docs/OPERATIONS.md, "One trace per call"). Their names are part of the
# operations contract — queries and alerts select on them — so they hold no ids: those are attributes.
SPAN_CALL_DIAL = "call.dial"  # the campaign places the call: the root of its trace
SPAN_CALL_WEBHOOK = "call.voice_webhook"  # Twilio fetches the call's TwiML (bridges it to the agent)
SPAN_AGENT_SETUP = "agent.call_setup"  # the agent host loads the call's context from its start metadata
SPAN_AGENT_TURN = "agent.turn"  # one agent turn (the call's start, a customer turn, a keypad press, the end)
SPAN_CALL_STATUS = "call.status"  # the call's final status is written (Twilio's status callback)
SPAN_CALL_DISPOSITION = "call.disposition"  # the campaign records how the attempt ended

# Span attribute values that are numbers this long are account, card or phone numbers, never counts.
_LONG_NUMBER = 10**7


def _masked_attribute(value: Any) -> Any:
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and abs(value) >= _LONG_NUMBER:
        return mask_text(str(value))
    if isinstance(value, list | tuple):
        return tuple(_masked_attribute(item) for item in value)
    return value


def mask_attributes(attributes: Mapping[str, Any] | None) -> dict[str, Any]:
    """OpenTelemetry attributes with every value masked (strings, long numbers, sequences of them)."""
    return {key: _masked_attribute(value) for key, value in (attributes or {}).items()}


def mask_span(span: ReadableSpan) -> None:
    """Mask a finished span in place: name, attributes, event names and attributes (exception messages and
    stack traces too), link attributes and the status description. Every processor after the masking one, and
    so every exporter, sees only the masked span."""
    from opentelemetry.sdk.trace import Event
    from opentelemetry.trace import Link, Status

    # ReadableSpan has no setters: the SDK builds one per ended span and hands that same object to each
    # processor in turn, so replacing its fields here is what the exporters downstream read.
    span._name = mask_text(span.name)
    span._attributes = mask_attributes(span.attributes)
    span._events = tuple(
        Event(mask_text(event.name), mask_attributes(event.attributes), event.timestamp)
        for event in span.events
    )
    span._links = tuple(Link(link.context, mask_attributes(link.attributes)) for link in span.links)
    if span.status.description:
        span._status = Status(span.status.status_code, mask_text(span.status.description))


class MaskingSpanProcessor(SpanProcessor):
    """Masks each span as it ends, before the exporters' processors see it; it must be the first processor."""

    def on_end(self, span: ReadableSpan) -> None:
        mask_span(span)


class MaskingLogRecordProcessor(LogRecordProcessor):
    """Masks the body and attributes of each OpenTelemetry log record before it is exported (the `logging`
    record factory already masked the message; `extra` fields and exception attributes are masked here)."""

    def on_emit(self, log_record: ReadWriteLogRecord) -> None:
        record = log_record.log_record
        if isinstance(record.body, str):
            record.body = mask_text(record.body)
        elif record.body is not None:
            record.body = mask_value(record.body)
        if record.attributes:
            masked = mask_attributes(record.attributes)
            for key, value in masked.items():
                record.attributes[key] = value  # type: ignore[index]  # BoundedAttributes, mutable before export

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


# How this process exports telemetry; set once by `configure_telemetry`.
_telemetry_mode: str | None = None


def telemetry_mode() -> str:
    """`azure-monitor`, `attached` (the Functions worker's provider), `console`, `exporters` (tests) or `off`."""
    return _telemetry_mode or "off"


def _prepend_span_processor(provider: TracerProvider, processor: SpanProcessor) -> None:
    # A provider set up by someone else (the Functions worker) already holds its exporter's processor; the
    # masking one has to run before it, and the SDK only appends. Its multi-processor keeps a tuple for this.
    multi = provider._active_span_processor
    with multi._lock:
        multi._span_processors = (processor, *multi._span_processors)


def _prepend_log_processor(provider: LoggerProvider, processor: LogRecordProcessor) -> None:
    multi = provider._multi_log_record_processor
    with multi._lock:
        multi._log_record_processors = (processor, *multi._log_record_processors)


def configure_telemetry(
    settings: Settings,
    *,
    service_name: str,
    span_exporter: SpanExporter | None = None,
    metric_reader: MetricReader | None = None,
    log_exporter: LogRecordExporter | None = None,
) -> str:
    """Set up tracing, metrics and OpenTelemetry logs for this process, once; return the mode chosen.

    - a tracer provider already installed (the Functions worker with PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY)
      → join it: the masking processors go first, nothing is exported twice;
    - APPLICATIONINSIGHTS_CONNECTION_STRING → `configure_azure_monitor` with the masking processors;
    - exporters passed in (tests: in-memory) or ARCHER_TELEMETRY_CONSOLE → an SDK pipeline to them;
    - otherwise OpenTelemetry's no-op API stays: spans cost next to nothing and go nowhere.
    Outbound HTTP (httpx: OpenAI; requests: Twilio) is instrumented in every mode but `off`; FastAPI apps
    through `instrument_fastapi`, database engines through `instrument_engine` (`build_runtime` does it)."""
    global _telemetry_mode  # noqa: PLW0603 - OpenTelemetry's providers are process-wide by design
    if _telemetry_mode not in (None, "off"):  # "off" installed nothing, so a later call may still choose
        return _telemetry_mode
    from opentelemetry import trace
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider as SdkTracerProvider

    resource = Resource.create({"service.name": service_name, "service.namespace": "archer"})
    connection_string = (
        settings.applicationinsights_connection_string.get_secret_value()
        if settings.applicationinsights_connection_string
        else None
    )
    existing = trace.get_tracer_provider()
    if isinstance(existing, SdkTracerProvider):
        _attach_to_existing(existing)
        mode = "attached"
    elif connection_string:
        from azure.monitor.opentelemetry import configure_azure_monitor

        configure_azure_monitor(
            connection_string=connection_string,
            resource=resource,
            logger_name="",
            span_processors=[MaskingSpanProcessor()],
            log_record_processors=[MaskingLogRecordProcessor()],
            # What Archer uses; Django, Flask, psycopg2 and urllib are not in this process.
            instrumentation_options={
                name: {"enabled": False} for name in ("django", "flask", "psycopg2", "urllib", "urllib3")
            },
        )
        mode = "azure-monitor"
    elif span_exporter or metric_reader or log_exporter or settings.telemetry_console:
        _configure_sdk(
            resource, span_exporter, metric_reader, log_exporter, console=settings.telemetry_console
        )
        mode = "console" if settings.telemetry_console and not span_exporter else "exporters"
    else:
        _telemetry_mode = "off"
        return _telemetry_mode
    _instrument_libraries()
    _mask_otel_logging_handlers()
    _telemetry_mode = mode
    logging.getLogger(__name__).info("telemetry: %s (service %s)", mode, service_name)
    return mode


def _attach_to_existing(provider: TracerProvider) -> None:
    from opentelemetry import _logs
    from opentelemetry.sdk._logs import LoggerProvider as SdkLoggerProvider

    _prepend_span_processor(provider, MaskingSpanProcessor())
    logger_provider = _logs.get_logger_provider()
    if isinstance(logger_provider, SdkLoggerProvider):
        _prepend_log_processor(logger_provider, MaskingLogRecordProcessor())


def _configure_sdk(
    resource: Resource,
    span_exporter: SpanExporter | None,
    metric_reader: MetricReader | None,
    log_exporter: LogRecordExporter | None,
    *,
    console: bool,
) -> None:
    from opentelemetry import _logs, metrics, trace
    from opentelemetry.instrumentation.logging.handler import LoggingHandler
    from opentelemetry.sdk._logs import LoggerProvider as SdkLoggerProvider
    from opentelemetry.sdk._logs.export import ConsoleLogRecordExporter, SimpleLogRecordProcessor
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import ConsoleMetricExporter, PeriodicExportingMetricReader
    from opentelemetry.sdk.trace import TracerProvider as SdkTracerProvider
    from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor

    tracer_provider = SdkTracerProvider(resource=resource)
    tracer_provider.add_span_processor(MaskingSpanProcessor())
    span_exporter = span_exporter or (ConsoleSpanExporter() if console else None)
    if span_exporter is not None:
        tracer_provider.add_span_processor(SimpleSpanProcessor(span_exporter))
    trace.set_tracer_provider(tracer_provider)

    readers: list[MetricReader] = []
    if metric_reader is not None:
        readers.append(metric_reader)
    elif console:
        readers.append(PeriodicExportingMetricReader(ConsoleMetricExporter()))
    metrics.set_meter_provider(MeterProvider(resource=resource, metric_readers=readers))

    log_exporter = log_exporter or (ConsoleLogRecordExporter() if console else None)
    if log_exporter is not None:
        logger_provider = SdkLoggerProvider(resource=resource)
        logger_provider.add_log_record_processor(MaskingLogRecordProcessor())
        logger_provider.add_log_record_processor(SimpleLogRecordProcessor(log_exporter))
        _logs.set_logger_provider(logger_provider)
        logging.getLogger().addHandler(LoggingHandler(logger_provider=logger_provider))


def _instrument_libraries() -> None:
    """Outbound HTTP: httpx (the OpenAI client, LiteLLM) and requests (the Twilio client). Azure Monitor's
    distro already did both; instrumenting twice is a no-op."""
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.requests import RequestsInstrumentor

    for instrumentor in (HTTPXClientInstrumentor(), RequestsInstrumentor()):
        if not instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.instrument()


def instrument_engine(engine: Any) -> None:
    """Client spans for each statement an engine runs (and its pool metrics), when telemetry is on.

    Per engine rather than `SQLAlchemyInstrumentor().instrument()`: that one also wraps the asyncio engine
    factory (which needs greenlet, absent here) and declares SQLAlchemy < 2.1, while the engine events it
    listens to are the same in 2.1 — the database-span test holds it to that on the pinned versions."""
    if _telemetry_mode in (None, "off") or getattr(engine, "_archer_traced", False):
        return
    from opentelemetry import metrics, trace
    from opentelemetry.instrumentation.sqlalchemy import __name__ as instrumentation_name
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
    from opentelemetry.instrumentation.sqlalchemy.version import __version__
    from opentelemetry.semconv.metrics import MetricInstruments

    connections = metrics.get_meter(instrumentation_name, __version__).create_up_down_counter(
        name=MetricInstruments.DB_CLIENT_CONNECTIONS_USAGE,
        unit="connections",
        description="The number of connections that are currently in state described by the state attribute.",
    )
    EngineTracer(trace.get_tracer(instrumentation_name, __version__), engine, connections)  # type: ignore[no-untyped-call]
    engine._archer_traced = True


def _mask_otel_logging_handlers() -> None:
    # The OpenTelemetry logging handler is added to the root logger after `configure_logging` gave the other
    # handlers the masking filter; records reach it with `extra` fields the record factory could not see yet.
    from opentelemetry.instrumentation.logging.handler import LoggingHandler

    for handler in logging.getLogger().handlers:
        if isinstance(handler, LoggingHandler) and not any(
            isinstance(existing, PiiMaskingFilter) for existing in handler.filters
        ):
            handler.addFilter(PiiMaskingFilter())


def instrument_fastapi(app: Any, *, excluded_urls: str = "health/live") -> None:
    """Server spans (and HTTP metrics) for each request to `app`, when telemetry is on. The trace context of
    the request's `traceparent` header is continued."""
    if _telemetry_mode in (None, "off"):
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    if not getattr(app, "_is_instrumented_by_opentelemetry", False):
        FastAPIInstrumentor.instrument_app(app, excluded_urls=excluded_urls)


def _clean_attributes(attributes: Mapping[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in attributes.items():
        if value is None:
            continue
        if isinstance(value, str | bool | int | float):
            clean[key] = value
        elif isinstance(value, list | tuple):
            clean[key] = tuple(str(item) for item in value)
        else:  # UUIDs, enums, decimals, datetimes
            clean[key] = str(getattr(value, "value", value))
    return mask_attributes(clean)


def context_from_traceparent(traceparent: str | None) -> Context | None:
    """The OpenTelemetry context a W3C `traceparent` string names (None when absent or malformed)."""
    if not traceparent:
        return None
    from opentelemetry import trace
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    context = TraceContextTextMapPropagator().extract({TRACEPARENT: traceparent})
    return context if trace.get_current_span(context).get_span_context().is_valid else None


def current_traceparent() -> str | None:
    """The W3C `traceparent` of the current span, to carry the trace across a hop that has no headers
    (Twilio → TwiML → Cartesia → the agent's start metadata; the call row → its status callback)."""
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    carrier: dict[str, str] = {}
    TraceContextTextMapPropagator().inject(carrier)
    return carrier.get(TRACEPARENT)


def traceparent_from(metadata: Mapping[str, Any] | None) -> str | None:
    """The `traceparent` a call's metadata carries (the call row's `call_metadata`, the agent's start
    metadata, TwiML parameters), or None."""
    value = (metadata or {}).get(TRACEPARENT)
    return str(value) if value else None


def context_from(metadata: Mapping[str, Any] | None) -> Context | None:
    """The OpenTelemetry context of the call whose metadata this is (None when it carries no valid
    `traceparent`): pass it as `context=` to a tracer, or use `call_span`."""
    return context_from_traceparent(traceparent_from(metadata))


def inject_traceparent(
    metadata: dict[str, Any] | None = None, *, traceparent: str | None = None
) -> dict[str, Any]:
    """`metadata` (a new dict when None) with `traceparent` set — to `traceparent` when given, else to the
    current span's — so the next hop of the call (the agent's start metadata, TwiML `<Parameter>`s, the
    call row) continues this trace. Left as it was when there is no trace to carry."""
    carried = traceparent or current_traceparent()
    target: dict[str, Any] = {} if metadata is None else metadata
    if carried:
        target[TRACEPARENT] = carried
    return target


@contextmanager
def call_span(
    name: str,
    metadata: Mapping[str, Any] | None,
    *,
    links: Sequence[str | None] = (),
    kind: SpanKind | None = None,
    **attributes: Any,
) -> Iterator[Span]:
    """A step of one call's trace: a span that continues the `traceparent` in the call's `metadata` (the
    call row's `call_metadata`), so the webhooks join the trace the campaign dial started. A call without
    one (an inbound call's first webhook) starts its own trace: store `current_traceparent()` on its row
    (and hand it on with `inject_traceparent`) for the later steps. `links`: the traceparent of the HTTP
    request that carried the step, when that is another trace (Twilio's callbacks are).

    In the Twilio routes:

        with call_span(SPAN_CALL_STATUS, call.call_metadata, links=[current_traceparent()],
                       call_id=call.id, status=status):
            ...
    """
    with span(name, parent=traceparent_from(metadata), links=links, kind=kind, **attributes) as current:
        yield current


class _SpanStream(Generic[_T]):
    """An async iterator that runs each step of `stream` with `span` as the current span, and ends the span
    when the stream ends, fails or is cancelled. Attaching the context per step (never across a `yield`)
    keeps it balanced whichever task drives the stream or closes it."""

    def __init__(self, current: Span, stream: AsyncIterator[_T]) -> None:
        self._span, self._stream, self._ended = current, stream, False

    def __aiter__(self) -> _SpanStream[_T]:
        return self

    async def __anext__(self) -> _T:
        from opentelemetry import context, trace

        token = context.attach(trace.set_span_in_context(self._span))
        try:
            return await self._stream.__anext__()
        except StopAsyncIteration:
            self._end()
            raise
        except asyncio.CancelledError:
            self._end(cancelled=True)
            raise
        except BaseException as exc:
            self._span.record_exception(exc)
            self._span.set_status(trace.Status(trace.StatusCode.ERROR, type(exc).__name__))
            self._end()
            raise
        finally:
            context.detach(token)

    async def aclose(self) -> None:
        try:
            close = getattr(self._stream, "aclose", None)
            if close is not None:
                await close()
        finally:
            self._end(cancelled=True)

    def _end(self, *, cancelled: bool = False) -> None:
        if not self._ended:
            self._ended = True
            if cancelled:
                self._span.set_attribute("cancelled", True)
            self._span.end()


def traced_stream(
    name: str, stream: AsyncIterator[_T], *, parent: str | None = None, **attributes: Any
) -> AsyncIterator[_T]:
    """`stream` inside a span `name` (child of `parent`, a traceparent, else of the current span) that is
    current while each item is produced — the agent's turns, which the Line SDK runs as async generators in
    tasks it may cancel. Attribute values are masked."""
    from opentelemetry import trace

    tracer = trace.get_tracer(TRACER_NAME)
    started = tracer.start_span(
        name, context=context_from_traceparent(parent), attributes=_clean_attributes(attributes)
    )
    return _SpanStream(started, stream)


@contextmanager
def span(
    name: str,
    *,
    parent: str | None = None,
    links: Sequence[str | None] = (),
    kind: SpanKind | None = None,
    root: bool = False,
    **attributes: Any,
) -> Iterator[Span]:
    """A span around the block, child of the current span — or of `parent` (a `traceparent` string) when
    given, which is how a call's later steps join its trace. `root=True` without a valid `parent` starts a
    new trace, linked to the current span (a call's dial: one trace per call, not one per campaign run or
    per Functions invocation). `links` are traceparents of related spans (the HTTP request that carried a
    status callback). Attribute values are masked; None values are dropped. An exception marks the span as
    failed and is re-raised."""
    from opentelemetry import trace
    from opentelemetry.context import Context

    tracer = trace.get_tracer(TRACER_NAME)
    span_links = []
    for link in links:
        link_context = context_from_traceparent(link)
        if link_context is not None:
            span_links.append(trace.Link(trace.get_current_span(link_context).get_span_context()))
    context = context_from_traceparent(parent)
    if context is None and root:
        enclosing = trace.get_current_span().get_span_context()
        if enclosing.is_valid:
            span_links.append(trace.Link(enclosing))
        context = Context()  # no parent: a new trace
    with tracer.start_as_current_span(
        name,
        context=context,
        kind=kind or trace.SpanKind.INTERNAL,
        attributes=_clean_attributes(attributes),
        links=span_links,
    ) as current:
        yield current


def set_span_attributes(**attributes: Any) -> None:
    """Add attributes (masked) to the current span, if any."""
    from opentelemetry import trace

    current = trace.get_current_span()
    if current.is_recording():
        current.set_attributes(_clean_attributes(attributes))


# Metric names, units and dimensions are part of the operations contract (docs/OPERATIONS.md: dashboards
# and alerts query them); change them only together with those docs.
METRIC_CALLS = "archer.calls"
METRIC_TOOL_DURATION = "archer.tool.duration"
METRIC_COMPLIANCE_BLOCKS = "archer.compliance.blocks"
METRIC_GUARD_INTERVENTIONS = "archer.guard.interventions"
METRIC_BRAIN_FALLBACKS = "archer.brain.fallbacks"
METRIC_CAMPAIGN_TARGETS = "archer.campaign.targets"
METRIC_CAMPAIGN_PROGRESS = "archer.campaign.progress"


class _Instruments:
    """The meters' instruments, made on first use (after `configure_telemetry`, or on the no-op meter)."""

    def __init__(self) -> None:
        from opentelemetry import metrics

        meter = metrics.get_meter(TRACER_NAME)
        self.calls = meter.create_counter(
            METRIC_CALLS, unit="{call}", description="Finished calls by outcome"
        )
        self.tool_duration = meter.create_histogram(
            METRIC_TOOL_DURATION, unit="s", description="Agent tool latency by tool and result"
        )
        self.compliance_blocks = meter.create_counter(
            METRIC_COMPLIANCE_BLOCKS, unit="{decision}", description="Calls the compliance engine refused"
        )
        self.guard_interventions = meter.create_counter(
            METRIC_GUARD_INTERVENTIONS, unit="{intervention}", description="Agent lines the output guard held"
        )
        self.brain_fallbacks = meter.create_counter(
            METRIC_BRAIN_FALLBACKS,
            unit="{call}",
            description="Calls the scripted brain took over from the model",
        )
        self.campaign_targets = meter.create_counter(
            METRIC_CAMPAIGN_TARGETS, unit="{target}", description="Campaign targets finished, by status"
        )
        self.campaign_progress = meter.create_gauge(
            METRIC_CAMPAIGN_PROGRESS, unit="%", description="Share of a campaign's targets finished"
        )


@functools.cache
def _instruments() -> _Instruments:
    return _Instruments()


def _dimensions(**dimensions: Any) -> dict[str, Any]:
    return _clean_attributes(dimensions)


def record_call_outcome(
    outcome: str | None, *, direction: str, brain: str | None = None, campaign_id: Any = None
) -> None:
    """Count one finished call by outcome (`none` when it ended without one)."""
    _instruments().calls.add(
        1, _dimensions(outcome=outcome or "none", direction=direction, brain=brain, campaign_id=campaign_id)
    )


def record_tool_latency(tool: str, seconds: float, *, result: str = "ok") -> None:
    """One agent tool call's latency; `result` is `ok`, `refused` or `error`."""
    _instruments().tool_duration.record(seconds, _dimensions(tool=tool, result=result))


def record_compliance_block(reason: str, *, campaign_id: Any = None) -> None:
    """A call the compliance engine did not allow (window, 7-in-7, cease, ...)."""
    _instruments().compliance_blocks.add(1, _dimensions(reason=reason, campaign_id=campaign_id))


def record_guard_intervention(reason: str, *, brain: str | None = None) -> None:
    """An agent line the output guard held back and replaced."""
    _instruments().guard_interventions.add(1, _dimensions(reason=reason, brain=brain))


def record_brain_fallback(reason: str) -> None:
    """The model failed mid-call (`timeout`, `http_500`, `http_429`, `malformed_tool_call`, `error`) and the
    scripted brain took over the rest of the call."""
    _instruments().brain_fallbacks.add(1, _dimensions(reason=reason))


def record_campaign_progress(
    campaign_id: Any, *, finished: int, total: int, status: str | None = None
) -> None:
    """A campaign's progress: the share finished (gauge), and one more target finished with `status`."""
    percent = 100.0 * finished / total if total else 100.0
    _instruments().campaign_progress.set(percent, _dimensions(campaign_id=campaign_id))
    if status is not None:
        _instruments().campaign_targets.add(1, _dimensions(campaign_id=campaign_id, status=status))


@contextmanager
def tool_call(tool: str, **attributes: Any) -> Iterator[Span]:
    """A span `tool <name>` around one agent tool call, and its latency in `archer.tool.duration`. The block
    may set `result` with `set_span_attributes(result="refused")`; an exception records `error`."""
    started = time.perf_counter()
    result = "ok"
    try:
        with span(f"tool {tool}", tool=tool, **attributes) as current:
            yield current
            recorded = getattr(current, "attributes", None) or {}
            result = str(recorded.get("result", "ok"))
    except BaseException:
        result = "error"
        raise
    finally:
        record_tool_latency(tool, time.perf_counter() - started, result=result)
