"""A theme's label: key phrases of its contributions, found by YAKE and compared by their
lemmas (simplemma), so that "coopération décentralisée" and "coopérations décentralisées"
count as one phrase. A phrase is chosen when many of the theme's contributions use it and
the question's other themes do not. Nothing is translated: phrases are taken in one
language, from the contributions written in it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from functools import cache

import simplemma
import yake
from lemminflect import getAllLemmas

PHRASES = 3  # in a label
SAMPLE = 15  # contributions read per theme: the most central ones
CANDIDATES = 30  # phrases YAKE proposes, re-ranked by how many contributions share them
_WORD = re.compile(r"\w+(?:['’-]\w+)*")
# An elided article or pronoun ("l'", "qu'", "dell'") sticks to its word, where YAKE would
# take "qu'un échange" for a phrase: it is taken off before phrases are looked for.
_ELIDED = re.compile(r"\b(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu|quoiqu|dell|all|dall|nell|sull|un)['’](?=\w)", re.IGNORECASE)
LONGER_PHRASE_BONUS = 0.15  # per word beyond the first: "coopération décentralisée" says more than "coopération"

# A label names things: no conjugated verb ("devraient", "dieron") and no adverb ("seulement",
# "solamente") in it. Without a tagger, a word is told by its lemma and its ending; a form a
# noun shares ("visite", "votes", "apoyo") or a participle ("décentralisée", "realizada") stays.
_INFINITIVES = {"fr": ("er", "ir", "re", "oir"), "es": ("ar", "er", "ir"), "pt": ("ar", "er", "ir"), "it": ("are", "ere", "ire")}
_PARTICIPLE = {
    "fr": re.compile(r"(?:[éiu]e?s?|ante?s?|i(?:ère|er)s?)$"),  # "financière" of "financier" too
    "es": re.compile(r"(?:[ai]d[oa]s?|ante?s?|iente?s?)$"),
    "pt": re.compile(r"(?:[ai]d[oa]s?|ante?s?|ente?s?)$"),
    "it": re.compile(r"(?:[aiu]t[oaie]|ante?i?|ente?i?)$"),
}
_ADVERB = {
    "fr": re.compile(r"(?:amment|emment)$"),
    "es": re.compile(r"\w{4}mente$"),
    "pt": re.compile(r"\w{4}mente$"),
    "it": re.compile(r"\w{4}mente$"),
}


# English tells its verbs from its nouns neither by ending nor by lemma ("works", "share"):
# LemmInflect's dictionary says which parts of speech a word can be. An English label is a noun
# phrase: no word that is only an adverb ("rarely"); no verb but a participle before its noun
# ("decentralised cooperation", "trained staff"), and not after another noun ("associations
# drafted"); a noun last ("sit with elected" and "remittances for local" lack theirs); an article
# or a "what" only after a preposition ("budget of the city", not "authorities the budget" across
# a verb's two objects, nor "share what works").
_EN_DETERMINERS = frozenset(
    "a an the this that these those what which who whom whose where when why how their our its his her my your".split()
)
_EN_PREPOSITIONS = frozenset("of for in on with to from at by between into about among against across through within without".split())
_EN_VERB_ONLY = frozenset({"VERB", "AUX", "ADV"})


@cache
def _english_kinds(word: str) -> frozenset[str]:
    return frozenset(getAllLemmas(word))


def _not_an_english_noun_phrase(words: list[str]) -> bool:
    for index, word in enumerate(words):
        last = index == len(words) - 1
        if word in _EN_DETERMINERS:
            if index == 0 or words[index - 1] not in _EN_PREPOSITIONS:
                return True
            continue
        kinds = _english_kinds(word) if word not in _EN_PREPOSITIONS else frozenset()
        if kinds == {"ADV"}:
            return True
        if kinds and kinds <= _EN_VERB_ONLY and (last or not word.endswith(("ed", "ing", "en")) or _after_a_noun(words, index)):
            return True  # a participle after a noun is the verb of a clause: "associations drafted half"
        if last and kinds and (not kinds & {"NOUN", "PROPN"} or ("ADJ" in kinds and words[index - 1] in _EN_PREPOSITIONS)):
            return True  # "sit with elected", "remittances for local": the noun is missing
    return False


def _after_a_noun(words: list[str], index: int) -> bool:
    return index > 0 and "NOUN" in _english_kinds(words[index - 1])


@cache
def _extractor(language: str) -> yake.KeywordExtractor:
    # YAKE knows the stop words of many languages; for one it does not, it falls back to none.
    return yake.KeywordExtractor(lan=language, n=3, top=CANDIDATES, dedup_lim=0.8)


@cache
def _lemma(word: str, language: str) -> str:
    # low_memory: the same word lists, read from their compressed form rather than unpacked
    # into a dict: about 45 MB a language less (135 MB for French, English and Spanish).
    try:
        return simplemma.lemmatize(word.lower(), lang=language, low_memory=True).lower()
    except ValueError:  # a language simplemma does not know
        return word.lower()


def _names_nothing(word: str, lemma: str, language: str) -> bool:
    """A conjugated verb or an adverb (`_INFINITIVES`), in the languages whose endings tell them."""
    word = word.lower()
    if language not in _INFINITIVES:
        return False
    if _ADVERB[language].search(word) or (language == "fr" and word.endswith("ment") and _is_adjective_form(word[:-4])):
        return True
    if word == lemma or not lemma.endswith(_INFINITIVES[language]) or _PARTICIPLE[language].search(word):
        return False
    return not (language == "fr" and word in (lemma[:-2] + "e", lemma[:-2] + "es"))  # "visite", "votes": nouns as well


def _is_adjective_form(stem: str) -> bool:
    """ "seule" of "seulement", "générale" of "généralement": an adjective's feminine, not a verb's
    stem ("développe" of "développement", "finance" of "financement")."""
    lemma = _lemma(stem, "fr")
    return lemma != stem and not lemma.endswith(_INFINITIVES["fr"][:2])


def lemmas(text: str, language: str) -> frozenset[str]:
    return frozenset(_lemma(word, language) for word in _WORD.findall(text))


def _phrase_lemmas(phrase: str, language: str) -> tuple[str, ...]:
    return tuple(_lemma(word, language) for word in _WORD.findall(phrase))


def key_phrases(theme_texts: Sequence[str], other_texts: Sequence[str], language: str, asked: str = "", limit: int = PHRASES) -> list[str]:
    """Up to `limit` phrases of `theme_texts` (the theme's contributions in `language`, most
    central first), preferring those shared by many of them and rare in `other_texts` (the
    question's other contributions in the same language). Words of the question itself
    (`asked`) alone make no label: every answer uses them."""
    sample = [_ELIDED.sub("", text) for text in theme_texts[:SAMPLE]]
    if not sample:
        return []
    # Lower case: YAKE favours capitalised words, which would make labels of place names.
    candidates = _extractor(language).extract_keywords("\n".join(sample).lower())
    theme_words = [lemmas(text, language) for text in sample]
    other_words = [lemmas(text, language) for text in other_texts[: SAMPLE * 4]]
    question_words = lemmas(asked, language)
    scored: list[tuple[float, int, str, tuple[str, ...]]] = []
    for rank, (phrase, _weight) in enumerate(candidates):
        key = _phrase_lemmas(phrase, language)
        if not key or all(len(word) < 3 for word in key) or set(key) <= question_words:
            continue
        words = _WORD.findall(phrase)
        if any(_names_nothing(word, lemma, language) for word, lemma in zip(words, key, strict=True)):
            continue
        if language == "en" and _not_an_english_noun_phrase(words):
            continue
        shared = sum(1 for words in theme_words if words.issuperset(key)) / len(theme_words)
        elsewhere = sum(1 for words in other_words if words.issuperset(key)) / len(other_words) if other_words else 0.0
        # Shared within the theme, rare outside it; YAKE's own order breaks ties.
        scored.append((shared - elsewhere + LONGER_PHRASE_BONUS * (len(key) - 1), -rank, phrase, key))
    chosen: list[tuple[str, ...]] = []
    phrases: list[str] = []
    for _score, _rank, phrase, key in sorted(scored, reverse=True):
        if any(len(set(key) & set(kept)) * 2 > min(len(set(key)), len(set(kept))) for kept in chosen):
            continue  # "coopération décentralisée" beside "projet de coopération décentralisée" says nothing more
        chosen.append(key)
        phrases.append(phrase)
        if len(phrases) == limit:
            break
    return phrases


def most_common_language(languages: Sequence[str | None]) -> str | None:
    counts = Counter(code for code in languages if code)
    return counts.most_common(1)[0][0] if counts else None
