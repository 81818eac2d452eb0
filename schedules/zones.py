"""Time zones from what a person types with /timezone: an IANA name in any
case ("europe/paris"), a city that names a zone ("Paris", "Londres" or
"Ciudad de México" in the reader's language, from Babel's zone names), a
country ("Ecuador", "Francia"), or a capital ("Quito"). A name that fits
several zones gives them, for the person to choose; an unknown one gives the
nearest names."""

from __future__ import annotations

import functools
import importlib.resources
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from rapidfuzz import fuzz, process

from bot.text import unaccented

MAX_CANDIDATES = 5
# zone.tab's comment for a country's main zone, where it has several (Ecuador's mainland).
_MAIN_ZONE_COMMENTS = ("mainland", "most areas", "most locations")


@dataclass(frozen=True)
class ZoneLookup:
    zone: ZoneInfo | None  # the one zone meant
    candidates: tuple[str, ...] = ()  # otherwise: the zones it may mean, or the names nearest to it
    fits_several: bool = False  # the candidates are zones the name itself fits (a country of several), not names near it


def find_zone(text: str, language: str) -> ZoneLookup:
    name = text.strip()
    if not name:
        return ZoneLookup(None)
    try:
        return ZoneLookup(ZoneInfo(name))
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "Canada", "America" are folders of tzdata, not zones
        pass
    names = _names(language)
    zones = names.get(_fold(name))
    if zones is not None:
        return ZoneLookup(ZoneInfo(next(iter(zones)))) if len(zones) == 1 else ZoneLookup(None, _in_table_order(zones), fits_several=True)
    nearest = process.extract(_fold(name), names.keys(), scorer=fuzz.ratio, limit=MAX_CANDIDATES, score_cutoff=75)
    return ZoneLookup(None, _in_table_order({zone for match, _score, _index in nearest for zone in names[match]}))


def _in_table_order(zones: frozenset[str] | set[str]) -> tuple[str, ...]:
    """At most a few of `zones`, in zone.tab's order (a country's main zone usually first)."""
    order = {zone: i for i, (_code, zone, _comment) in enumerate(_zone_table())}
    return tuple(sorted(zones, key=lambda zone: (order.get(zone, len(order)), zone)))[:MAX_CANDIDATES]


def _fold(text: str) -> str:
    """ "São_Paulo", "sao paulo", "SAO-PAULO" alike."""
    plain = unaccented(text.casefold())
    return " ".join(plain.replace("_", " ").replace("-", " ").replace("’", "'").split())


@functools.cache
def _names(language: str) -> dict[str, frozenset[str]]:
    """Every name a zone goes by for a reader of `language` (English names too), folded."""
    aliases: Mapping[str, str] = get_global("zone_aliases")
    canonical = {key: aliases.get(key, key) for key in available_timezones() if "/" in key and not key.startswith("Etc/")}
    found: dict[str, set[str]] = defaultdict(set)
    for key, zone in canonical.items():
        found[_fold(key)].add(zone)
        found[_fold(key.rsplit("/", 1)[-1])].add(zone)  # "Paris", and "Canberra" for Sydney through its alias
    country_zones = _zones_by_country(set(canonical.values()))
    locales = [Locale.parse("en")]
    try:
        if language != "en":
            locales.append(Locale.parse(language))
    except (ValueError, UnknownLocaleError):
        pass
    for locale in locales:
        for key, names in locale.time_zones.items():
            if names.get("city") and key in canonical:
                found[_fold(names["city"])].add(canonical[key])
        for code, zones in country_zones.items():
            if code in locale.territories:
                found[_fold(locale.territories[code])] |= zones
    for capital, codes in _capitals().items():
        if _fold(capital) not in found:
            for code in codes & country_zones.keys():
                found[_fold(capital)] |= _main_zone(code, country_zones[code])
    return {name: frozenset(zones) for name, zones in found.items()}


@functools.cache
def _zone_table() -> list[tuple[str, str, str]]:
    """tzdata's zone.tab: (country code, zone, comment) for each zone."""
    text = importlib.resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text(encoding="utf-8")
    rows = [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]
    return [(row[0], row[2], row[3] if len(row) > 3 else "") for row in rows]


def _zones_by_country(known: set[str]) -> dict[str, set[str]]:
    zones: dict[str, set[str]] = defaultdict(set)
    for code, zone, _comment in _zone_table():
        if zone in known:
            zones[code].add(zone)
    return zones


def _main_zone(code: str, zones: set[str]) -> set[str]:
    """A capital's zone: its country's only one, or its main one (zone.tab's
    "mainland", "most areas"); else every zone of the country, to choose from."""
    if len(zones) == 1:
        return zones
    main = {
        zone for country, zone, comment in _zone_table() if country == code and any(word in comment.lower() for word in _MAIN_ZONE_COMMENTS)
    }
    return main if len(main) == 1 else zones


def _capitals() -> dict[str, set[str]]:
    """Capital → country codes (two countries have a Kingston), for capitals that name no zone (Quito)."""
    from countryinfo import all_countries

    capitals: dict[str, set[str]] = defaultdict(set)
    for country in all_countries():
        try:
            capital, code = country.capital(), country.iso(2)
        except (KeyError, AttributeError, TypeError, ValueError):
            continue  # a territory without a capital or a code
        for name in capital if isinstance(capital, list) else [capital]:
            if isinstance(name, str) and name and isinstance(code, str):
                capitals[name].add(code)
    return capitals
