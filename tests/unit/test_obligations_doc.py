"""The compliance page of legal events stays in step with the obligation table it is generated from."""

from __future__ import annotations

from scripts.generate_obligations_doc import OUTPUT, ROOT, render
from shared.policy.legal_events import LegalEventKind


def test_committed_obligations_page_matches_the_table() -> None:
    """docs/OBLIGATIONS.md is exactly what the generator writes now (else: run it)."""
    assert OUTPUT.read_text() == render(), f"{OUTPUT.relative_to(ROOT)} is stale"


def test_every_event_has_a_row() -> None:
    """Each legal event the recognizer knows appears on the page."""
    page = OUTPUT.read_text()
    for kind in LegalEventKind:
        assert f"| `{kind.value}` |" in page, kind
