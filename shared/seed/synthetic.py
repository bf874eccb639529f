"""Synthetic customers for the demo organization and the benchmarks.

Clearly fictional: invented surnames, `@example.com` e-mails, phone numbers in the reserved 555-0100..0199
range of real area codes (so `phonenumbers` still resolves their time zones), real ZIP codes so that the
address zone is real. Customer `i` is a pure function of (`i`, seed): re-running adds exactly what is missing,
and a batch can be generated anywhere in the sequence.

The mix is what a collections floor sees: every US time zone (Arizona, Alaska and Hawaii included, and area
codes that span two zones), one to three debts each, and special cases — cease requested, dispute open,
attorney on file, mobile numbers without TCPA consent, several numbers in different zones, legal hold,
stated inconvenient times, Massachusetts addresses (stricter call limits).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from itertools import accumulate
from typing import Any

from shared.domain import AccountStatus, LineType, PreferenceKind

DEFAULT_SEED = 20261125


@dataclass(frozen=True)
class Locale:
    city: str
    state: str
    postal_code: str
    area_code: str  # one locale per area code, so each has the whole 555-0100..0199 block


LOCALES: tuple[Locale, ...] = (
    # Eastern
    Locale("New York", "NY", "10001", "212"),
    Locale("Boston", "MA", "02108", "617"),
    Locale("Atlanta", "GA", "30303", "404"),
    Locale("Miami", "FL", "33101", "305"),
    Locale("Philadelphia", "PA", "19103", "215"),
    Locale("Charlotte", "NC", "28202", "704"),
    Locale("Detroit", "MI", "48226", "313"),
    Locale("Columbus", "OH", "43215", "614"),
    Locale("Indianapolis", "IN", "46204", "317"),
    # Central
    Locale("Chicago", "IL", "60601", "312"),
    Locale("Dallas", "TX", "75201", "214"),
    Locale("Houston", "TX", "77002", "713"),
    Locale("Minneapolis", "MN", "55401", "612"),
    Locale("Nashville", "TN", "37203", "615"),
    Locale("New Orleans", "LA", "70112", "504"),
    Locale("Kansas City", "MO", "64106", "816"),
    Locale("Sioux Falls", "SD", "57104", "605"),  # 605 spans Central and Mountain
    Locale("Bismarck", "ND", "58501", "701"),  # 701 spans Central and Mountain
    Locale("Pensacola", "FL", "32502", "850"),  # Central address in an Eastern-listed area code
    # Mountain
    Locale("Denver", "CO", "80202", "303"),
    Locale("Salt Lake City", "UT", "84101", "801"),
    Locale("Albuquerque", "NM", "87102", "505"),
    Locale("Boise", "ID", "83702", "208"),
    Locale("Billings", "MT", "59101", "406"),
    # Arizona: Mountain Standard Time all year
    Locale("Phoenix", "AZ", "85004", "602"),
    Locale("Tucson", "AZ", "85701", "520"),
    # Pacific
    Locale("Los Angeles", "CA", "90012", "213"),
    Locale("San Francisco", "CA", "94103", "415"),
    Locale("Seattle", "WA", "98101", "206"),
    Locale("Portland", "OR", "97204", "503"),
    Locale("Las Vegas", "NV", "89101", "702"),
    # Alaska and Hawaii
    Locale("Anchorage", "AK", "99501", "907"),
    Locale("Honolulu", "HI", "96813", "808"),
)

# Within a locale's 100 fictional numbers: primaries take 00-39, second mobiles 40-79, work lines 80-98,
# attorneys 99. Unique for the first 33 x 40 customers; larger (benchmark) populations reuse numbers.
_SECOND_MOBILE_BASE, _WORK_BASE, _ATTORNEY_SLOT = 40, 80, 99
# Adding this to a locale's position lands in another time zone for every locale of the table above.
_OTHER_ZONE_SHIFT = 17

FIRST_NAMES = (
    "Avery", "Blake", "Cameron", "Dakota", "Emerson", "Finley", "Gray", "Harper", "Indigo", "Jordan",
    "Kendall", "Logan", "Morgan", "Noel", "Oakley", "Parker", "Quinn", "Reese", "Sawyer", "Tatum",
    "Umber", "Vale", "Wren", "Xen", "Yael", "Zion", "Ari", "Bellamy", "Corin", "Devon",
    "Ellis", "Frankie", "Gale", "Hollis", "Jules", "Kit", "Lane", "Marlow", "Nico", "Ollie",
    "Peyton", "Remy", "Sage", "Toby", "Robin", "Shay", "Rowan", "Emery", "Hayden", "Lennon",
)  # fmt: skip

# Invented surnames: plausible to the ear, found in no phone book.
SURNAMES = (
    "Ashgrove", "Brackenfold", "Cindervale", "Dunmorrow", "Elderbrook", "Fennimoor", "Glimmerton", "Hollowmere",
    "Ivybridge", "Juniperhall", "Kestrelwick", "Larkspurrow", "Mistlecombe", "Nettlefield", "Oakhollow",
    "Pebblestone", "Quillfeather", "Rushwillow", "Sablethorne", "Thistledown", "Umberlee", "Vesperwood",
    "Wrenfield", "Yarrowby", "Zephyrine", "Amberlocke", "Birchwhistle", "Copperkettle", "Dapplegate",
    "Emberwick", "Foxglade", "Gorsehill", "Heronsgate", "Inkwater", "Jasperleigh", "Kindlewood", "Lanternmoor",
    "Moonbarrow", "Northwhistle", "Orchardine", "Puddlecote", "Quarrymead", "Ravensbrook", "Saltmarsh",
    "Tumbleweed", "Underhill-Vance", "Velvetmoss", "Willowisp", "Yewbarrow", "Zinniafield",
)  # fmt: skip

STREETS = (
    "Maple",
    "Cedar",
    "Lantern",
    "Harbor",
    "Orchard",
    "Summit",
    "Willow",
    "Meadow",
    "Juniper",
    "Copper",
)
STREET_KINDS = ("St", "Ave", "Rd", "Ln", "Ct", "Way")
PRODUCTS = ("credit_card", "credit_card", "personal_loan", "auto_loan", "overdraft_line")
CREDITORS = {
    "credit_card": "Demo Bank Card Services",
    "personal_loan": "Demo Bank Lending",
    "auto_loan": "Demo Bank Auto Finance",
    "overdraft_line": "Demo Bank Checking",
}
AS_OF = date(2026, 11, 1)  # balances are as of this date, so the data set never changes with the clock


def segment_for(days_past_due: int) -> str:
    if days_past_due < 30:
        return "early_stage"
    if days_past_due < 90:
        return "mid_stage"
    if days_past_due < 180:
        return "late_stage"
    return "recovery"


def fictional_number(locale: Locale, slot: int) -> str:
    return f"+1{locale.area_code}5550{100 + slot % 100}"


@dataclass
class SyntheticAccount:
    external_ref: str
    account_last_4: str
    product: str
    balance: Decimal
    past_due_amount: Decimal
    minimum_payment: Decimal
    days_past_due: int
    opened_on: date
    last_payment_on: date | None
    status: AccountStatus = AccountStatus.ACTIVE


@dataclass
class SyntheticCustomer:
    index: int
    external_ref: str
    name: str
    locale: Locale
    phone_number: str
    primary_line_type: LineType
    email: str
    address_line1: str
    language: str
    legal_hold: bool
    other_phones: list[tuple[str, LineType, str]] = field(default_factory=list)
    accounts: list[SyntheticAccount] = field(default_factory=list)
    # (kind, phone_number, details, account index or None)
    preferences: list[tuple[PreferenceKind, str | None, dict[str, Any], int | None]] = field(
        default_factory=list
    )

    @property
    def worst_days_past_due(self) -> int:
        return max(account.days_past_due for account in self.accounts)


def _money(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


# Weighted draws take cumulative weights: `choices(weights=w)` is `choices(cum_weights=accumulate(w))` draw for
# draw (same random() calls, same bisect), without rebuilding the running sums for every customer.
_DPD_BANDS = ((1, 29), (30, 89), (90, 179), (180, 364), (365, 720))
_DPD_CUM_WEIGHTS = tuple(accumulate((30, 30, 20, 12, 8)))
_ACCOUNT_COUNTS = (1, 2, 3)
_ACCOUNT_COUNT_CUM_WEIGHTS = tuple(accumulate((72, 23, 5)))


def _days_past_due(rng: random.Random) -> int:
    band = rng.choices(_DPD_BANDS, cum_weights=_DPD_CUM_WEIGHTS)[0]
    return rng.randint(*band)


def make_customer(index: int, *, seed: int = DEFAULT_SEED, ref_prefix: str = "DEMO") -> SyntheticCustomer:
    """Customer number `index` of the synthetic population."""
    rng = random.Random(seed * 1_000_003 + index)
    locale = LOCALES[index % len(LOCALES)]
    slot = index // len(LOCALES)
    first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
    ref = f"{ref_prefix}-{index:06d}"
    customer = SyntheticCustomer(
        index=index,
        external_ref=ref,
        name=f"{first} {last}",
        locale=locale,
        phone_number=fictional_number(locale, slot),
        primary_line_type=LineType.MOBILE if rng.random() < 0.6 else LineType.LANDLINE,
        email=f"{first}.{last}.{index}@example.com".lower(),
        address_line1=f"{rng.randint(10, 9899)} {rng.choice(STREETS)} {rng.choice(STREET_KINDS)}",
        language="es" if rng.random() < 0.08 else "en",
        legal_hold=rng.random() < 0.01,
    )
    if rng.random() < 0.12:
        # A second number in another zone: a mobile kept from a previous city.
        other = LOCALES[(index + _OTHER_ZONE_SHIFT) % len(LOCALES)]
        number = fictional_number(other, _SECOND_MOBILE_BASE + slot % 40)
        customer.other_phones.append((number, LineType.MOBILE, "mobile"))
    if rng.random() < 0.05:
        number = fictional_number(locale, _WORK_BASE + slot % 19)
        customer.other_phones.append((number, LineType.LANDLINE, "work"))

    for k in range(rng.choices(_ACCOUNT_COUNTS, cum_weights=_ACCOUNT_COUNT_CUM_WEIGHTS)[0]):
        product = rng.choice(PRODUCTS)
        balance = math.exp(rng.uniform(math.log(150), math.log(25_000)))
        days = _days_past_due(rng)
        past_due = balance if days >= 180 else balance * rng.uniform(0.05, 0.4)
        opened = AS_OF - timedelta(days=rng.randint(400, 3650))
        customer.accounts.append(
            SyntheticAccount(
                external_ref=f"{ref}-{k + 1}",
                account_last_4=f"{rng.randint(0, 9999):04d}",
                product=product,
                balance=_money(balance),
                past_due_amount=_money(past_due),
                minimum_payment=_money(max(25.0, balance * 0.03)),
                days_past_due=days,
                opened_on=opened,
                last_payment_on=AS_OF - timedelta(days=days + rng.randint(1, 30)),
            )
        )

    mobiles = [customer.phone_number] if customer.primary_line_type is LineType.MOBILE else []
    mobiles += [number for number, kind, _ in customer.other_phones if kind is LineType.MOBILE]
    for number in mobiles:
        if rng.random() < 0.85:  # the rest have no TCPA consent on that mobile: not auto-dialable
            customer.preferences.append((PreferenceKind.PHONE_CONSENT, number, {"status": "granted"}, None))
    roll = rng.random()
    if roll < 0.03:
        customer.preferences.append((PreferenceKind.CEASE_CONTACT, None, {"channel": "phone"}, None))
    elif roll < 0.06:
        customer.preferences.append((PreferenceKind.DISPUTE, None, {"reason": "amount not recognized"}, 0))
    elif roll < 0.08:
        customer.preferences.append(
            (
                PreferenceKind.ATTORNEY,
                None,
                {
                    "attorney_name": f"{rng.choice(SURNAMES)} Legal Aid",
                    "phone": fictional_number(locale, _ATTORNEY_SLOT),
                },
                None,
            )
        )
    if rng.random() < 0.05:
        customer.preferences.append(
            (
                PreferenceKind.INCONVENIENT_TIME,
                None,
                {"weekdays": [0, 1, 2, 3, 4], "start": "09:00", "end": "17:00", "note": "at work"},
                None,
            )
        )
    return customer


def generate(
    count: int, *, start: int = 0, seed: int = DEFAULT_SEED, ref_prefix: str = "DEMO"
) -> Iterator[SyntheticCustomer]:
    for index in range(start, start + count):
        yield make_customer(index, seed=seed, ref_prefix=ref_prefix)
