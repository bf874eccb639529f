"""The calling-rules engine, table by table: windows across zones and daylight-saving time, split area codes,
unknown zones, Regulation F's 7-in-7 and quiet period, state limits, and consumer requests."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import pytest

from shared.domain import LineType, PreferenceKind
from shared.policy import compliance as c
from shared.policy.compliance import (
    AttemptFacts,
    CallingRules,
    CustomerFacts,
    PhoneFacts,
    PreferenceFacts,
    Window,
    decide,
)

ACCOUNT_A = uuid.UUID(int=1)
ACCOUNT_B = uuid.UUID(int=2)
MA_RULES = CallingRules(state_weekly_limits={"MA": 2})


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def customer(
    zone: str | None = "America/New_York",
    phones: tuple[tuple[str, LineType], ...] = (("+12125550101", LineType.LANDLINE),),
    **overrides: object,
) -> CustomerFacts:
    facts = CustomerFacts(
        customer_id=uuid.UUID(int=99),
        address_zone=zone,
        postal_code="10001",
        phones=tuple(PhoneFacts(number, line_type) for number, line_type in phones),
    )
    return replace(facts, **overrides)  # type: ignore[arg-type]


def consent(number: str, status: str = "granted") -> PreferenceFacts:
    return PreferenceFacts(
        kind=PreferenceKind.PHONE_CONSENT,
        phone_number=number,
        details={"status": status},
        effective_at=utc("2026-01-01T00:00:00"),
    )


def check(
    facts: CustomerFacts, at: str, dial: str | None = None, rules: CallingRules | None = None, **kw: object
):  # type: ignore[no-untyped-def]
    return decide(
        facts,
        rules or CallingRules(),
        at=utc(at),
        dial_number=dial or facts.phones[0].number,
        **kw,  # type: ignore[arg-type]
    )


# --- Windows, zones and daylight-saving time ---------------------------------------------------------------

WINDOW_CASES = [
    # (what, facts, at (UTC), allowed, next_allowed_at (UTC) or None)
    ("spring forward: 08:30 EDT on the change day", customer(), "2026-03-08T12:30:00", True, "2026-03-08T12:30:00"),
    ("the day before the change, 12:30 UTC is 07:30 EST", customer(), "2026-03-07T12:30:00", False, "2026-03-07T13:00:00"),
    ("fall back: 12:30 UTC is 07:30 EST", customer(), "2026-11-01T12:30:00", False, "2026-11-01T13:00:00"),
    ("the day before fall back, 12:30 UTC is 08:30 EDT", customer(), "2026-10-31T12:30:00", True, "2026-10-31T12:30:00"),
    ("20:59 EDT is inside the window", customer(), "2026-07-02T00:59:00", True, "2026-07-02T00:59:00"),
    ("21:00 EDT is outside: the next start is 08:00 EDT", customer(), "2026-07-02T01:00:00", False, "2026-07-02T12:00:00"),
    (
        "Arizona keeps MST in summer: 08:00 at 15:00 UTC",
        customer("America/Phoenix", (("+16025550101", LineType.LANDLINE),)),
        "2026-07-15T15:00:00", True, "2026-07-15T15:00:00",
    ),
    (
        "Arizona keeps MST in winter too",
        customer("America/Phoenix", (("+16025550101", LineType.LANDLINE),)),
        "2026-01-15T14:59:00", False, "2026-01-15T15:00:00",
    ),
    (
        "Hawaii: 07:59 HST is too early",
        customer("Pacific/Honolulu", (("+18085550101", LineType.LANDLINE),)),
        "2026-07-15T17:59:00", False, "2026-07-15T18:00:00",
    ),
    (
        "Alaska: 907 also spans Adak, an hour behind Anchorage",
        customer("America/Anchorage", (("+19075550101", LineType.LANDLINE),)),
        "2026-07-15T16:30:00", False, "2026-07-15T17:00:00",
    ),
    (
        "Eastern mobile, Pacific address, Hawaii landline: Hawaii sets the morning",
        customer(
            "America/Los_Angeles",
            (("+12125550101", LineType.MOBILE), ("+18085550102", LineType.LANDLINE)),
            preferences=(consent("+12125550101"),),
        ),
        "2026-07-15T16:00:00", False, "2026-07-15T18:00:00",
    ),
    (
        "... and New York sets the evening: 20:30 EDT is fine",
        customer(
            "America/Los_Angeles",
            (("+12125550101", LineType.MOBILE), ("+18085550102", LineType.LANDLINE)),
            preferences=(consent("+12125550101"),),
        ),
        "2026-07-16T00:30:00", True, "2026-07-16T00:30:00",
    ),
    (
        "... 21:00 EDT is not, though it is 15:00 in Honolulu",
        customer(
            "America/Los_Angeles",
            (("+12125550101", LineType.MOBILE), ("+18085550102", LineType.LANDLINE)),
            preferences=(consent("+12125550101"),),
        ),
        "2026-07-16T01:00:00", False, "2026-07-16T18:00:00",
    ),
    (
        "605 spans Central and Mountain: 08:30 CDT is 07:30 MDT",
        customer("America/Chicago", (("+16055550101", LineType.LANDLINE),)),
        "2026-07-15T13:30:00", False, "2026-07-15T14:00:00",
    ),
    (
        "701 spans Central and Mountain too",
        customer("America/Chicago", (("+17015550101", LineType.LANDLINE),)),
        "2026-07-15T13:59:00", False, "2026-07-15T14:00:00",
    ),
    (
        "850 spans Eastern and Central: 20:30 CDT in Pensacola is 21:30 EDT",
        customer("America/Chicago", (("+18505550101", LineType.LANDLINE),)),
        "2026-07-16T01:30:00", False, "2026-07-16T13:00:00",
    ),
    (
        "850: 08:00 CDT is inside both zones",
        customer("America/Chicago", (("+18505550101", LineType.LANDLINE),)),
        "2026-07-15T13:00:00", True, "2026-07-15T13:00:00",
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("what", "facts", "at", "allowed", "next_at"), WINDOW_CASES, ids=[w[0] for w in WINDOW_CASES]
)
def test_calling_window_in_every_candidate_zone(
    what: str, facts: CustomerFacts, at: str, allowed: bool, next_at: str | None
) -> None:
    """A call is allowed only inside 08:00-21:00 in every candidate zone; the next allowed instant is exact."""
    decision = check(facts, at)
    assert decision.allowed is allowed, decision.reasons
    assert decision.next_allowed_at == (utc(next_at) if next_at else None)
    if not allowed:
        assert decision.codes == [c.OUTSIDE_WINDOW] * len(decision.codes)


def test_candidate_zones_include_every_zone_of_every_number() -> None:
    """The decision lists the address's zone, then every zone of every number on file."""
    facts = customer(
        "America/Los_Angeles",
        (
            ("+12125550101", LineType.LANDLINE),
            ("+18085550102", LineType.LANDLINE),
            ("+18505550103", LineType.LANDLINE),
        ),
    )
    decision = check(facts, "2026-07-15T20:00:00")
    assert decision.zones == [
        "America/Los_Angeles",
        "America/New_York",
        "Pacific/Honolulu",
        "America/Chicago",
    ]


def test_unknown_and_toll_free_numbers() -> None:
    """Dialing a toll-free or unassigned number, or a customer whose address zone is unknown, is refused for
    good; a toll-free work line on file does not stop calls to a number whose zone is known."""
    facts = customer(phones=(("+12125550101", LineType.LANDLINE), ("+18005550199", LineType.LANDLINE)))
    toll_free = check(facts, "2026-07-15T16:00:00", dial="+18005550199")
    assert not toll_free.allowed and toll_free.next_allowed_at is None
    assert toll_free.codes == [c.UNKNOWN_ZONE] and "toll-free" in toll_free.reasons[0]

    unassigned = check(customer(phones=(("+15555550100", LineType.LANDLINE),)), "2026-07-15T16:00:00")
    assert unassigned.codes == [c.UNKNOWN_ZONE] and unassigned.next_allowed_at is None

    no_address_zone = check(customer(zone=None), "2026-07-15T16:00:00")
    assert no_address_zone.codes == [c.UNKNOWN_ZONE] and "address" in no_address_zone.reasons[0]

    fine = check(facts, "2026-07-15T16:00:00", dial="+12125550101")
    assert fine.allowed and fine.zones == ["America/New_York"]


def test_organization_and_campaign_narrow_the_window() -> None:
    """An organization's 09:00-20:00 refuses 08:30; a campaign's dialing days refuse Saturday until Monday."""
    narrow = CallingRules(window=Window(time(9), time(20)))
    early = check(customer(), "2026-07-15T12:30:00", rules=narrow)
    assert not early.allowed and early.next_allowed_at == utc("2026-07-15T13:00:00")

    weekdays = CallingRules(weekdays=frozenset(range(5)))
    saturday = check(customer(), "2026-07-18T15:00:00", rules=weekdays)  # Saturday 11:00 EDT
    assert saturday.codes == [c.CAMPAIGN_DAY]
    assert saturday.next_allowed_at == utc("2026-07-20T12:00:00")  # Monday 08:00 EDT


def test_stated_inconvenient_times_are_hard_blocks() -> None:
    """ "Not 9 to 5 on weekdays" refuses Wednesday 10:00 until 17:00, allows Saturday 10:00; unreadable
    stated times refuse for good."""
    stated = PreferenceFacts(
        kind=PreferenceKind.INCONVENIENT_TIME,
        details={"weekdays": [0, 1, 2, 3, 4], "start": "09:00", "end": "17:00", "note": "at work"},
    )
    facts = customer(preferences=(stated,))
    wednesday = check(facts, "2026-07-15T14:00:00")
    assert wednesday.codes == [c.INCONVENIENT] and wednesday.next_allowed_at == utc("2026-07-15T21:00:00")
    assert check(facts, "2026-07-18T14:00:00").allowed

    unreadable = replace(stated, details={"start": "lunchtime"})
    refused = check(customer(preferences=(unreadable,)), "2026-07-18T14:00:00")
    assert refused.codes == [c.INCONVENIENT] and refused.next_allowed_at is None


# --- Regulation F: 7-in-7 and the quiet period after a conversation ----------------------------------------


def daily_attempts(count: int, account: uuid.UUID | None = ACCOUNT_A) -> tuple[AttemptFacts, ...]:
    """One attempt a day at 14:00 UTC, ending 2026-06-10."""
    return tuple(
        AttemptFacts(at=utc("2026-06-10T14:00:00") - timedelta(days=k), account_id=account)
        for k in range(count)
    )


def test_seventh_attempt_allowed_eighth_refused() -> None:
    """Six attempts in 7 days leave room for the 7th; after 7 the 8th waits until the oldest is 7 days old."""
    seventh = check(customer(attempts=daily_attempts(6)), "2026-06-10T16:00:00", account_id=ACCOUNT_A)
    assert seventh.allowed and seventh.details["attempts_in_7_days"] == 6

    eighth = check(customer(attempts=daily_attempts(7)), "2026-06-10T16:00:00", account_id=ACCOUNT_A)
    assert eighth.codes == [c.WEEKLY_LIMIT]
    assert eighth.next_allowed_at == utc("2026-06-11T14:00:00")  # 06-04 14:00 + 7 days, 10:00 EDT


def test_seven_in_seven_is_per_debt() -> None:
    """Seven attempts about one debt do not refuse a call about another; attempts tied to no debt count for all."""
    other_debt = customer(attempts=daily_attempts(7, account=ACCOUNT_B))
    assert check(other_debt, "2026-06-10T16:00:00", account_id=ACCOUNT_A).allowed
    assert not check(other_debt, "2026-06-10T16:00:00", account_id=ACCOUNT_B).allowed
    untied = customer(attempts=daily_attempts(7, account=None))
    assert check(untied, "2026-06-10T16:00:00", account_id=ACCOUNT_A).codes == [c.WEEKLY_LIMIT]


def test_conversation_day_is_day_one_calls_resume_on_day_eight() -> None:
    """After a conversation on June 1, day 7 (June 7) is refused until 08:00 on June 8; day 8 is allowed."""
    facts = customer(conversations=(utc("2026-06-01T15:00:00"),))
    day7 = check(facts, "2026-06-07T16:00:00")
    assert day7.codes == [c.QUIET_PERIOD]
    assert "2026-06-08" in day7.reasons[0]
    assert day7.next_allowed_at == utc("2026-06-08T12:00:00")
    assert check(facts, "2026-06-08T16:00:00").allowed


def test_quiet_period_counts_days_in_every_zone() -> None:
    """A conversation at 05:00 UTC on June 2 is June 2 in New York but June 1 in Honolulu: New York's calendar
    is the stricter, so June 8 is still refused and calls resume on June 9."""
    facts = customer(
        "Pacific/Honolulu",
        (("+12125550101", LineType.LANDLINE),),
        conversations=(utc("2026-06-02T05:00:00"),),  # 01:00 EDT June 2, 19:00 HST June 1
    )
    decision = check(facts, "2026-06-08T20:00:00")  # June 8: 16:00 EDT, 10:00 HST
    assert decision.codes == [c.QUIET_PERIOD] and "calls may resume on 2026-06-09" in decision.reasons[0]
    assert decision.next_allowed_at == utc("2026-06-09T18:00:00")  # June 9 08:00 HST


def test_massachusetts_allows_two_initiated_calls_per_week() -> None:
    """A Massachusetts consumer with two calls this week (about any debt) is refused a third; elsewhere not."""
    boston = customer(
        phones=(("+16175550101", LineType.LANDLINE),),
        states=frozenset({"MA"}),
        attempts=daily_attempts(2, ACCOUNT_B),
    )
    third = check(boston, "2026-06-10T16:00:00", rules=MA_RULES, account_id=ACCOUNT_A)
    assert third.codes == [c.STATE_LIMIT] and "MA allows 2" in third.reasons[0]
    assert third.next_allowed_at == utc("2026-06-16T14:00:00")  # the 06-09 call is then 7 days old
    one_call = replace(boston, attempts=daily_attempts(1, ACCOUNT_B))
    assert check(one_call, "2026-06-10T16:00:00", rules=MA_RULES).allowed
    assert check(replace(boston, states=frozenset({"NY"})), "2026-06-10T16:00:00", rules=MA_RULES).allowed


# --- Consumer requests and consent -------------------------------------------------------------------------


def test_cease_dispute_and_attorney_refuse_for_good() -> None:
    """Cease and attorney refuse every call; a dispute refuses calls about its debt (or all, when it names
    none); an ended dispute no longer refuses."""
    at = "2026-07-15T16:00:00"
    cease = customer(preferences=(PreferenceFacts(kind=PreferenceKind.CEASE_CONTACT),))
    refused = check(cease, at)
    assert refused.codes == [c.CEASE] and refused.next_allowed_at is None and not refused.allowed

    dispute_a = customer(preferences=(PreferenceFacts(kind=PreferenceKind.DISPUTE, account_id=ACCOUNT_A),))
    assert check(dispute_a, at, account_id=ACCOUNT_A).codes == [c.DISPUTE]
    assert check(dispute_a, at, account_id=ACCOUNT_B).allowed
    assert not check(dispute_a, at).allowed  # a call about the customer touches every debt

    dispute_all = customer(preferences=(PreferenceFacts(kind=PreferenceKind.DISPUTE),))
    assert check(dispute_all, at, account_id=ACCOUNT_B).codes == [c.DISPUTE]

    ended = customer(
        preferences=(PreferenceFacts(kind=PreferenceKind.DISPUTE, ended_at=utc("2026-07-01T00:00:00")),)
    )
    assert check(ended, at).allowed

    attorney = customer(preferences=(PreferenceFacts(kind=PreferenceKind.ATTORNEY),))
    assert check(attorney, at).codes == [c.ATTORNEY]


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        (PreferenceKind.BANKRUPTCY, c.BANKRUPTCY),
        (PreferenceKind.DECEASED, c.DECEASED),
        (PreferenceKind.VALIDATION_REQUEST, c.VALIDATION),
    ],
)
def test_bankruptcy_death_and_validation_refuse_as_standing_blocks(kind: PreferenceKind, code: str) -> None:
    """A bankruptcy, a reported death and a validation request refuse the call with no time it could
    resume; once ended (discharged in error, validation sent) they no longer refuse."""
    at = "2026-07-15T16:00:00"
    refused = check(customer(preferences=(PreferenceFacts(kind=kind),)), at)
    assert refused.codes == [code] and refused.next_allowed_at is None and not refused.allowed
    ended = customer(preferences=(PreferenceFacts(kind=kind, ended_at=utc("2026-07-01T00:00:00")),))
    assert check(ended, at).allowed


def test_validation_request_concerns_its_debt_like_a_dispute() -> None:
    """A validation request on one debt refuses calls about that debt and about the customer, not another
    debt's."""
    at = "2026-07-15T16:00:00"
    facts = customer(
        preferences=(PreferenceFacts(kind=PreferenceKind.VALIDATION_REQUEST, account_id=ACCOUNT_A),)
    )
    assert check(facts, at, account_id=ACCOUNT_A).codes == [c.VALIDATION]
    assert check(facts, at, account_id=ACCOUNT_B).allowed
    assert not check(facts, at).allowed


@pytest.mark.parametrize("line_type", list(LineType))
def test_a_number_never_to_dial_refuses_whatever_its_line_type(line_type: LineType) -> None:
    """A do-not-call number (wrong number, "don't call this number") refuses that number on any line type,
    even with TCPA consent granted, and leaves the customer's other numbers callable."""
    at = "2026-07-15T16:00:00"
    home, work = "+12125550101", "+12125550102"
    facts = customer(
        phones=((home, line_type), (work, LineType.LANDLINE)),
        preferences=(
            consent(home),
            PreferenceFacts(
                kind=PreferenceKind.DO_NOT_CALL_NUMBER, phone_number=home, details={"reason": "wrong_number"}
            ),
        ),
    )
    refused = check(facts, at, dial=home)
    assert refused.codes == [c.NUMBER_BLOCKED] and refused.next_allowed_at is None
    assert "0101" in refused.reasons[0]
    assert check(facts, at, dial=work).allowed


def test_tcpa_consent_for_cell_numbers() -> None:
    """A cell number needs consent on file: missing or revoked refuses; granted allows; a number of unknown
    line type is treated as a cell number; a landline needs none."""
    at = "2026-07-15T16:00:00"
    mobile = (("+12125550101", LineType.MOBILE),)
    assert check(customer(phones=mobile), at).codes == [c.CONSENT_MISSING]
    revoked = customer(phones=mobile, preferences=(consent("+12125550101", "revoked"),))
    assert check(revoked, at).codes == [c.CONSENT_REVOKED]
    granted = customer(phones=mobile, preferences=(consent("+12125550101"),))
    assert check(granted, at).allowed
    unknown = customer(phones=(("+12125550101", LineType.UNKNOWN),))
    assert check(unknown, at).codes == [c.CONSENT_MISSING]
    assert check(customer(), at).allowed


def test_every_refusal_is_listed() -> None:
    """A decision lists every rule that refuses, not just the first."""
    facts = customer(
        phones=(("+12125550101", LineType.MOBILE),),
        preferences=(PreferenceFacts(kind=PreferenceKind.CEASE_CONTACT),),
        attempts=daily_attempts(7),
    )
    decision = check(facts, "2026-06-11T02:00:00", account_id=ACCOUNT_A)  # 22:00 EDT
    assert set(decision.codes) == {c.CEASE, c.CONSENT_MISSING, c.OUTSIDE_WINDOW, c.WEEKLY_LIMIT}
    assert all(
        reason.startswith(code + ": ") for reason, code in zip(decision.reasons, decision.codes, strict=True)
    )
