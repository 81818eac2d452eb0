"""Cleaning what people type before it is stored or matched."""

import re
import unicodedata

# C0 and C1 control characters other than tab and newline, lone surrogates
# (what a broken client or a mis-decoded file leaves behind), and the
# bidirectional embeddings and overrides, which can make a line of a report
# read in another order than it was written (isolates, the modern way to mix
# directions, are kept).
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e]")


def clean_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _UNPRINTABLE.sub("", unicodedata.normalize("NFC", text)).strip()


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word boundary with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return (cut or text[: limit - 1]) + "…"


REDACTED = "[…]"
MIN_REDACTED_LENGTH = 3  # shorter names would blank out parts of ordinary words


def _folded(text: str) -> str:
    """Text as the pattern's IGNORECASE compares it, close enough for a
    substring test that never misses a match: casefolded, with the dotted and
    dotless i of Turkish read as i (re matches "İ" and "ı" with "i")."""
    return text.casefold().replace("\u0307", "").replace("ı", "i")


class NamePattern:
    """The names to take out of someone's texts. Most texts name nobody: a
    substring test for one word of each name (its longest, which any match
    must contain) rules a text out before any pattern runs, and the pattern is
    compiled only the first time a text may hold a name."""

    __slots__ = ("_clues", "_compiled", "_names")

    def __init__(self, names: set[str]):
        self._names = sorted(names, key=len, reverse=True)  # the whole name before its parts
        self._clues = tuple({max(_folded(name).split(), key=len) for name in names})
        self._compiled: re.Pattern | None = None

    def may_appear_in(self, text: str) -> bool:
        folded = _folded(text)
        return any(clue in folded for clue in self._clues)

    @property
    def pattern(self) -> re.Pattern:
        if self._compiled is None:
            alternatives = (r"\s+".join(re.escape(word) for word in name.split()) for name in self._names)
            self._compiled = re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", re.IGNORECASE)
        return self._compiled


def name_pattern(people: tuple[str | None, ...], organisations: tuple[str | None, ...] = ()) -> NamePattern | None:
    """What names someone in a text: each of the names as written (spaces
    however many, "Acme Inc." and "GIZ (Bonn)" included), and each part of a
    person's name on its own ("Soy Carol de …"). None when there is no name."""
    parts = {part for name in people if name for part in name.split()}
    names = {n.strip() for n in (*people, *organisations, *parts) if n and len(n.strip()) >= MIN_REDACTED_LENGTH}
    return NamePattern(names) if names else None


def redact(text: str, names: NamePattern | None) -> str:
    if names is None or not names.may_appear_in(text):
        return text
    return names.pattern.sub(REDACTED, text)
