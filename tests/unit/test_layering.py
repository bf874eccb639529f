"""The layering rule of ARCHITECTURE.md, checked on the source: `shared/` is the core and imports neither
adapter (`agent_host`, `functions`) nor the Line SDK (`line`), so its rules run and test without a host."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"
FORBIDDEN = ("agent_host", "functions", "line")


def _imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def _forbidden(module: str) -> bool:
    return module.split(".", maxsplit=1)[0] in FORBIDDEN


def test_shared_imports_no_adapter_and_no_line_sdk() -> None:
    """No module under shared/ imports agent_host, functions or line, at any depth of the file."""
    offenders = [
        f"{path.relative_to(SHARED.parent)}: {module}"
        for path in sorted(SHARED.rglob("*.py"))
        for module in _imported_modules(path)
        if _forbidden(module)
    ]
    assert offenders == []


@pytest.mark.parametrize(
    ("source", "caught"),
    [
        ("import line", True),
        ("from line.llm_agent import FunctionTool", True),
        ("from agent_host.context import CallContext", True),
        ("import functions.api", True),
        ("def f():\n    from agent_host import tools\n", True),
        ("import linecache", False),
        ("from shared.services import functions_registry", False),
        ("from .line import x", False),
    ],
)
def test_the_check_catches_what_it_should(tmp_path: Path, source: str, caught: bool) -> None:
    """The import scan sees top-level and nested imports of the forbidden packages and nothing else."""
    module = tmp_path / "sample.py"
    module.write_text(source, encoding="utf-8")
    assert any(_forbidden(name) for name in _imported_modules(module)) is caught
