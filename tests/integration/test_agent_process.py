"""`python -m agent_host` as a real process: it serves /status on PORT and conducts a call over /ws."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid

import httpx
import pytest

from agent_host.simulator import run_simulated_call
from shared.config import load_settings
from shared.db.engine import transaction
from shared.domain import CallOutcome
from shared.models.audit import Actor
from shared.models.organizations import OrganizationCreate
from shared.runtime import build_runtime
from shared.services import organizations
from tests.agent_support import BANK_SETTINGS, make_debtor
from tests.conftest import REPO_ROOT


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_python_m_agent_host_serves_calls(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The container's command: the agent host on PORT answers /status and a simulated call."""
    monkeypatch.setenv("ARCHER_DATABASE_URL", sqlite_url)
    runtime = build_runtime(load_settings())
    with transaction(runtime.sessions) as session:
        org = organizations.create_organization(
            session=session,
            org_in=OrganizationCreate(name=f"Process {uuid.uuid4().hex[:6]}", settings=BANK_SETTINGS),
            actor=Actor.cli(),
        ).organization
        organizations.install_defaults(session=session, org_id=org.id, actor=Actor.cli())
    customer = make_debtor(runtime, org.id)
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("ARCHER_")}
    env.update(
        ARCHER_ENV="test", ARCHER_DATABASE_URL=sqlite_url, PORT=str(port), HOST="127.0.0.1",
        LITELLM_LOCAL_MODEL_COST_MAP="True", ARCHER_LOG_LEVEL="WARNING",
    )  # fmt: skip
    process = subprocess.Popen([sys.executable, "-m", "agent_host"], cwd=REPO_ROOT, env=env)
    try:
        deadline, status = time.monotonic() + 60, None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/status", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert status is not None and status.status_code == 200
        result = asyncio.run(
            run_simulated_call(
                agent_url=f"http://127.0.0.1:{port}",
                persona="stop_calling",
                metadata={"organization_id": str(org.id), "customer_id": str(customer.id)},
                sessions=runtime.sessions,
            )
        )
        assert result.outcome is CallOutcome.CEASE_REQUESTED and result.findings == []
    finally:
        process.terminate()
        process.wait(timeout=20)
        asyncio.run(runtime.aclose())
