"""The Line SDK logs through loguru, including every keypad button it receives and every utterance. Keypad
digits can be card digits and utterances carry names, addresses and card data said aloud, so both are
redacted before any sink sees them — utterances down to their length, everything else by the one masking
every log record gets (`shared.telemetry.mask_text`: keypad presses, card data, credentials), also for
sinks that do not go through `logging` (`quiet_sdk_logs`'s stderr). `quiet_sdk_logs` also raises the SDK's
level for benchmarks and busy hosts (its per-message INFO lines cost more than an agent turn)."""

from __future__ import annotations

import re
from typing import Any

from loguru import logger

from shared.telemetry import mask_text

# What was said, in the SDK's per-utterance lines (`User said: "..."`, `Agent said (uninterruptible): "..."`,
# `Ack-back "..." consumed`): names, addresses and amounts that no masking pattern recognizes. The transcript
# is kept — masked — in the database; the logs (and Application Insights) get its length only.
_SPEECH = re.compile(r'((?:said(?: \(uninterruptible\))?:|Ack-back) )"(.*)"', re.DOTALL)


def _speech_length(match: re.Match[str]) -> str:
    return f"{match.group(1)}[{len(match.group(2))} characters]"


def _redact(record: Any) -> None:
    message = record["message"]
    if '"' in message:
        message = _SPEECH.sub(_speech_length, message)
    record["message"] = mask_text(message)


def install_sdk_log_redaction() -> None:
    """Redact utterances, keypad buttons, card data and credentials in every loguru record (idempotent)."""
    logger.configure(patcher=_redact)


def quiet_sdk_logs(level: str = "WARNING") -> None:
    """Only `level` and above from the SDK, to stderr (the sink `shared.telemetry` installs stays if any)."""
    import sys

    logger.remove()
    logger.add(sys.stderr, level=level)
    install_sdk_log_redaction()
