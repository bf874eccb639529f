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


AGENT_TOKEN = "agent-token-5be1c0d97a3f4e21"


@pytest.mark.parametrize(
    ("text", "leak"),
    [
        ("""< TEXT '{"type": "dtmf", "button": "4"}' [31 bytes]""", '"button": "4"'),
        ("""> TEXT '{"type":"dtmf","button":"7"}' [28 bytes]""", '"button":"7"'),
        ("frame dtmf button=9 received", "button=9"),
        ("-> 🧑🔔 User DTMF received: 5", "received: 5"),
        ("> X-API-Key: ak_live_6f1e2d3c4b5a", "ak_live_6f1e2d3c4b5a"),
        ("< authorization: Bearer eyJhbGciOi.payload.sig", "eyJhbGciOi"),
        ("headers=[(b'host', b'x'), (b'x-api-key', b'ak_live_999')]", "ak_live_999"),
        ("Cookie: session=abc123; theme=dark", "session=abc123"),
        ("GET /ws?token=abcdef123456&x=1 HTTP/1.1", "abcdef123456"),
        ('40{"token":"sio-token-value","auth":{"api_key":"ak_sio_1"}}', "sio-token-value"),
        ('40{"token":"sio-token-value","auth":{"api_key":"ak_sio_1"}}', "ak_sio_1"),
        ("""start frame {'metadata': {'api_key': 'ak_test_call_42'}}""", "ak_test_call_42"),
        ('Received packet MESSAGE data 0{"apiKey":"ak_live_sio_77"}', "ak_live_sio_77"),
        ("POST /chats?api_key=ak_query_1234 HTTP/1.1", "ak_query_1234"),
        (f"connecting with {AGENT_TOKEN} now", AGENT_TOKEN),
        (
            "user said my card number is four two four two four two four two four two four two four two four two",
            "four two four two",
        ),
        ("user said uh it expires twelve thirty", "twelve thirty"),
        ("the cvv is one two three", "one two three"),
        (
            """< TEXT '{"type": "message", "content": "um yeah my card...two four two four two"}' [131 bytes]""",
            "two four two",
        ),
    ],
)
def test_mask_text_removes_keypad_digits_credentials_and_spoken_card_data(text: str, leak: str) -> None:
    """Keypad digits in frames, credentials in headers, queries and payloads, a registered secret and card
    data said in words are masked in any log line."""
    from shared.telemetry import register_secrets

    register_secrets(AGENT_TOKEN)
    assert leak not in mask_text(text)


@pytest.mark.parametrize(
    "text",
    [
        "status code: 200",
        "call 3f1c2a4b-1234-4abc-8def-123456789012: scripted brain, direction outbound",
        "auth failed for organization 3f1c2a4b",
        "tool get_payment_options took 12.5 ms",
        "the customer agreed to two hundred fifty dollars on the fifteenth",
    ],
)
def test_mask_text_keeps_ordinary_lines(text: str) -> None:
    """Lines that only name a credential or say an amount or a date in words stay readable."""
    assert mask_text(text) == text


@pytest.mark.parametrize(
    "name",
    ["uvicorn.error", "uvicorn.access", "websockets.client", "websockets.server", "httpx", "httpcore.http11",
     "engineio.server", "socketio.server", "line.voice_agent_app", "LiteLLM", "litellm"],
)  # fmt: skip
def test_third_party_debug_records_are_masked(name: str) -> None:
    """At DEBUG, a library logger's frame, header and payload dumps pass through the same masking."""
    stream = io.StringIO()
    configure_logging(level="DEBUG", fmt="console", stream=stream)
    log = logging.getLogger(name)
    # Some libraries quiet themselves when imported (engineio/socketio to ERROR, LiteLLM's httpx to WARNING):
    # the point here is what reaches the handlers when they do log.
    level = log.level
    log.setLevel(logging.DEBUG)
    try:
        log.debug("< TEXT %r [31 bytes]", '{"type": "dtmf", "button": "4"}')
        log.debug("> %s: %s", "X-API-Key", "ak_live_abcdef0123")
        log.debug("request headers %s", [(b"authorization", b"Bearer sk-abcdef0123456789")])
        log.debug(
            "message %s",
            {
                "content": "my card number is four two four two four two four two four two four two four two four two"
            },
        )
    finally:
        log.setLevel(level)
        configure_logging(level="INFO", fmt="console")
    output = stream.getvalue()
    assert output.count(name) >= 4
    for leak in ('button": "4', "ak_live_abcdef0123", "sk-abcdef0123456789", "four two four two"):
        assert leak not in output, f"{leak!r} leaked through {name}"
