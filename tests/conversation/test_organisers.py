"""Organiser operations: refused to everyone else, in their language; the CLI
acts on the running bot through the database."""

import asyncio
import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.discussion import store
from bot.reports.data import gather
from bot.storage.models import Round, RoundStatus
from facilitator.assembly import COMMANDS
from facilitator.cli import main
from schedules import timetable
from tests.fakes.memory_platform import MemoryPlatform, MemoryUser
from tests.helpers import join, organiser

ORGANISER_COMMANDS = [c for c in COMMANDS if c.organiser_only]


def test_the_organiser_operations_are_all_guarded():
    names = {c.name for c in ORGANISER_COMMANDS}
    assert {"open_round", "close_round", "status", "participants", "organiser_add", "organiser_remove"} <= names


@pytest.mark.parametrize("command", ORGANISER_COMMANDS, ids=lambda c: c.name)
async def test_non_organiser_is_refused_every_organiser_command(engine, platform, user, command):
    ana = await join(engine, user, "ana", "es")
    platform.clear()
    await engine.handle_message(ana.message(f"/{command.name} 1"))
    [refusal] = platform.to(ana.dm)
    assert refusal.text == f"Solo los organizadores de esta discusión pueden usar /{command.name}."
    async with engine.sessions() as session:
        assert all(r.status == RoundStatus.scheduled for r in await session.scalars(select(Round)))
        discussion = await store.find_discussion(session)
        assert not await store.is_organiser(session, discussion, "memory", "1")


async def test_an_organisers_help_names_each_commands_arguments_in_their_language(engine, platform, user):
    boss = await organiser(engine, user)
    await engine.handle_message(boss.message("/language fr"))
    await engine.handle_message(boss.message("/help"))
    help_text = platform.last(boss.dm).text
    assert "/hide N [raison] : " in help_text or "/hide N [raison]: " in help_text, help_text


async def test_a_round_whose_dates_have_passed_opened_by_hand_is_announced_open_for_its_week_from_now(engine, platform, user, clock):
    boss = await organiser(engine, user)
    john = await join(engine, user, "john", "en")
    clock.advance(days=3 * 365)  # the file's 2013 dates are long past
    await engine.handle_message(boss.message("/open_round 1"))
    await engine.drain()
    [header] = [text for text in platform.texts(john.dm) if text.startswith("Round 1 is open until")]
    assert f"{clock.now.year}" in header.split(":")[0] and "2013" not in header
    async with engine.sessions() as session:
        discussion_id = (await store.find_discussion(session)).id
    await timetable.advance(engine, discussion_id, clock.now)  # the housekeeping does not close it at once
    async with engine.sessions() as session:
        assert (await store.round_by_number(session, await store.find_discussion(session), 1)).status == RoundStatus.open


async def test_rounds_moved_by_opening_a_past_one_keep_the_files_times_of_day(engine, platform, user, clock):
    """The file's rounds open and close on Mondays at 9:00 in Brussels: opened by hand on a Thursday
    at 17:27, round 1 closes a week later at 9:00, not at 17:27, and round 2 opens then."""
    boss = await organiser(engine, user)
    clock.now = dt.datetime(2026, 12, 3, 16, 27, tzinfo=dt.UTC)  # Thursday 17:27 in Brussels
    await engine.handle_message(boss.message("/open_round 1"))
    async with engine.sessions() as session:
        first, second = (await store.rounds_of(session, await store.find_discussion(session)))[:2]
    brussels = ZoneInfo("Europe/Brussels")
    assert first.opens_at == clock.now
    assert first.closes_at.astimezone(brussels) == dt.datetime(2026, 12, 10, 9, 0, tzinfo=brussels)
    assert second.opens_at.astimezone(brussels) == dt.datetime(2026, 12, 10, 9, 0, tzinfo=brussels)
    assert second.closes_at.astimezone(brussels) == dt.datetime(2026, 12, 17, 9, 0, tzinfo=brussels)


async def test_removing_an_organiser_named_in_the_file_says_they_come_back_with_it(engine, platform, user, example):
    await engine.load(dataclasses.replace(example, organisers=("memory:boss", "memory:marie")))
    boss = user("boss", "en")
    await engine.handle_message(boss.message("/organiser_remove memory:marie"))
    assert platform.last(boss.dm).text == (
        "memory:marie no longer organises this discussion. They are listed in the discussion file: "
        "take them out there too, or they organise again at the bot's next start."
    )
    await engine.load(dataclasses.replace(example, organisers=("memory:boss", "memory:marie")))
    async with engine.sessions() as session:
        assert await store.is_organiser(session, await store.find_discussion(session), "memory", "marie")


async def test_a_round_closed_by_hand_is_shown_as_it_was_held(engine, platform, user, clock):
    boss = await organiser(engine, user)
    await engine.handle_message(boss.message("/open_round 1"))
    clock.advance(hours=1)
    await engine.handle_message(boss.message("/close_round 1"))
    await engine.handle_message(boss.message("/status"))
    [round_one] = [line for line in platform.last(boss.dm).text.splitlines() if line.startswith("Round 1")]
    assert "Jul 15" not in round_one, "it closed on the 8th, an hour after it opened"
    async with engine.sessions() as session:
        report = await gather(session, await store.find_discussion(session), clock.now)
    assert report.rounds[0].closes_at == clock.now.replace(tzinfo=report.rounds[0].closes_at.tzinfo)


async def test_close_round_alone_closes_the_round_that_is_open(engine, platform, user):
    boss = await organiser(engine, user)
    await engine.handle_message(boss.message("/close_round"))
    assert platform.last(boss.dm).text == "Give a round number from 1 to 4, for example /close_round 1.", "none is open"
    await engine.handle_message(boss.message("/open_round 2"))
    await engine.drain()
    await engine.handle_message(boss.message("/close_round"))
    assert platform.last(boss.dm).text == "Round 2 is closed. Late answers are still recorded, marked as late."


async def test_organiser_grants_and_revokes(engine, platform, user):
    boss = await organiser(engine, user)
    marie = await join(engine, user, "marie", "fr")
    await engine.handle_message(boss.message("/organiser_add memory:marie"))
    assert platform.last(boss.dm).text == "memory:marie now organises this discussion."
    await engine.handle_message(marie.message("/open_round 2"))
    assert platform.last(marie.dm).text == "Le tour 2 est ouvert ; ses questions sont en cours de publication."
    await engine.drain()  # its questions posted, so that the refusal below is the last message
    await engine.handle_message(boss.message("/organiser_remove memory:marie"))
    await engine.handle_message(marie.message("/close_round 2"))
    assert platform.last(marie.dm).text == "Seuls les organisateurs de cette discussion peuvent utiliser /close_round."


async def test_an_organiser_granted_with_a_malformed_id_is_refused(engine, platform, user):
    boss = await organiser(engine, user)
    for identity, example in (
        ("telegram:@marie", "telegram:123456"),
        ("discord:marie#1234", "discord:80351110224678912"),
        ("slack:U123", "telegram:123456"),
    ):
        await engine.handle_message(boss.message(f"/organiser_add {identity}"))
        platform_name = identity.partition(":")[0]
        assert platform.last(boss.dm).text == f"«{identity}» is not a person's id on {platform_name}. Give it as, for example, {example}."
    async with engine.sessions() as session:
        assert [grant.platform for grant in await store.organisers_of(session, await store.find_discussion(session))] == ["memory"]


async def test_status_counts_contributions_participants_and_languages(engine, platform, user):
    boss = await organiser(engine, user)
    ana = await join(engine, user, "ana", "es")
    john = await join(engine, user, "john", "en")
    await engine.handle_message(boss.message("/open_round 1"))
    await engine.drain()
    await engine.handle_message(ana.message("Pregunta 1: convenios entre municipios y ministerios.\nPregunta 3: redes de ciudades."))
    await engine.handle_message(john.message("Q1: city-to-city partnerships with migrant associations."))
    await engine.handle_message(boss.message("/status"))
    status = platform.last(boss.dm).text
    # Opened by hand at noon in Brussels, three hours after the file's 9:00: shown as it was opened.
    assert "Round 1 (open): Mon, Jul 8, 2013 12:00\u202fPM – Mon, Jul 15, 2013 9:00\u202fAM (Europe/Brussels), 2 participants" in status
    assert "  1.1: 2 contributions, 2 participants (English and Spanish)" in status
    assert "  1.3: 1 contribution, 1 participant (Spanish)" in status
    assert "  1.2: 0 contributions, 0 participants (—)" in status


async def test_round_opened_from_the_cli_reaches_the_running_bot(engine, platform, user, database, monkeypatch, tmp_path):
    """The CLI and the bot share only the database."""
    if database.dialect.name != "sqlite":
        pytest.skip("the CLI's own database URL is exercised on the SQLite file")
    marie = await join(engine, user, "marie", "fr")
    platform.clear()
    monkeypatch.setenv("FACILITATOR_DATABASE_URL", str(database.url))
    watching = asyncio.create_task(engine.watch(interval=0.05))
    try:
        code = await asyncio.to_thread(main, ["round", "open", "1"])
        assert code == 0
        for _ in range(100):
            if len(platform.to(marie.dm)) == 5:
                break
            await asyncio.sleep(0.05)
    finally:
        watching.cancel()
    assert len(platform.texts(marie.dm)) == 5
    assert "Question 1.5" in platform.texts(marie.dm)[-1]


async def test_cli_organiser_add_takes_effect_in_the_running_bot(engine, platform, user, database, monkeypatch):
    if database.dialect.name != "sqlite":
        pytest.skip("the CLI's own database URL is exercised on the SQLite file")
    telegram = MemoryPlatform(name="telegram")  # `organiser add` takes only a real platform's id form
    engine.attach(telegram)
    marie = MemoryUser(telegram, "123456", "Marie", "fr")
    monkeypatch.setenv("FACILITATOR_DATABASE_URL", str(database.url))
    assert await asyncio.to_thread(main, ["organiser", "add", "telegram:123456"]) == 0
    await engine.handle_message(marie.message("/open_round 1"))
    assert telegram.last(marie.dm).text.startswith("Le tour 1 est ouvert")


def test_cli_refuses_a_malformed_identity(capsys):
    assert main(["organiser", "add", "marie"]) == 2
    assert "is not PLATFORM:USER_ID" in capsys.readouterr().err
