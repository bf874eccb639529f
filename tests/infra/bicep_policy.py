"""Checks over Archer's Bicep templates that run without a Bicep compiler (none installs offline): syntax with
tree-sitter-bicep, and policies over pycep-parser's JSON model of each file.

Each `check_*` takes a parsed `Template` (and, for modules, the folder) and returns violations as strings naming
the file, the resource and what is wrong; an empty list means the policy holds. The policy tests run them over
`infra/` (all must hold) and over the broken fixtures in `tests/infra/fixtures/` (each must be caught).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

# --- Parsing -------------------------------------------------------------------------------------------------


@cache
def _parser() -> Any:
    import tree_sitter
    import tree_sitter_bicep

    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_bicep.language()))


def syntax_errors(path: Path) -> list[str]:
    """Every ERROR or MISSING node tree-sitter-bicep finds, with its line and the text there."""
    tree = _parser().parse(path.read_bytes())
    problems: list[str] = []

    def walk(node: Any) -> None:
        if node.type == "ERROR" or node.is_missing:
            line, column = node.start_point
            text = node.text.decode(errors="replace")[:40].replace("\n", " ")
            kind = "missing " + node.type if node.is_missing else "syntax error"
            problems.append(f"{path.name}:{line + 1}:{column + 1}: {kind} near {text!r}")
        for child in node.children:
            walk(child)

    walk(tree.root_node)
    return problems


@dataclass
class Resource:
    symbol: str
    type: str
    api_version: str
    existing: bool
    body: dict[str, Any]  # the resource's own properties, unwrapped from `if` and `for`
    condition: Any = None
    loop: Any = None

    @property
    def properties(self) -> dict[str, Any]:
        value = self.body.get("properties")
        return value if isinstance(value, dict) else {}


@dataclass
class Template:
    path: Path
    model: dict[str, Any]
    resources: list[Resource] = field(default_factory=list)

    @property
    def parameters(self) -> dict[str, Any]:
        return dict(self.model.get("parameters") or {})

    @property
    def variables(self) -> dict[str, Any]:
        return {name: spec.get("value") for name, spec in (self.model.get("variables") or {}).items()}

    @property
    def outputs(self) -> dict[str, Any]:
        return dict(self.model.get("outputs") or {})

    @property
    def modules(self) -> dict[str, Any]:
        return dict(self.model.get("modules") or {})

    def secure_parameters(self) -> set[str]:
        return {name for name, spec in self.parameters.items() if _has_decorator(spec, "secure")}

    def resource(self, symbol: str) -> Resource | None:
        return next((r for r in self.resources if r.symbol == symbol), None)


def _has_decorator(spec: dict[str, Any], name: str) -> bool:
    return any(decorator.get("type") == name for decorator in spec.get("decorators") or [])


def _unwrap(config: dict[str, Any]) -> tuple[dict[str, Any], Any, Any]:
    condition = loop = None
    while (
        isinstance(config, dict) and "config" in config and ("condition" in config or "loop_type" in config)
    ):
        condition = config.get("condition") or condition
        loop = config.get("loop_type") or loop
        config = config["config"]
    return config, condition, loop


@cache
def parse(path: Path) -> Template:
    """pycep-parser's model of one file, with resources unwrapped from conditions and loops (cached: pycep is
    slow and the policies only read the model)."""
    from pycep import BicepParser

    model = BicepParser().parse(file_path=path)
    template = Template(path=path, model=model)
    for symbol, spec in (model.get("resources") or {}).items():
        body, condition, loop = _unwrap(spec.get("config") or {})
        template.resources.append(
            Resource(
                symbol=symbol,
                type=spec["type"],
                api_version=spec.get("api_version") or "",
                existing=bool(spec.get("existing")),
                body=body,
                condition=condition,
                loop=loop,
            )
        )
    return template


# --- Walking values ------------------------------------------------------------------------------------------

_INTERPOLATION = re.compile(r"\$\{([^}]*)\}")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def walk_values(value: Any) -> Iterator[Any]:
    """Every leaf and node of a model value (dicts, lists), depth first."""
    yield value
    if isinstance(value, dict):
        for item in value.values():
            yield from walk_values(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk_values(item)


def referenced_names(value: Any) -> set[str]:
    """Identifiers a value refers to: bare identifier strings (pycep writes references as plain strings) and the
    identifiers inside `${...}` interpolations."""
    names: set[str] = set()
    for node in walk_values(value):
        if isinstance(node, str):
            if _IDENTIFIER.fullmatch(node):
                names.add(node)
            for expression in _INTERPOLATION.findall(node):
                names.update(_IDENTIFIER.findall(expression))
    return names


_BOOLEAN_FUNCTIONS = {"empty", "length", "contains"}


def value_names(value: Any) -> set[str]:
    """Like `referenced_names`, but only where the referenced value can flow into the result: a condition of a
    `?:` or an `empty()`/`length()` test yields a boolean or a number, never the secret itself."""
    if isinstance(value, dict):
        operator = value.get("operator")
        if isinstance(operator, dict) and operator.get("type") == "conditional":
            operands = operator.get("operands") or {}
            return value_names(operands.get("true_value")) | value_names(operands.get("false_value"))
        function = value.get("function")
        if isinstance(function, dict) and function.get("type") in _BOOLEAN_FUNCTIONS:
            return set()
        names: set[str] = set()
        for item in value.values():
            names |= value_names(item)
        return names
    if isinstance(value, list):
        return set().union(*(value_names(item) for item in value)) if value else set()
    return referenced_names(value)


def calls_list_function(value: Any) -> bool:
    """Whether the value reads keys with a list*() function (listKeys, listSecrets, ...)."""
    for node in walk_values(value):
        if isinstance(node, str) and re.search(r"\blist[A-Z]\w*\(", node):
            return True
        function = node.get("function") if isinstance(node, dict) else None
        if isinstance(function, dict) and str(function.get("type", "")).startswith("list"):
            return True
    return False


def expand(value: Any, template: Template, depth: int = 0) -> Any:
    """The value with variable references replaced by the variables' values (so a rule sees through
    `properties: union(baseSettings, ...)` and `env: env`)."""
    variables = template.variables
    if (
        isinstance(value, str) and value in variables and depth < 10
    ):  # depth: variables referring to variables
        return expand(variables[value], template, depth + 1)
    if isinstance(value, dict):
        return {key: expand(item, template, depth) for key, item in value.items()}
    if isinstance(value, list):
        return [expand(item, template, depth) for item in value]
    return value


def _field(body: dict[str, Any], *path: str) -> Any:
    value: Any = body
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _where(template: Template, resource: Resource | None = None) -> str:
    return f"{template.path.name}: {resource.symbol} ({resource.type})" if resource else template.path.name


# --- Policies ------------------------------------------------------------------------------------------------


def check_tags(template: Template) -> list[str]:
    """Every resource that has a location (a tracked resource) carries tags."""
    return [
        f"{_where(template, r)} has a location but no tags"
        for r in template.resources
        if not r.existing and "location" in r.body and not r.body.get("tags")
    ]


_TLS12 = {"1.2", "1.3", "TLS1_2", "TLS1_3", "TLSv1.2", "TLSv1.3"}


def check_https_tls(template: Template) -> list[str]:
    """HTTPS only and TLS 1.2 or newer wherever a resource takes connections; no plain http:// literals."""
    problems: list[str] = []
    for r in template.resources:
        if r.existing:
            continue
        p, where = r.properties, _where(template, r)
        if r.type == "Microsoft.Storage/storageAccounts":
            if p.get("supportsHttpsTrafficOnly") is not True:
                problems.append(f"{where}: supportsHttpsTrafficOnly must be true")
            if p.get("minimumTlsVersion") not in _TLS12:
                problems.append(f"{where}: minimumTlsVersion must be TLS1_2 or newer")
        elif r.type == "Microsoft.Web/sites":
            if p.get("httpsOnly") is not True:
                problems.append(f"{where}: httpsOnly must be true")
            if _field(p, "siteConfig", "minTlsVersion") not in _TLS12:
                problems.append(f"{where}: siteConfig.minTlsVersion must be 1.2 or newer")
            if _field(p, "siteConfig", "ftpsState") not in ("Disabled", "FtpsOnly"):
                problems.append(f"{where}: siteConfig.ftpsState must be Disabled")
        elif r.type == "Microsoft.Cache/redisEnterprise":
            if p.get("minimumTlsVersion") not in _TLS12:
                problems.append(f"{where}: minimumTlsVersion must be 1.2 or newer")
        elif r.type == "Microsoft.Cache/redisEnterprise/databases":
            if p.get("clientProtocol") != "Encrypted":
                problems.append(f"{where}: clientProtocol must be Encrypted (TLS)")
        elif r.type == "Microsoft.App/containerApps":
            ingress = _field(p, "configuration", "ingress")
            if isinstance(ingress, dict) and ingress.get("allowInsecure") is not False:
                problems.append(f"{where}: ingress.allowInsecure must be false")
        elif r.type == "Microsoft.DBforPostgreSQL/flexibleServers":
            settings = {
                c.body.get("name"): _field(c.properties, "value")
                for c in template.resources
                if c.type == "Microsoft.DBforPostgreSQL/flexibleServers/configurations"
                and c.body.get("parent") == r.symbol
            }
            if settings.get("require_secure_transport") != "on":
                problems.append(f"{where}: needs configuration require_secure_transport = on")
            if settings.get("ssl_min_protocol_version") not in _TLS12:
                problems.append(f"{where}: needs configuration ssl_min_protocol_version = TLSv1.2 or newer")
    for node in walk_values(template.model):
        if isinstance(node, str) and node.startswith("http://"):
            problems.append(f"{_where(template)}: plain http URL {node!r}")
    return problems


def check_storage_locked_down(template: Template) -> list[str]:
    """No public blob access (account switch off, containers private) and no shared-key access."""
    problems: list[str] = []
    for r in template.resources:
        if r.existing:
            continue
        where = _where(template, r)
        if r.type == "Microsoft.Storage/storageAccounts":
            if r.properties.get("allowBlobPublicAccess") is not False:
                problems.append(f"{where}: allowBlobPublicAccess must be false")
            if r.properties.get("allowSharedKeyAccess") is not False:
                problems.append(f"{where}: allowSharedKeyAccess must be false")
        elif (
            r.type == "Microsoft.Storage/storageAccounts/blobServices/containers"
            and r.properties.get("publicAccess", "None") != "None"
        ):
            problems.append(f"{where}: publicAccess must be None")
    return problems


_SECRET_NAME = re.compile(
    r"(?i)(password|passwd|secret|token|apikey|api_key|accesskey|connectionstring|(?<![a-z])key$|[a-z]Key$)"
)
_REFERENCE_SUFFIX = re.compile(r"(?i)(uri|url|name|id|ids)$")


def _looks_secret(name: str) -> bool:
    return bool(_SECRET_NAME.search(name)) and not _REFERENCE_SUFFIX.search(name)


# Keys pycep uses to describe expressions (function calls, operators), as opposed to app setting names.
_MODEL_KEYS = {
    "function",
    "operator",
    "type",
    "parameters",
    "operands",
    "condition",
    "true_value",
    "false_value",
}
_MODEL_KEY_PREFIX = re.compile(r"^(arg|operand|format|item|bool|base|extra|resource|subscription|input)_")


def _app_setting_values(template: Template) -> Iterator[tuple[Resource, str, Any]]:
    """(resource, setting name, value) for function app settings and container environment variables."""
    for r in template.resources:
        if r.type == "Microsoft.Web/sites/config" and r.body.get("name") == "appsettings":
            settings = expand(r.body.get("properties"), template)
            for node in walk_values(settings):
                if isinstance(node, dict):
                    for key, value in node.items():
                        if key not in _MODEL_KEYS and not _MODEL_KEY_PREFIX.match(key):
                            yield r, key, value
        elif r.type == "Microsoft.Web/sites":
            for setting in _field(expand(r.properties, template), "siteConfig", "appSettings") or []:
                if isinstance(setting, dict):
                    yield r, str(setting.get("name")), setting.get("value")
        elif r.type in ("Microsoft.App/containerApps", "Microsoft.App/jobs"):
            containers = _field(expand(r.properties, template), "template", "containers") or []
            for node in walk_values(containers):
                if isinstance(node, dict) and "name" in node and "value" in node:
                    yield r, str(node["name"]), node["value"]


def check_secrets(template: Template) -> list[str]:
    """No secret as a plain parameter or output: secret-looking parameters are @secure(), no output carries a
    secure value or a key read with list*(), and app settings / container variables hold no secret value (a Key
    Vault reference or secretRef only)."""
    problems: list[str] = []
    secure = template.secure_parameters()
    for name in template.parameters:
        if _looks_secret(name) and name not in secure:
            problems.append(f"{_where(template)}: parameter {name!r} looks secret but is not @secure()")
    for name, spec in template.outputs.items():
        value = spec.get("value")
        if _looks_secret(name):
            problems.append(f"{_where(template)}: output {name!r} looks like a secret")
        elif value_names(expand(value, template)) & secure or calls_list_function(expand(value, template)):
            problems.append(f"{_where(template)}: output {name!r} exposes a secure value or a listed key")
    for resource, setting, value in _app_setting_values(template):
        if value_names(value) & secure or calls_list_function(value):
            problems.append(
                f"{_where(template, resource)}: setting {setting!r} holds a secret value; use a Key Vault reference"
            )
    return problems


# Compute that runs Archer's code (or serves it) and so needs an identity for what it reaches.
COMPUTE_TYPES = {
    "Microsoft.Web/sites",
    "Microsoft.App/containerApps",
    "Microsoft.App/jobs",
    "Microsoft.Web/staticSites",
}


def check_managed_identity(template: Template) -> list[str]:
    """Every compute resource runs with a managed identity."""
    problems: list[str] = []
    for r in template.resources:
        if r.existing or r.type not in COMPUTE_TYPES:
            continue
        identity_type = str(_field(r.body, "identity", "type") or "None")
        if "Assigned" not in identity_type:
            problems.append(f"{_where(template, r)}: no managed identity")
        elif "UserAssigned" in identity_type and not _field(r.body, "identity", "userAssignedIdentities"):
            problems.append(f"{_where(template, r)}: UserAssigned identity without userAssignedIdentities")
    return problems


# Resource types that offer diagnostic settings (logs and/or metrics) and so must send them to Log Analytics.
# Not listed: identities, role assignments, Key Vault secrets, databases/configurations inside a server, the
# Container Apps job (its console logs flow through the environment's setting), and Static Web Apps (no
# diagnostic-setting categories of its own).
DIAGNOSABLE_TYPES = {
    "Microsoft.OperationalInsights/workspaces",
    "Microsoft.Insights/components",
    "Microsoft.KeyVault/vaults",
    "Microsoft.Storage/storageAccounts",
    "Microsoft.Storage/storageAccounts/blobServices",
    "Microsoft.Storage/storageAccounts/queueServices",
    "Microsoft.Storage/storageAccounts/tableServices",
    "Microsoft.ContainerRegistry/registries",
    "Microsoft.DBforPostgreSQL/flexibleServers",
    "Microsoft.Cache/redisEnterprise",
    "Microsoft.Cache/redisEnterprise/databases",
    "Microsoft.Web/serverfarms",
    "Microsoft.Web/sites",
    "Microsoft.App/managedEnvironments",
    "Microsoft.App/containerApps",
}


def check_diagnostics(template: Template) -> list[str]:
    """Every resource that offers diagnostic settings has one, sending to a Log Analytics workspace."""
    settings = [r for r in template.resources if r.type == "Microsoft.Insights/diagnosticSettings"]
    problems = [
        f"{_where(template, s)}: diagnostic setting without a workspaceId"
        for s in settings
        if not s.properties.get("workspaceId")
    ]
    covered = {s.body.get("scope") for s in settings}
    for r in template.resources:
        if not r.existing and r.type in DIAGNOSABLE_TYPES and r.symbol not in covered:
            problems.append(f"{_where(template, r)}: no diagnostic setting")
    return problems


def check_role_assignment_names(template: Template) -> list[str]:
    """Role assignments are named with guid(...) of their scope, principal and role, so redeploying is idempotent."""
    problems: list[str] = []
    for r in template.resources:
        if r.type != "Microsoft.Authorization/roleAssignments" or r.existing:
            continue
        name = r.body.get("name")
        if not (isinstance(name, dict) and _field(name, "function", "type") == "guid"):
            problems.append(f"{_where(template, r)}: name must be guid(...)")
    return problems


def check_api_versions(template: Template) -> list[str]:
    """GA API versions only (diagnostic settings have no GA version; 2021-05-01-preview is the current one)."""
    return [
        f"{_where(template, r)}: preview API version {r.api_version}"
        for r in template.resources
        if "preview" in r.api_version and r.type != "Microsoft.Insights/diagnosticSettings"
    ]


def check_modules(template: Template) -> list[str]:
    """Every referenced module is a local file that exists; every parameter it requires (no default) is passed,
    and nothing it does not declare; a secure value is passed only to a @secure() parameter."""
    problems: list[str] = []
    secure = template.secure_parameters()
    for symbol, spec in template.modules.items():
        where = f"{template.path.name}: module {symbol}"
        path_text = _field(spec, "detail", "path") or _field(spec, "detail", "full") or ""
        if spec.get("type") != "local":
            problems.append(f"{where}: only local modules can be used here ({path_text})")
            continue
        module_path = (template.path.parent / path_text).resolve()
        if not module_path.is_file():
            problems.append(f"{where}: {path_text} does not exist")
            continue
        module = parse(module_path)
        body, _, _ = _unwrap(spec.get("config") or {})
        passed = body.get("params") or {}
        declared = module.parameters
        for name, param in declared.items():
            if param.get("default") is None and name not in passed:  # no default: the caller must pass it
                problems.append(f"{where}: required parameter {name!r} of {path_text} is not passed")
        for name, value in passed.items():
            if name not in declared:
                problems.append(f"{where}: {path_text} has no parameter {name!r}")
            elif value_names(expand(value, template)) & secure and name not in module.secure_parameters():
                problems.append(
                    f"{where}: secure value passed to {path_text} parameter {name!r}, not @secure()"
                )
    return problems


POLICIES: dict[str, Callable[[Template], list[str]]] = {
    "tags": check_tags,
    "https_tls": check_https_tls,
    "storage_locked_down": check_storage_locked_down,
    "secrets": check_secrets,
    "managed_identity": check_managed_identity,
    "diagnostics": check_diagnostics,
    "role_assignment_names": check_role_assignment_names,
    "api_versions": check_api_versions,
    "modules": check_modules,
}
