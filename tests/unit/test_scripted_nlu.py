"""The scripted brain's reading of a turn: requests with legal weight come from the one recognizer code
honours, and a yes at the end of a long run-on sentence is still a yes."""

from __future__ import annotations

from datetime import date

import pytest

from agent_host.agent.nlu import Intent, read

TODAY = date(2026, 12, 2)  # a Wednesday


@pytest.mark.parametrize(
    ("said", "intent"),
    [
        ("stop calling me", Intent.STOP_CALLING),
        ("um just take me off your list okay", Intent.STOP_CALLING),
        ("don't call this number again", Intent.STOP_CALLING),
        ("never call me again", Intent.STOP_CALLING),
        ("my lawyer is handling it", Intent.ATTORNEY),
        ("i want a real person", Intent.HUMAN),
        ("let me talk to a real person", Intent.HUMAN),
        ("can i speak to a supervisor please", Intent.HUMAN),
    ],
)
def test_requests_the_recognizer_hears_are_intents(said: str, intent: Intent) -> None:
    """A cease, an attorney or a request for a person heard by the legal-event recognizer is the intent."""
    assert read(said, TODAY).has(intent)


@pytest.mark.parametrize(
    ("said", "intent"),
    [
        ("i work nights so don't ever call me before noon okay", Intent.STOP_CALLING),
        ("and never call me on sundays that's my family day", Intent.STOP_CALLING),
        ("don't call me during work hours like nine to five i can't talk then", Intent.STOP_CALLING),
        ("honestly i can't stop worrying about this so yeah okay that works", Intent.STOP_CALLING),
        ("hold on is this even a real person", Intent.HUMAN),
        ("are you a real person", Intent.HUMAN),
        ("my supervisor said i'd get a raise next month", Intent.HUMAN),
        ("my attorney general complaint is still open", Intent.ATTORNEY),
        ("oh sorry i thought this was a wrong number yeah this is avery", Intent.WRONG_PERSON),
    ],
)
def test_look_alikes_are_not_those_intents(said: str, intent: Intent) -> None:
    """A time not to call, a question about a machine, someone's own boss and a hedge are not requests."""
    assert not read(said, TODAY).has(intent)


@pytest.mark.parametrize(
    "said",
    [
        "honestly i can't stop worrying about this so yeah okay that works",
        "i mean i'm not bankrupt yet but it's tight so yeah okay that works",
        "it's been a long week but yeah that works",
        "uh yeah okay let's do it",
    ],
)
def test_a_yes_at_the_end_of_a_run_on_sentence_is_a_yes(said: str) -> None:
    """ "... so yeah okay that works" accepts, however the sentence began."""
    reading = read(said, TODAY)
    assert reading.has(Intent.YES) and not reading.has(Intent.NO)


@pytest.mark.parametrize("said", ["no that doesn't work for me", "nah that won't work", "not right now"])
def test_a_no_is_not_read_as_yes(said: str) -> None:
    """Turning the offer down is never an acceptance."""
    assert not read(said, TODAY).has(Intent.YES)


@pytest.mark.parametrize(
    "said",
    [
        "i work nights so don't ever call me before noon okay",
        "and never call me on sundays that's my family day",
        "oh and don't call me after eight pm",
    ],
)
def test_times_not_to_call_are_noted_not_a_cease(said: str) -> None:
    """A standing time not to call reads as a noted time (code acknowledges it), never as a cease."""
    reading = read(said, TODAY)
    assert reading.has(Intent.TIME_NOTED) and not reading.has(Intent.STOP_CALLING)
