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


def name_pattern(people: tuple[str | None, ...], organisations: tuple[str | None, ...] = ()) -> re.Pattern | None:
    """What names someone in a text: each of the names as written (spaces
    however many, "Acme Inc." and "GIZ (Bonn)" included), and each part of a
    person's name on its own ("Soy Carol de …"). None when there is no name."""
    parts = {part for name in people if name for part in name.split()}
    names = {n.strip() for n in (*people, *organisations, *parts) if n and len(n.strip()) >= MIN_REDACTED_LENGTH}
    if not names:
        return None
    alternatives = (r"\s+".join(re.escape(word) for word in name.split()) for name in sorted(names, key=len, reverse=True))
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", re.IGNORECASE)  # the whole name before its parts


def redact(text: str, names: re.Pattern | None) -> str:
    return names.sub(REDACTED, text) if names else text
