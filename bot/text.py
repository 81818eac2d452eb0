"""Cleaning what people type before it is stored or matched."""

import re
import unicodedata
from collections.abc import Iterable

# C0 and C1 control characters other than tab and newline, lone surrogates
# (what a broken client or a mis-decoded file leaves behind), and the
# bidirectional embeddings and overrides, which can make a line of a report
# read in another order than it was written (isolates, the modern way to mix
# directions, are kept).
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e]")


def clean_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _UNPRINTABLE.sub("", unicodedata.normalize("NFC", text)).strip()
    # Nothing anyone can see (zero-width spaces, joiners, marks of direction alone) is an empty text.
    return text if any(unicodedata.category(char)[0] not in "CZ" for char in text) else ""


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word boundary with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return (cut or text[: limit - 1]) + "…"


REDACTED = "[…]"
MIN_REDACTED_LENGTH = 3  # shorter names would blank out parts of ordinary words


def unaccented(text: str) -> str:
    """The text without its accents and other combining marks: "Bogotá" is "Bogota"."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _folded(text: str) -> str:
    """Text as the pattern compares it, close enough for a substring test that
    never misses a match: casefolded and without accents, with the dotted and
    dotless i of Turkish read as i (re matches "İ" and "ı" with "i"), hyphens
    as spaces. What is still not ASCII then is dropped, from the names as from
    the texts: a substring stays a substring when the same letters are taken
    out of both, and dropping them runs in C, four times as fast as taking out
    the combining marks one character at a time (every text of a report is
    tested)."""
    if text.isascii():
        return text.casefold().replace("-", " ")
    decomposed = unicodedata.normalize("NFKD", text.casefold().replace("ı", "i"))
    return decomposed.encode("ascii", "ignore").decode("ascii").replace("-", " ")


# Each Latin letter with the accented letters written for it: a name typed without its accents
# ("Garcia-Nieto" for "García-Nieto") or with others still names the same person.
def _accented_letters() -> dict[str, str]:
    accented: dict[str, str] = {}
    for letter in map(chr, range(0xC0, 0x250)):  # Latin-1 and Latin Extended-A and B
        base = unaccented(letter).casefold()
        if len(base) == 1 and base.isalpha() and base != letter.casefold():
            accented[base] = accented.get(base, "") + letter
    return accented


_ACCENTED = _accented_letters()


def _spelled(word: str) -> str:
    """A regular expression for `word` however it is accented, its hyphens also spaces."""
    pieces = []
    for char in word:
        base = unaccented(char).casefold()
        if char == "-":
            pieces.append(r"[-\s]+")
        elif len(base) == 1 and base in _ACCENTED:
            pieces.append("[" + re.escape(base + _ACCENTED[base]) + "]")
        else:
            pieces.append(re.escape(char))
    return "".join(pieces)


class NamePattern:
    """The names to take out of someone's texts. Most texts name nobody: a
    substring test for one word of each name (its longest, which any match
    must contain) rules a text out before any pattern runs, and the pattern is
    compiled only the first time a text may hold a name. A name with no Latin
    letter has no such word: every text is then tried with the pattern."""

    __slots__ = ("_acronyms", "_clues", "_compiled", "_names")

    def __init__(self, names: set[str], acronyms: Iterable[str] = ()):
        self._names = sorted(names, key=len, reverse=True)  # the whole name before its parts
        self._acronyms = sorted(acronyms)  # matched as written, in capitals: "FAMSI", never "famsi" in a word
        self._clues = tuple({max(_folded(name).split(), key=len, default="") for name in names} | {_folded(a) for a in self._acronyms})
        self._compiled: re.Pattern | None = None

    def may_appear_in(self, text: str) -> bool:
        folded = _folded(text)
        return any(clue in folded for clue in self._clues)

    @property
    def pattern(self) -> re.Pattern:
        if self._compiled is None:
            alternatives = [r"[-\s]+".join(_spelled(word) for word in name.split()) for name in self._names]
            alternatives += [f"(?-i:{re.escape(acronym)})" for acronym in self._acronyms]
            self._compiled = re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", re.IGNORECASE)
        return self._compiled


def name_pattern(people: tuple[str | None, ...], organisations: tuple[str | None, ...] = ()) -> NamePattern | None:
    """What names someone in a text: each of the names as written (spaces
    however many, "Acme Inc." and "GIZ (Bonn)" included), each part of a
    person's name on its own ("Soy Carol de …"), and an organisation's short
    forms: its name without what it gives in brackets ("GIZ"), and, in
    capitals as written, its words in capitals ("FAMSI" in brackets) and the
    initials of its capitalised words ("FAMSI" for "Fondo Andaluz de
    Municipios para la Solidaridad Internacional"). None when there is no name."""
    parts = {part for name in people if name for part in name.split()}
    unbracketed = {re.sub(r"\s*\([^()]*\)", "", name) for name in organisations if name}
    names = {n.strip() for n in (*people, *organisations, *unbracketed, *parts) if n and len(n.strip()) >= MIN_REDACTED_LENGTH}
    acronyms = {acronym for name in organisations if name for acronym in _short_forms(name) if len(acronym) >= MIN_REDACTED_LENGTH}
    return NamePattern(names, acronyms) if names or acronyms else None


def _short_forms(organisation: str) -> set[str]:
    capitals = {word for word in re.findall(r"\w+", organisation) if word.isupper() and word.isalpha()}
    initials = "".join(word[0] for word in re.findall(r"\w+", re.sub(r"\([^()]*\)", " ", organisation)) if word[0].isupper())
    return capitals | ({initials} if initials.isalpha() else set())


def redact(text: str, names: NamePattern | None) -> str:
    if names is None or not names.may_appear_in(text):
        return text
    return names.pattern.sub(REDACTED, text)
