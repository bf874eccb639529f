"""ARCHER_DATABASE_AUTH=entra: each new PostgreSQL connection signs in with a managed-identity token, fetched by
the real azure-identity client from a local stand-in for the Azure identity endpoint (the one Container Apps and
App Service expose through IDENTITY_ENDPOINT / IDENTITY_HEADER)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from shared.config import Settings
from shared.db.engine import make_engine
from shared.db.entra import POSTGRES_TOKEN_SCOPE, configure_engine_auth

CLIENT_ID = "11111111-2222-3333-4444-555555555555"
IDENTITY_HEADER = "local-identity-header"


class _IdentityEndpoint(BaseHTTPRequestHandler):
    requests: list[dict[str, object]] = []
    issued = 0

    def do_GET(self) -> None:
        query = parse_qs(urlparse(self.path).query)
        _IdentityEndpoint.requests.append({"query": query, "header": self.headers.get("X-IDENTITY-HEADER")})
        if self.headers.get("X-IDENTITY-HEADER") != IDENTITY_HEADER:
            self.send_response(401)
            self.end_headers()
            return
        _IdentityEndpoint.issued += 1
        body = json.dumps(
            {
                "access_token": f"entra-token-{_IdentityEndpoint.issued}",
                "expires_on": str(int(time.time()) + 3600),
                "resource": query["resource"][0],
                "token_type": "Bearer",
                "client_id": CLIENT_ID,
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def identity_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    _IdentityEndpoint.requests.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _IdentityEndpoint)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/msi/token"
    monkeypatch.setenv("IDENTITY_ENDPOINT", url)
    monkeypatch.setenv("IDENTITY_HEADER", IDENTITY_HEADER)
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_connections_sign_in_with_the_managed_identity_token(
    identity_endpoint: str, postgres_url: str
) -> None:
    """Every new connection gets the identity's token as its password, asked for PostgreSQL's scope and the
    configured client id; the token is cached between connections."""
    settings = Settings(
        ARCHER_DATABASE_URL=postgres_url, ARCHER_DATABASE_AUTH="entra", AZURE_CLIENT_ID=CLIENT_ID
    )
    engine = make_engine(settings.database_url)
    passwords: list[str] = []
    configure_engine_auth(engine, settings)
    event.listen(engine, "do_connect", lambda _d, _r, _a, params: passwords.append(params["password"]))
    try:
        for _ in range(2):
            with engine.connect() as connection:
                assert connection.execute(sa.text("SELECT 1")).scalar() == 1
            engine.dispose()  # the next connect opens a new DBAPI connection
    finally:
        engine.dispose()
    assert passwords == ["entra-token-1", "entra-token-1"]
    (request,) = _IdentityEndpoint.requests
    assert request["query"]["resource"] == [POSTGRES_TOKEN_SCOPE.removesuffix("/.default")]  # type: ignore[index]
    assert request["query"]["client_id"] == [CLIENT_ID]  # type: ignore[index]


def test_password_auth_and_sqlite_are_left_alone(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without ARCHER_DATABASE_AUTH=entra, or on SQLite, no token is ever asked for and the URL is used as is."""
    from shared.db import entra

    def no_tokens(_client_id: str | None) -> object:
        raise AssertionError("a token provider was set up")

    monkeypatch.setattr(entra, "token_provider", no_tokens)
    sqlite = Settings(ARCHER_DATABASE_URL=f"sqlite:///{tmp_path}/x.db", ARCHER_DATABASE_AUTH="entra")
    engine = make_engine(sqlite.database_url)
    configure_engine_auth(engine, sqlite)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT 1")).scalar() == 1
    engine.dispose()
    password = Settings(ARCHER_DATABASE_URL="postgresql+psycopg://u:p@127.0.0.1:5432/db")
    postgres = make_engine(password.database_url)
    configure_engine_auth(postgres, password)
    postgres.dispose()
