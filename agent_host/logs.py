"""The Line SDK logs through loguru, including every keypad button it receives and every utterance. Keypad
digits can be card digits and utterances carry names and addresses, so both are redacted before any sink
sees them; `quiet_sdk_logs` also raises the SDK's level for
benchmarks and busy hosts (its per-message INFO lines cost more than an agent turn)."""

from __future__ import annotations

import re
from typing import Any

from loguru import logger

_DTMF = re.compile(r"(DTMF (?:received|sent): ?)\S+")
# What was said, in the SDK's per-utterance lines (`User said: "..."`, `Agent said (uninterruptible): "..."`,
# `Ack-back "..." consumed`): names, addresses and amounts that no masking pattern recognizes. The transcript
# is kept — masked — in the database; the logs (and Application Insights) get its length only.
_SPEECH = re.compile(r'((?:said(?: \(uninterruptible\))?:|Ack-back) )"(.*)"', re.DOTALL)


def _speech_length(match: re.Match[str]) -> str:
    return f"{match.group(1)}[{len(match.group(2))} characters]"


def _redact(record: Any) -> None:
    message = record["message"]
    if "DTMF" in message:
        message = _DTMF.sub(r"\1[redacted]", message)
    if '"' in message:
        message = _SPEECH.sub(_speech_length, message)
    record["message"] = message


def install_sdk_log_redaction() -> None:
    """Redact keypad buttons in every loguru record (idempotent)."""
    logger.configure(patcher=_redact)


def quiet_sdk_logs(level: str = "WARNING") -> None:
    """Only `level` and above from the SDK, to stderr (the sink `shared.telemetry` installs stays if any)."""
    import sys

    logger.remove()
    logger.add(sys.stderr, level=level)
    install_sdk_log_redaction()
