"""Each stored answer keeps its embedding, computed after the commit when the bot is quiet (issue 12)."""

from __future__ import annotations

import asyncio

import numpy as np
from sqlalchemy import delete, select

from bot.conversation.embeddings import QUIET_SECONDS, vector_of
from bot.discussion import store
from bot.linking.meaning import MODEL_NAME
from bot.storage.models import Contribution, ContributionEmbedding, Message
from tests.helpers import join, open_round, organiser


async def embeddings(engine) -> list[tuple[str, ContributionEmbedding]]:
    async with engine.sessions() as session:
        rows = await session.execute(
            select(Contribution.text, ContributionEmbedding)
            .join(ContributionEmbedding, ContributionEmbedding.contribution_id == Contribution.id)
            .order_by(Contribution.id)
        )
        return [tuple(row) for row in rows]


async def test_every_part_of_an_answer_keeps_its_meaning_once_the_bot_is_quiet(engine, platform, user):
    boss = await organiser(engine, user)
    ana = await join(engine, user, "ana", "es")
    await open_round(engine, boss)
    await engine.handle_message(ana.message("Pregunta 1: convenios entre municipios.\nPregunta 3: una red de ciudades."))
    assert "1.1" in platform.last(ana.dm).text
    assert await embeddings(engine) == [], "the reply does not wait for the model"
    await asyncio.sleep(QUIET_SECONDS * 3)
    stored = await embeddings(engine)
    assert [text for text, _ in stored] == ["convenios entre municipios.", "una red de ciudades."]
    index = await _index(engine)
    for text, embedding in stored:
        assert embedding.model == MODEL_NAME
        vector = vector_of(embedding)
        assert vector.shape == (512,) and np.allclose(vector, index.linker.embed([text])[0])


async def test_answers_stored_without_embedding_are_embedded_later(engine, platform, user):
    boss = await organiser(engine, user)
    ana = await join(engine, user, "ana", "es")
    await open_round(engine, boss)
    await engine.handle_message(ana.message("Pregunta 2: una mesa técnica con el ministerio."))
    await engine.embeddings.drain()
    async with engine.sessions() as session:
        await session.execute(delete(ContributionEmbedding))  # as if stored before the model was there
        await session.commit()
    await engine.drain()
    assert [text for text, _ in await embeddings(engine)] == ["una mesa técnica con el ministerio."]


async def test_an_edit_replaces_the_embeddings_of_the_parts_it_replaces(engine, platform, user):
    boss = await organiser(engine, user)
    ana = await join(engine, user, "ana", "es")
    await open_round(engine, boss)
    await engine.handle_message(ana.message("Pregunta 2: una mesa técnica con el ministerio.", message_id="m1"))
    await engine.handle_message(ana.message("Pregunta 2: una comisión mixta con la cancillería.", message_id="m1", edited=True))
    await engine.drain()
    assert [text for text, _ in await embeddings(engine)] == ["una comisión mixta con la cancillería."]


async def test_an_answer_rewritten_on_its_web_page_is_embedded_as_it_reads_now(engine, platform, user):
    boss = await organiser(engine, user)
    ana = await join(engine, user, "ana", "es")
    await open_round(engine, boss)
    await engine.handle_message(ana.message("Pregunta 2: una mesa técnica con el ministerio."))
    await engine.drain()
    async with engine.sessions() as session:
        contribution_id, participant_id = (
            await session.execute(select(Contribution.id, Message.participant_id).join(Contribution.message))
        ).one()
    assert await engine.revise_answer(participant_id, contribution_id, "Una comisión mixta con la cancillería.")
    await asyncio.sleep(QUIET_SECONDS * 3)
    [(text, embedding)] = await embeddings(engine)
    index = await _index(engine)
    assert text == "Una comisión mixta con la cancillería."
    assert np.allclose(vector_of(embedding), index.linker.embed([text])[0])


async def test_a_failing_model_after_the_reply_loses_nothing(engine, platform, user, monkeypatch):
    boss = await organiser(engine, user)
    ana = await join(engine, user, "ana", "es")
    await open_round(engine, boss)
    index = await _index(engine)

    def broken(texts):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(index.linker, "embed", broken)
    await engine.handle_message(ana.message("Pregunta 2: una mesa técnica con el ministerio."))
    await engine.drain()
    assert "1.2" in platform.last(ana.dm).text
    async with engine.sessions() as session:
        assert await session.scalar(select(Message.text)) == "Pregunta 2: una mesa técnica con el ministerio."
    assert await embeddings(engine) == []


async def _index(engine):
    async with engine.sessions() as session:
        return await engine.index_for(session, await store.find_discussion(session))
