"""Logging for both deployables: structured (JSON) or console lines, with personal and card data masked in
every record, whichever logger — ours, a library's, or the Line SDK's loguru — produced it.

Masking happens when a record is created (a `logging` record factory), so handlers added later by libraries
(uvicorn, Azure Monitor) only ever see masked text; formatters mask their output once more, which also covers
exception tracebacks. What is masked: e-mail addresses, card numbers, phone numbers, US social security
numbers, and account numbers (long digit runs, or any digits after the word "account").
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TextIO

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


def _keep_last4(digits_text: str, prefix: str = "") -> str:
    digits = re.sub(r"\D", "", digits_text)
    return f"{prefix}***{digits[-4:]}" if len(digits) > 4 else f"{prefix}***"


def mask_text(text: str) -> str:
    """Mask e-mails, card/account/phone/SSN numbers in `text`, keeping at most the last four digits."""
    if not any(ch.isdigit() for ch in text) and "@" not in text:
        return text
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
    factory runs before `extra` fields are attached, the handler filter after."""
    try:
        message = record.getMessage()
    except (TypeError, ValueError):  # a bad format string must not lose the record
        message = f"{record.msg!s} {record.args!r}"
    record.msg = mask_text(message)
    record.args = None
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


def route_loguru_to_logging() -> None:
    try:
        from loguru import logger as loguru_logger
    except ImportError:  # loguru arrives with the Line SDK; the function app may run without it
        return
    loguru_logger.remove()
    loguru_logger.add(_LoguruToLogging(), format="{message}", level="DEBUG")


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
    route_loguru_to_logging()
