"""The key points of a discussion, made from contributions stored as the bot stores them
(with their embeddings), on SQLite and PostgreSQL: quotes are exact, privacy holds, and the
same data gives the same themes."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from sqlalchemy import select

from bot.discussion import store
from bot.linking.meaning import MODEL_NAME
from bot.privacy.personal_data import forget_participant
from bot.reports.data import gather
from bot.reports.synthesis import store as synthesis_store
from bot.reports.synthesis.build import CANDIDATE_SENTENCES
from bot.reports.synthesis.draft import Synthesis
from bot.reports.synthesis.making import for_report, make_synthesis
from bot.reports.synthesis.store import members
from bot.storage.models import Contribution, ContributionEmbedding, Message, Participant
from tests.reports.synthesis.corpus import LABELLED, SEED, embed, read, store_contributions

LABELLED_ROWS = read(LABELLED)


async def synthesis_of(engine, language: str) -> Synthesis:
    async with engine.sessions() as session:
        discussion = await store.find_discussion(session)
        report = await gather(session, discussion, engine.clock())
        return await for_report(session, discussion, report, language)


async def stored_texts(engine) -> dict[int, str]:
    async with engine.sessions() as session:
        return dict((await session.execute(select(Contribution.id, Contribution.text))).all())


def everything_listed(synthesis: Synthesis) -> set[int]:
    return {
        number
        for question in synthesis.questions
        for number in [*question.other, *question.new, *(n for theme in question.themes for n in theme.contributions)]
    }


@pytest.mark.parametrize("corpus", [LABELLED, SEED], ids=["labelled", "seed"])
async def test_every_quote_is_exactly_what_its_author_wrote(engine, corpus):
    rows = read(corpus)
    await store_contributions(engine.sessions, rows, embed([row["text"] for row in rows]), engine.clock())
    texts = await stored_texts(engine)
    quotes = 0
    for language in ("fr", "en", "es"):
        synthesis = await synthesis_of(engine, language)
        for question in synthesis.questions:
            for theme in question.themes:
                assert 1 <= len(theme.quotes) <= 3, theme
                for sentence in theme.sentences:
                    assert sentence.text in texts[sentence.contribution], (theme.id, sentence)
                    assert sentence.contribution in theme.contributions
                quotes += len(theme.quotes)
    assert quotes > 0


async def test_every_published_contribution_is_in_a_theme_or_among_the_other_points(engine):
    ids = await store_contributions(engine.sessions, LABELLED_ROWS, embed([row["text"] for row in LABELLED_ROWS]), engine.clock())
    synthesis = await synthesis_of(engine, "fr")
    assert everything_listed(synthesis) == set(ids)
    assert sum(len(question.themes) for question in synthesis.questions) >= 8  # four questions, several points each
    for question in synthesis.questions:
        for theme in question.themes:
            assert theme.counts.contributions == len(theme.contributions) >= 2
            assert theme.counts.participants == len(theme.contributions)  # one person per row in this corpus


async def test_a_vector_made_before_its_text_was_edited_or_by_another_model_is_not_used(engine):
    """Such a contribution is embedded again (here with the installed model) rather than grouped by what it said before."""
    rows = [row for row in LABELLED_ROWS if row["question"] == "1.1"][:6]
    ids = await store_contributions(engine.sessions, rows, np.ones((len(rows), 512), dtype=np.float32) / np.sqrt(512), engine.clock())
    async with engine.sessions() as session:
        edited = await session.get(Contribution, ids[0])
        edited.updated_at = engine.clock() + dt.timedelta(minutes=1)
        other = await session.scalar(select(ContributionEmbedding).where(ContributionEmbedding.contribution_id == ids[1]))
        other.model = "another-model"
        await session.commit()
        discussion = await store.find_discussion(session)
        vectors = {
            member.id: member.vector
            for member in await members(session, discussion, await gather(session, discussion, engine.clock()), "1.1", MODEL_NAME)
        }
    assert sorted(vectors) == ids
    assert vectors[ids[0]] is None and vectors[ids[1]] is None
    assert all(np.allclose(vectors[number], 1 / np.sqrt(512)) for number in ids[2:])


async def test_the_same_contributions_give_the_same_themes(engine):
    await store_contributions(engine.sessions, LABELLED_ROWS, embed([row["text"] for row in LABELLED_ROWS]), engine.clock())
    first = await synthesis_of(engine, "en")
    again = await synthesis_of(engine, "en")
    assert first.as_dict() == again.as_dict()


async def test_labels_are_in_the_reports_language_where_the_theme_has_contributions_in_it(engine):
    await store_contributions(engine.sessions, LABELLED_ROWS, embed([row["text"] for row in LABELLED_ROWS]), engine.clock())
    synthesis = await synthesis_of(engine, "es")
    by_id = {number + 1: row for number, row in enumerate(LABELLED_ROWS)}  # ids follow the rows in a fresh database
    for question in synthesis.questions:
        for theme in question.themes:
            languages = {by_id[number]["language"] for number in theme.contributions}
            if "es" in languages:
                assert theme.label_language is None, theme.label
            else:
                assert theme.label_language in languages, theme.label


async def test_a_theme_is_quoted_first_in_the_reports_language_where_a_central_sentence_is_in_it(engine):
    await store_contributions(engine.sessions, LABELLED_ROWS, embed([row["text"] for row in LABELLED_ROWS]), engine.clock())
    for language in ("fr", "es"):
        synthesis = await synthesis_of(engine, language)
        for theme in (theme for question in synthesis.questions for theme in question.themes):
            central = theme.sentences[:3]  # the most central contributions' sentences
            first = next(sentence for sentence in theme.sentences if sentence.number == theme.quotes[0])
            if any(sentence.language == language for sentence in central):
                assert first.language == language, (language, theme.id)
            else:
                assert first == theme.sentences[0], (language, theme.id)


async def test_hidden_contributions_and_forgotten_people_are_in_no_theme_and_no_quote(engine):
    ids = await store_contributions(engine.sessions, LABELLED_ROWS, embed([row["text"] for row in LABELLED_ROWS]), engine.clock())
    hidden, forgotten = ids[0], ids[1]
    async with engine.sessions() as session:
        (await session.get(Contribution, hidden)).hidden = True
        author = await session.scalar(select(Participant).join(Message).join(Contribution).where(Contribution.id == forgotten))
        await forget_participant(session, author)
        await session.commit()
    synthesis = await synthesis_of(engine, "fr")
    assert hidden not in everything_listed(synthesis)
    assert forgotten not in everything_listed(synthesis)
    for question in synthesis.questions:
        for theme in question.themes:
            assert all(sentence.contribution not in (hidden, forgotten) for sentence in theme.sentences)
    assert everything_listed(synthesis) == set(ids) - {hidden, forgotten}


async def test_a_sentence_naming_an_unpublished_author_is_never_quoted(engine):
    rows = [
        {"question": "1.1", "language": "en", "text": f"Twinning with the diaspora's home towns works. {text}"}
        for text in ("Signed, Ana Pérez-Quiroga.", "It worked in Munich.", "It worked in Montreuil.", "It worked in Naga City.")
    ]
    rows[0] |= {"author": "Ana Pérez-Quiroga", "consent": False}
    ids = await store_contributions(engine.sessions, rows, embed([row["text"] for row in rows]), engine.clock())
    synthesis = await synthesis_of(engine, "en")
    sentences = [s for question in synthesis.questions for theme in question.themes for s in theme.sentences]
    assert sentences and all("Pérez" not in sentence.text for sentence in sentences)
    assert ids[0] in everything_listed(synthesis)


async def test_a_review_is_kept_and_new_contributions_join_the_nearest_theme(engine):
    first = [row for number, row in enumerate(LABELLED_ROWS) if number % 3]
    later = [row for number, row in enumerate(LABELLED_ROWS) if number % 3 == 0]
    await store_contributions(engine.sessions, first, embed([row["text"] for row in first]), engine.clock())
    async with engine.sessions() as session:
        discussion = await store.find_discussion(session)
        report = await gather(session, discussion, engine.clock())
        reviewed = await make_synthesis(session, discussion, report, "fr", None)
    reviewed.reviewed_at = engine.clock()
    question = next(q for q in reviewed.questions if q.themes)
    question.themes[0].label, question.themes[0].summary, question.summary = "Le point des organisateurs", "Leur résumé.", "Vue d'ensemble."
    later_ids = await store_contributions(engine.sessions, later, embed([row["text"] for row in later]), engine.clock())
    async with engine.sessions() as session:
        report = await gather(session, discussion, engine.clock())
        again = await make_synthesis(session, discussion, report, "fr", reviewed)
    kept = again.question(question.key)
    assert kept is not None
    assert (kept.themes[0].label, kept.themes[0].summary, kept.summary) == ("Le point des organisateurs", "Leur résumé.", "Vue d'ensemble.")
    assert [theme.id for theme in kept.themes] == [theme.id for theme in question.themes]
    assert everything_listed(again) == {entry.id for q in report.questions for entry in q.entries}
    assert again.reviewed_at == reviewed.reviewed_at
    joined = {n for q in again.questions for theme in q.themes for n in theme.contributions} & set(later_ids)
    assert len(joined) >= len(later_ids) // 3  # many new answers make a point already made; the others are "new points"
    assert {n for q in again.questions for n in q.new} == set(later_ids) - joined


async def test_a_kept_synthesis_brought_up_to_date_in_a_streamed_report_quotes_only_what_is_published_now(engine):
    """A report brings the kept synthesis up to date reading only the texts it takes sentences
    from: a quoted sentence edited away is replaced by another, exact, and a name its
    unpublished author wrote in a new contribution is never quoted."""
    rows = [row for row in LABELLED_ROWS if row["question"] == "1.1"]
    await store_contributions(engine.sessions, rows, embed([row["text"] for row in rows]), engine.clock())
    async with engine.sessions() as session:
        discussion = await store.find_discussion(session)
        kept = await make_synthesis(session, discussion, await gather(session, discussion, engine.clock()), "en", None)
        await synthesis_store.keep(session, discussion, kept, engine.clock())
        theme = next(theme for theme in kept.question("1.1").themes if theme.quotes)
        quoted = next(s for s in theme.sentences if s.number == theme.quotes[0])
        edited = await session.get(Contribution, quoted.contribution)
        edited.text, edited.updated_at = "Rewritten since: the municipality now runs a one-stop shop.", engine.clock()
        await session.commit()
    signed = {**rows[0], "text": f"{rows[0]['text']} Ana Pérez-Quiroga, alcaldesa.", "author": "Ana Pérez-Quiroga", "consent": False}
    await store_contributions(engine.sessions, [signed], embed([signed["text"]]), engine.clock())
    async with engine.sessions() as session:
        report = await gather(session, discussion, engine.clock(), streamed=True)
        again = await for_report(session, discussion, report, "en")
    texts = await stored_texts(engine)
    sentences = [s for t in again.question("1.1").themes for s in t.sentences]
    assert quoted.text not in {s.text for s in sentences}
    assert all(s.text in texts[s.contribution] for s in sentences)
    assert all("Pérez" not in s.text and "Quiroga" not in s.text for s in sentences)
    theme_again = next(t for t in again.question("1.1").themes if t.id == theme.id)
    assert theme_again.quotes and len(theme_again.sentences) == min(CANDIDATE_SENTENCES, len(theme_again.contributions))
