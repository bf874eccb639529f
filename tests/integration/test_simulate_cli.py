"""`archer simulate`: a simulated call on the seeded local database, printed for people or as JSON; bad
input is one line on stderr and a non-zero exit."""

from __future__ import annotations

import json

import pytest

from shared.cli import main


@pytest.fixture
def seeded(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("ARCHER_DATABASE_URL", sqlite_url)
    assert main(["seed", "--customers", "20"]) == 0
    return sqlite_url


def test_simulate_prints_the_transcript_outcome_and_findings(
    seeded: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A persona's call against the in-process agent host: transcript lines, the outcome, no findings."""
    capsys.readouterr()
    assert main(["simulate", "--persona", "needs_plan"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("customer Hello?")
    assert "outcome: payment_plan (expected payment_plan)" in out
    assert "compliance findings: none" in out


@pytest.mark.parametrize("persona", ["asks_for_human", "voicemail", "prompt_injection"])
def test_simulate_json(persona: str, seeded: str, capsys: pytest.CaptureFixture[str]) -> None:
    """--json prints the result document; the demo bank can transfer and leave voicemails."""
    capsys.readouterr()
    assert main(["simulate", "--persona", persona, "--tactic", "anchor_and_frame", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["outcome"] == result["expected_outcome"] and result["findings"] == []
    assert result["persona"] == persona and result["transcript"]


@pytest.mark.parametrize(
    ("arguments", "code", "message"),
    [
        (["--persona", "nobody"], 1, "unknown persona 'nobody'; choose one of: cooperative_payer"),
        (["--persona", "needs_plan", "--customer", "NOPE-1"], 1, "no customer 'NOPE-1'"),
        (["--persona", "needs_plan", "--tactic", "bogus"], 1, "no active tactic named 'bogus'"),
        (["--persona", "needs_plan", "--url", "http://127.0.0.1:9/agent"], 2, "cannot reach the agent host"),
        (["--persona", "needs_plan", "--brain", "llm"], 1, "--brain llm needs OPENAI_API_KEY"),
    ],
)
def test_simulate_refuses_bad_input_in_one_line(
    arguments: list[str], code: int, message: str, seeded: str, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["simulate", *arguments]) == code
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
