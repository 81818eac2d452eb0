"""Posting a round's questions: in batches of venues, resumable, each
question once in every chat, in the chat's language."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from bot.discussion import store
from bot.storage.models import Delivery
from schedules import rounds
from tests.helpers import join


async def open_round_1(engine) -> int:
    """Round 1 opened in the database, its questions not posted yet; returns how many it has."""
    async with engine.sessions() as session:
        discussion = await store.find_discussion(session)
        round_ = await store.round_by_number(session, discussion, 1)
        await rounds.open_round(session, discussion, round_, engine.clock())
        count = len(await store.questions_of_round(session, round_))
        await session.commit()
    return count


def question_keys(platform, chat_id: str) -> list[str]:
    """The question keys posted in a chat, one per question message, in order."""
    return [
        line.split()[-1] for text in platform.texts(chat_id) for line in text.split("\n") if line.startswith(("Question 1.", "Pregunta 1."))
    ]


async def test_a_broadcast_resumed_after_a_crash_in_the_middle_of_a_batch_posts_each_question_once(engine, platform, user):
    people = [await join(engine, user, f"p{n}", ("fr", "en", "es")[n % 3]) for n in range(7)]
    platform.clear()
    count = await open_round_1(engine)
    sent_before_the_crash = 2 * count + 2  # the crash comes in the middle of the first batch of three chats
    accepted = 0
    crashed = asyncio.Event()

    async def send_until_the_crash(message):
        nonlocal accepted
        if accepted == sent_before_the_crash:
            crashed.set()
            await asyncio.Event().wait()  # the process dies here, this message not sent
        accepted += 1
        return await platform.send(message)

    posting = asyncio.create_task(
        rounds.post_missing_questions(
            engine.sessions, send_until_the_crash, engine.platforms, engine.clock, concurrency=2, venues_at_once=3
        )
    )
    await crashed.wait()
    posting.cancel()
    await asyncio.gather(posting, return_exceptions=True)
    assert len(platform.sent) == sent_before_the_crash

    posted = await rounds.post_missing_questions(engine.sessions, engine.send, engine.platforms, engine.clock, venues_at_once=3)
    assert posted == 7 * count - sent_before_the_crash
    expected = [f"1.{n}" for n in range(1, count + 1)]
    for person in people:
        assert question_keys(platform, person.dm) == expected, person.user_id
    async with engine.sessions() as session:
        assert await session.scalar(select(func.count(Delivery.id))) == 7 * count
    assert await rounds.post_missing_questions(engine.sessions, engine.send, engine.platforms, engine.clock, venues_at_once=3) == 0


async def test_a_round_larger_than_a_batch_reaches_every_chat_in_its_language(engine, platform, user, example):
    languages = ["fr", "en", "es", "es", "en"]
    people = [await join(engine, user, f"p{n}", language, chosen_language=language) for n, language in enumerate(languages)]
    platform.clear()
    count = await open_round_1(engine)
    assert await rounds.post_missing_questions(engine.sessions, engine.send, engine.platforms, engine.clock, venues_at_once=2) == 5 * count
    for person, language in zip(people, languages, strict=True):
        texts = platform.texts(person.dm)
        assert len(texts) == count
        for text, question in zip(texts, example.rounds[0].questions, strict=True):
            assert question.texts[language] in text, f"{person.user_id}: {question.key} in {language}"
        assert question_keys(platform, person.dm) == [question.key for question in example.rounds[0].questions]
