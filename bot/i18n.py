"""Translations and locale-aware formatting.

The reader's language travels with the event in a ContextVar (set per chat
with `reading_in`), never through a process-wide `gettext.install`, so two
chats in two languages handled at once each read their own.
"""

from __future__ import annotations

import datetime as dt
import gettext as _gettext
import io
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError, negotiate_locale
from babel.dates import format_skeleton, format_time
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from bot.text import unaccented
from locales import CATALOG_DIR, DOMAIN

FALLBACK_LANGUAGE = "en"
_reader_language: ContextVar[str] = ContextVar("reader_language", default=FALLBACK_LANGUAGE)


@cache
def catalog_languages() -> tuple[str, ...]:
    """The languages the bot's own sentences are translated into."""
    return tuple(sorted(path.name for path in CATALOG_DIR.iterdir() if (path / "LC_MESSAGES").is_dir()))


@cache
def translations(language: str) -> _gettext.NullTranslations:
    """One language's catalog, compiled in memory from its committed .po
    sources: one gettext domain per part of the product (`locales.PARTS`),
    so that each part keeps its own sentences."""
    merged = Catalog(locale=language, domain=DOMAIN)
    for po_path in sorted((CATALOG_DIR / language / "LC_MESSAGES").glob("*.po")):
        with po_path.open("rb") as po_file:
            for message in read_po(po_file, locale=language):
                if message.id and message.string and not message.fuzzy:
                    merged[message.id] = message
    if not len(merged):
        return _gettext.NullTranslations()
    buffer = io.BytesIO()
    write_mo(buffer, merged)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def current_language() -> str:
    return _reader_language.get()


@contextmanager
def reading_in(language: str | None) -> Iterator[str]:
    """Everything said inside the block is in `language` (or the fallback)."""
    token = _reader_language.set(language or FALLBACK_LANGUAGE)
    try:
        yield _reader_language.get()
    finally:
        _reader_language.reset(token)


def _(message: str) -> str:
    return translations(current_language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_language()).ngettext(singular, plural, n)


def negotiate(language_code: str | None, available: Sequence[str]) -> str | None:
    """The discussion language closest to what a platform reports ("es-AR" → "es")."""
    if not language_code:
        return None
    return negotiate_locale([language_code.replace("-", "_")], list(available))


def language_name(code: str, in_language: str | None = None) -> str:
    """A language's own name ("español"), or its name in another language,
    as written inside a sentence."""
    try:
        return Locale.parse(code).get_display_name(in_language or code) or code
    except (ValueError, UnknownLocaleError):
        return code


def typed_key(text: str) -> str:
    """A label as someone may type it: "espanol", "Español !" and "ESPAÑOL" read alike."""
    bare = unaccented(text.casefold())
    return " ".join(re.sub(r"[^\w]+", " ", bare).split())


# The languages whose country names are recognised as typed ("Spain", "España", "Espagne").
_COUNTRY_NAME_LANGUAGES = ("en", "fr", "es", "pt", "it", "de", "ar", "nl")


@cache
def _territories() -> dict[str, str]:
    """Each country's names in those languages, as typed keys, to its ISO 3166 code."""
    codes: dict[str, str] = {}
    for language in _COUNTRY_NAME_LANGUAGES:
        for code, name in Locale.parse(language).territories.items():
            if len(code) == 2 and code.isalpha():  # countries, not regions ("150": Europe)
                codes.setdefault(typed_key(name), code)
    return codes


@lru_cache(maxsize=4_096)  # a discussion's participants type a few countries, counted for every contribution
def country_code(typed: str) -> str | None:
    """The ISO 3166 code of a country as someone typed it ("spain", "España", "Espagne"), or None."""
    return _territories().get(typed_key(typed))


def country_name(code: str, in_language: str) -> str:
    """A country's name in a language ("ES" in French: "Espagne")."""
    return Locale.parse(in_language).territories.get(code, code)


def language_named(typed: str, codes: Sequence[str]) -> str | None:
    """Which of `codes` a typed word names: its code ("es"), its own name ("Español", "espanol"), or its
    name in any of them or in English ("Spanish", "espagnol")."""
    key = typed_key(typed)
    for code in codes:
        names = {code, *(language_name(code, in_language) for in_language in (*codes, FALLBACK_LANGUAGE))}
        if key in {typed_key(name) for name in names}:
            return code
    return None


def _day_and_time(moment: dt.datetime, zone: ZoneInfo) -> str:
    locale = current_language()
    day = format_skeleton("yMMMEd", moment, tzinfo=zone, locale=locale)
    return f"{day} {format_time(moment, 'short', tzinfo=zone, locale=locale)}"


def format_moment(moment: dt.datetime, timezone: str) -> str:
    """A date and time in the reader's locale and the given zone, named:
    "lun. 15 juil. 2013 09:00 (Europe/Brussels)"."""
    return f"{_day_and_time(moment, ZoneInfo(timezone))} ({timezone})"


def format_period(start: dt.datetime, end: dt.datetime, timezone: str) -> str:
    """ "lun. 8 juil. 2013 09:00 – lun. 15 juil. 2013 09:00 (Europe/Brussels)"."""
    zone = ZoneInfo(timezone)
    return f"{_day_and_time(start, zone)} – {_day_and_time(end, zone)} ({timezone})"


def format_number(n: int | float) -> str:
    return format_decimal(n, locale=current_language())
