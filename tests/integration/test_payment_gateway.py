"""Payment gateways: the sandbox's test cards, Luhn, expiry and idempotency; the HTTP adapter against a local
fake tokenizing gateway on loopback, which records what it received."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from shared.config import load_settings
from shared.domain import PaymentStatus
from shared.errors import Conflict, ExternalServiceError, InvalidInput
from shared.integrations.payments import HttpGateway, SandboxGateway, luhn_valid, make_gateway
from shared.models.payments import CardDetails
from tests.servers import serve_in_thread

VISA = CardDetails(number="4242424242424242", exp_month=12, exp_year=2030, security_code="123")


def test_luhn() -> None:
    assert luhn_valid("4242424242424242") and luhn_valid("378282246310005")
    assert not luhn_valid("4242424242424241") and not luhn_valid("42")


def test_sandbox_tokenizes_test_cards_and_keeps_no_number() -> None:
    """A token and the last 4 come back; the card's repr never shows the number."""
    gateway = SandboxGateway(today=lambda: date(2026, 11, 25))
    token = gateway.tokenize(VISA)
    assert token.last4 == "4242" and token.brand == "visa" and token.token.startswith("tok_sandbox_")
    assert "4242424242424242" not in repr(VISA) and "123" not in str(VISA)
    assert "4242424242424242" not in repr(gateway.__dict__)


@pytest.mark.parametrize(
    ("card", "message"),
    [
        (CardDetails(number="4242424242424241", exp_month=12, exp_year=2030), "not valid"),
        (CardDetails(number="4242424242424242", exp_month=1, exp_year=2020), "expired"),
        (CardDetails(number="4111111111111111", exp_month=12, exp_year=2030), "test card numbers only"),
        (
            CardDetails(number="378282246310005", exp_month=12, exp_year=2030, security_code="123"),
            "security code",
        ),
    ],
)
def test_sandbox_refuses_bad_cards(card: CardDetails, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        SandboxGateway(today=lambda: date(2026, 11, 25)).tokenize(card)


def test_sandbox_charges_once_per_idempotency_key() -> None:
    """The same key returns the first result; the same key for another amount is a conflict."""
    gateway = SandboxGateway()
    token = gateway.tokenize(VISA).token
    first = gateway.charge(token=token, amount=Decimal("50.00"), currency="USD", idempotency_key="k1")
    again = gateway.charge(token=token, amount=Decimal("50.00"), currency="USD", idempotency_key="k1")
    assert first.status is PaymentStatus.SUCCEEDED and again == first
    with pytest.raises(Conflict):
        gateway.charge(token=token, amount=Decimal("60.00"), currency="USD", idempotency_key="k1")
    declined = gateway.tokenize(CardDetails(number="4000000000009995", exp_month=12, exp_year=2030))
    result = gateway.charge(
        token=declined.token, amount=Decimal("5.00"), currency="USD", idempotency_key="k2"
    )
    assert result.status is PaymentStatus.DECLINED and result.failure_reason == "insufficient_funds"


async def _form(request: Request) -> dict[str, str]:
    """The form-encoded body, as a plain dict."""
    return {key: values[0] for key, values in parse_qs((await request.body()).decode()).items()}


@dataclass
class FakeGateway:
    """A Stripe-style gateway: records every request, honors idempotency keys, declines card 4000...0002."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    charges: dict[str, dict[str, Any]] = field(default_factory=dict)
    fail_next: int = 0

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1/tokens")
        async def tokens(request: Request) -> JSONResponse:
            form = await _form(request)
            self.requests.append({"path": "/v1/tokens", "auth": request.headers.get("authorization"), **form})
            number = str(form["card[number]"])
            return JSONResponse(
                {"id": f"tok_fake_{len(self.requests)}", "card": {"last4": number[-4:], "brand": "Visa"}}
            )

        @app.post("/v1/charges")
        async def charges(request: Request) -> JSONResponse:
            form = await _form(request)
            key = request.headers.get("idempotency-key", "")
            self.requests.append({"path": "/v1/charges", "idempotency_key": key, **form})
            if self.fail_next:
                self.fail_next -= 1
                return JSONResponse({"error": {"message": "upstream"}}, status_code=503)
            if key in self.charges:
                return JSONResponse(self.charges[key])
            if str(form["source"]).endswith("_declined"):
                return JSONResponse(
                    {"error": {"code": "card_declined", "decline_code": "do_not_honor"}}, status_code=402
                )
            body = {
                "id": f"ch_fake_{len(self.charges) + 1}",
                "status": "succeeded",
                "amount": int(str(form["amount"])),
            }
            self.charges[key] = body
            return JSONResponse(body)

        return app


@pytest.fixture
def fake_gateway() -> Iterator[tuple[FakeGateway, str]]:
    fake = FakeGateway()
    with serve_in_thread(fake.app()) as url:
        yield fake, url


def test_http_gateway_tokenizes_and_charges_with_idempotency(fake_gateway: tuple[FakeGateway, str]) -> None:
    """The adapter sends the card only to /v1/tokens, charges in cents with the idempotency key, and a retry
    with the same key gets the same charge."""
    fake, url = fake_gateway
    gateway = HttpGateway(url, "sk_test_fake")
    token = gateway.tokenize(VISA)
    assert (token.last4, token.brand) == ("4242", "visa")
    result = gateway.charge(
        token=token.token, amount=Decimal("125.50"), currency="USD", idempotency_key="pay-1"
    )
    again = gateway.charge(
        token=token.token, amount=Decimal("125.50"), currency="USD", idempotency_key="pay-1"
    )
    assert result.status is PaymentStatus.SUCCEEDED and again.reference == result.reference
    assert fake.requests[0]["auth"] == "Bearer sk_test_fake"
    charge = fake.requests[1]
    assert (charge["amount"], charge["currency"], charge["idempotency_key"]) == ("12550", "usd", "pay-1")
    assert all("card[number]" not in request for request in fake.requests[1:])
    gateway.close()


def test_http_gateway_declines_and_transient_errors(fake_gateway: tuple[FakeGateway, str]) -> None:
    """A 402 is a declined charge; a 503 is a transient ExternalServiceError."""
    fake, url = fake_gateway
    gateway = HttpGateway(url, "sk_test_fake")
    declined = gateway.charge(
        token="tok_declined", amount=Decimal("1.00"), currency="USD", idempotency_key="d1"
    )
    assert declined.status is PaymentStatus.DECLINED and declined.failure_reason == "do_not_honor"
    fake.fail_next = 1
    with pytest.raises(ExternalServiceError) as caught:
        gateway.charge(token="tok_x", amount=Decimal("1.00"), currency="USD", idempotency_key="t1")
    assert caught.value.is_transient
    gateway.close()


def test_settings_choose_the_gateway(monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(make_gateway(load_settings()), SandboxGateway)
    monkeypatch.setenv("ARCHER_PAYMENTS_GATEWAY_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("ARCHER_PAYMENTS_API_KEY", "sk_test")
    gateway = make_gateway(load_settings())
    assert isinstance(gateway, HttpGateway)
    gateway.close()
