"""The calling-rules engine: may this consumer be called at this instant on this number, and if not, when?

Pure functions over plain facts (no database, no clock): the compliance service loads the facts, the engine
decides, the service audits. Every decision carries its reasons (`code: explanation`).

Two kinds of rule (ARCHITECTURE.md, "Compliance rules"):

- **Standing** blocks no wait can lift: the address's or the dialed number's time zone is unknown (toll-free,
  unassigned area code, unknown postal code); a cease request, an open dispute, a validation request,
  attorney representation, a bankruptcy, a reported death; a number the consumer (or whoever answered it)
  asked us never to dial again, whatever its line type; a cell number (or a number whose line type is unknown) without TCPA consent, or with consent revoked.
  `next_allowed_at` is None.
- **Timed** blocks: the calling window (08:00-21:00, or the organization's narrower one, or a campaign's
  narrower still) in *every* candidate zone — the address's zone and every zone of every phone number on
  file, split area codes contributing each of their zones; consumer-stated inconvenient times (in every
  zone: where the consumer is is uncertain, so every reading of "9 to 5" is honored); a campaign's dialing
  days; Regulation F's 7-in-7 per debt; no call within 7 days after a telephone conversation about the debt
  (the conversation day is day 1, calls resume on day 8, by the calendar of every zone); state limits per
  person (Massachusetts: 2 initiated calls in 7 days). `next_allowed_at` is the first instant at which every
  timed rule passes.

Counting is conservative where the regulation leaves room: "7 consecutive days" is a rolling 7 x 24 hours
(it includes at least the 7 calendar days of any zone), attempts not tied to a debt count toward every debt,
and every outbound attempt counts, answered or not (a canceled attempt that never dialed does not).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from shared.domain import LineType, PreferenceKind
from shared.models.compliance import ComplianceDecision
from shared.models.organizations import EARLIEST_CALL, LATEST_CALL, OrganizationSettings
from shared.policy.zones import is_non_geographic, zones_for_phone

WEEK = timedelta(days=7)
REGULATION_F_WEEKLY_ATTEMPTS = 7
REGULATION_F_QUIET_DAYS = 7

# Stable codes: the first word of every reason.
UNKNOWN_ZONE = "unknown_time_zone"
CEASE = "cease_requested"
DISPUTE = "dispute_open"
ATTORNEY = "attorney_represented"
CONSENT_MISSING = "tcpa_consent_missing"
CONSENT_REVOKED = "tcpa_consent_revoked"
NUMBER_BLOCKED = "number_blocked"
BANKRUPTCY = "bankruptcy"
DECEASED = "deceased"
VALIDATION = "validation_requested"
OUTSIDE_WINDOW = "outside_calling_window"
CAMPAIGN_DAY = "outside_campaign_days"
INCONVENIENT = "inconvenient_time"
WEEKLY_LIMIT = "weekly_attempt_limit"
QUIET_PERIOD = "conversation_quiet_period"
STATE_LIMIT = "state_call_limit"
NO_TIME = "no_allowed_time"

_NEEDS_CONSENT = frozenset({LineType.MOBILE, LineType.UNKNOWN})
_ALL_DAYS = frozenset(range(7))


# --- Facts -------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Window:
    """Local-time calling window, start inclusive, end exclusive."""

    start: time = EARLIEST_CALL
    end: time = LATEST_CALL

    def narrowed(self, other: Window | None) -> Window:
        if other is None:
            return self
        return Window(start=max(self.start, other.start), end=min(self.end, other.end))

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True, slots=True)
class PhoneFacts:
    number: str  # E.164
    line_type: LineType = LineType.UNKNOWN


@dataclass(frozen=True, slots=True)
class PreferenceFacts:
    """A contact preference row (see `PreferenceKind`). It holds at `at` unless it ended by then: a request
    on file is honored for any instant asked about, even one before it was recorded (a simulation on a
    virtual clock, a check of a past instant), because the engine decides with what is known now."""

    kind: PreferenceKind
    account_id: uuid.UUID | None = None
    phone_number: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    effective_at: datetime | None = None
    ended_at: datetime | None = None

    def active_at(self, at: datetime) -> bool:
        return self.ended_at is None or self.ended_at > at


@dataclass(frozen=True, slots=True)
class AttemptFacts:
    """An outbound call attempt from the ledger; `account_id` None means not tied to one debt."""

    at: datetime
    account_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class CustomerFacts:
    customer_id: uuid.UUID | None
    address_zone: str | None
    postal_code: str | None = None
    states: frozenset[str] = frozenset()
    phones: tuple[PhoneFacts, ...] = ()
    preferences: tuple[PreferenceFacts, ...] = ()
    attempts: tuple[AttemptFacts, ...] = ()
    conversations: tuple[datetime, ...] = ()  # telephone conversations about the debt (verified calls)


@dataclass(frozen=True, slots=True)
class CallingRules:
    """The configurable part: the organization's window and state limits, a campaign's narrower window and
    dialing days. The Regulation F numbers are the law's; they are fields only so tests can name them."""

    window: Window = Window()
    weekly_attempt_limit: int = REGULATION_F_WEEKLY_ATTEMPTS
    quiet_days: int = REGULATION_F_QUIET_DAYS
    state_weekly_limits: Mapping[str, int] = field(default_factory=dict)
    weekdays: frozenset[int] | None = None  # a campaign's dialing days, 0 = Monday, in every zone's calendar
    horizon: timedelta = timedelta(days=28)  # how far ahead `next_allowed_at` looks

    @classmethod
    def for_organization(
        cls,
        settings: OrganizationSettings,
        *,
        window: Window | None = None,
        weekdays: Iterable[int] | None = None,
    ) -> CallingRules:
        base = Window(settings.calling_window.start, settings.calling_window.end)
        return cls(
            window=base.narrowed(window),
            state_weekly_limits=dict(settings.state_weekly_call_limits),
            weekdays=None if weekdays is None else frozenset(weekdays),
        )


@dataclass(frozen=True, slots=True)
class Block:
    """One rule refusing the call. `clears_at` is the earliest instant the rule itself could allow it (a
    lower bound; None for a standing block)."""

    code: str
    detail: str
    clears_at: datetime | None = None

    @property
    def text(self) -> str:
        return f"{self.code}: {self.detail}"


@dataclass(frozen=True, slots=True)
class _StatedTime:
    weekdays: frozenset[int]
    start: time
    end: time | None  # None: the whole day

    def covers(self, local: datetime) -> bool:
        if local.weekday() not in self.weekdays:
            return False
        if self.end is None:
            return True
        moment = local.time()
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end  # over midnight

    def clears(self, local: datetime, zone: ZoneInfo) -> datetime:
        day = local.date()
        if self.end is None:
            return _at(day + timedelta(days=1), time(0), zone)
        if self.start < self.end or local.time() < self.end:
            return _at(day, self.end, zone)
        return _at(day + timedelta(days=1), self.end, zone)

    def __str__(self) -> str:
        days = "every day" if self.weekdays == _ALL_DAYS else _weekday_names(self.weekdays)
        hours = "all day" if self.end is None else f"{self.start:%H:%M}-{self.end:%H:%M}"
        return f"{hours} on {days}"


# --- Helpers -----------------------------------------------------------------------------------------------


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("compliance decisions need a timezone-aware instant")
    return moment.astimezone(UTC)


def _at(day: date, moment: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, moment, tzinfo=zone).astimezone(UTC)


_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _weekday_names(days: Iterable[int]) -> str:
    return ",".join(_DAY_NAMES[day] for day in sorted(days))


def _last4(number: str | None) -> str:
    digits = "".join(ch for ch in number or "" if ch.isdigit())
    return f"ending {digits[-4:]}" if len(digits) >= 4 else "(none)"


def _parse_clock(value: Any) -> time | None:
    if not isinstance(value, str):
        return None
    try:
        return time.fromisoformat(value)
    except ValueError:
        return None


def parse_stated_time(details: Mapping[str, Any]) -> _StatedTime | None:
    """`{"weekdays": [0-6], "start": "HH:MM", "end": "HH:MM"}` or `{"all_day": true, "weekdays": [...]}`;
    None when it cannot be read (the engine then treats it as always inconvenient)."""
    raw_days = details.get("weekdays", list(range(7)))
    if not isinstance(raw_days, list) or not all(isinstance(d, int) and 0 <= d <= 6 for d in raw_days):
        return None
    days = frozenset(raw_days) or _ALL_DAYS
    if details.get("all_day") is True:
        return _StatedTime(weekdays=days, start=time(0), end=None)
    start, end = _parse_clock(details.get("start")), _parse_clock(details.get("end"))
    if start is None or end is None or start == end:
        return None
    return _StatedTime(weekdays=days, start=start, end=end)


def window_count(instants: Sequence[datetime], at: datetime) -> int:
    """The most attempts in any 7 x 24 h period (s, s + 7 days] that contains `at`, `at` itself excluded.

    With only past attempts this is the count in (at - 7 days, at]; attempts after `at` (a check of a past
    instant) count too, because a call then must not overfill a later week either."""
    near = [moment for moment in instants if at - WEEK < moment < at + WEEK or moment == at]
    if not near:
        return 0
    starts = {at - WEEK} | {moment - WEEK for moment in near if at - WEEK <= moment - WEEK < at}
    return max(sum(1 for moment in near if start < moment <= start + WEEK) for start in starts)


def _release(instants: Sequence[datetime], at: datetime, limit: int) -> datetime:
    """A lower bound on when `window_count` drops below `limit` (exact when all attempts are past)."""
    recent = sorted((m for m in instants if at - WEEK < m <= at), reverse=True)
    if all(m <= at for m in instants) and len(recent) >= limit:
        return recent[limit - 1] + WEEK
    leaving = [m + WEEK for m in instants if m + WEEK > at]
    return min(leaving) if leaving else at + timedelta(minutes=1)


# --- The rules ---------------------------------------------------------------------------------------------


def candidate_zones(facts: CustomerFacts, dial_number: str) -> tuple[list[str], list[Block]]:
    """The zones the consumer may be in (address, then every number on file and the dialed one), and a
    standing block for each source that must have a zone and has none (the address, the dialed number).
    Other numbers without a zone (a toll-free work line) add nothing and block nothing."""
    zones: list[str] = []
    blocks: list[Block] = []
    if facts.address_zone:
        zones.append(facts.address_zone)
    else:
        blocks.append(
            Block(
                UNKNOWN_ZONE, f"the address's time zone is unknown (postal code {facts.postal_code or '-'})"
            )
        )
    dial_zones = zones_for_phone(dial_number)
    if not dial_zones:
        kind = (
            "is toll-free or non-geographic" if is_non_geographic(dial_number) else "has no known area code"
        )
        blocks.append(
            Block(UNKNOWN_ZONE, f"the number {_last4(dial_number)} {kind}: its time zone is unknown")
        )
    for number in [*(phone.number for phone in facts.phones), dial_number]:
        for zone in zones_for_phone(number):
            if zone not in zones:
                zones.append(zone)
    return zones, blocks


def _concerns(preference: PreferenceFacts, account_id: uuid.UUID | None) -> bool:
    """A preference tied to one debt concerns that debt; one tied to none concerns all. Without a debt in
    question every preference concerns the call."""
    return account_id is None or preference.account_id is None or preference.account_id == account_id


def standing_blocks(
    facts: CustomerFacts, *, dial_number: str, account_id: uuid.UUID | None, at: datetime
) -> list[Block]:
    """Cease, dispute, validation, attorney, bankruptcy, death, a number never to dial, TCPA consent, and
    stated times that cannot be read."""
    blocks: list[Block] = []
    active = [p for p in facts.preferences if p.active_at(at)]
    for kind, code, detail in (
        (PreferenceKind.CEASE_CONTACT, CEASE, "the consumer asked us to stop calling"),
        (PreferenceKind.DISPUTE, DISPUTE, "the debt is disputed; no collection calls until it is resolved"),
        (
            PreferenceKind.ATTORNEY,
            ATTORNEY,
            "the consumer is represented by an attorney; contact the attorney",
        ),
        (
            PreferenceKind.VALIDATION_REQUEST,
            VALIDATION,
            "the consumer asked for validation of the debt; no collection calls until it is sent",
        ),
        (PreferenceKind.BANKRUPTCY, BANKRUPTCY, "the consumer filed for bankruptcy; no collection calls"),
        (PreferenceKind.DECEASED, DECEASED, "the consumer is reported deceased; no calls to this consumer"),
    ):
        if any(p.kind is kind and _concerns(p, account_id) for p in active):
            blocks.append(Block(code, detail))
    if any(p.kind is PreferenceKind.DO_NOT_CALL_NUMBER and p.phone_number == dial_number for p in active):
        blocks.append(Block(NUMBER_BLOCKED, f"the number {_last4(dial_number)} must never be dialed again"))
    on_file = {phone.number: phone.line_type for phone in facts.phones}
    line_type = on_file.get(dial_number, LineType.UNKNOWN)
    if line_type in _NEEDS_CONSENT:
        consents = sorted(
            (p for p in active if p.kind is PreferenceKind.PHONE_CONSENT and p.phone_number == dial_number),
            key=lambda p: p.effective_at or datetime.min.replace(tzinfo=UTC),
        )
        what = (
            "cell number" if line_type is LineType.MOBILE else "number of unknown line type (treated as cell)"
        )
        status = consents[-1].details.get("status") if consents else None
        if status == "revoked":
            blocks.append(
                Block(CONSENT_REVOKED, f"TCPA consent for the {what} {_last4(dial_number)} was revoked")
            )
        elif status != "granted":
            blocks.append(
                Block(CONSENT_MISSING, f"no TCPA consent on file for the {what} {_last4(dial_number)}")
            )
    for preference in active:
        if (
            preference.kind is PreferenceKind.INCONVENIENT_TIME
            and parse_stated_time(preference.details) is None
        ):
            blocks.append(
                Block(
                    INCONVENIENT, "the consumer's stated inconvenient times cannot be read; treated as always"
                )
            )
    return blocks


def timed_blocks(
    facts: CustomerFacts,
    rules: CallingRules,
    *,
    zones: Sequence[ZoneInfo],
    account_id: uuid.UUID | None,
    at: datetime,
    stated: Sequence[_StatedTime] = (),
) -> list[Block]:
    """Every timed rule that refuses a call at `at`, each with the earliest instant it could clear."""
    blocks: list[Block] = []
    window = rules.window
    for zone in zones:
        local = at.astimezone(zone)
        moment, day = local.time(), local.date()
        if not window.start <= moment < window.end:
            clears = _at(day if moment < window.start else day + timedelta(days=1), window.start, zone)
            blocks.append(Block(OUTSIDE_WINDOW, f"{moment:%H:%M} in {zone.key} is outside {window}", clears))
        if rules.weekdays is not None and local.weekday() not in rules.weekdays:
            following = next(
                day + timedelta(days=k)
                for k in range(1, 8)
                if (day + timedelta(days=k)).weekday() in rules.weekdays
            )
            blocks.append(
                Block(
                    CAMPAIGN_DAY,
                    f"{_DAY_NAMES[local.weekday()]} in {zone.key} is not a dialing day "
                    f"({_weekday_names(rules.weekdays)})",
                    _at(following, time(0), zone),
                )
            )
        for period in stated:
            if period.covers(local):
                blocks.append(
                    Block(
                        INCONVENIENT,
                        f"the consumer said {period} is inconvenient ({moment:%H:%M} in {zone.key})",
                        period.clears(local, zone),
                    )
                )
        talked = [c for c in facts.conversations if c <= at]
        if talked:
            last = max(talked)
            resume = last.astimezone(zone).date() + timedelta(days=rules.quiet_days)
            if day < resume:
                blocks.append(
                    Block(
                        QUIET_PERIOD,
                        f"a conversation about the debt on {last.astimezone(zone).date()} ({zone.key}); "
                        f"calls may resume on {resume}",
                        _at(resume, time(0), zone),
                    )
                )
    debt_attempts = [a.at for a in facts.attempts if account_id is None or a.account_id in (None, account_id)]
    count = window_count(debt_attempts, at)
    if count >= rules.weekly_attempt_limit:
        blocks.append(
            Block(
                WEEKLY_LIMIT,
                f"{count} attempts about this debt in 7 days; Regulation F allows {rules.weekly_attempt_limit}",
                _release(debt_attempts, at, rules.weekly_attempt_limit),
            )
        )
    person_attempts = [a.at for a in facts.attempts]
    for state in sorted(facts.states):
        limit = rules.state_weekly_limits.get(state)
        if limit is None:
            continue
        placed = window_count(person_attempts, at)
        if placed >= limit:
            blocks.append(
                Block(
                    STATE_LIMIT,
                    f"{state} allows {limit} initiated calls per 7 days; {placed} placed",
                    _release(person_attempts, at, limit),
                )
            )
    return _dedupe(blocks)


def _dedupe(blocks: list[Block]) -> list[Block]:
    seen: set[str] = set()
    unique = []
    for block in blocks:
        if block.text not in seen:
            seen.add(block.text)
            unique.append(block)
    return unique


def _stated_times(facts: CustomerFacts, at: datetime) -> list[_StatedTime]:
    periods = []
    for preference in facts.preferences:
        if preference.kind is PreferenceKind.INCONVENIENT_TIME and preference.active_at(at):
            period = parse_stated_time(preference.details)
            if period is not None:
                periods.append(period)
    return periods


def first_allowed(
    facts: CustomerFacts,
    rules: CallingRules,
    *,
    zones: Sequence[ZoneInfo],
    account_id: uuid.UUID | None,
    at: datetime,
    stated: Sequence[_StatedTime] = (),
) -> datetime | None:
    """The first instant at or after `at` at which no timed rule refuses, within the horizon.

    Jumps to the latest `clears_at` of the refusing rules: no earlier instant can pass all of them, so none
    is skipped; every returned instant has been checked against every rule."""
    moment = at
    limit = at + rules.horizon
    for _ in range(1000):
        blocks = timed_blocks(facts, rules, zones=zones, account_id=account_id, at=moment, stated=stated)
        if not blocks:
            return moment
        following = max(block.clears_at or moment for block in blocks)
        moment = following if following > moment else moment + timedelta(minutes=1)
        if moment > limit:
            return None
    return None


def decide(
    facts: CustomerFacts,
    rules: CallingRules,
    *,
    at: datetime,
    dial_number: str,
    account_id: uuid.UUID | None = None,
) -> ComplianceDecision:
    """The decision for calling `dial_number` at `at` about `account_id` (None: about the customer)."""
    at = _utc(at)
    zone_names, blocks = candidate_zones(facts, dial_number)
    blocks += standing_blocks(facts, dial_number=dial_number, account_id=account_id, at=at)
    zones = [ZoneInfo(name) for name in zone_names]
    stated = _stated_times(facts, at)
    now_blocks = timed_blocks(facts, rules, zones=zones, account_id=account_id, at=at, stated=stated)
    next_allowed: datetime | None = None
    if not blocks:
        next_allowed = (
            at
            if not now_blocks
            else first_allowed(facts, rules, zones=zones, account_id=account_id, at=at, stated=stated)
        )
        if next_allowed is None:
            now_blocks.append(
                Block(NO_TIME, f"no instant in the next {rules.horizon.days} days passes every rule")
            )
    every = _dedupe(blocks + now_blocks)
    debt_attempts = [a.at for a in facts.attempts if account_id is None or a.account_id in (None, account_id)]
    details: dict[str, Any] = {
        "window": str(rules.window),
        "local_times": {zone.key: at.astimezone(zone).isoformat() for zone in zones},
        "attempts_in_7_days": window_count(debt_attempts, at),
        "person_attempts_in_7_days": window_count([a.at for a in facts.attempts], at),
        "weekly_attempt_limit": rules.weekly_attempt_limit,
        "states": sorted(facts.states),
        "state_limits": {
            s: rules.state_weekly_limits[s] for s in sorted(facts.states) if s in rules.state_weekly_limits
        },
        "last_conversation_at": max((c for c in facts.conversations if c <= at), default=None),
    }
    if details["last_conversation_at"] is not None:
        details["last_conversation_at"] = details["last_conversation_at"].isoformat()
    return ComplianceDecision(
        allowed=not every,
        reasons=[block.text for block in every],
        codes=[block.code for block in every],
        next_allowed_at=next_allowed,
        zones=zone_names,
        at=at,
        customer_id=facts.customer_id,
        account_id=account_id,
        phone_number=dial_number,
        details=details,
    )
