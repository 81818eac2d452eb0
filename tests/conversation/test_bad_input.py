"""Bad input gets a clear answer in the sender's language: no crash, nothing lost or doubled."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from bot.conversation import contributions
from bot.ports import IncomingMessage
from bot.storage.models import Contribution, Message, Question
from tests.helpers import join, organiser, stored_contributions


async def count(engine, model) -> int:
    async with engine.sessions() as session:
        return await session.scalar(select(func.count(model.id)))


@pytest.fixture
async def open_round(engine, user):
    boss = await organiser(engine, user)
    await engine.handle_message(boss.message("/open_round 1"))
    await engine.drain()


@pytest.mark.parametrize("blank", ["   \n ", "\u200b", "\u200d\u2060\ufeff \u200e"])
async def test_empty_message(engine, platform, user, open_round, blank):
    ana = await join(engine, user, "ana", "es")
    await engine.handle_message(ana.message(blank))
    assert platform.last(ana.dm).text == "Su mensaje está vacío: no se ha registrado nada."
    assert await count(engine, Message) == 0


async def test_message_of_twenty_thousand_characters(engine, platform, user, open_round):
    marie = await join(engine, user, "marie", "fr")
    await engine.handle_message(marie.message("Q1: " + "a" * 20_000))
    assert platform.last(marie.dm).text.startswith("Votre message est trop long (20")
    assert await count(engine, Message) == 0


async def test_control_characters_are_removed_and_the_rest_kept(engine, platform, user, open_round):
    john = await join(engine, user, "john", "en")
    await engine.handle_message(john.message("Q1: twin\x00ning\x1b[31m of towns\x07 \u202eetal\u202c"))
    async with engine.sessions() as session:
        assert await session.scalar(select(Contribution.text)) == "twinning[31m of towns etal"
    assert platform.last(john.dm).text.startswith("Thank you! Recorded under question 1.1")


async def test_invalid_utf8_is_refused_in_the_senders_language(engine, platform, user, open_round):
    marie = await join(engine, user, "marie", "fr")
    await engine.handle_message(marie.message("Q1: caf\ufffd", undecodable=True))
    assert "n’a pas pu être lue" in platform.last(marie.dm).text
    assert await count(engine, Message) == 0


async def test_attachment_without_text(engine, platform, user, open_round):
    ana = await join(engine, user, "ana", "es")
    await engine.handle_message(ana.message("", attachment_only=True))
    assert platform.last(ana.dm).text.startswith("Solo se registra texto")


async def test_unknown_command(engine, platform, user):
    ana = user("ana", "es")
    await engine.handle_message(ana.message("/frobnicate now"))
    assert platform.last(ana.dm).text == "No conozco el comando /frobnicate. Envíe /help para ver lo que puede hacer."


async def test_a_mistyped_command_is_answered_with_the_nearest_one_the_sender_may_use(engine, platform, user):
    ana = user("ana", "es")
    await engine.handle_message(ana.message("/lang en"))
    assert platform.last(ana.dm).text == "No conozco el comando /lang. ¿Quiso decir /language? Envíe /help para ver lo que puede hacer."
    await engine.handle_message(ana.message("/export"))
    assert "¿Quiso decir" not in platform.last(ana.dm).text, "/report is the organisers'"
    boss = await organiser(engine, user)
    await engine.handle_message(boss.message("/export docx"))
    assert platform.last(boss.dm).text == "I do not know the command /export. Did you mean /report? Send /help to see what you can do."


async def test_a_participants_command_typed_in_their_own_language_runs(engine, platform, user):
    marie = user("marie", "fr")
    await engine.handle_message(marie.message("/aide"))
    assert platform.last(marie.dm).text.startswith("Ce que vous pouvez faire")
    ana = user("ana", "es")
    await engine.handle_message(ana.message("/idioma en"))
    assert platform.last(ana.dm).text == "From now on I will write to you in English."


@pytest.mark.parametrize("command", ["/stop", "/unsubscribe", "/baja", "/arrêter"])
async def test_asking_to_leave_is_told_the_two_commands_that_do_it(engine, platform, user, command):
    ana = await join(engine, user, "ana", "es")
    await engine.handle_message(ana.message(command))
    assert "/reminders off" in platform.last(ana.dm).text and "/forget" in platform.last(ana.dm).text
    assert platform.last(ana.dm).text.startswith("Para dejar de recibir recordatorios")


@pytest.mark.parametrize("argument", ["", "0", "5", "two", "1 2", "-1"])
async def test_command_with_a_wrong_argument(engine, platform, user, argument):
    boss = await organiser(engine, user)
    await engine.handle_message(boss.message(f"/open_round {argument}"))
    assert platform.last(boss.dm).text == "Give a round number from 1 to 4, for example /open_round 1."


async def test_wrong_language_argument_lists_the_discussion_languages(engine, platform, user):
    marie = user("marie", "fr")
    await engine.handle_message(marie.message("/language de"))
    assert platform.last(marie.dm).text == ("Cette discussion se tient en français, anglais et espagnol. Envoyez par exemple /language fr.")


async def test_answer_before_any_round_is_open_is_not_silently_lost(engine, platform, user):
    ana = await join(engine, user, "ana", "es")
    await engine.handle_message(ana.message("Pregunta 1: algo"))
    assert platform.last(ana.dm).text.startswith("Todavía no hay ninguna ronda abierta, así que no se ha registrado nada.")


async def test_before_any_round_the_first_rounds_date_is_given_only_while_it_is_to_come(engine, platform, user, clock):
    john = await join(engine, user, "john", "en")
    clock.now = dt.datetime(2013, 7, 1, 10, 0, tzinfo=dt.UTC)
    await engine.handle_message(john.message("Q1: twinning"))
    assert platform.last(john.dm).text.endswith("The first round opens on Mon, Jul 8, 2013 9:00\u202fAM (Europe/Brussels).")
    clock.now = dt.datetime(2013, 7, 9, 10, 0, tzinfo=dt.UTC)  # its date passed, and nobody opened it
    await engine.handle_message(john.message("Q1: twinning with Lyon"))
    assert platform.last(john.dm).text == "No round is open yet, so nothing was recorded."


async def test_message_before_subscribing_points_to_start(engine, platform, user):
    ana = user("ana", "es")
    await engine.handle_message(ana.message("hola"))
    assert platform.last(ana.dm).text == "¡Bienvenido/a! Envíe /start para unirse a la discusión."


async def test_stale_or_forged_button(engine, platform, user, open_round):
    ana = await join(engine, user, "ana", "es")
    for data in ("file:999999:1.1", "file:abc:1.1", "nonsense", "lang:de"):
        await engine.handle_button(ana.press(data))
    assert all("caducado" in text or "no le corresponde" in text for text in platform.texts(ana.dm)[-4:])
    assert await count(engine, Contribution) == 0


async def test_someone_elses_clarification_cannot_be_answered(engine, platform, user, open_round):
    john = await join(engine, user, "john", "en")
    ana = await join(engine, user, "ana", "es")
    await engine.handle_message(john.message("Something about our town, hard to place."))
    data = platform.last(john.dm).buttons[0].data
    await engine.handle_button(ana.press(data))
    assert platform.last(ana.dm).text == "Esa elección no le corresponde, o ha caducado."
    async with engine.sessions() as session:
        assert await session.scalar(select(Contribution.question_id)) is None


async def test_a_crash_after_storing_keeps_the_contribution(engine, platform, user, open_round):
    """Acknowledged means committed: a reply that fails to go out loses nothing."""
    john = await join(engine, user, "john", "en")
    platform.unreachable.add(john.dm)
    await engine.handle_message(john.message("Q2: coordination committees", message_id="x1"))
    platform.unreachable.clear()
    async with engine.sessions() as session:
        assert await session.scalar(select(func.count(Contribution.id))) == 1
    await engine.handle_message(john.message("Q2: coordination committees", message_id="x1"))
    assert await count(engine, Contribution) == 1


async def test_an_unknown_group_is_not_answered(engine, platform, user):
    ana = user("ana", "es")
    await engine.handle_message(IncomingMessage(chat=ana.chat("some-group"), sender=ana.person, message_id="g1", text="hola a todos"))
    assert platform.sent == []


async def test_a_fault_of_ours_is_told_to_the_sender_in_their_language_and_the_next_message_works(engine, platform, user, monkeypatch):
    boss = await organiser(engine, user)
    await engine.handle_message(boss.message("/open_round 1"))
    ana = await join(engine, user, "ana", "es")
    await engine.drain()
    real_receive = contributions.receive

    async def failing(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(contributions, "receive", failing)
    await engine.handle_message(ana.message("Pregunta 1: los hermanamientos entre ciudades."))
    assert platform.last(ana.dm).text == "Algo falló de mi lado: no se registró nada. Vuelva a enviarlo dentro de un momento."
    async with engine.sessions() as session:
        assert await session.scalar(select(func.count(Message.id))) == 0
    monkeypatch.setattr(contributions, "receive", real_receive)
    await engine.handle_message(ana.message("Pregunta 1: los hermanamientos entre ciudades."))
    assert "1.1" in platform.last(ana.dm).text


async def test_saying_one_has_nothing_to_add_on_a_question_files_nothing_and_says_so(engine, platform, user, open_round):
    marie = await join(engine, user, "marie", "fr")
    await engine.handle_message(marie.message("Q3 : pas de commentaire pour l'instant, désolée."))
    assert platform.last(marie.dm).text == (
        "C’est noté : rien n’a été enregistré pour la question 1.3. Vous pourrez encore y répondre tant que son tour est ouvert."
    )
    assert await count(engine, Contribution) == 0


async def test_nothing_to_add_on_one_question_and_an_answer_to_another_files_the_answer_alone(engine, platform, user, open_round):
    ana = await join(engine, user, "ana", "es")
    await engine.handle_message(ana.message("Pregunta 2: sin comentarios. Pregunta 3: un comité mixto con el ministerio."))
    assert await stored_contributions(engine.sessions, Question.key, Contribution.text) == [("1.3", "un comité mixto con el ministerio.")]
