"""The payment gateway port: turn card data into a token (the only card data Archer keeps, with the last four
digits) and charge the token with an idempotency key, so a retried charge never takes money twice.

- `SandboxGateway` (embedded default): accepts the documented test card numbers only, checks Luhn and
  expiry, remembers idempotency keys, and never holds a card number past `tokenize`.
- `HttpGateway`: a Stripe-style tokenizing REST API (`POST /v1/tokens`, `POST /v1/charges` with an
  `Idempotency-Key` header), chosen when `ARCHER_PAYMENTS_GATEWAY_URL` and `ARCHER_PAYMENTS_API_KEY` are set.

Card data (`CardDetails`) goes to `tokenize` and nowhere else: it is never logged (its repr is masked), stored,
published or given to a language model."""

from __future__ import annotations

import logging
import secrets
import threading
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

import httpx

from shared.config import Settings
from shared.db.base import utcnow
from shared.domain import PaymentStatus
from shared.errors import Conflict, ExternalServiceError, InvalidInput
from shared.models.payments import CardDetails, CardToken, ChargeResult

logger = logging.getLogger(__name__)


class PaymentGateway(Protocol):
    name: str

    def tokenize(self, card: CardDetails) -> CardToken:
        """A token for `card`; InvalidInput when the card is not acceptable (bad number, expired)."""
        ...

    def charge(self, *, token: str, amount: Decimal, currency: str, idempotency_key: str) -> ChargeResult:
        """Charge `amount` to the token. The same key with the same request returns the first result."""
        ...


def luhn_valid(number: str) -> bool:
    """The card-number checksum (ISO/IEC 7812)."""
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return False
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def card_brand(number: str) -> str:
    if number.startswith("4"):
        return "visa"
    if number[:2] in {"34", "37"}:
        return "amex"
    if number[:2] in {"51", "52", "53", "54", "55"} or "2221" <= number[:4] <= "2720":
        return "mastercard"
    if number.startswith(("6011", "65")):
        return "discover"
    return "unknown"


def _check_card(card: CardDetails, today: date) -> None:
    if not luhn_valid(card.number):
        raise InvalidInput("the card number is not valid", field="card_number")
    if (card.exp_year, card.exp_month) < (today.year, today.month):
        raise InvalidInput("the card has expired", field="expiry")
    if card.security_code is not None:
        expected = 4 if card_brand(card.number) == "amex" else 3
        if len(card.security_code) != expected:
            raise InvalidInput("the security code is not valid", field="security_code")


@dataclass(frozen=True)
class _SandboxCard:
    last4: str
    brand: str
    decline_reason: str | None


class SandboxGateway:
    """The offline gateway. Test cards (any future expiry, any valid security code):

    | Number | Result |
    |---|---|
    | 4242 4242 4242 4242 | succeeds (Visa) |
    | 5555 5555 5555 4444 | succeeds (Mastercard) |
    | 3782 822463 10005 | succeeds (American Express) |
    | 4000 0000 0000 0002 | declined: card_declined |
    | 4000 0000 0000 9995 | declined: insufficient_funds |

    Any other number is refused, so a real card is never "charged" in the sandbox."""

    name = "sandbox"
    TEST_CARDS: dict[str, str | None] = {
        "4242424242424242": None,
        "5555555555554444": None,
        "378282246310005": None,
        "4000000000000002": "card_declined",
        "4000000000009995": "insufficient_funds",
    }

    def __init__(self, today: Any = None) -> None:
        self._today = today or (lambda: utcnow().date())
        self._lock = threading.Lock()
        self._tokens: dict[str, _SandboxCard] = {}
        self._charges: dict[str, tuple[str, Decimal, str, ChargeResult]] = {}

    def tokenize(self, card: CardDetails) -> CardToken:
        _check_card(card, self._today())
        if card.number not in self.TEST_CARDS:
            raise InvalidInput("the sandbox gateway accepts test card numbers only", field="card_number")
        token = "tok_sandbox_" + secrets.token_hex(12)
        stored = _SandboxCard(card.number[-4:], card_brand(card.number), self.TEST_CARDS[card.number])
        with self._lock:
            self._tokens[token] = stored
        return CardToken(token=token, last4=stored.last4, brand=stored.brand)

    def charge(self, *, token: str, amount: Decimal, currency: str, idempotency_key: str) -> ChargeResult:
        if amount <= 0:
            raise InvalidInput("the amount must be more than zero", field="amount")
        with self._lock:
            previous = self._charges.get(idempotency_key)
            if previous is not None:
                if previous[:3] != (token, amount, currency):
                    raise Conflict(
                        "this idempotency key was used for a different charge", field="idempotency_key"
                    )
                return previous[3]
            card = self._tokens.get(token)
            if card is None:
                raise InvalidInput("unknown card token", field="token")
            if card.decline_reason is not None:
                result = ChargeResult(status=PaymentStatus.DECLINED, failure_reason=card.decline_reason)
            else:
                result = ChargeResult(
                    status=PaymentStatus.SUCCEEDED, reference="ch_sandbox_" + secrets.token_hex(12)
                )
            self._charges[idempotency_key] = (token, amount, currency, result)
        return result


class HttpGateway:
    """A Stripe-style tokenizing gateway over HTTPS. Amounts go over the wire in cents."""

    name = "http"

    def __init__(
        self, base_url: str, api_key: str, *, timeout: float = 10.0, client: httpx.Client | None = None
    ):
        self._client = client or httpx.Client(
            base_url=base_url.rstrip("/"),
            timeout=timeout,
            headers={"Authorization": f"Bearer {api_key}"},
        )

    def _post(self, path: str, data: dict[str, str], headers: dict[str, str] | None = None) -> httpx.Response:
        try:
            response = self._client.post(path, data=data, headers=headers)
        except httpx.TransportError as exc:
            raise ExternalServiceError(
                f"payment gateway unreachable: {exc.__class__.__name__}",
                service="payments",
                is_transient=True,
            ) from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise ExternalServiceError(
                f"payment gateway error {response.status_code}", service="payments", is_transient=True
            )
        return response

    @staticmethod
    def _error(response: httpx.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            return {}
        error = body.get("error") if isinstance(body, dict) else None
        return error if isinstance(error, dict) else {}

    def tokenize(self, card: CardDetails) -> CardToken:
        _check_card(card, utcnow().date())
        data = {
            "card[number]": card.number,
            "card[exp_month]": str(card.exp_month),
            "card[exp_year]": str(card.exp_year),
        }
        if card.security_code:
            data["card[cvc]"] = card.security_code
        response = self._post("/v1/tokens", data)
        if response.status_code in {400, 402}:
            error = self._error(response)
            raise InvalidInput(str(error.get("message") or "the card was refused"), field="card_number")
        if response.status_code != 200:
            raise ExternalServiceError(
                f"payment gateway refused tokenization ({response.status_code})",
                service="payments",
                is_transient=False,
            )
        body = response.json()
        card_info = body.get("card") or {}
        return CardToken(
            token=str(body["id"]),
            last4=str(card_info.get("last4") or card.number[-4:]),
            brand=str(card_info.get("brand") or card_brand(card.number)).lower(),
        )

    def charge(self, *, token: str, amount: Decimal, currency: str, idempotency_key: str) -> ChargeResult:
        cents = int((amount * 100).to_integral_value())
        response = self._post(
            "/v1/charges",
            {"amount": str(cents), "currency": currency.lower(), "source": token},
            headers={"Idempotency-Key": idempotency_key},
        )
        if response.status_code == 402:
            error = self._error(response)
            return ChargeResult(
                status=PaymentStatus.DECLINED,
                failure_reason=str(error.get("decline_code") or error.get("code") or "declined"),
            )
        if response.status_code == 409:
            raise Conflict("this idempotency key was used for a different charge", field="idempotency_key")
        if response.status_code != 200:
            raise ExternalServiceError(
                f"payment gateway refused the charge ({response.status_code})",
                service="payments",
                is_transient=False,
            )
        body = response.json()
        status = PaymentStatus.SUCCEEDED if body.get("status") == "succeeded" else PaymentStatus.FAILED
        return ChargeResult(
            status=status,
            reference=str(body.get("id")) if body.get("id") else None,
            failure_reason=None
            if status is PaymentStatus.SUCCEEDED
            else str(body.get("failure_message") or "failed"),
        )

    def close(self) -> None:
        self._client.close()


def make_gateway(settings: Settings) -> PaymentGateway:
    """The HTTP gateway when it is configured, else the sandbox."""
    if settings.payments_gateway_url and settings.payments_api_key:
        return HttpGateway(settings.payments_gateway_url, settings.payments_api_key.get_secret_value())
    logger.info("payments: no gateway configured, using the embedded sandbox (test cards only)")
    return SandboxGateway()
