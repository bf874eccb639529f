"""Browser end-to-end fixtures: `archer serve` on a free loopback port against a freshly migrated and seeded
SQLite database (stopped by its PID), and Debian's Chromium driven headless by Playwright through its
executable path (a test tool's own browser download cannot work here; `scripts/install-chromium.sh` installs
the Debian package when it is missing). Screenshots and the latency report go to tests/artifacts/e2e/
(gitignored)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.asgi_server import free_port
from tests.conftest import REPO_ROOT, REQUIRE_SERVICES, TEST_REDIS_URL

CHROMIUM = Path(os.environ.get("ARCHER_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = REPO_ROOT / "tests" / "artifacts" / "e2e"
SCREENSHOTS = ARTIFACTS / "screenshots"
DEMO_KEY = "archer-local-dev-key"
# What the probe of this machine kind found Chromium needs: no sandbox as root, and no background networking
# (this machine's closed network refuses it, many connections at a time).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SEED_CUSTOMERS = 60


def _unavailable(message: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's Chromium, installed by the project's script when missing."""
    if not CHROMIUM.exists():
        result = subprocess.run(
            ["bash", str(REPO_ROOT / "scripts" / "install-chromium.sh")],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0 or not CHROMIUM.exists():
            _unavailable(f"Chromium is not installed and could not be: {result.stderr.strip()[-500:]}")
    return str(CHROMIUM)


@pytest.fixture(scope="session")
def ui_dist() -> Path:
    """The built admin UI (`make setup` builds it; built here when missing)."""
    dist = REPO_ROOT / "static_web" / "dist"
    if not (dist / "index.html").is_file():
        subprocess.run(["npm", "run", "build"], cwd=REPO_ROOT / "static_web", check=True)
    return dist


@dataclass
class Server:
    base_url: str
    database_url: str
    organization_id: str
    redis_url: str | None
    openapi_paths: frozenset[str]

    def has_route(self, path: str) -> bool:
        return path in self.openapi_paths

    def require_route(self, path: str, issue: str) -> None:
        """Skip a scenario whose endpoint has not landed yet (the report names what is missing)."""
        if not self.has_route(path):
            pytest.skip(f"needs {path} from {issue}, which is not on this branch yet")

    def require_agent(self) -> None:
        response = httpx.get(f"{self.base_url}/agent/status", timeout=5)
        if response.status_code != 200:
            pytest.skip("needs the agent at /agent/ws from issue 3, which is not on this branch yet")

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.request(
            method, f"{self.base_url}/api/v1{path}", headers={"X-API-Key": DEMO_KEY}, timeout=30, **kwargs
        )


def _environment(database_url: str, redis_url: str | None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ARCHER_")}
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"):
        env.pop(name, None)
    env.update(ARCHER_ENV="local", ARCHER_DATABASE_URL=database_url, LITELLM_LOCAL_MODEL_COST_MAP="True")
    if redis_url:
        env["ARCHER_REDIS_URL"] = redis_url
    return env


def _archer(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "shared.cli", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    if result.returncode != 0:
        raise RuntimeError(f"archer {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


@pytest.fixture(scope="session")
def archer_server(tmp_path_factory: pytest.TempPathFactory, ui_dist: Path) -> Iterator[Server]:
    """`archer serve` on a free port over a migrated, seeded SQLite file; the event bus is Redis when the
    test run has one (so the latency test can publish the way a separate agent process would)."""
    workdir = tmp_path_factory.mktemp("e2e")
    database_url = f"sqlite:///{workdir / 'archer.db'}"
    env = _environment(database_url, TEST_REDIS_URL)
    _archer(env, "db", "upgrade")
    seeded = json.loads(_archer(env, "seed", "--customers", str(SEED_CUSTOMERS), "--json"))
    port = free_port()
    log = (workdir / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "shared.cli", "serve", "--port", str(port)],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{base_url}/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"archer serve did not start: {(workdir / 'serve.log').read_text()[-2000:]}"
                )
            time.sleep(0.2)
        paths = httpx.get(f"{base_url}/api/v1/openapi.json", timeout=10).json()["paths"]
        yield Server(
            base_url=base_url,
            database_url=database_url,
            organization_id=seeded["organization_id"],
            redis_url=TEST_REDIS_URL,
            openapi_paths=frozenset(path.removeprefix("/api/v1") for path in paths),
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


@pytest.fixture(scope="module")
def playwright() -> Iterator[Any]:
    """Playwright's sync API, for one test module: while it runs, its event loop occupies this thread, so it
    must stop before the async tests of other modules run."""
    from playwright.sync_api import sync_playwright

    manager = sync_playwright().start()
    yield manager
    manager.stop()


BrowserFactory = Callable[..., Any]


@pytest.fixture
def open_browser(playwright: Any, chromium: str, tmp_path: Path) -> Iterator[BrowserFactory]:
    """Opens Chromium with a fresh --user-data-dir (Playwright's persistent context) and returns its page;
    `color_scheme` is what the OS is said to prefer."""
    contexts: list[Any] = []

    def open_page(color_scheme: str = "dark") -> Any:
        context = playwright.chromium.launch_persistent_context(
            user_data_dir=str(tmp_path / f"profile-{len(contexts)}"),
            executable_path=chromium,
            headless=True,
            args=CHROMIUM_ARGS,
            color_scheme=color_scheme,
            viewport={"width": 1440, "height": 900},
            reduced_motion="reduce",
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.pages[0] if context.pages else context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def sign_in(page: Any, server: Server, key: str = DEMO_KEY) -> None:
    server.require_route("/organization", "issue 4 (REST API)")
    page.goto(f"{server.base_url}/")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Dashboard", exact=True).wait_for()


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
