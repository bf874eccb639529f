"""Microsoft Entra sign-in to Azure Database for PostgreSQL: the password of each new connection is an access
token of the app's managed identity. azure-identity caches the token and renews it before it expires, so a
connection opened an hour later still gets a valid one; open connections are not affected by expiry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from shared.config import Settings

# The resource Azure Database for PostgreSQL accepts tokens for.
POSTGRES_TOKEN_SCOPE = "https://ossrdbms-aad.database.windows.net/.default"  # noqa: S105 - a scope, not a secret


def token_provider(client_id: str | None) -> Callable[[], str]:
    """A callable returning a current token: the user-assigned identity `client_id` (Azure sets AZURE_CLIENT_ID),
    or whatever `DefaultAzureCredential` finds (a developer's `az login`) when there is none."""
    from azure.identity import DefaultAzureCredential, ManagedIdentityCredential

    credential: Any = (
        ManagedIdentityCredential(client_id=client_id) if client_id else DefaultAzureCredential()
    )

    def token() -> str:
        return str(credential.get_token(POSTGRES_TOKEN_SCOPE).token)

    return token


def use_entra_tokens(engine: Engine, provider: Callable[[], str]) -> None:
    """Give every new DBAPI connection of `engine` a fresh token as its password."""

    @event.listens_for(engine, "do_connect")
    def _token_as_password(_dialect: Any, _record: Any, _args: Any, params: dict[str, Any]) -> None:
        params["password"] = provider()


def configure_engine_auth(engine: Engine, settings: Settings) -> None:
    """Apply `ARCHER_DATABASE_AUTH` to an engine: nothing for passwords, tokens for `entra` (PostgreSQL only)."""
    if settings.database_auth == "entra" and engine.dialect.name == "postgresql":
        use_entra_tokens(engine, token_provider(settings.azure_client_id))
