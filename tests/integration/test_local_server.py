"""The local one-process server: health, problem responses, the UI with its SPA fallback, and `archer serve`
as a real process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from dev_server.app import create_app
from shared.config import load_settings
from shared.runtime import build_runtime
from tests.conftest import REPO_ROOT


@pytest.fixture
def client(sqlite_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> TestClient:
    monkeypatch.setenv("ARCHER_DATABASE_URL", sqlite_url)
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "index.html").write_text("<!doctype html><title>Archer UI</title>")
    return TestClient(create_app(build_runtime(load_settings()), ui_dist=dist))


def test_health_is_ready(client: TestClient) -> None:
    """/api/v1/health checks the database and cache; /health/live only the process."""
    with client:
        ready = client.get("/api/v1/health")
        assert ready.status_code == 200
        assert ready.json()["checks"] == {"database": "ok", "cache": "ok"}
        assert client.get("/api/v1/health/live").json()["status"] == "ok"


def test_health_reports_an_unmigrated_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Readiness is 503 with the reason when the database is behind the migrations."""
    monkeypatch.setenv("ARCHER_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    with TestClient(create_app(build_runtime(load_settings()), ui_dist=tmp_path)) as client:
        response = client.get("/api/v1/health")
    assert response.status_code == 503
    assert response.json()["checks"]["database"].startswith("not migrated")


def test_unknown_api_paths_are_problems_not_the_ui(client: TestClient) -> None:
    """An unknown /api path is a problem+json 404; an unknown UI path gets the SPA's index.html."""
    with client:
        api = client.get("/api/v1/nothing-here")
        assert api.status_code == 404
        assert api.headers["content-type"] == "application/problem+json"
        assert api.json()["status"] == 404
        page = client.get("/calls/3f1c2a4b")
        assert page.status_code == 200 and "Archer UI" in page.text
        assert "Archer UI" in client.get("/").text


def test_openapi_document_is_served(client: TestClient) -> None:
    with client:
        document = client.get("/api/v1/openapi.json").json()
    assert document["info"]["title"] == "Archer API"
    assert "/api/v1/health" in document["paths"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_archer_serve_answers_health(sqlite_url: str) -> None:
    """`archer serve --port N` starts the server, which answers /api/v1/health with 200."""
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("ARCHER_")}
    env.update(ARCHER_ENV="test", ARCHER_DATABASE_URL=sqlite_url, LITELLM_LOCAL_MODEL_COST_MAP="True")
    process = subprocess.Popen(
        [sys.executable, "-m", "shared.cli", "serve", "--port", str(port)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        response = None
        while time.monotonic() < deadline:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=2)
                break
            except httpx.TransportError:
                if process.poll() is not None:
                    break
                time.sleep(0.2)
        assert response is not None, process.stdout.read().decode() if process.stdout else ""
        assert response.status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=20)
