"""Properties that must hold for every customer and call history: whatever instant the engine proposes is
inside the window of every candidate zone and respects 7-in-7, the quiet period and state limits — checked
here by independent, brute-force arithmetic — and planning call after call never overfills any week."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.domain import LineType, PreferenceKind
from shared.policy.compliance import (
    AttemptFacts,
    CallingRules,
    CustomerFacts,
    PhoneFacts,
    PreferenceFacts,
    Window,
    decide,
)

ACCOUNT = uuid.UUID(int=7)
NUMBERS = [
    "+12125550101",  # New York
    "+13125550101",  # Chicago
    "+13035550101",  # Denver
    "+16025550101",  # Phoenix
    "+12135550101",  # Los Angeles
    "+19075550101",  # Anchorage and Adak
    "+18085550101",  # Honolulu
    "+18505550101",  # Eastern and Central
    "+16055550101",  # Central and Mountain
    "+18005550101",  # toll-free: no zone
]
ADDRESS_ZONES = [
    "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
    "America/Anchorage", "Pacific/Honolulu", "America/Indiana/Indianapolis", "America/Boise",
]  # fmt: skip
WEEK = timedelta(days=7)
START = datetime(2026, 1, 1, tzinfo=UTC)

instants = st.integers(min_value=0, max_value=365 * 24 * 60).map(
    lambda minutes: START + timedelta(minutes=minutes)
)
windows = st.sampled_from([Window(), Window(time(9), time(20)), Window(time(8, 30), time(17, 45))])


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[CustomerFacts, CallingRules, datetime, str]:
    at = draw(instants)
    phones = draw(st.lists(st.sampled_from(NUMBERS[:-1]), min_size=1, max_size=3, unique=True))
    if draw(st.booleans()):
        phones.append(NUMBERS[-1])
    offsets = st.integers(min_value=-10 * 24 * 60, max_value=0).map(lambda m: at + timedelta(minutes=m))
    attempts = draw(st.lists(offsets, max_size=14))
    conversations = draw(st.lists(offsets, max_size=2))
    states = draw(st.sets(st.sampled_from(["MA", "NY", "TX"]), max_size=2))
    stated: list[PreferenceFacts] = []
    if draw(st.booleans()):
        start = draw(st.integers(min_value=0, max_value=22))
        length = draw(st.integers(min_value=1, max_value=10))
        stated.append(
            PreferenceFacts(
                kind=PreferenceKind.INCONVENIENT_TIME,
                details={
                    "weekdays": draw(st.lists(st.integers(0, 6), min_size=1, max_size=7, unique=True)),
                    "start": f"{start:02d}:00",
                    "end": f"{(start + length) % 24:02d}:00",
                },
            )
        )
    facts = CustomerFacts(
        customer_id=uuid.UUID(int=1),
        address_zone=draw(st.sampled_from(ADDRESS_ZONES)),
        states=frozenset(states),
        phones=tuple(PhoneFacts(number, LineType.LANDLINE) for number in phones),
        preferences=tuple(stated),
        attempts=tuple(AttemptFacts(at=moment, account_id=ACCOUNT) for moment in attempts),
        conversations=tuple(conversations),
    )
    rules = CallingRules(
        window=draw(windows),
        state_weekly_limits={"MA": 2},
        weekdays=draw(st.none() | st.sets(st.integers(0, 6), min_size=1).map(frozenset)),
    )
    return facts, rules, at, draw(st.sampled_from(phones[:1] + phones))


def most_in_any_week_containing(moment: datetime, others: list[datetime]) -> int:
    """Brute force: the most of `others` in any 7 x 24 h period (s, s + 7d] that contains `moment`."""
    starts = [moment - WEEK] + [o - WEEK for o in others] + list(others)
    best = 0
    for start in starts:
        if start < moment <= start + WEEK:
            best = max(best, sum(1 for o in others if start < o <= start + WEEK))
    return best


def assert_lawful(facts: CustomerFacts, rules: CallingRules, zones: list[str], moment: datetime) -> None:
    for name in zones:
        local = moment.astimezone(ZoneInfo(name))
        assert rules.window.start <= local.time() < rules.window.end, (name, local)
        if rules.weekdays is not None:
            assert local.weekday() in rules.weekdays
        for talk in facts.conversations:
            if talk <= moment:
                assert local.date() >= talk.astimezone(ZoneInfo(name)).date() + timedelta(days=7)
    attempts = [a.at for a in facts.attempts]
    assert most_in_any_week_containing(moment, attempts) + 1 <= 7
    if "MA" in facts.states:
        assert most_in_any_week_containing(moment, attempts) + 1 <= 2


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_proposed_instant_is_inside_every_window_and_every_limit(
    scenario: tuple[CustomerFacts, CallingRules, datetime, str],
) -> None:
    """For any customer and history, `next_allowed_at` is never before the question, is inside the window
    of every candidate zone, and respects 7-in-7, the quiet period and the state limit."""
    facts, rules, at, dial = scenario
    decision = decide(facts, rules, at=at, dial_number=dial, account_id=ACCOUNT)
    if decision.next_allowed_at is None:
        assert not decision.allowed
        return
    moment = decision.next_allowed_at
    assert moment >= at
    assert decision.allowed == (moment == at)
    assert_lawful(facts, rules, decision.zones, moment)
    again = decide(facts, rules, at=moment, dial_number=dial, account_id=ACCOUNT)
    assert again.allowed and again.next_allowed_at == moment


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.lists(st.integers(min_value=0, max_value=36 * 60), min_size=10, max_size=20))
def test_planning_call_after_call_never_overfills_a_week(
    scenario: tuple[CustomerFacts, CallingRules, datetime, str], gaps: list[int]
) -> None:
    """Planning each next call at the engine's next allowed instant, again and again, never puts an 8th call
    in any 7 days (nor a 3rd in Massachusetts), and every planned call is inside every zone's window."""
    facts, rules, at, dial = scenario
    moment = at
    for gap in gaps:
        decision = decide(facts, rules, at=moment, dial_number=dial, account_id=ACCOUNT)
        if decision.next_allowed_at is None:
            return
        planned = decision.next_allowed_at
        assert_lawful(facts, rules, decision.zones, planned)
        facts = CustomerFacts(
            **{**{f: getattr(facts, f) for f in facts.__dataclass_fields__},
               "attempts": (*facts.attempts, AttemptFacts(at=planned, account_id=ACCOUNT))},
        )  # fmt: skip
        moment = planned + timedelta(minutes=gap)
