"""One question's themes, from its published contributions and their embeddings: grouped
automatically (`automatic`), or the organisers' reviewed themes brought up to date with the
contributions received since (`updated`). Computation, run in a worker thread; the texts are
asked for by number (`Texts`), so that bringing themes up to date reads only the few it takes
sentences from, not the question's every contribution."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace

import numpy as np

from bot.reports.data import Author, counted_country
from bot.reports.synthesis.draft import Counts, QuestionThemes, Sentence, Theme
from bot.reports.synthesis.grouping import OTHER, centroid, group, without_language_offsets
from bot.reports.synthesis.phrases import key_phrases, lemmas, most_common_language
from bot.reports.synthesis.quotes import best_sentence
from bot.text import shorten

QUOTES = 3  # at most, per theme
CANDIDATE_SENTENCES = 10  # offered per theme, for organisers to pick other quotes
# Cosine to a reviewed theme's centre (each language's neutral share of offset taken out) from
# which a new contribution joins it; the others are "new points". On the labelled corpus's review
# split, 9 of 29 new contributions join (5 where most of the theme's first members agree); against
# the true themes' centres, 20 of 26 would join the right one.
JOINS = 0.1
LABEL_LENGTH = 80  # characters, when no key phrase is found and a sentence stands in


@dataclass(frozen=True)
class Member:
    """A contribution the synthesis may use: published, by someone not forgotten."""

    id: int
    participant: int
    language: str | None
    author: Author  # as published
    vector: np.ndarray | None  # None: not embedded (the model was not there)


# The published texts (names of the unpublished taken out) of the contributions numbered as asked;
# one that has left the report since (hidden meanwhile) is not among them.
Texts = Callable[[Collection[int]], dict[int, str]]


def automatic(key: str, members: list[Member], texts: Texts, language: str, asked: dict[str, str] | None = None) -> QuestionThemes:
    """`asked`: what the discussion asked, by language (its title, invitation and this
    question): words every answer uses, which alone make no label."""
    written = texts([member.id for member in members])  # a label is made of all of them
    members = [member for member in members if member.id in written]
    embedded = [member for member in members if member.vector is not None]
    labels = group(np.stack([_vector(m) for m in embedded]), [m.language for m in embedded]) if embedded else np.zeros(0, dtype=int)
    themes: dict[int, list[Member]] = {}
    for member, label in zip(embedded, labels, strict=True):
        if label != OTHER:
            themes.setdefault(int(label), []).append(member)
    listed = {member.id for group_ in themes.values() for member in group_}
    question = QuestionThemes(key=key, other=[member.id for member in members if member.id not in listed])
    grouped = [_central_first(themes[label]) for label in sorted(themes)]
    for number, theme_members in enumerate(grouped):
        others = [member for index, group_ in enumerate(grouped) if index != number for member in group_]
        label, label_language, label_words = _label(theme_members, others, written, language, asked or {})
        theme = Theme(
            id=f"{key}-{_letter(number)}", label=label, contributions=[m.id for m in theme_members], label_language=label_language
        )
        _add_sentences(theme, theme_members, texts, label_words)
        theme.quotes = _pick_quotes(theme, theme_members, language)
        question.themes.append(theme)
    _count(question, members)
    return question


def updated(reviewed: QuestionThemes, members: list[Member], texts: Texts, language: str) -> QuestionThemes:
    """The reviewed themes, labels, summaries and quotes kept; contributions hidden or
    forgotten since taken out; new ones added to the nearest reviewed theme, or to "new"."""
    by_id = {member.id: member for member in members}
    listed: set[int] = set()

    def still_there(numbers: list[int]) -> list[int]:
        kept = [number for number in dict.fromkeys(numbers) if number in by_id and number not in listed]
        listed.update(kept)
        return kept

    themes = [replace(theme, contributions=still_there(theme.contributions)) for theme in reviewed.themes]
    themes = [theme for theme in themes if theme.contributions]
    question = replace(reviewed, themes=themes, other=still_there(reviewed.other), new=still_there(reviewed.new))
    unseen = [member for member in members if member.id not in listed]
    for member, nearest in zip(unseen, _nearest_themes(themes, members, unseen), strict=True):
        if nearest is None:
            question.new.append(member.id)
        else:
            themes[nearest].contributions.append(member.id)
    quoted = texts({sentence.contribution for theme in themes for sentence in theme.sentences if sentence.contribution in by_id})
    for theme in themes:
        theme_members = [by_id[number] for number in theme.contributions]
        # Sentences still exactly in their contribution (an edit may have changed it) are kept with their numbers.
        theme.sentences = [s for s in theme.sentences if s.contribution in quoted and s.text in quoted[s.contribution]]
        theme.quotes = [number for number in theme.quotes if number in {s.number for s in theme.sentences}]
        _add_sentences(theme, _central_first(theme_members), texts, lemmas(theme.label, theme.label_language or language))
        if not theme.quotes:
            theme.quotes = _pick_quotes(theme, theme_members, language)
    _count(question, members)
    return question


def _nearest_themes(themes: list[Theme], members: list[Member], unseen: list[Member]) -> list[int | None]:
    """For each of `unseen`, the theme it joins, if any. Compared as the grouping compares
    them, each language's offset taken out of all the question's vectors: work done only when
    one of them has a vector (a report made after the synthesis has none to place)."""
    if not any(member.vector is not None for member in unseen):
        return [None] * len(unseen)
    embedded = [member for member in members if member.vector is not None]
    centred = dict(
        zip(
            (member.id for member in embedded),
            without_language_offsets(np.stack([_vector(m) for m in embedded]), [m.language for m in embedded]),
            strict=True,
        )
    )
    centres = [_centre([centred[n] for n in theme.contributions if n in centred]) for theme in themes]
    return [_nearest(centred.get(member.id), centres) for member in unseen]


def _vector(member: Member) -> np.ndarray:
    assert member.vector is not None  # only embedded members are grouped
    return member.vector


def _nearest(vector: np.ndarray | None, centres: list[np.ndarray | None]) -> int | None:
    if vector is None:
        return None
    scores = [float(centre @ vector) if centre is not None else -1.0 for centre in centres]
    if not scores or max(scores) < JOINS:
        return None
    return int(np.argmax(scores))


def _centre(vectors: list[np.ndarray]) -> np.ndarray | None:
    return centroid(np.stack(vectors)) if vectors else None


def _central_first(members: list[Member]) -> list[Member]:
    """Nearest the theme's centre first (those with no vector last), ties by number."""
    embedded = [index for index, member in enumerate(members) if member.vector is not None]
    closeness = np.full(len(members), -1.0)
    if embedded:
        vectors = np.stack([_vector(members[index]) for index in embedded])
        closeness[embedded] = vectors @ centroid(vectors)
    order = np.lexsort((np.array([member.id for member in members]), -closeness))
    return [members[index] for index in order]


def _label(
    members: list[Member], others: list[Member], texts: dict[int, str], language: str, asked: dict[str, str]
) -> tuple[str, str | None, frozenset[str]]:
    """The theme's key phrases, in the report's language when some of its contributions are
    written in it, else in the theme's most common language (then named)."""
    in_language = [member for member in members if member.language == language]
    label_language = language if in_language else most_common_language([member.language for member in members])
    written = [texts[member.id] for member in members if member.language == label_language]
    elsewhere = [texts[member.id] for member in others if member.language == label_language]
    phrases = key_phrases(written, elsewhere, label_language or language, asked.get(label_language or language, "")) if written else []
    label = " · ".join(phrases) or shorten(texts[members[0].id], LABEL_LENGTH)
    words = frozenset(word for phrase in phrases for word in lemmas(phrase, label_language or language))
    return label, (None if label_language == language else label_language), words


def _add_sentences(theme: Theme, members: list[Member], texts: Texts, label_words: frozenset[str]) -> None:
    """Candidate quotes from the most central contributions not yet quoted, up to
    CANDIDATE_SENTENCES; their texts asked for as many at a time as sentences are missing."""
    represented = {sentence.contribution for sentence in theme.sentences}
    candidates = [member for member in members if member.id not in represented]
    number = max((sentence.number for sentence in theme.sentences), default=0)
    while candidates and len(theme.sentences) < CANDIDATE_SENTENCES:
        asked, candidates = (
            candidates[: CANDIDATE_SENTENCES - len(theme.sentences)],
            candidates[CANDIDATE_SENTENCES - len(theme.sentences) :],
        )
        written = texts([member.id for member in asked])
        for member in asked:
            sentence = best_sentence(written[member.id], member.language, label_words) if member.id in written else None
            if sentence is not None:
                number += 1
                theme.sentences.append(Sentence(number, member.id, member.language, sentence))


def _pick_quotes(theme: Theme, members: list[Member], language: str) -> list[int]:
    """One to three sentences, the most central first (one in the report's language, where one
    is among the QUOTES most central: its reader reads it first), then from other languages and
    other people where the theme has them."""
    wanted = min(QUOTES, max(1, len(theme.contributions) // 2))
    participant_of = {member.id: member.participant for member in members}
    in_language = next((sentence for sentence in theme.sentences[:QUOTES] if sentence.language == language), None)
    ordered = [in_language, *(s for s in theme.sentences if s is not in_language)] if in_language else theme.sentences
    chosen: list[Sentence] = []
    for sentence in ordered:
        if len(chosen) == wanted:
            break
        same_person = any(participant_of.get(c.contribution) == participant_of.get(sentence.contribution) for c in chosen)
        same_language = any(c.language == sentence.language for c in chosen)
        if not chosen or not (same_person or same_language):
            chosen.append(sentence)
    for sentence in ordered:  # too few languages or people: the next most central
        if len(chosen) == wanted:
            break
        if sentence not in chosen:
            chosen.append(sentence)
    return [sentence.number for sentence in chosen]


def _count(question: QuestionThemes, members: list[Member]) -> None:
    by_id = {member.id: member for member in members}
    for theme in question.themes:
        theme_members = [by_id[number] for number in theme.contributions if number in by_id]
        countries = {counted_country(m.author.country) for m in theme_members if m.author.public and m.author.country}
        languages = Counter(m.language for m in theme_members if m.language)
        theme.counts = Counts(
            contributions=len(theme_members),
            participants=len({m.participant for m in theme_members}),
            countries=len(countries),
            languages=[code for code, _count in languages.most_common()],
        )


def _letter(number: int) -> str:
    return chr(ord("A") + number) if number < 26 else str(number + 1)
