"""Which stored answers a discussion's linker starts from when its index is built again: those
filed by what their authors said, not moved since nor hidden, with the vectors the model
made for them, at most so many per question (issue 12)."""

from __future__ import annotations

from sqlalchemy import select, update

from bot.conversation import filing
from bot.discussion import store
from bot.linking.linker import EXEMPLARS_PER_QUESTION
from bot.linking.meaning import MODEL_NAME
from bot.storage.models import Contribution, ContributionEmbedding, Question
from tests.helpers import answer, join, open_round, organiser


async def _filed(engine) -> list[tuple[str, str, bool]]:
    async with engine.sessions() as session:
        discussion = await store.find_discussion(session)
        questions = list((await engine.index_for(session, discussion)).questions.values())
        return [(a.question, a.text, a.vector is not None) for a in await store.filed_answers(session, questions, MODEL_NAME)]


async def _contribution(session, text: str) -> Contribution:
    return (await session.scalars(select(Contribution).where(Contribution.text == text))).one()


async def test_the_linker_starts_from_the_answers_filed_by_their_authors_words_only(engine, user):
    boss = await organiser(engine, user)
    ana = await join(engine, user, "ana", "es")
    await open_round(engine, boss)
    await engine.handle_message(ana.message("Pregunta 1: convenios entre municipios.\nPregunta 3: una red de ciudades."))
    await answer(engine, ana, "1.2", "una mesa técnica con el ministerio.")
    await engine.handle_message(ana.message("Pregunta 4: el plan municipal de desarrollo."))
    await engine.handle_message(ana.message("Pregunta 5: la falta de presupuesto."))
    await engine.handle_message(ana.message("Pregunta 5: el cambio de alcalde."))
    await engine.drain()
    async with engine.sessions() as session:
        moved = await _contribution(session, "el plan municipal de desarrollo.")
        to_question = await session.scalar(select(Question.id).where(Question.key == "1.5"))
        await filing.tie(session, moved, to_question, engine.clock())
        (await _contribution(session, "la falta de presupuesto.")).hidden = True
        other_model = (await _contribution(session, "una red de ciudades.")).id
        await session.execute(
            update(ContributionEmbedding).where(ContributionEmbedding.contribution_id == other_model).values(model="other")
        )
        await session.commit()
    assert await _filed(engine) == [
        ("1.1", "convenios entre municipios.", True),
        ("1.3", "una red de ciudades.", False),  # another model's vector does not compare: embedded again
        ("1.2", "una mesa técnica con el ministerio.", True),
        ("1.5", "el cambio de alcalde.", True),
    ]


async def test_each_question_gives_the_linker_its_first_answers_however_many_it_holds(engine, user, clock):
    boss = await organiser(engine, user)
    ana = await join(engine, user, "ana", "es")
    await open_round(engine, boss)
    for number in range(2 * EXEMPLARS_PER_QUESTION + 5):
        await engine.handle_message(ana.message(f"Pregunta 2: la propuesta número {number} de la red."))
        clock.advance(minutes=1)
    filed = await _filed(engine)
    assert [text for _, text, _ in filed] == [f"la propuesta número {n} de la red." for n in range(2 * EXEMPLARS_PER_QUESTION)]
