"""Quotes: sentences taken as they were written, never edited nor translated.

Every candidate is a slice of the published text of its contribution (segtok splits the
sentences), so a quote is always found, character for character, in what its author wrote.
A sentence from which the report took out a name is not offered: it is no longer exactly
what was written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from segtok.segmenter import split_multi

from bot.reports.synthesis.phrases import lemmas
from bot.text import REDACTED

SHORTEST = 40  # characters: shorter sentences rarely carry a point on their own
LONGEST = 400


# The number of the next item of a list, which segtok leaves at the end of the item before
# ("…in the area;\n2."): it is no part of that sentence.
_NEXT_ITEM = re.compile(r"\s*\n\s*(?:\d{1,2}|[a-zA-Z])[.)]$")


def sentences(text: str) -> list[str]:
    """The text's sentences, each an exact substring of it."""
    found = []
    for sentence in split_multi(text):
        sentence = _NEXT_ITEM.sub("", sentence.strip()).strip()
        if sentence and sentence in text and REDACTED not in sentence:
            found.append(sentence)
    return found


def best_sentence(text: str, language: str | None, label_words: Iterable[str]) -> str | None:
    """The sentence of `text` that best says the theme's point: the one sharing most words
    with the theme's label, of a readable length; None when no sentence can be quoted."""
    candidates = sentences(text)
    if not candidates:
        return None
    wanted = frozenset(label_words)

    def score(sentence: str) -> tuple[int, int, int]:
        readable = SHORTEST <= len(sentence) <= LONGEST
        shared = len(wanted & lemmas(sentence, language or "en")) if wanted else 0
        return (int(readable), shared, -abs(len(sentence) - 160))

    return max(candidates, key=score)
