"""`archer` offers the commands of the deployables installed with it: one absent from an image (the agent image
has no dev_server) is left out, while a plugin that is present but broken still fails loudly."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest

from shared import cli


def _plugins(monkeypatch: pytest.MonkeyPatch, *values: str) -> None:
    points = [EntryPoint(name=f"p{i}", value=value, group=cli.PLUGIN_GROUP) for i, value in enumerate(values)]
    monkeypatch.setattr(cli, "entry_points", lambda group: points if group == cli.PLUGIN_GROUP else [])


def test_plugin_of_an_absent_deployable_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    """An entry point whose package is not installed contributes nothing; `archer db upgrade` still parses."""
    _plugins(monkeypatch, "absent_deployable.cli:register")
    args = cli.build_parser().parse_args(["db", "upgrade"])
    assert args.db_command == "upgrade"


def test_plugin_with_a_missing_dependency_still_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    """A present plugin that imports something missing is an install error, not a command to hide."""
    _plugins(monkeypatch, "shared.nonexistent_module_for_test:register")
    with pytest.raises(ModuleNotFoundError):
        cli.build_parser()
