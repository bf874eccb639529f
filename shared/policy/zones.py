"""Where a consumer might be: the IANA time zones of a postal code and of a phone number.

A zone that cannot be determined is *unknown*, never guessed: the compliance engine treats an unknown zone as
not callable. Toll-free and other non-geographic numbers have no zone."""

from __future__ import annotations

import functools
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import PhoneNumberType
from phonenumbers import timezone as phone_timezone

_NON_GEOGRAPHIC = {
    PhoneNumberType.TOLL_FREE,
    PhoneNumberType.PREMIUM_RATE,
    PhoneNumberType.SHARED_COST,
    PhoneNumberType.UAN,
    PhoneNumberType.PERSONAL_NUMBER,
    PhoneNumberType.PAGER,
    PhoneNumberType.VOICEMAIL,
}


def _is_zone(name: str) -> bool:
    if not name or "/" not in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


@functools.cache
def _postal_index() -> dict[str, tuple[str | None, str]]:
    """ZIP code -> (zone or None, state), built once from the `zipcodes` package's bundled data."""
    import zipcodes

    index: dict[str, tuple[str | None, str]] = {}
    for entry in zipcodes.list_all():  # type: ignore[no-untyped-call]
        zone = entry.get("timezone") or ""
        index[entry["zip_code"]] = (zone if _is_zone(zone) else None, entry.get("state") or "")
    return index


def zone_for_postal_code(postal_code: str | None) -> str | None:
    """The IANA zone of a US ZIP (or ZIP+4) code, or None when unknown."""
    if not postal_code:
        return None
    entry = _postal_index().get(postal_code.strip()[:5])
    return entry[0] if entry else None


def state_for_postal_code(postal_code: str | None) -> str | None:
    if not postal_code:
        return None
    entry = _postal_index().get(postal_code.strip()[:5])
    return entry[1] or None if entry else None


def zones_for_phone(number: str | None) -> tuple[str, ...]:
    """Every zone the number's area code spans (several for split area codes); () when unknown."""
    if not number:
        return ()
    try:
        parsed = phonenumbers.parse(number, "US")
    except phonenumbers.NumberParseException:
        return ()
    if not phonenumbers.is_possible_number(parsed) or phonenumbers.number_type(parsed) in _NON_GEOGRAPHIC:
        return ()
    zones = tuple(zone for zone in phone_timezone.time_zones_for_number(parsed) if _is_zone(zone))
    return zones
