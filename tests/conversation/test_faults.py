"""Faults met with a clear answer (issue 15): an edit never runs a command,
odd arguments get the command's usage, values the database cannot hold are
refused or cleaned, a failed write is told from a fresh session, and two
updates of a new person handled at once both count."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from bot.storage.models import Contribution, Discussion, Message, Participant, Round, RoundStatus
from tests.helpers import join, open_round, organiser, stored_contributions


async def test_an_edit_into_a_command_runs_nothing(engine, platform, user):
    boss = await organiser(engine, user)
    await open_round(engine, boss)
    sent = boss.message("Thanks everyone, keep going.", group=None)
    await engine.handle_message(sent)
    await engine.handle_message(boss.message("/pause", message_id=sent.message_id, edited=True))
    assert platform.last(boss.dm).text == "Commands run from new messages only: send /pause again as a new message."
    async with engine.sessions() as session:
        assert not await session.scalar(select(Discussion.paused))


@pytest.mark.parametrize(
    ("command", "usage"),
    [
        (
            "/hide 12345678901234567890",
            "Give the number of a contribution of this discussion, as the report shows it (#123), for example /hide 123.",
        ),
        ("/hide ²", "Give the number of a contribution of this discussion, as the report shows it (#123), for example /hide 123."),
        ("/extend_round 99999999d", "Say by how long, for example /extend_round 2d or /extend_round 12h."),
        ("/postpone_round 2 999999w", "Give a round number and how long to wait, for example /postpone_round 2 3d."),
        ("/postpone_round 99999999999999999999 2d", "Give a round number and how long to wait, for example /postpone_round 2 3d."),
    ],
)
async def test_an_argument_out_of_range_gets_the_usage(engine, platform, user, command, usage):
    boss = await organiser(engine, user)
    await open_round(engine, boss)
    await engine.handle_message(boss.message(command))
    assert platform.last(boss.dm).text == usage
    async with engine.sessions() as session:
        assert set(await session.scalars(select(Round.status))) == {RoundStatus.open, RoundStatus.scheduled}


async def test_a_time_zone_of_three_thousand_characters_is_refused_in_the_senders_language(engine, platform, user):
    ana = await join(engine, user, "ana", "es")
    await engine.handle_message(ana.message("/timezone " + "Europe/Paris" * 250))
    assert platform.last(ana.dm).text.startswith("No conozco la zona horaria")
    assert len(platform.last(ana.dm).text) < 300, "the sender's text is not echoed whole"


async def test_forged_button_data_is_no_fault(engine, platform, user):
    ana = await join(engine, user, "ana", "es")
    for data in ("file:" + "9" * 10_000 + ":1.1", "file:99999999999999999999:1.1", "move:99999999999999999999"):
        platform.clear()
        await engine.handle_button(ana.press(data))
        [answer] = platform.to(ana.dm)
        assert not answer.text.startswith("Algo falló"), data


async def test_a_country_longer_than_its_column_is_refused_and_asked_again(engine, platform, user):
    john = user("john", "en")
    await engine.handle_message(john.message("/start"))
    await engine.handle_button(john.press("lang:en"))
    await engine.handle_button(john.press("consent:named"))
    await engine.handle_message(john.message("John Smith"))
    await engine.handle_message(john.message("Town of Springfield"))
    await engine.handle_message(john.message("Republic of " + "x" * 150))
    assert platform.last(john.dm).text.startswith("That is too long"), platform.last(john.dm).text
    await engine.handle_message(john.message("Ireland"))
    async with engine.sessions() as session:
        assert await session.scalar(select(Participant.country)) == "Ireland"


@pytest.mark.parametrize("name", ["Ana \ud800 García", "Ana\x00García"])
async def test_a_display_name_the_database_cannot_hold_is_cleaned_and_the_person_joins(engine, platform, user, name):
    ana = user("ana", "es", name=name)
    await engine.handle_message(ana.message("/start"))
    assert "Pequeña" in platform.last(ana.dm).text or platform.last(ana.dm).buttons, platform.last(ana.dm).text
    async with engine.sessions() as session:
        assert await session.scalar(select(Participant.display_name)) in ("Ana  García", "AnaGarcía")


async def test_a_failed_write_is_told_from_a_fresh_session(engine, platform, user, monkeypatch):
    """The write fails at the commit, when the turn's session can no longer be read."""
    from bot.conversation import contributions

    boss = await organiser(engine, user)
    await open_round(engine, boss)
    ana = await join(engine, user, "ana", "es")
    platform.clear()
    receive = contributions.receive

    async def receive_then_break(turn, message, text):
        await receive(turn, message, text)
        (await turn.ensure_participant()).display_name = "\ud800"  # cannot be encoded: the flush fails
        await turn.session.flush()

    monkeypatch.setattr(contributions, "receive", receive_then_break)
    await engine.handle_message(ana.message("Q1: nuestra experiencia municipal."))
    assert platform.texts(ana.dm) == ["Algo falló de mi lado: no se registró nada. Vuelva a enviarlo dentro de un momento."]
    async with engine.sessions() as session:
        assert await session.scalar(select(func.count(Message.id))) == 0


async def test_a_new_persons_group_answer_and_start_handled_together_both_count(engine, platform, user):
    boss = await organiser(engine, user)
    await engine.handle_message(boss.message("/attach en", group="g1"))
    await open_round(engine, boss)
    platform.clear()
    for attempt in range(10):
        newcomer = user(f"new{attempt}", "en")
        await asyncio.gather(
            engine.handle_message(newcomer.message("Q1: twinning with migrants as experts.", group="g1")),
            engine.handle_message(newcomer.message("/start")),
        )
        assert platform.to(newcomer.dm), "the /start is answered"
    answers = await stored_contributions(engine.sessions, Contribution.text)
    assert len(answers) == 10, "every group answer is stored"
