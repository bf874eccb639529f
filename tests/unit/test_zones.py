"""Time zones of postal codes and phone numbers, from data that is offline and current."""

from __future__ import annotations

import gzip

from shared.policy import zones


def test_zip_index_matches_the_zipcodes_package() -> None:
    """The committed ZIP-code index is exactly what the zipcodes package generates (regenerate on drift)."""
    committed = gzip.decompress(zones.ZIP_INDEX_FILE.read_bytes()).decode("ascii").splitlines(keepends=True)
    assert committed[0].startswith("# GENERATED")
    assert committed[1:] == zones.build_zip_index_lines(), "run: python -m shared.policy.zones --regenerate"


def test_postal_codes_resolve_to_their_zone() -> None:
    """ZIP and ZIP+4 codes give the address's zone; unknown codes give None."""
    assert zones.zone_for_postal_code("85004") == "America/Phoenix"
    assert zones.zone_for_postal_code("99501-1234") == "America/Anchorage"
    assert zones.zone_for_postal_code("96813") == "Pacific/Honolulu"
    assert zones.state_for_postal_code("02108") == "MA"
    assert zones.zone_for_postal_code("00000") is None
    assert zones.zone_for_postal_code(None) is None


def test_phone_numbers_resolve_to_every_zone_of_their_area_code() -> None:
    """Area codes give their zones (several when split); toll-free and invalid numbers have none."""
    assert zones.zones_for_phone("+16025550100") == ("America/Phoenix",)
    assert set(zones.zones_for_phone("+16055550100")) >= {"America/Denver", "America/Chicago"}
    assert zones.zones_for_phone("+18005550100") == ()
    assert zones.zones_for_phone("not a number") == ()


def test_split_area_codes_list_each_zone_they_span() -> None:
    """605 and 701 span Central and Mountain; 850 spans Eastern and Central although `phonenumbers` lists
    Eastern only; toll-free numbers are non-geographic."""
    assert {"America/Chicago", "America/Denver"} <= set(zones.zones_for_phone("+17015550100"))
    assert zones.zones_for_phone("+18505550100") == ("America/New_York", "America/Chicago")
    assert zones.is_non_geographic("+18885550100") and not zones.is_non_geographic("+12125550100")
