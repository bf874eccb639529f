"""The UI's generated TypeScript types stay in step with the pydantic models they come from."""

from __future__ import annotations

from scripts.generate_types import OUTPUT, ROOT, collect_models, render


def test_committed_types_match_the_models() -> None:
    """static_web/src/types/api.ts is exactly what `make types` generates now (else: run `make types`)."""
    assert OUTPUT.read_text() == render(), f"{OUTPUT.relative_to(ROOT)} is stale: run `make types`"


def test_every_api_model_has_a_type() -> None:
    """Each concrete model of shared/models is exported under its own name (request variants as `XIn`)."""
    source = OUTPUT.read_text()
    assert source.startswith("// GENERATED")
    for model in collect_models():
        assert f"export interface {model.__name__} " in source, model.__name__
    assert "export type LiveEvent = " in source
