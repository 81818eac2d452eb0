"""A question to the organisers is no answer: the deadline is told, anything else passed on (issue 12)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.storage.models import Contribution, OrganiserQuestion
from tests.helpers import join, open_round, organiser


async def contributions(engine) -> int:
    async with engine.sessions() as session:
        return await session.scalar(select(func.count()).select_from(Contribution))


async def test_the_deadline_question_gets_the_open_rounds_closing_time_in_the_readers_zone_and_language(engine, platform, user):
    boss = await organiser(engine, user)
    ana = await join(engine, user, "ana", "es", timezone="America/Guayaquil")
    await open_round(engine, boss)
    await engine.handle_message(ana.message("¿cuál es la fecha límite de esta semana?"))
    reply = platform.last(ana.dm).text
    assert reply.startswith("La ronda 1 se cierra el") and "America/Guayaquil" in reply
    assert "¿A qué pregunta" not in reply and await contributions(engine) == 0


@pytest.mark.parametrize("text", ["¿Y ahora qué hago?", "Hola, ¿cómo funciona esto?", "ayuda"])
async def test_asking_what_to_do_gets_the_open_rounds_questions_and_how_to_answer_them(engine, platform, user, text):
    boss = await organiser(engine, user)
    ana = await join(engine, user, "ana", "es")
    await open_round(engine, boss, 2)
    await engine.handle_message(ana.message(text))
    reply = platform.last(ana.dm).text
    assert reply.startswith("Ronda 2, abierta hasta el") and "\n2.1. " in reply and "\n2.3. " in reply
    assert "empiece su mensaje con su número" in reply
    assert "¿A qué pregunta" not in reply and await contributions(engine) == 0
    async with engine.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(OrganiserQuestion)) == 0


async def test_another_question_is_passed_on_to_the_organisers_in_private_and_in_status(engine, platform, user):
    boss = await organiser(engine, user, language="fr")
    await engine.handle_message(boss.message("/start"))  # the organiser's own private chat with the bot
    marie = await join(engine, user, "marie", "fr", name="Marie Diallo")
    await open_round(engine, boss)
    platform.clear()
    message = marie.message("Est-ce que je peux envoyer un document en PDF avec notre expérience ?")
    await engine.handle_message(message)
    await engine.handle_message(message)  # delivered twice: passed on once
    assert platform.texts(marie.dm) == ["Merci : j’ai transmis votre question aux organisateurs."]
    assert platform.texts(boss.dm) == [
        "Une question pour les organisateurs, de Marie Diallo : « Est-ce que je peux envoyer un document en PDF avec notre expérience ? »"
    ]
    async with engine.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(OrganiserQuestion)) == 1
    assert await contributions(engine) == 0
    await engine.handle_message(boss.message("/status"))
    status = platform.last(boss.dm).text
    assert "1 question pour les organisateurs :" in status and "Marie Diallo: «Est-ce que je peux envoyer un document" in status


async def test_a_question_restated_alone_files_the_next_unmarked_message_under_it(engine, platform, user, clock):
    boss = await organiser(engine, user)
    john = await join(engine, user, "john", "en")
    await open_round(engine, boss, 2)
    await engine.handle_message(
        john.message("Q: What can migrants themselves and civil society organisations do to raise awareness about their needs?")
    )
    assert platform.last(john.dm).text.startswith("Noted: your next message will be recorded under question 2.3")
    await engine.handle_message(john.message("Speak to the local press, and federate."))
    assert "2.3" in platform.last(john.dm).text
    async with engine.sessions() as session:
        assert [c.text for c in await session.scalars(select(Contribution))] == ["Speak to the local press, and federate."]
    clock.advance(minutes=10)
    await engine.handle_message(john.message("Our town council meets them twice a year."))
    assert "Which question does this answer?" in platform.last(john.dm).text


@pytest.mark.parametrize("announcing", ["2", "I'll answer question 2 in my next message."])
async def test_a_question_number_sent_alone_is_the_question_the_next_message_answers(engine, platform, user, announcing):
    boss = await organiser(engine, user)
    await open_round(engine, boss, 1)
    john = await join(engine, user, "john", "en")
    await engine.handle_message(john.message(announcing))
    assert platform.last(john.dm).text.startswith("Noted: your next message will be recorded under question 1.2")
    await engine.handle_message(john.message("We have a joint committee with the ministry."))
    assert "1.2" in platform.last(john.dm).text
    async with engine.sessions() as session:
        assert [c.text for c in await session.scalars(select(Contribution))] == ["We have a joint committee with the ministry."]
