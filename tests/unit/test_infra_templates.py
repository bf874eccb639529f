"""The Bicep templates parse (tree-sitter-bicep) and meet Archer's deployment policies (over pycep-parser's model):
tags, HTTPS/TLS 1.2+, locked-down storage, secrets only @secure() or in Key Vault, managed identities, diagnostic
settings, guid role assignment names, GA API versions, and complete module wiring. Each policy is also run on a
deliberately broken fixture, which it must catch."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from tests.infra import bicep_policy

REPO = Path(__file__).resolve().parents[2]
INFRA = REPO / "infra"
FIXTURES = REPO / "tests" / "infra" / "fixtures"
TEMPLATES = sorted(INFRA.rglob("*.bicep"))


def test_templates_exist() -> None:
    """main.bicep and its modules are all found (a policy over no files would prove nothing)."""
    names = {path.relative_to(INFRA).as_posix() for path in TEMPLATES}
    assert "main.bicep" in names
    assert len([name for name in names if name.startswith("modules/")]) >= 10


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.relative_to(INFRA).as_posix())
def test_template_parses_without_error_nodes(path: Path) -> None:
    """Every template parses with tree-sitter-bicep with no ERROR or MISSING node, and pycep-parser reads it."""
    assert bicep_policy.syntax_errors(path) == []
    assert bicep_policy.parse(path).model


@pytest.mark.parametrize("policy", sorted(bicep_policy.POLICIES))
def test_policy_holds_for_every_template(policy: str) -> None:
    """The policy finds nothing to object to in any template under infra/."""
    check = bicep_policy.POLICIES[policy]
    violations = [violation for path in TEMPLATES for violation in check(bicep_policy.parse(path))]
    assert violations == []


def test_syntax_check_catches_a_broken_template() -> None:
    """A template with an unclosed object is reported with its line."""
    problems = bicep_policy.syntax_errors(FIXTURES / "syntax.bicep")
    assert problems and problems[0].startswith("syntax.bicep:")


EXPECTED_CATCHES = {
    "tags": ["has a location but no tags"],
    "https_tls": [
        "httpsOnly must be true",
        "minTlsVersion must be 1.2",
        "ftpsState must be Disabled",
        "plain http URL",
    ],
    "storage_locked_down": ["allowBlobPublicAccess must be false", "allowSharedKeyAccess must be false"],
    "secrets": [
        "parameter 'adminPassword' looks secret but is not @secure()",
        "output 'storageKey' looks like a secret",
        "setting 'TWILIO_AUTH_TOKEN' holds a secret value",
    ],
    "managed_identity": ["no managed identity"],
    "diagnostics": ["no diagnostic setting"],
    "role_assignment_names": ["name must be guid(...)"],
    "api_versions": ["preview API version"],
    "modules": [
        "nowhere.bicep does not exist",
        "required parameter 'required'",
        "has no parameter 'unknown'",
        "secure value passed",
        "only local modules",
    ],
}


def test_every_policy_has_a_broken_fixture() -> None:
    """No policy goes without a fixture proving it can fail."""
    assert set(EXPECTED_CATCHES) == set(bicep_policy.POLICIES)


@pytest.mark.parametrize("policy", sorted(EXPECTED_CATCHES))
def test_policy_catches_its_broken_fixture(policy: str) -> None:
    """Run on a template broken on purpose, the policy reports each thing wrong with it."""
    violations = bicep_policy.POLICIES[policy](bicep_policy.parse(FIXTURES / f"{policy}.bicep"))
    text = "\n".join(violations)
    for expected in EXPECTED_CATCHES[policy]:
        assert expected in text, f"{policy} missed {expected!r}; it reported:\n{text}"


def test_parameters_file_matches_main() -> None:
    """main.parameters.json names only parameters main.bicep declares, and gives every required one (azd fills
    the ${...} values from its environment)."""
    main = bicep_policy.parse(INFRA / "main.bicep")
    values = json.loads((INFRA / "main.parameters.json").read_text())["parameters"]
    assert set(values) <= set(main.parameters)
    required = {name for name, spec in main.parameters.items() if spec.get("default") is None}
    assert required <= set(values)
    for name in main.secure_parameters():
        # A secure value never sits in the file: it comes from the azd environment (or a pipeline secret).
        assert re.fullmatch(r"\$\{[A-Z_]+=?\}", values[name]["value"]), name


def test_main_outputs_what_azd_and_the_apps_need() -> None:
    """The outputs azd reads (registry endpoint, resource group) and the URLs operators configure are there."""
    outputs = set(bicep_policy.parse(INFRA / "main.bicep").outputs)
    assert {
        "AZURE_LOCATION",
        "AZURE_TENANT_ID",
        "AZURE_RESOURCE_GROUP",
        "AZURE_CONTAINER_REGISTRY_ENDPOINT",
        "ARCHER_API_URL",
        "ARCHER_TWILIO_VOICE_URL",
        "ARCHER_TWILIO_STATUS_URL",
        "ARCHER_AGENT_URL",
        "ARCHER_AGENT_WEBSOCKET_URL",
        "ARCHER_MIGRATION_JOB_NAME",
        "ARCHER_WEB_URL",
    } <= outputs


def test_azure_yaml_declares_the_three_services() -> None:
    """azure.yaml deploys api as a function, agent as a container app (with the Dockerfile) and web as a static
    web app, from infra/main.bicep, and migrates after the agent image is deployed."""
    document = yaml.safe_load((REPO / "azure.yaml").read_text())
    services = document["services"]
    assert {name: service["host"] for name, service in services.items()} == {
        "api": "function",
        "agent": "containerapp",
        "web": "staticwebapp",
    }
    assert (REPO / services["agent"]["docker"]["path"]).is_file()
    assert (REPO / services["web"]["project"] / "package.json").is_file()
    assert document["infra"] == {"provider": "bicep", "path": "infra", "module": "main"}
    hook = services["agent"]["hooks"]["postdeploy"]["run"]
    assert (REPO / hook).is_file()
    tagged = {
        node["'azd-service-name'"]
        for path in TEMPLATES
        for resource in bicep_policy.parse(path).resources
        for node in bicep_policy.walk_values(resource.body.get("tags"))
        if isinstance(node, dict) and "'azd-service-name'" in node  # pycep keeps a quoted key's quotes
    }
    assert tagged == set(services)


def test_function_app_settings_cover_what_the_app_reads() -> None:
    """The function app gets identity-based storage for Durable Functions, the worker's OpenTelemetry switch, the
    task hub, Entra database auth, and every secret as a Key Vault reference."""
    template = bicep_policy.parse(INFRA / "modules" / "functionapp.bicep")
    settings = {name: value for _, name, value in bicep_policy._app_setting_values(template)}
    assert settings["AzureWebJobsStorage__credential"] == "managedidentity"
    assert settings["PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY"] == "true"
    assert settings["ARCHER_TASK_HUB"] == "taskHubName"
    assert settings["ARCHER_DATABASE_AUTH"] == "entra"
    for secret in ("TWILIO_AUTH_TOKEN", "ARCHER_REDIS_URL", "OPENAI_API_KEY", "CARTESIA_API_KEY"):
        assert (
            settings[secret]["function"]["parameters"]["format_string"]
            == "@Microsoft.KeyVault(SecretUri={0})"
        )
