"""The GitHub workflows pass actionlint, run the test suite like .ci/run (PostgreSQL and Redis service
containers, the same environment), and deploy with OIDC only: path-filtered, in parallel, with azd."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
ACTIONLINT = Path(sys.executable).parent / "actionlint"


def _actionlint(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ACTIONLINT), "-no-color", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=REPO,
    )


def _load(name: str) -> dict:  # type: ignore[type-arg]
    document = yaml.safe_load((REPO / ".github" / "workflows" / name).read_text())
    document["on"] = document.pop(True, document.get("on"))  # YAML 1.1 reads the key `on` as True
    return document


def test_actionlint_passes_on_every_workflow() -> None:
    """actionlint finds nothing in any workflow (expressions, action inputs, job graph, runner labels)."""
    assert {path.name for path in WORKFLOWS} >= {"ci.yml", "deploy.yml"}
    result = _actionlint(*WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_catches_a_broken_workflow() -> None:
    """The same check fails on a workflow with a bad expression, an unknown input and a job without runs-on."""
    result = _actionlint(REPO / "tests" / "infra" / "fixtures" / "broken-workflow.yml")
    assert result.returncode != 0
    assert "runs-on" in result.stdout and "not-an-input" in result.stdout


def _ci_run_environment() -> dict[str, str]:
    text = (REPO / ".ci" / "run").read_text()
    return {name: value for name, value in re.findall(r'export (\w+)="\$\{\w+:-([^}]*)\}"', text)} | dict(
        re.findall(r"export (\w+)=(\d+)$", text, re.MULTILINE)
    )


def test_ci_runs_make_test_with_the_services_and_environment_of_ci_run() -> None:
    """The test job runs `make test` with PostgreSQL 15 and Redis 7 containers and the variables .ci/run sets."""
    job = _load("ci.yml")["jobs"]["test"]
    assert job["services"]["postgres"]["image"].startswith("postgres:15")
    assert job["services"]["redis"]["image"].startswith("redis:7")
    expected = _ci_run_environment()
    assert set(expected) == {"ARCHER_TEST_DATABASE_URL", "ARCHER_TEST_REDIS_URL", "ARCHER_REQUIRE_SERVICES"}
    for name, value in expected.items():
        assert str(job["env"][name]) == value, name
    assert any("make test" in str(step.get("run", "")) for step in job["steps"])
    assert "workflow_call" in _load("ci.yml")["on"]


def test_deploy_signs_in_with_oidc_and_stores_no_credentials() -> None:
    """Every deploying job asks for an OIDC token and logs in with client, tenant and subscription ids only; no
    workflow reads a secret."""
    deploy = _load("deploy.yml")
    for name in ("infra", "agent", "api", "web"):
        job = deploy["jobs"][name]
        assert job["permissions"]["id-token"] == "write", name
        (login,) = [step for step in job["steps"] if str(step.get("uses", "")).startswith("azure/login@")]
        assert set(login["with"]) == {"client-id", "tenant-id", "subscription-id"}, name
        assert any(
            "--federated-credential-provider github" in str(step.get("run", "")) for step in job["steps"]
        )
    for path in WORKFLOWS:
        assert "secrets." not in path.read_text(), f"{path.name} reads a stored secret"


def test_deploy_jobs_are_path_filtered_and_run_azd() -> None:
    """infra runs `azd provision`, the services `azd deploy <service>`, each only when its paths changed; the API
    waits for the agent job (which migrates) and nothing deploys before the tests pass."""
    deploy = _load("deploy.yml")
    jobs = deploy["jobs"]
    (step,) = [s for s in jobs["changes"]["steps"] if s.get("id") == "filter"]
    filters = yaml.safe_load(step["with"]["filters"])
    assert set(filters) == {"infra", "agent", "api", "web"}
    assert (
        "infra/**" in filters["infra"] and "shared/**" in filters["api"] and "shared/**" in filters["agent"]
    )
    commands = {name: " ".join(str(s.get("run", "")) for s in jobs[name]["steps"]) for name in filters}
    assert "azd provision" in commands["infra"]
    for service in ("agent", "api", "web"):
        assert f"azd deploy {service}" in commands[service]
        assert f"needs.changes.outputs.{service} == 'true'" in jobs[service]["if"]
    assert "agent" in jobs["api"]["needs"]
    assert "agent" not in jobs["web"]["needs"]  # the UI does not wait for the migration
    for name in ("infra", "agent", "api", "web"):
        assert "test" in jobs[name]["needs"]
