"""Where a customer's words and keys go in the agent host — the session's transcript, the model's history, the
stored keypad entries — card data is already gone (PCI DSS 3.3), also when it is spread over two turns."""

from __future__ import annotations

from typing import Any

import pytest
from line.events import AgentTextSent, UserTextSent, UserTurnEnded

from agent_host.agent.llm import _without_card_numbers
from agent_host.session import CallSession, CardCapture
from shared.domain import TranscriptEntryType
from shared.models.calls import TranscriptEntryCreate


class _Recorder:
    """Records entries instead of storing them."""

    def __init__(self) -> None:
        self.entries: list[TranscriptEntryCreate] = []

    def entry(self, entry: TranscriptEntryCreate, event: Any = None) -> None:
        self.entries.append(entry)


def _session() -> CallSession:
    # Only the recording and redaction paths run: no runtime or call context is needed.
    return CallSession(runtime=None, context=None, recorder=_Recorder())  # type: ignore[arg-type]


def _turn(text: str) -> list[Any]:
    said = UserTextSent(content=text)
    return [said, UserTurnEnded(content=[said])]


def _model_sees(*turns: str, expecting_card: bool = False) -> list[str]:
    history: list[Any] = []
    for text in turns:
        history += [*_turn(text), AgentTextSent(content="okay")]
    history.pop()  # the last customer turn is the current event
    event = history[-1].model_copy(update={"history": history})
    seen = _without_card_numbers(event, expecting_card=expecting_card)
    return [item.content for item in seen.history or [] if isinstance(item, UserTextSent)]


@pytest.mark.parametrize(
    ("turns", "removed"),
    [
        (("my card number is four two four two four two four two four two four two four two four two",), 1),
        (("um my card is four two four two four two four two", "four two four two four two four two"), 2),
        (("forty two forty two forty two forty two forty two forty two forty two forty two", "twelve thirty"), 2),
        (("yeah the card is four two four two four two four two four two four two four two four two",
          "uh one two three"), 2),
    ],
)  # fmt: skip
def test_the_model_never_sees_card_data_said_in_one_or_two_turns(
    turns: tuple[str, ...], removed: int
) -> None:
    """A card number said in one turn or split over two, and a bare expiry or code after it, are removed
    from every customer turn the model is sent."""
    seen = _model_sees(*turns)
    assert sum("removed]" in text for text in seen) == removed, seen
    assert not any("four two four two" in text or "forty two" in text for text in seen)
    assert not any("twelve thirty" in text or "one two three" in text for text in seen)


def test_the_model_still_hears_verification_answers_and_amounts() -> None:
    """Last four and ZIP, an amount and a date reach the model as said."""
    turns = (
        "four three two one and eight five zero zero four",
        "i can pay two hundred fifty dollars on the fifteenth",
    )
    assert _model_sees(*turns) == list(turns)


def test_during_card_capture_the_model_gets_no_bare_security_code() -> None:
    """While a card is being keyed, a bare security code said aloud is removed from the current turn."""
    assert _model_sees("uh it's one two three", expecting_card=True) == ["uh it's [security code removed]"]


def test_the_session_reads_an_utterance_after_card_data_as_card_details() -> None:
    """After an utterance with card data, the next one's bare expiry and code are removed and the flag says
    card data was heard; an ordinary utterance clears it."""
    session = _session()
    first = session.redact_customer_text(
        "my card number is four two four two four two four two four two four two four two four two"
    )
    assert first.found == {"card_number"} and session.card_data_heard
    second = session.redact_customer_text("twelve thirty one two three")
    assert "twelve thirty" not in second.text and session.card_data_heard
    third = session.redact_customer_text("okay what now")
    assert third.text == "okay what now" and not session.card_data_heard
    assert session.redact_customer_text("one two three").found == frozenset()


def test_a_capture_makes_bare_card_details_card_data() -> None:
    """With a card capture open, a bare security code said aloud counts as card data."""
    session = _session()
    session.capture = CardCapture(amount=1)  # type: ignore[arg-type]
    assert session.redact_customer_text("it's four five six").found == {"security_code"}


@pytest.mark.parametrize("button", ["0", "4", "9", "*", "#", "A"])
def test_every_key_pressed_is_stored_masked_in_or_out_of_capture(button: str) -> None:
    """Keypad presses are stored as "*" whether or not a card is being captured."""
    session = _session()
    session.record_dtmf(button)
    session.capture = CardCapture(amount=1)  # type: ignore[arg-type]
    session.record_dtmf(button)
    assert [entry.text for entry in session.recorder.entries] == ["*", "*"]  # type: ignore[attr-defined]


def test_no_writer_can_store_raw_keypad_digits() -> None:
    """A keypad entry built anywhere is masked by its schema before it can be stored."""
    entry = TranscriptEntryCreate(entry_type=TranscriptEntryType.DTMF, text="4242424242424242#")
    assert entry.text == "*" * 17
