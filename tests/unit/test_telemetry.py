"""Log masking: phone, account, card numbers and e-mail addresses never reach a log line unmasked, whichever
logger writes them."""

from __future__ import annotations

import io
import json
import logging

import pytest

from shared.telemetry import configure_logging, mask_text

PHONE = "+16025550142"
PHONE_FORMATTED = "(602) 555-0142"
CARD = "4111 1111 1111 1111"
CARD_PLAIN = "5500005555555559"
ACCOUNT = "123456789012"
EMAIL = "jordan.ashgrove@example.com"
SECRETS = (PHONE, PHONE_FORMATTED, "602-555-0142", CARD, CARD_PLAIN, ACCOUNT, EMAIL, "jordan.ashgrove@")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"calling {PHONE} now", "calling tel:***0142 now"),
        (f"phone {PHONE_FORMATTED}", "phone tel:***0142"),
        (f"card {CARD} ok", "card card:***1111 ok"),
        (f"card={CARD_PLAIN}", "card=card:***5559"),
        (f"acct {ACCOUNT}", "acct ***9012"),
        ("account number 98765", "account number ***8765"),
        (f"mail {EMAIL}", "mail ***@example.com"),
        ("ssn 123-45-6789", "ssn ***-**-****"),
        ("GET /customers?q=%2B16025550142 HTTP/1.1", "GET /customers?q=tel:***0142 HTTP/1.1"),
        ("/calls?email=jordan%40example.com", "/calls?email=***@example.com"),
    ],
)
def test_mask_text_masks_pii(text: str, expected: str) -> None:
    """Each kind of personal number is masked down to at most its last four digits."""
    assert mask_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "call CA1234567890abcdef1234567890abcd ended",
        "customer 3f1c2a4b-1234-4abc-8def-123456789012",
        "seeded 100000 rows in 12.5 s",
        "amount 1234.56 due 2026-11-25",
        "zip 85001-1234",
        "progress 50% of %2Fapi%2Fv1",
    ],
)
def test_mask_text_keeps_ids_counts_and_dates(text: str) -> None:
    """Ids, counts, amounts, dates and ZIP codes stay readable so logs remain useful."""
    assert mask_text(text) == text


def _emit_everywhere(logger_names: list[str]) -> None:
    from loguru import logger as loguru_logger

    for name in logger_names:
        log = logging.getLogger(name)
        log.warning("customer phone %s card %s", PHONE, CARD)
        log.warning(f"inline {PHONE_FORMATTED} account {ACCOUNT} mail {EMAIL}")
        log.warning("extras", extra={"phone": PHONE, "detail": {"card": CARD_PLAIN, "email": EMAIL}})
        try:
            raise ValueError(f"bad card {CARD_PLAIN} for 602-555-0142")
        except ValueError:
            log.exception("failure")
    loguru_logger.warning(f"line sdk says {PHONE} and {CARD}")
    # `warnings` reach logging through the "py.warnings" logger (configure_logging captures them).
    logging.getLogger("py.warnings").warning(f"UserWarning: warning about {EMAIL}")


@pytest.mark.parametrize("fmt", ["json", "console"])
def test_no_logger_writes_pii(fmt: str) -> None:
    """PII fed through every logger in the process (stdlib, libraries', loguru, warnings) comes out masked."""
    import line  # noqa: F401 - brings loguru-based loggers, as in the agent host
    import sqlalchemy  # noqa: F401
    import uvicorn  # noqa: F401

    stream = io.StringIO()
    configure_logging(level="DEBUG", fmt=fmt, stream=stream)
    # uvicorn's loggers write to their own handlers when it runs; give one here so that path is covered too.
    library_stream = io.StringIO()
    uvicorn_handler = logging.StreamHandler(library_stream)
    logging.getLogger("uvicorn.error").addHandler(uvicorn_handler)
    try:
        names = ["", "archer.test", "uvicorn.error", "uvicorn.access", "sqlalchemy.engine", "azure", "httpx"]
        names += list(logging.root.manager.loggerDict)
        _emit_everywhere(names)
    finally:
        logging.getLogger("uvicorn.error").removeHandler(uvicorn_handler)
        configure_logging(level="INFO", fmt="console")
    output = stream.getvalue() + library_stream.getvalue()
    assert output.count("tel:***0142") > len(names)  # the lines really were written
    for secret in SECRETS:
        assert secret not in output, f"{secret!r} leaked into the logs"
    assert "4111" not in output.replace("card:***1111", "")
    if fmt == "json":
        first = json.loads(stream.getvalue().splitlines()[0])
        assert {"ts", "level", "logger", "message"} <= first.keys()
