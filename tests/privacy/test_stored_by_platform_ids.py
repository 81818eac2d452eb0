"""/mydata and /forget reach the rows that name a person by their platform's
ids rather than by a foreign key to them: the replies written to their private
chat (the outbox), the updates they sent, and what they did as an organiser
(answers filed elsewhere, hidden, sign-ins to the desk). Every table is either
reached or holds nothing about anyone."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from bot.privacy import personal_data
from bot.storage.database import session_factory
from bot.storage.models import Base, Contribution, ContributionMove, HidingAct, WebLink
from facilitator.assembly import make_engine
from tests.helpers import join, open_round, organiser
from tests.privacy.test_personal_data import everything_stored

BOSS_ID = "boss-4471"


@pytest.fixture
async def engine(database, platform, clock, example):
    """With the web pages served, so that /desk gives a sign-in link."""
    engine = make_engine(session_factory(database), [platform], clock=clock, web_url="http://127.0.0.1:8080")
    await engine.load(example)
    yield engine
    await engine.drain()


async def an_organiser_at_work(engine, user):
    """An organiser who joined as a participant too files one of Gabriela's
    answers under another question, hides it, and signs in to the desk."""
    boss = await organiser(engine, user, BOSS_ID)
    await join(engine, lambda *_args, **_kwargs: boss, BOSS_ID, "en")
    gabriela = await join(engine, user, "gabriela", "es")
    await open_round(engine, boss)
    await engine.handle_message(gabriela.message("Pregunta 1.1: hermanamientos entre municipios."))
    async with engine.sessions() as session:
        answer_id = await session.scalar(select(func.max(Contribution.id)))
    await engine.handle_message(boss.message(f"/file {answer_id} 1.3"))
    await engine.handle_message(boss.message(f"/hide {answer_id}"))
    await engine.handle_message(boss.message("/desk"))
    return boss


async def test_mydata_holds_the_replies_sent_the_updates_sent_and_what_they_did_as_an_organiser(engine, platform, user):
    boss = await an_organiser_at_work(engine, user)
    await engine.handle_message(boss.message("/mydata"))
    data = json.loads(platform.last(boss.dm).attachment[1])

    sent_to_boss = [sent.message_id for message, sent in platform.sent if message.chat.chat_id == boss.dm][:-1]  # all but this export
    replies = [row["message_id"] for row in data["outbox"]]
    assert set(replies) <= set(sent_to_boss) and {row["chat_id"] for row in data["outbox"]} == {boss.dm}
    assert replies[-3:] == sent_to_boss[-3:], "the answers to /file, /hide and /desk"
    assert {row["sender_id"] for row in data["handled_updates"]} == {BOSS_ID}
    assert len(data["handled_updates"]) >= 8, "every message and button press of theirs"
    [move] = data["contribution_moves"]
    assert (move["by_user"], move["by_organiser"]) == (BOSS_ID, True)
    [hiding] = data["hiding_acts"]
    assert (hiding["by_user"], hiding["hidden"]) == (BOSS_ID, True)
    [sign_in] = data["web_links"]
    assert sign_in["organiser_id"] == BOSS_ID and len(sign_in["token_hash"]) == 64


async def test_forget_leaves_no_id_of_an_organiser_and_keeps_the_record_of_what_they_did(engine, platform, user):
    boss = await an_organiser_at_work(engine, user)
    await engine.handle_message(boss.message("/forget"))
    await engine.handle_button(boss.press("forget:confirm"))
    stored = await everything_stored(engine)
    assert BOSS_ID not in stored and boss.dm not in stored
    async with engine.sessions() as session:
        assert await session.scalar(select(func.count(ContributionMove.id)).where(ContributionMove.by_organiser)) == 1
        assert await session.scalar(select(func.count(HidingAct.id))) == 1, "the answer is still hidden, on the record"
        assert await session.scalar(select(func.count(WebLink.id)).where(WebLink.organiser_id.is_not(None))) == 0


def test_every_table_is_reached_by_mydata_and_forget_or_holds_nothing_about_anyone():
    linked = {table.name for table in personal_data._linked_rows(1)}
    named = {table.name for table in personal_data._naming([("memory", "someone")], [("memory", "dm-someone")])}
    unreached = [name for name in Base.metadata.tables if name not in linked | named | personal_data.QUOTING | personal_data.ABOUT_NO_ONE]
    assert unreached == [], "a new table: reach its rows about a person, or add it to ABOUT_NO_ONE"
    assert set(Base.metadata.tables) >= personal_data.ABOUT_NO_ONE, "no table of that name any more"
