"""A theme's label names what its contributions talk about: phrases of nouns, not the verbs and
adverbs that every answer happens to share."""

from __future__ import annotations

import pytest

from bot.reports.synthesis.phrases import key_phrases

FRENCH_THEME = [
    "Les communes devraient seulement signer des accords de coopération décentralisée avec les villes d'origine.",
    "La coopération décentralisée devrait seulement passer par les associations de migrants.",
    "Nos communes devraient seulement financer la coopération décentralisée avec la diaspora.",
    "Les accords de coopération décentralisée devraient seulement inclure les associations de migrants.",
]
SPANISH_THEME = [
    "Los municipios deberían solamente dar créditos para pequeños emprendimientos de retornados.",
    "Las alcaldías deberían solamente ofrecer créditos para pequeños emprendimientos.",
    "Deberían solamente abrir líneas de créditos para pequeños emprendimientos rurales.",
]
OTHER_FRENCH = ["Le guichet unique de la mairie informe les migrants sur leurs droits.", "Une radio locale parle de la migration."]


@pytest.mark.parametrize(
    ("texts", "language", "fillers", "named"),
    [
        (FRENCH_THEME, "fr", {"devraient", "devrait", "seulement"}, "coopération décentralisée"),
        (SPANISH_THEME, "es", {"deberían", "solamente"}, "pequeños emprendimientos"),
    ],
)
def test_labels_hold_no_conjugated_verb_or_adverb(texts, language, fillers, named):
    phrases = key_phrases(texts, OTHER_FRENCH, language)
    assert phrases, "a label"
    assert not {word for phrase in phrases for word in phrase.split()} & fillers, phrases
    assert any(named in phrase for phrase in phrases), phrases


def test_participles_and_nouns_a_verb_shares_stay_in_labels():
    theme = ["Les visites des familles et l'aide financière décentralisée."] * 3
    phrases = key_phrases(theme, OTHER_FRENCH, "fr")
    assert {"visites", "financière", "décentralisée"} <= {word for phrase in phrases for word in phrase.split()}, phrases


ENGLISH_THEME = [
    "National strategies rarely give local authorities the budget to act on migration.",
    "Our city council rarely gets the budget it needs: national strategies decide for local authorities.",
    "Local authorities act on migration without the budget; national strategies rarely mention them.",
    "Migrant associations drafted half of the plan, yet national strategies rarely give local authorities a say.",
]
OTHER_ENGLISH = ["City-to-city partnerships help local governments share what works.", "A radio programme reaches the diaspora."]


def test_english_labels_are_noun_phrases():
    """English verbs and nouns share their forms ("give", "works"): a label still holds no
    adverb, no clause ("authorities the budget"), and ends on its noun."""
    phrases = key_phrases(ENGLISH_THEME, OTHER_ENGLISH, "en")
    assert phrases, "a label"
    words = [phrase.split() for phrase in phrases]
    assert not {"rarely", "the", "drafted"} & {word for phrase in words for word in phrase}, phrases
    assert not {phrase[-1] for phrase in words} & {"local", "give", "act"}, phrases
    assert any("national strategies" in phrase or "local authorities" in phrase for phrase in phrases), phrases
