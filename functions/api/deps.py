"""Request dependencies, named for what they are: the runtime, a database session (committed before the
response is sent), the authenticated API key and its organization."""

from __future__ import annotations

from collections.abc import Iterator
from contextvars import ContextVar
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from shared.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_session(runtime: RuntimeDep) -> Iterator[Session]:
    """One transaction per request: committed when the route returns, rolled back when it raises."""
    with runtime.sessions() as session, session.begin():
        yield session


# scope="function": the commit happens before the response is sent, so a 2xx means the data is stored.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


# The Durable Functions client of the current invocation (the HTTP function sets it); None in the local
# server, where the in-process campaign driver stands in.
durable_client: ContextVar[Any | None] = ContextVar("durable_client", default=None)
