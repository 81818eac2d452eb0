"""Every sentence the bot says exists in French, English and Spanish."""

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.i18n import _, format_moment, ngettext, reading_in
from locales import CATALOG_DIR, PARTS

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("bot", "adapters", "schedules", "facilitator")
KEYWORDS = {"_": None, "ngettext": (1, 2), "N_": None}


def sentences_in(folder: Path) -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(folder, method_map=[("**.py", "python")], keywords=KEYWORDS):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def sentences_in_code() -> set[str]:
    return set().union(*(sentences_in(ROOT / source) for source in SOURCES))


def catalog_entries(language: str, domain: str = "*") -> dict:
    entries = {}
    for po_path in sorted((CATALOG_DIR / language / "LC_MESSAGES").glob(f"{domain}.po")):
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=language)
        for message in catalog:
            if message.id:
                key = message.id[0] if isinstance(message.id, tuple) else message.id
                entries[key] = (message, catalog.num_plurals)
    return entries


@pytest.mark.parametrize("language", ["fr", "es", "en"])
def test_every_sentence_is_translated_with_every_plural_form(language):
    entries = catalog_entries(language)
    missing = sorted(sentences_in_code() - entries.keys())
    assert not missing, f"not in the {language} catalogs: {missing}"
    for key, (message, plurals) in entries.items():
        assert not message.fuzzy, f"{language}: fuzzy translation of {key!r}"
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if language != "en":
            assert all(strings), f"{language}: untranslated {key!r}"
        if isinstance(message.id, tuple) and language != "en":
            assert len(strings) == plurals, f"{language}: {key!r} needs {plurals} plural forms"


def test_each_part_keeps_its_sentences_in_its_own_domain():
    """A translator refreshing one part's catalog (the README's commands) finds
    all of that part's sentences there, and no sentence lives outside a part."""
    parts_sentences = set()
    for domain, folder in PARTS.items():
        sentences = sentences_in(ROOT / folder)
        assert sentences, f"{folder} has no sentences: drop its domain"
        parts_sentences |= sentences
        for language in ("fr", "es", "en"):
            missing = sorted(sentences - catalog_entries(language, domain).keys())
            assert not missing, f"not in {language}/LC_MESSAGES/{domain}.po: {missing}"
    assert sentences_in_code() <= parts_sentences, "sentences outside every part of locales.PARTS"


def test_translations_keep_their_placeholders():
    import re

    placeholder = re.compile(r"\{(\w+)\}")
    for language in ("fr", "es"):
        for key, (message, _plurals) in catalog_entries(language).items():
            expected = set(placeholder.findall(key))
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            for string in strings:
                assert set(placeholder.findall(string)) <= expected | {"count"}, (language, key, string)
                assert expected - {"count"} <= set(placeholder.findall(string)), (language, key, string)


def test_sentences_read_in_the_readers_language():
    said = {}
    for language in ("fr", "en", "es"):
        with reading_in(language):
            said[language] = _("Your message is empty: nothing was recorded.")
    assert said == {
        "fr": "Votre message est vide : rien n’a été enregistré.",
        "en": "Your message is empty: nothing was recorded.",
        "es": "Su mensaje está vacío: no se ha registrado nada.",
    }


def test_plurals_follow_each_language():
    with reading_in("fr"):
        assert ngettext("{count} participant", "{count} participants", 0).format(count=0) == "0 participant"
        assert ngettext("{count} participant", "{count} participants", 2).format(count=2) == "2 participants"
    with reading_in("en"):
        assert ngettext("{count} participant", "{count} participants", 0).format(count=0) == "0 participants"
    with reading_in("es"):
        assert ngettext("{count} contribution", "{count} contributions", 1).format(count=1) == "1 contribución"
        assert ngettext("{count} contribution", "{count} contributions", 5).format(count=5) == "5 contribuciones"


def test_dates_are_written_the_readers_way():
    import datetime as dt

    moment = dt.datetime(2013, 7, 15, 7, 0, tzinfo=dt.UTC)
    with reading_in("fr"):
        assert format_moment(moment, "Europe/Brussels") == "lun. 15 juil. 2013 09:00 (Europe/Brussels)"
    with reading_in("en"):
        assert format_moment(moment, "America/Guayaquil") == "Mon, Jul 15, 2013 2:00\u202fAM (America/Guayaquil)"
