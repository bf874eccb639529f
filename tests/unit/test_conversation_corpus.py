"""The conversation corpus's loader and the generic fake model's reading of speech-recognition text: a
broken corpus file fails with the file, the conversation and the field named; the fake model hears digits,
amounts and identity factors the crude way a model would."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tests.conversations.corpus import ITEMS, CorpusError, load_corpus, load_file
from tests.conversations.fake_model import _factors, amount_heard, digits_heard

GOOD = """
- id: ok
  item: "2.cease"
  law: "FDCPA 805(c)"
  turns:
    - say: "hello"
    - keys: "4242#"
    - heard: "To confirm:"
    - hangup
  expect:
    outcome: cease_requested
"""


def _write(tmp_path: Path, text: str, name: str = "bad.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_well_formed_file_loads_with_defaults(tmp_path: Path) -> None:
    """A minimal conversation loads: both brains, outbound, the default debtor, one outcome as a list."""
    conversation = load_file(_write(tmp_path, GOOD))[0]
    assert conversation.brains == ["scripted", "llm"] and conversation.direction == "outbound"
    assert conversation.customer.last4 == "4321" and conversation.expect.outcome == ["cease_requested"]
    assert conversation.turns[-1].hangup is True and conversation.major == "2"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('say: "hello"', "say: yes"), "say"),  # YAML reads a bare yes as true: the schema refuses it
        (('say: "hello"', 'say: "Hello, Who Is This?"'), "lower case"),
        (('keys: "4242#"', 'keys: "42a2"'), "keys may only be"),
        (('item: "2.cease"', 'item: "9.cease"'), "not one of the issue's items"),
        (("outcome: cease_requested", "outcome: cease_requested\n    bogus: 1"), "bogus"),
        (('heard: "To confirm:"', 'heard: "To confirm:"\n      say: "yes"'), "exactly one of"),
        (('law: "FDCPA 805(c)"', 'law: "FDCPA 805(c)"\n  model: sulk\n  brains: [llm]'), "sulk"),
        (('law: "FDCPA 805(c)"', 'law: "FDCPA 805(c)"\n  model: leak\n  brains: [scripted]'), "llm brain"),
    ],
)
def test_a_broken_conversation_names_the_file_the_conversation_and_the_field(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    """Each schema error is reported with the file name, the conversation id and what is wrong."""
    path = _write(tmp_path, GOOD.replace(*change))
    with pytest.raises(CorpusError) as error:
        load_file(path)
    assert "bad.yaml" in str(error.value) and "ok" in str(error.value) and message in str(error.value)


def test_invalid_yaml_and_duplicate_ids_are_refused(tmp_path: Path) -> None:
    """A file that is not YAML, or two conversations with one id, fail loading with a clear message."""
    with pytest.raises(CorpusError, match="not valid YAML"):
        load_file(_write(tmp_path, "- id: [unclosed"))
    _write(tmp_path, GOOD, "a.yaml")
    _write(tmp_path, GOOD, "b.yaml")
    (tmp_path / "bad.yaml").unlink()
    with pytest.raises(CorpusError, match="used twice"):
        load_corpus(tmp_path)


def test_the_corpus_loads_and_covers_every_item() -> None:
    """The shipped corpus has at least 110 conversations, each of the issue's six items, and a law cited."""
    corpus = load_corpus()
    assert len(corpus) >= 110
    assert set(Counter(c.major for c in corpus)) == set(ITEMS)
    assert all(c.law.strip() for c in corpus)


@pytest.mark.parametrize(
    ("said", "digits"),
    [
        ("four three two one", "4321"),
        ("um it's four three two one and the zip is eight five zero zero four", "432185004"),
        ("eight five oh oh four", "85004"),
        ("oh sorry it's four three two one", "4321"),
        ("4321 and 85004", "432185004"),
        ("double five one two", "5512"),
    ],
)
def test_the_fake_model_hears_digits_in_words_and_numerals(said: str, digits: str) -> None:
    """Digit words, numerals, 'oh' between digits and 'double' are heard; 'oh' as a filler is not."""
    assert digits_heard(said) == digits


@pytest.mark.parametrize(
    ("said", "amount"),
    [
        ("could i do like a hundred dollars a month", 100),
        ("yes but settle it for fifty dollars", 50),
        ("two hundred fifty dollars", 250),
        ("i can pay $300 today", 300),
        ("i can't pay right now", None),
    ],
)
def test_the_fake_model_hears_dollar_amounts(said: str, amount: int | None) -> None:
    """Amounts said in words or digits are heard; a sentence without one yields none."""
    assert amount_heard(said) == amount


@pytest.mark.parametrize(
    ("said", "factors"),
    [
        ("the last four are four three two one", {"account_last_4": "4321"}),
        ("oh and the zip is eight five zero zero four", {"postal_code": "85004"}),
        (
            "my zip is eight five zero zero four and the last four digits are four three two one",
            {"postal_code": "85004", "account_last_4": "4321"},
        ),
        ("four three two one eight five zero zero four", {"account_last_4": "4321", "postal_code": "85004"}),
        ("i'd rather not say that over the phone", {}),
    ],
)
def test_the_fake_model_reads_factors_by_their_labels(said: str, factors: dict[str, str]) -> None:
    """The factors go where the customer put them ('the zip is ...'), else in the order asked."""
    assert _factors(said) == factors
