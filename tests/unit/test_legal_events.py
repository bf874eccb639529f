"""Legal events in what people say on the phone (as speech recognition writes it), and the obligation table.

Inputs follow the law's categories (FDCPA 805/807/809, Regulation F 1006.6/1006.14/1006.34, TCPA, state
recording-consent laws) and how callers talk: lower case, no punctuation, numbers as words, fillers, false
starts, run-on sentences."""

from __future__ import annotations

import json
import string
from datetime import date
from typing import Any

import pytest

from shared.policy.compliance import parse_stated_time
from shared.policy.disclosure import debt_terms, mentions_money
from shared.policy.legal_events import (
    OBLIGATIONS,
    THIRD_PARTY_SAFE,
    Continuation,
    LegalEvent,
    LegalEventKind,
    Topic,
    obligation_for,
    recognize,
)

K = LegalEventKind
WEDNESDAY = date(2026, 12, 2)
SUNDAY = date(2026, 12, 6)
EVERY_DAY = list(range(7))


def kinds(text: str, today: date = WEDNESDAY) -> set[LegalEventKind]:
    return {event.kind for event in recognize(text, today=today)}


def details(text: str, kind: LegalEventKind, today: date = WEDNESDAY) -> dict[str, Any]:
    for event in recognize(text, today=today):
        if event.kind is kind:
            return dict(event.details)
    raise AssertionError(f"{kind} not recognized in {text!r}: {recognize(text, today=today)}")


# --- Positives: each utterance carries at least these kinds --------------------------------------------------

POSITIVES: list[tuple[str, set[LegalEventKind]]] = [
    # Cease (FDCPA 805(c))
    ("stop calling me", {K.CEASE}),
    ("um please just stop calling me okay", {K.CEASE}),
    ("leave me alone", {K.CEASE}),
    ("dont contact me again", {K.CEASE}),
    ("i dont want you people calling me anymore", {K.CEASE}),
    ("don't ever call me again", {K.CEASE}),
    ("quit calling me i'm so tired of this", {K.CEASE}),
    ("take me off your list", {K.CEASE}),
    ("uh this is a cease and desist", {K.CEASE}),
    ("stop harassing me every single day", {K.CEASE}),
    ("no more calls", {K.CEASE}),
    ("i want these calls to stop", {K.CEASE}),
    ("you know what dont call me", {K.CEASE}),
    # Cease this number
    ("don't call this number", {K.CEASE_NUMBER}),
    ("take this number off your list", {K.CEASE_NUMBER}),
    ("stop calling this number it's my work phone", {K.CEASE_NUMBER}),
    ("please do not call me on this number again", {K.CEASE_NUMBER}),
    ("uh remove this number from your system", {K.CEASE_NUMBER}),
    ("stop calling me and take this number off your list", {K.CEASE_NUMBER, K.CEASE}),
    # Cease one channel
    ("only contact me in writing", {K.CEASE_CHANNEL}),
    ("send me a letter instead", {K.CEASE_CHANNEL}),
    ("just email me instead i can't do phone calls", {K.CEASE_CHANNEL}),
    ("dont call me just send me a letter", {K.CEASE_CHANNEL}),
    ("contact me by mail only", {K.CEASE_CHANNEL}),
    # Dispute (FDCPA 809(b))
    ("this isnt my debt", {K.DISPUTE}),
    ("that's not mine i never had a card with you", {K.DISPUTE}),
    ("i don't owe this", {K.DISPUTE}),
    ("i already paid that like two months ago", {K.DISPUTE}),
    ("somebody stole my identity and opened this", {K.DISPUTE}),
    ("the amount is wrong", {K.DISPUTE}),
    ("i dont owe that much it was like three hundred dollars", {K.DISPUTE}),
    ("i dispute this", {K.DISPUTE}),
    ("i never opened an account with them", {K.DISPUTE}),
    ("i never agreed to this debt", {K.DISPUTE}),
    ("uh i don't remember this debt at all", {K.DISPUTE}),
    # Validation (FDCPA 809, Reg F 1006.34)
    ("send me proof", {K.VALIDATION_REQUEST}),
    ("i want you to validate this debt", {K.VALIDATION_REQUEST}),
    ("i want it in writing", {K.VALIDATION_REQUEST}),
    ("can you verify this debt", {K.VALIDATION_REQUEST}),
    ("prove it prove that i owe you anything", {K.VALIDATION_REQUEST}),
    ("send me a debt validation letter", {K.VALIDATION_REQUEST}),
    ("um send me the paperwork", {K.VALIDATION_REQUEST}),
    ("can you send me something in the mail", {K.VALIDATION_REQUEST}),
    ("mail me the details", {K.VALIDATION_REQUEST}),
    ("i want a copy of the contract", {K.VALIDATION_REQUEST}),
    # Attorney (FDCPA 805(a)(2))
    ("talk to my lawyer", {K.ATTORNEY}),
    ("i have an attorney", {K.ATTORNEY}),
    ("i'm represented by counsel", {K.ATTORNEY}),
    ("my attorney is handling this", {K.ATTORNEY}),
    ("my lawyer is handling it stop calling me", {K.ATTORNEY, K.CEASE}),
    ("i hired a lawyer last week", {K.ATTORNEY}),
    # Bankruptcy (11 USC 362)
    ("i filed for bankruptcy", {K.BANKRUPTCY}),
    ("we filed chapter seven in october", {K.BANKRUPTCY}),
    ("i'm in bankruptcy right now", {K.BANKRUPTCY}),
    ("uh i'm going through a chapter thirteen", {K.BANKRUPTCY}),
    ("that was included in my bankruptcy", {K.BANKRUPTCY}),
    ("talk to my bankruptcy attorney", {K.BANKRUPTCY, K.ATTORNEY}),
    ("i declared bankruptcy last year", {K.BANKRUPTCY}),
    # Deceased, told by someone else
    ("he passed away in march", {K.DECEASED}),
    ("my wife died", {K.DECEASED}),
    ("she's deceased", {K.DECEASED}),
    ("this is his wife he passed away two weeks ago", {K.DECEASED}),
    ("my husband passed away and i'm handling his estate", {K.DECEASED}),
    ("um mr johnson passed away", {K.DECEASED}),
    ("the person you're looking for died last month", {K.DECEASED}),
    ("i'm the executor of his estate", {K.DECEASED}),
    ("my mother is no longer with us", {K.DECEASED}),
    ("he's dead", {K.DECEASED}),
    # Wrong number
    ("wrong number", {K.WRONG_NUMBER}),
    ("you have the wrong number", {K.WRONG_NUMBER}),
    ("no one by that name lives here", {K.WRONG_NUMBER}),
    ("i just got this number like a month ago", {K.WRONG_NUMBER}),
    ("i don't know anybody by that name", {K.WRONG_NUMBER}),
    ("this isnt her number", {K.WRONG_NUMBER}),
    ("never heard of him", {K.WRONG_NUMBER}),
    ("nobody here by that name", {K.WRONG_NUMBER}),
    # Third party
    ("he's not home", {K.THIRD_PARTY}),
    ("this is his wife", {K.THIRD_PARTY}),
    ("she's at work right now can i take a message", {K.THIRD_PARTY}),
    ("uh he isn't here", {K.THIRD_PARTY}),
    ("uh yeah he's in the shower", {K.THIRD_PARTY}),
    ("i'm her roommate she's not around", {K.THIRD_PARTY}),
    ("he doesn't live here anymore", {K.THIRD_PARTY}),
    # Inconvenient time (FDCPA 805(a)(1))
    ("i'm at work call after six", {K.INCONVENIENT_TIME}),
    ("don't call me before noon", {K.INCONVENIENT_TIME}),
    ("not on sundays", {K.INCONVENIENT_TIME}),
    ("i work nights don't call in the morning", {K.INCONVENIENT_TIME}),
    ("this isnt a good time", {K.INCONVENIENT_TIME}),
    ("i'm driving i can't talk right now", {K.INCONVENIENT_TIME}),
    ("never call after eight pm", {K.INCONVENIENT_TIME}),
    ("don't call between nine and five", {K.INCONVENIENT_TIME}),
    ("dont call me on weekends", {K.INCONVENIENT_TIME}),
    ("i'm in the middle of dinner", {K.INCONVENIENT_TIME}),
    ("you guys need to stop calling my job", {K.INCONVENIENT_TIME}),
    ("don't call me at work", {K.INCONVENIENT_TIME}),
    ("don't call between six and nine", {K.INCONVENIENT_TIME}),
    # Recording objection (all-party consent states)
    ("i don't consent to being recorded", {K.RECORDING_OBJECTION}),
    ("stop recording", {K.RECORDING_OBJECTION}),
    ("i dont want this call recorded", {K.RECORDING_OBJECTION}),
    ("do not record me", {K.RECORDING_OBJECTION}),
    ("you don't have my permission to record this", {K.RECORDING_OBJECTION}),
    ("you can't record me without my permission", {K.RECORDING_OBJECTION}),
    # AI question
    ("am i talking to a robot", {K.AI_QUESTION}),
    ("is this a real person", {K.AI_QUESTION}),
    ("are you ai", {K.AI_QUESTION}),
    ("wait is this a recording", {K.AI_QUESTION}),
    ("are you a real human or like a computer", {K.AI_QUESTION}),
    ("you sound like a robot", {K.AI_QUESTION}),
    # Human request
    ("let me talk to a person", {K.HUMAN_REQUEST}),
    ("representative", {K.HUMAN_REQUEST}),
    ("representative representative", {K.HUMAN_REQUEST}),
    ("i want to speak to a supervisor", {K.HUMAN_REQUEST}),
    ("i want a real person", {K.HUMAN_REQUEST}),
    ("can you transfer me to someone", {K.HUMAN_REQUEST}),
    ("get me a human", {K.HUMAN_REQUEST}),
    # Hardship
    ("i lost my job last month", {K.HARDSHIP}),
    ("i got laid off in september", {K.HARDSHIP}),
    ("i'm on a fixed income", {K.HARDSHIP}),
    ("i've got medical bills piling up", {K.HARDSHIP}),
    ("i'm on disability", {K.HARDSHIP}),
    ("my dad passed away last year so money is tight", {K.HARDSHIP}),
    ("i just can't afford it right now", {K.HARDSHIP}),
    ("my hours got cut", {K.HARDSHIP}),
    ("my wife is sick and i'm taking care of her", {K.HARDSHIP}),
    ("i'm not working right now", {K.HARDSHIP}),
    # Callback request
    ("call me back tomorrow", {K.CALLBACK_REQUEST}),
    ("can you call next week", {K.CALLBACK_REQUEST}),
    ("try me again on friday", {K.CALLBACK_REQUEST}),
    ("um i'm busy call me back later", {K.CALLBACK_REQUEST, K.INCONVENIENT_TIME}),
    # Found in the conversation corpus (issue 11 triage)
    ("um we're actually in a chapter thirteen plan right now my trustee pays everybody", {K.BANKRUPTCY}),
    ("we're still in chapter thirteen", {K.BANKRUPTCY}),
    ("the chapter seven trustee has all that", {K.BANKRUPTCY}),
    ("oh um avery passed away last month i'm his daughter", {K.DECEASED}),
    ("she died in june uh this is her husband", {K.DECEASED}),
    ("hi i'm calling because my mom avery ashgrove passed away and you keep calling her phone", {K.DECEASED}),
    (
        "hold on are you recording this i'm not okay with being recorded turn that off",
        {K.RECORDING_OBJECTION},
    ),
    ("i'm not comfortable with the recording", {K.RECORDING_OBJECTION}),
    ("wait you're recording turn it off", {K.RECORDING_OBJECTION}),
    ("hold on is this even a real person", {K.AI_QUESTION}),
    ("are you even a real person", {K.AI_QUESTION}),
    ("this is the front desk at rio salado dental she can't take personal calls at work", {K.THIRD_PARTY}),
    ("uh he's not allowed to take personal calls on the shop floor this is his work", {K.THIRD_PARTY}),
    ("we don't allow personal calls here this is a business line", {K.THIRD_PARTY}),
    ("sorry no personal calls are allowed on the floor", {K.THIRD_PARTY}),
    ("he can't take calls during his shift you'll have to try his cell", {K.THIRD_PARTY}),
    ("avery passed away in may i'm her husband and money's been tight since", {K.DECEASED}),
    ("please don't call me tonight", {K.INCONVENIENT_TIME}),
]


@pytest.mark.parametrize(("said", "expected"), POSITIVES)
def test_recognizes_every_kind_in_realistic_speech(said: str, expected: set[LegalEventKind]) -> None:
    """Each utterance yields at least the legal events a person hearing it would note."""
    found = kinds(said)
    assert expected <= found, f"{said!r}: {found}"


# --- Exactness: what must NOT come along ----------------------------------------------------------------------

EXACT: list[tuple[str, set[LegalEventKind]]] = [
    ("my lawyer is handling it stop calling me", {K.ATTORNEY, K.CEASE}),
    ("is this a real person", {K.AI_QUESTION}),
    ("i want a real person", {K.HUMAN_REQUEST}),
    ("my dad passed away last year so money is tight", {K.HARDSHIP}),
    ("he passed away in march", {K.DECEASED}),
    ("this is his wife he passed away two weeks ago", {K.DECEASED}),
    ("he's not home", {K.THIRD_PARTY}),
    ("wrong number", {K.WRONG_NUMBER}),
    ("don't call this number", {K.CEASE_NUMBER}),
    ("send me a letter instead", {K.CEASE_CHANNEL}),
    ("don't call me before noon", {K.INCONVENIENT_TIME}),
    ("i want it in writing", {K.VALIDATION_REQUEST}),
    ("i work nights so don't ever call me before noon okay", {K.INCONVENIENT_TIME}),
    ("and never call me on sundays that's my family day", {K.INCONVENIENT_TIME}),
    ("don't call me during work hours like nine to five i can't talk then", {K.INCONVENIENT_TIME}),
    ("never call me in the mornings", {K.INCONVENIENT_TIME}),
    ("never call me again", {K.CEASE}),
    (
        "hold on are you recording this i'm not okay with being recorded turn that off",
        {K.RECORDING_OBJECTION},
    ),
    ("hold on is this even a real person", {K.AI_QUESTION}),
    ("let me talk to a real person", {K.HUMAN_REQUEST}),
    ("my dad died last year so money's been weird but i can pay the whole thing friday", {K.HARDSHIP}),
    ("oh um avery passed away last month i'm his daughter", {K.DECEASED}),
]


@pytest.mark.parametrize(("said", "expected"), EXACT)
def test_recognizes_exactly_and_nothing_more(said: str, expected: set[LegalEventKind]) -> None:
    """The look-alike kinds are told apart: no extra event rides along."""
    assert kinds(said) == expected


NEGATIVES: list[tuple[str, set[LegalEventKind]]] = [
    ("i'm not bankrupt yet but it's tight", {K.BANKRUPTCY}),
    ("i might have to file for bankruptcy if this keeps up", {K.BANKRUPTCY}),
    ("i'm thinking about filing bankruptcy", {K.BANKRUPTCY}),
    ("my dad passed away last year so money is tight", {K.DECEASED}),
    ("my phone almost died sorry", {K.DECEASED}),
    ("my dog died last week and i'm just a mess", {K.DECEASED}),
    ("i'll stop calling you people", {K.CEASE}),
    ("i called to stop the late fees", {K.CEASE}),
    ("my attorney general complaint is still open", {K.ATTORNEY}),
    ("i dont have a lawyer", {K.ATTORNEY}),
    ("is this a real person", {K.HUMAN_REQUEST}),
    ("i want a real person", {K.AI_QUESTION}),
    ("my supervisor said i'd get a raise", {K.HUMAN_REQUEST}),
    ("i need to talk to my wife first", {K.HUMAN_REQUEST}),
    ("yeah this is her speaking", {K.THIRD_PARTY, K.WRONG_NUMBER}),
    ("yes that's me", set(K)),
    ("okay yeah i know i owe it i just can't pay it all", {K.DISPUTE}),
    ("sure i can do fifty dollars on the fifteenth", set(K)),
    ("the last four are four three two one", set(K)),
    ("is it okay if we record the payment info", {K.RECORDING_OBJECTION}),
    ("are you recording this", {K.RECORDING_OBJECTION}),
    ("yeah go ahead", set(K)),
    ("i didn't lose my job or anything i just forgot", {K.HARDSHIP}),
    ("call me whatever you want", {K.CALLBACK_REQUEST}),
    ("you can call me anytime", {K.CEASE, K.INCONVENIENT_TIME}),
    ("my husband handles the bills he's right here", {K.DECEASED, K.THIRD_PARTY}),
    ("i got a letter from you guys", {K.CEASE_CHANNEL, K.VALIDATION_REQUEST}),
    ("hello who is this", set(K)),
    ("i have an attorney appointment tomorrow", {K.ATTORNEY}),
    ("i'm talking to a bankruptcy attorney next week", {K.BANKRUPTCY, K.ATTORNEY}),
    ("i'm sick of you people calling", {K.HARDSHIP}),
    ("you guys need to stop calling my job", {K.CEASE}),
    ("i'm gonna get a lawyer", {K.ATTORNEY}),
    ("my son is a lawyer", {K.ATTORNEY}),
    ("i'm considering bankruptcy", {K.BANKRUPTCY}),
    ("i know i owe you guys money but", {K.DISPUTE}),
    ("how much do i owe", set(K)),
    ("i'm not interested", set(K)),
    ("i don't owe you an explanation", {K.DISPUTE}),
    ("stop calling me at work", {K.CEASE}),
    ("dont call me at work", {K.CEASE, K.CALLBACK_REQUEST}),
    ("hold on he's home now", {K.THIRD_PARTY}),
    ("my brother filed for bankruptcy last year", {K.BANKRUPTCY}),
    ("the company i worked for went bankrupt", {K.BANKRUPTCY}),
    ("i almost died laughing", {K.DECEASED}),
    ("for the record i paid it on time every month", {K.RECORDING_OBJECTION}),
    ("oh sorry i thought this was a wrong number yeah this is avery", {K.WRONG_NUMBER, K.THIRD_PARTY}),
    ("i thought it was a wrong number at first", {K.WRONG_NUMBER}),
    ("honestly i can't stop worrying about this so yeah okay that works", {K.CEASE}),
    ("i mean i'm not bankrupt yet but it's tight so yeah okay that works", {K.BANKRUPTCY}),
    ("my dad died last year so money's been weird but i can pay the whole thing friday", {K.DECEASED}),
    ("don't call me during work hours like nine to five i can't talk then", {K.CEASE}),
    ("never call me on sundays that's my family day", {K.CEASE}),
    ("i work nights so don't ever call me before noon okay", {K.CEASE}),
    ("are you recording this", {K.AI_QUESTION}),
    ("hold on is this even a real person", {K.HUMAN_REQUEST}),
    ("i can't take personal calls at work so call me after five", {K.THIRD_PARTY}),
    ("my friend's phone died so i'm calling from mine", {K.DECEASED}),
    ("personal calls are allowed here just keep it short", {K.THIRD_PARTY}),
    ("he doesn't get calls here anymore he moved", {K.DECEASED}),
    ("she doesn't take calls from numbers she doesn't know", {K.THIRD_PARTY}),
]


@pytest.mark.parametrize(("said", "absent"), NEGATIVES)
def test_does_not_trigger_on_look_alikes(said: str, absent: set[LegalEventKind]) -> None:
    """Hedges, other people's news, the customer's own plans and everyday talk are not these events."""
    found = kinds(said)
    assert not (found & absent), f"{said!r}: {found & absent}"


# --- Details --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        (
            "my lawyer is john smith his number is five five five two one two three four five six",
            {"attorney_name": "John Smith", "attorney_phone": "+15552123456"},
        ),
        (
            "uh talk to my attorney her name is maria lopez you can reach her at six oh two five five five "
            "zero one nine nine",
            {"attorney_name": "Maria Lopez", "attorney_phone": "+16025550199"},
        ),
        ("my attorney's name is david cho", {"attorney_name": "David Cho"}),
        (
            "um my lawyer is handling it his name is john smith his number is six oh two five five five zero "
            "one four four",
            {"attorney_name": "John Smith", "attorney_phone": "+16025550144"},
        ),
        ("my lawyer is handling it", {}),
        (
            "i have a lawyer the number is eight hundred five five five zero one four two",
            {"attorney_phone": "+18005550142"},
        ),
    ],
)
def test_attorney_details_when_said(said: str, expected: dict[str, Any]) -> None:
    """The attorney's name and number are captured when said (the number in E.164), and only then."""
    assert details(said, K.ATTORNEY) == expected


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("we filed chapter seven", {"chapter": 7}),
        ("i'm in a chapter thirteen", {"chapter": 13}),
        ("i filed chapter eleven for my business", {"chapter": 11}),
        (
            "i filed for bankruptcy the case number is two three dash one two three four five",
            {"case_number": "23-12345"},
        ),
        (
            "um yeah i filed chapter 7 uh case number two four dash five five one oh two",
            {"chapter": 7, "case_number": "24-55102"},
        ),
        ("i filed for bankruptcy", {}),
        ("um we're actually in a chapter thirteen plan right now my trustee pays everybody", {"chapter": 13}),
    ],
)
def test_bankruptcy_details_when_said(said: str, expected: dict[str, Any]) -> None:
    """The chapter (7, 11, 13) and the case number (digits and dashes) are captured when said."""
    assert details(said, K.BANKRUPTCY) == expected


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("my wife died", {"relation": "husband"}),
        ("my husband passed away last month", {"relation": "wife"}),
        ("my mom passed away", {"relation": "child"}),
        ("this is his son he passed away", {"relation": "son"}),
        ("i'm her daughter she died in march", {"relation": "daughter"}),
        ("i'm the executor of his estate", {"relation": "executor"}),
        ("he passed away", {}),
        ("oh um avery passed away last month i'm his daughter", {"relation": "daughter"}),
        ("hi i'm calling because my mom avery ashgrove passed away", {"relation": "child"}),
        (
            "she passed away the executor is robert hill you can call him at four one five five five five "
            "zero one two three",
            {"estate_contact_name": "Robert Hill", "estate_contact_phone": "+14155550123"},
        ),
        (
            "this is his brother he died last week contact james park at two one two five five five zero "
            "one zero one",
            {
                "relation": "brother",
                "estate_contact_name": "James Park",
                "estate_contact_phone": "+12125550101",
            },
        ),
    ],
)
def test_deceased_details_when_said(said: str, expected: dict[str, Any]) -> None:
    """The speaker's relation to the customer, and the estate's contact when said."""
    assert details(said, K.DECEASED) == expected


@pytest.mark.parametrize(
    ("said", "today", "expected"),
    [
        (
            "i'm at work call after six",
            WEDNESDAY,
            {"now": True, "period": {"weekdays": EVERY_DAY, "start": "08:00", "end": "18:00"}},
        ),
        (
            "don't call me before noon",
            WEDNESDAY,
            {"now": False, "period": {"weekdays": EVERY_DAY, "start": "00:00", "end": "12:00"}},
        ),
        ("not on sundays", WEDNESDAY, {"now": False, "period": {"all_day": True, "weekdays": [6]}}),
        ("not on sundays", SUNDAY, {"now": True, "period": {"all_day": True, "weekdays": [6]}}),
        (
            "i work nights don't call in the morning",
            WEDNESDAY,
            {"now": False, "period": {"weekdays": EVERY_DAY, "start": "00:00", "end": "12:00"}},
        ),
        (
            "never call after eight pm",
            WEDNESDAY,
            {"now": False, "period": {"weekdays": EVERY_DAY, "start": "20:00", "end": "00:00"}},
        ),
        (
            "don't call between nine and five",
            WEDNESDAY,
            {"now": False, "period": {"weekdays": EVERY_DAY, "start": "09:00", "end": "17:00"}},
        ),
        (
            "don't call between six and nine",
            WEDNESDAY,
            {"now": False, "period": {"weekdays": EVERY_DAY, "start": "18:00", "end": "21:00"}},
        ),
        (
            "dont call me at work",
            WEDNESDAY,
            {"now": False, "period": {"weekdays": EVERY_DAY, "start": "08:00", "end": "17:00"}},
        ),
        (
            "dont call me on weekends",
            WEDNESDAY,
            {"now": False, "period": {"all_day": True, "weekdays": [5, 6]}},
        ),
        (
            "um don't call me before ten on weekdays",
            WEDNESDAY,
            {"now": False, "period": {"weekdays": [0, 1, 2, 3, 4], "start": "00:00", "end": "10:00"}},
        ),
        ("i'm driving i can't talk right now", WEDNESDAY, {"now": True}),
        (
            "i'm at work uh you can call after five thirty",
            WEDNESDAY,
            {"now": True, "period": {"weekdays": EVERY_DAY, "start": "08:00", "end": "17:30"}},
        ),
    ],
)
def test_inconvenient_time_details(said: str, today: date, expected: dict[str, Any]) -> None:
    """Whether now is inconvenient, and the standing period in the engine's own format."""
    assert details(said, K.INCONVENIENT_TIME, today) == expected


@pytest.mark.parametrize(
    "said",
    [
        "i'm at work call after six",
        "don't call me before noon",
        "not on sundays",
        "never call after eight pm",
        "don't call between nine and five",
        "i work nights don't call in the morning",
        "not during dinner time",
    ],
)
def test_every_period_is_readable_by_the_compliance_engine(said: str) -> None:
    """The compliance engine reads every stated period (an unreadable one would block all day)."""
    period = details(said, K.INCONVENIENT_TIME)["period"]
    assert parse_stated_time(period) is not None


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("call me back tomorrow", {"date": "2026-12-03"}),
        ("can you call next week", {}),
        ("try me again on friday", {"date": "2026-12-04"}),
        ("call me back tomorrow morning", {"date": "2026-12-03", "time_of_day": "morning"}),
        ("um can you call me back monday at three", {"date": "2026-12-07", "time_of_day": "15:00"}),
        ("i can't talk now call me back on the fifteenth", {"date": "2026-12-15"}),
        ("call me back in the evening", {"time_of_day": "evening"}),
        (
            "yeah this is avery but i'm cooking can you call back later tonight",
            {"date": "2026-12-02", "time_of_day": "evening"},
        ),
        ("uh can you try me this afternoon", {"date": "2026-12-02", "time_of_day": "afternoon"}),
    ],
)
def test_callback_details(said: str, expected: dict[str, Any]) -> None:
    """The callback's date (ISO) and time of day when said."""
    assert details(said, K.CALLBACK_REQUEST) == expected


@pytest.mark.parametrize(
    ("said", "reason"),
    [
        ("that's not mine", "not_mine"),
        ("i don't owe you anything", "not_mine"),
        ("i never had a card with them", "not_mine"),
        ("i already paid that", "already_paid"),
        ("it was paid off in june", "already_paid"),
        ("someone stole my identity", "identity_theft"),
        ("this is fraud i never opened this", "identity_theft"),
        ("the balance is wrong", "wrong_amount"),
        ("i only owe like two hundred", "wrong_amount"),
        ("i dispute it", "other"),
    ],
)
def test_dispute_reason(said: str, reason: str) -> None:
    """A dispute carries a short reason code."""
    assert details(said, K.DISPUTE) == {"reason": reason}


def test_cease_channel_names_the_phone() -> None:
    """A cease of one channel records which channel: the phone."""
    assert details("only contact me in writing", K.CEASE_CHANNEL) == {"channel": "phone"}


def test_details_are_json_safe_and_events_come_in_kind_order() -> None:
    """Every event's details survive JSON; events are in the enum's order, each kind once."""
    events = recognize(
        "stop calling me my lawyer is john smith his number is five five five two one two three four five six "
        "and stop calling me",
        today=WEDNESDAY,
    )
    order = list(LegalEventKind)
    assert [e.kind for e in events] == sorted({e.kind for e in events}, key=order.index)
    for event in events:
        assert json.loads(json.dumps(dict(event.details))) == dict(event.details)


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        (
            "I filed Chapter 13, case number 23-12345.",
            "i filed chapter thirteen case number two three dash one two three four five",
        ),
        ("Don't call me before noon!", "dont call me before noon"),
        ("This is his co-worker; he's not in today.", "this is his co worker hes not in today"),
        ("Please e-mail me instead.", "please email me instead"),
        ("I\u2019m at work \u2014 call after 6 pm.", "im at work call after six"),
    ],
)
def test_punctuated_transcripts_read_like_spoken_ones(written: str, spoken: str) -> None:
    """A transcript with capitals, punctuation, curly apostrophes and numerals gives the same events as the
    bare ASR form (some recognizers format their output)."""
    assert recognize(written, today=WEDNESDAY) == recognize(spoken, today=WEDNESDAY) != ()


def test_empty_and_blank_text_yield_nothing() -> None:
    """Silence and noise are not events."""
    assert recognize("", today=WEDNESDAY) == ()
    assert recognize("  ... ", today=WEDNESDAY) == ()


# --- The obligation table -------------------------------------------------------------------------------------

CONTEXT = {
    "business_name": "Example Bank",
    "agent_name": "Alex",
    "callback_phrase": " You can reach us at (800) 555-0100.",
}


def test_every_kind_has_exactly_one_row() -> None:
    """The agent is never without an instruction: one row for every kind, keyed by its own kind."""
    assert set(OBLIGATIONS) == set(LegalEventKind)
    assert all(row.kind is kind for kind, row in OBLIGATIONS.items())


@pytest.mark.parametrize("kind", list(LegalEventKind))
def test_templates_use_only_the_three_fields(kind: LegalEventKind) -> None:
    """`say` formats with only business_name, agent_name and callback_phrase; every row explains itself."""
    row = OBLIGATIONS[kind]
    fields = {name for _, name, _, _ in string.Formatter().parse(row.say) if name is not None}
    assert fields <= set(CONTEXT)
    assert row.say.format(**CONTEXT)
    assert row.instruction.startswith("The ") and "You must" in row.instruction and "Never" in row.instruction
    assert row.records
    assert bool(row.ask) == bool(row.ask_once)


@pytest.mark.parametrize("kind", sorted(THIRD_PARTY_SAFE))
def test_third_party_rows_disclose_no_debt(kind: LegalEventKind) -> None:
    """What may be said to someone not verified carries no debt wording and no money (FDCPA 805(b))."""
    for row in (OBLIGATIONS[kind], obligation_for(LegalEvent(kind), verified=False)):
        for text in (row.say.format(**CONTEXT), row.ask):
            assert debt_terms(text) == [], text
            assert not mentions_money(text), text


def test_no_row_threatens_or_states_an_amount() -> None:
    """No row threatens (FDCPA 807) or says an amount."""
    for row in OBLIGATIONS.values():
        said = row.say.format(**CONTEXT).lower()
        assert not mentions_money(said)
        assert not any(word in said for word in ("arrest", "sue", "lawsuit", "jail", "garnish", "police"))


@pytest.mark.parametrize(
    ("kind", "continuation"),
    [
        (K.CEASE, Continuation.END),
        (K.CEASE_NUMBER, Continuation.END),
        (K.CEASE_CHANNEL, Continuation.END),
        (K.ATTORNEY, Continuation.END),
        (K.BANKRUPTCY, Continuation.END),
        (K.DECEASED, Continuation.END),
        (K.WRONG_NUMBER, Continuation.END),
        (K.THIRD_PARTY, Continuation.END),
        (K.DISPUTE, Continuation.END),
        (K.VALIDATION_REQUEST, Continuation.END),
        (K.RECORDING_OBJECTION, Continuation.CONTINUE),
        (K.AI_QUESTION, Continuation.CONTINUE),
        (K.HUMAN_REQUEST, Continuation.TRANSFER),
        (K.HARDSHIP, Continuation.CONTINUE),
        (K.CALLBACK_REQUEST, Continuation.CONTINUE),
    ],
)
def test_continuation_by_kind(kind: LegalEventKind, continuation: Continuation) -> None:
    """Which events end the call, transfer it, or let it go on."""
    assert obligation_for(LegalEvent(kind), verified=True).continuation is continuation


def test_events_that_end_the_call_forbid_collection_talk() -> None:
    """After any event that ends the call nothing about collection may be said."""
    for row in OBLIGATIONS.values():
        if row.continuation is Continuation.END:
            assert Topic.COLLECTION in row.forbidden_after


def test_unverified_cease_binds_only_this_number() -> None:
    """A cease from someone not verified as the consumer is honored for this number only (805(c) needs the
    consumer); from the verified consumer it is a full cease."""
    event = LegalEvent(K.CEASE)
    assert obligation_for(event, verified=False).kind is K.CEASE_NUMBER
    assert obligation_for(event, verified=True).kind is K.CEASE


def test_inconvenient_time_ends_only_when_now_is_inconvenient() -> None:
    """ "I'm at work" ends the call; a period for later is noted and the call goes on."""
    now = LegalEvent(K.INCONVENIENT_TIME, {"now": True})
    later = LegalEvent(K.INCONVENIENT_TIME, {"now": False, "period": {"all_day": True, "weekdays": [6]}})
    assert obligation_for(now, verified=True).continuation is Continuation.END
    assert obligation_for(later, verified=True).continuation is Continuation.CONTINUE
    assert obligation_for(later, verified=True).forbidden_after == frozenset()


def test_ai_question_is_answered_truthfully() -> None:
    """The agent says it is automated and names the business."""
    said = OBLIGATIONS[K.AI_QUESTION].say.format(**CONTEXT)
    assert "automated" in said and "Example Bank" in said


def test_third_party_says_only_name_and_call_back() -> None:
    """To a third party the agent gives its name and says it will call back: no business, no purpose."""
    said = OBLIGATIONS[K.THIRD_PARTY].say.format(**CONTEXT)
    assert "Alex" in said and "call back" in said and "Example Bank" not in said


def test_attorney_and_deceased_ask_once_for_contacts() -> None:
    """The attorney's and the estate's contacts are asked for once when missing."""
    assert OBLIGATIONS[K.ATTORNEY].ask_once == ("attorney_name", "attorney_phone")
    assert OBLIGATIONS[K.DECEASED].ask_once == ("estate_contact_name", "estate_contact_phone")


def test_workplace_prohibition_closes_the_number_and_ends_the_call() -> None:
    """An employer saying calls at work are not allowed (FDCPA 805(a)(3)): this number is closed, the call
    ends, and nothing about the customer or a debt is said."""
    found = recognize(
        "this is the front desk at rio salado dental she can't take personal calls at work", today=WEDNESDAY
    )
    assert [(e.kind, dict(e.details)) for e in found] == [(K.THIRD_PARTY, {"workplace": True})]
    row = obligation_for(found[0], verified=False)
    said = row.say.format(**CONTEXT)
    assert row.continuation is Continuation.END and "number" in said
    assert not debt_terms(said) and not mentions_money(said) and "Example Bank" not in said
