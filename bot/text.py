"""Cleaning what people type before it is stored or matched."""

import functools
import re
import unicodedata

# C0 and C1 control characters other than tab and newline, and lone surrogates
# (what a broken client or a mis-decoded file leaves behind).
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


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


def redact_names(text: str, people: tuple[str | None, ...], organisations: tuple[str | None, ...] = ()) -> str:
    """`text` without the given names: each as written (spaces however many,
    "Acme Inc." and "GIZ (Bonn)" included), and each part of a person's name
    on its own ("Soy Carol de …")."""
    for pattern in _name_patterns(people, organisations):
        text = pattern.sub(REDACTED, text)
    return text


@functools.lru_cache(maxsize=1024)
def _name_patterns(people: tuple[str | None, ...], organisations: tuple[str | None, ...]) -> list[re.Pattern]:
    parts = {part for name in people if name for part in name.split()}
    names = {n.strip() for n in (*people, *organisations, *parts) if n and len(n.strip()) >= MIN_REDACTED_LENGTH}
    return [
        re.compile(r"(?<!\w)" + r"\s+".join(re.escape(word) for word in name.split()) + r"(?!\w)", re.IGNORECASE)
        for name in sorted(names, key=len, reverse=True)  # the whole name before its parts
    ]
