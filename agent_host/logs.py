"""The Line SDK logs through loguru, including every keypad button it receives. Keypad digits can be card
digits, so they are redacted before any sink sees them; `quiet_sdk_logs` also raises the SDK's level for
benchmarks and busy hosts (its per-message INFO lines cost more than an agent turn)."""

from __future__ import annotations

import re
from typing import Any

from loguru import logger

_DTMF = re.compile(r"(DTMF (?:received|sent): ?)\S+")


def _redact(record: Any) -> None:
    message = record["message"]
    if "DTMF" in message:
        record["message"] = _DTMF.sub(r"\1[redacted]", message)


def install_sdk_log_redaction() -> None:
    """Redact keypad buttons in every loguru record (idempotent)."""
    logger.configure(patcher=_redact)


def quiet_sdk_logs(level: str = "WARNING") -> None:
    """Only `level` and above from the SDK, to stderr (the sink `shared.telemetry` installs stays if any)."""
    import sys

    logger.remove()
    logger.add(sys.stderr, level=level)
    install_sdk_log_redaction()
