"""The draft file organisers edit: what they may change survives the round trip, what they
get wrong is listed line by line, and the bot can tell an edited file from its own."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.i18n import reading_in
from bot.reports.synthesis.draft import Counts, DraftError, QuestionThemes, Sentence, Synthesis, Theme, from_yaml, to_yaml
from bot.reports.synthesis.review import edited, stamped, untag_renamed


def a_synthesis() -> Synthesis:
    theme = Theme(
        id="1.1-A",
        label="jumelages · diaspora",
        contributions=[3, 7, 9],
        sentences=[Sentence(1, 3, "fr", "Les jumelages associent la diaspora."), Sentence(2, 7, "es", "Los hermanamientos: «sí».\nY más.")],
        quotes=[1],
        counts=Counts(3, 3, 1, ["fr", "es"]),
    )
    question = QuestionThemes(key="1.1", themes=[theme], other=[11])
    return Synthesis(discussion="m4d-2013", language="fr", questions=[question], model="test")


def problems_of(text: str) -> list[str]:
    """The problems reading `text` back raises, as shown."""
    with pytest.raises(DraftError) as raised:
        from_yaml(text)
    return [str(problem) for problem in raised.value.problems]


def test_a_draft_reads_back_as_it_was_written():
    synthesis = stamped(a_synthesis())
    again = from_yaml(to_yaml(synthesis, "How to edit\nthis file"))
    assert again == synthesis
    assert not edited(again)


def test_the_header_is_comment_lines_and_long_texts_stay_readable():
    text = to_yaml(stamped(a_synthesis()), "How to edit\nthis file")
    assert text.startswith("# How to edit\n# this file\n")
    assert "Y más." in text  # not escaped into \u sequences
    assert "jumelages · diaspora" in text


def test_renaming_merging_and_picking_a_quote_is_seen_as_an_edit():
    synthesis = stamped(a_synthesis())
    text = to_yaml(synthesis, "")
    renamed = from_yaml(text.replace("label: jumelages · diaspora", "label: Les jumelages avec la diaspora"))
    assert edited(renamed)
    assert renamed.questions[0].themes[0].label == "Les jumelages avec la diaspora"
    picked = from_yaml(text.replace("quotes: [1]", "quotes: [2]"))
    assert edited(picked) and picked.questions[0].themes[0].quotes == [2]


def test_every_problem_of_an_edited_file_is_listed():
    text = to_yaml(stamped(a_synthesis()), "")
    broken = text.replace("quotes: [1]", "quotes: [5]").replace("other: [11]", "other: [eleven]")
    said = problems_of(broken)
    assert any("quote 5 is not one of its sentences" in problem for problem in said)
    assert any("'eleven' is not a number" in problem for problem in said)


def test_a_misspelt_key_is_a_problem_named_with_the_key_meant_so_no_text_is_dropped_unseen():
    text = to_yaml(stamped(a_synthesis()), "")
    broken = text.replace("  summary: ''", "  sumary: Un long résumé", 1).replace("label: jumelages", "lable: jumelages")
    assert "sumary:" in broken and "lable:" in broken
    said = problems_of(broken)
    assert any("`sumary`: unknown key; did you mean `summary`?" in problem for problem in said)
    assert any("`lable`: unknown key; did you mean `label`?" in problem for problem in said)


def test_a_renamed_theme_loses_the_language_tag_of_the_label_it_replaces():
    drafted = a_synthesis()
    drafted.questions[0].themes[0].label_language = "es"
    text = to_yaml(stamped(drafted), "")
    kept_label = from_yaml(text)
    untag_renamed(kept_label, drafted)
    assert kept_label.questions[0].themes[0].label_language == "es"
    renamed = from_yaml(text.replace("label: jumelages · diaspora", "label: Les jumelages avec la diaspora"))
    untag_renamed(renamed, drafted)
    assert renamed.questions[0].themes[0].label_language is None


def test_each_problem_is_said_in_the_language_of_whoever_reads_it():
    text = to_yaml(stamped(a_synthesis()), "")
    with pytest.raises(DraftError) as raised:
        from_yaml(text.replace("quotes: [1]", "quotes: [5]").replace("other: [11]", "other: 11"))
    said = {}
    for language in ("fr", "es", "en"):
        with reading_in(language):
            said[language] = [str(problem) for problem in raised.value.problems]
    assert said == {
        "fr": [
            "question 1.1, thème 1.1-A : la citation 5 n’est pas l’une de ses phrases",
            "question 1.1, `other` : devrait être une liste",
        ],
        "es": ["pregunta 1.1, tema 1.1-A: la cita 5 no es una de sus frases", "pregunta 1.1, `other`: debería ser una lista"],
        "en": ["question 1.1, theme 1.1-A: quote 5 is not one of its sentences", "question 1.1, `other`: should be a list"],
    }


@pytest.mark.parametrize("text", ["questions: [", "- just\n- a list", "questions: 3", "questions:\n- themes: []"])
def test_a_file_that_is_not_a_draft_is_refused_with_a_reason(text):
    assert problems_of(text)


def test_the_review_date_survives_the_round_trip():
    synthesis = a_synthesis()
    synthesis.reviewed_at = dt.datetime(2013, 8, 5, 9, 30, tzinfo=dt.UTC)
    assert from_yaml(to_yaml(synthesis, "")).reviewed_at == synthesis.reviewed_at
