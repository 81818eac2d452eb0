"""The Discord adapter when Discord does not go the happy way: a resumed
gateway session, places that take no questions, permissions missing, a
refused command sync, organiser commands typed in a channel, a start before
logging in, rounds closed while the bot was away."""

from __future__ import annotations

import logging

import discord
from sqlalchemy import func, select

from adapters.discord import DiscordChat
from bot.discussion import store
from bot.ports import ChatKind, Secret
from bot.storage.models import Round, Venue
from facilitator.assembly import make_engine
from schedules.rounds import close_round
from tests.adapters.discord import test_adapter
from tests.adapters.discord.test_adapter import (
    TOKEN,
    grant,
    open_round_in_french_channel,
    questions,
    read_back,
    restart,
    said,
    start_bot,
    stored,
)
from tests.fakes.discord_gateway import CHANNELS, GUILD_ID, ORGANISER_ROLE, Gateway, payload, snowflake, thread_create

FORUM = "1100000000000000015"

# The adapter tests' fixtures: a fake Discord, the bot started against it, the people on the server.
discord_api, bot, people = test_adapter.discord_api, test_adapter.bot, test_adapter.people


async def add_forum(gateway: Gateway) -> None:
    """A forum channel appears on the server (CHANNEL_CREATE)."""
    forum = {**payload("GUILD_CREATE")["channels"][0], "id": FORUM, "type": 15, "name": "forum", "available_tags": []}
    await gateway.feed("CHANNEL_CREATE", forum | {"guild_id": GUILD_ID})


async def venue_for(engine, chat_id: str, language: str) -> None:
    """A channel that follows the discussion (as an /attach made before the checks would have left it)."""
    async with engine.sessions() as session:
        discussion = await store.find_discussion(session)
        session.add(
            Venue(
                discussion_id=discussion.id,
                platform="discord",
                chat_id=chat_id,
                kind=ChatKind.group,
                language=language,
                created_at=engine.clock(),
            )
        )
        await session.commit()


async def venues(engine) -> dict[str, bool]:
    """Chat id → whether it is unreachable."""
    async with engine.sessions() as session:
        return dict((await session.execute(select(Venue.chat_id, Venue.unreachable))).all())


async def test_a_resumed_gateway_session_keeps_the_cursor_going(bot, engine):
    bot.client.dispatch("ready")
    await bot.settle()
    # The connection drops, and Discord resumes the session (replaying what it missed).
    bot.client.dispatch("disconnect")
    bot.client.dispatch("resumed")
    await bot.settle()
    await bot.client.close()
    assert await engine.seen_up_to("discord") is not None, "the cursor is recorded at the stop"


async def test_attach_in_a_forum_post_is_refused_and_names_no_channel(bot, discord_api, engine, people):
    boss = people["boss"]
    await grant(engine, boss)
    await add_forum(bot)
    post = snowflake()
    await bot.feed("THREAD_CREATE", thread_create(post, FORUM, "Cooperation"))
    command = boss.command("attach", "en", channel=post)
    command["channel"] = thread_create(post, FORUM, "Cooperation")
    await bot.feed("INTERACTION_CREATE", command)
    answer = discord_api.deferred[command["token"]]
    assert answer["type"] == 4 and answer["data"]["flags"] == 64, "answered at once, to the organiser alone"
    assert answer["data"]["content"] == said(
        "en", "I can post the questions only in a text channel: run /attach in one, not in a forum, its posts or a voice channel."
    )
    assert await venues(engine) == {}


async def test_attach_where_the_bot_cannot_post_names_the_missing_permissions(bot, discord_api, engine, people):
    marie = people["marie"]
    await grant(engine, marie)
    command = marie.command("attach", "fr", channel=CHANNELS["fr"])
    allowed = discord.Permissions(int(command["app_permissions"]))
    allowed.update(send_messages=False, create_public_threads=False)
    command["app_permissions"] = str(allowed.value)
    await bot.feed("INTERACTION_CREATE", command)
    content = discord_api.deferred[command["token"]]["data"]["content"]
    assert content == said(
        "fr",
        "I cannot post the questions here: I lack the permissions {permissions} in this channel. Grant them, then run /attach again.",
        permissions=f"{said('fr', 'Send Messages')}, {said('fr', 'Create Public Threads')}",
    )
    assert "Envoyer des messages" in content
    assert await venues(engine) == {}
    # With the permissions granted, the same command attaches the channel.
    await bot.feed("INTERACTION_CREATE", marie.command("attach", "fr", channel=CHANNELS["fr"]))
    assert await venues(engine) == {CHANNELS["fr"]: False}


async def test_a_forum_following_the_discussion_stops_neither_posting_nor_reading_back(discord_api, engine, example, people, caplog):
    gateway = await start_bot(engine)
    await add_forum(gateway)
    await venue_for(engine, FORUM, "en")
    await open_round_in_french_channel(gateway, people)
    assert len(questions(discord_api, CHANNELS["fr"])) == 5
    assert await venues(engine) == {FORUM: True, CHANNELS["fr"]: False}, "the forum takes no posts: marked unreachable"
    assert "posting questions failed" not in caplog.text
    gateway.client.dispatch("ready")
    await gateway.settle()
    await gateway.client.close()

    thread = questions(discord_api, CHANNELS["fr"])[1].thread_id
    discord_api.write(people["marie"].message("Un comité mixte avec le ministère aligne nos stratégies.", channel=thread))
    async with engine.sessions() as session:  # an organiser ran /attach there again
        (await session.scalar(select(Venue).where(Venue.chat_id == FORUM))).unreachable = False
        await session.commit()
    _restarted, again = await restart(engine, example)
    await add_forum(again)
    await read_back(again)
    assert [(key, chat) for key, chat, *_rest in await stored(engine)] == [("1.2", CHANNELS["fr"])], "the channels after it are read"


async def test_a_refused_command_sync_keeps_the_bot_running_and_is_tried_again(discord_api, engine, example, people):
    discord_api.refusing_sync = 400
    first = await start_bot(engine)  # does not raise
    help_ = people["marie"].command("help")
    await first.feed("INTERACTION_CREATE", help_)
    assert discord_api.answers(help_), "the commands Discord already has still work"
    await first.client.close()
    assert discord_api.command_syncs == 0

    discord_api.refusing_sync = None
    restarted, second = await restart(engine, example)
    await second.client.close()
    assert discord_api.command_syncs == 1, "tried again at the next start"

    third = await start_bot(restarted)
    await third.client.close()
    assert discord_api.command_syncs == 1, "unchanged commands are not synced again"


async def test_an_organiser_command_typed_in_a_channel_is_refused_in_private(bot, discord_api, engine, people):
    marie = people["marie"]
    await open_round_in_french_channel(bot, people)
    discord_api.dm_channels[marie.user_id] = marie.dm_channel
    in_channel = len(discord_api.in_channel(CHANNELS["fr"]))
    await bot.feed("MESSAGE_CREATE", marie.message("/close_round", channel=CHANNELS["fr"]))
    assert len(discord_api.in_channel(CHANNELS["fr"])) == in_channel, "nothing said in the channel"
    [refusal] = discord_api.in_channel(marie.dm_channel)
    assert refusal.content == said("fr", "Only the organisers of this discussion can use /{name}.", name="close_round")
    async with engine.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Round).where(Round.status == "open")) == 1


async def test_nothing_is_posted_before_the_client_has_logged_in(discord_api, engine, example, people, caplog):
    first = await start_bot(engine)
    await open_round_in_french_channel(first, people)
    await first.client.close()
    await venue_for(engine, CHANNELS["en"], "en")

    restarted = make_engine(engine.sessions, clock=engine.clock)
    await restarted.load(example)
    chat = DiscordChat(Secret(TOKEN), organiser_role=ORGANISER_ROLE)
    restarted.attach(chat)
    caplog.set_level(logging.ERROR)
    assert await restarted.post_pending() == 0, "the watcher's pass before the login posts nothing"
    assert not caplog.records
    await chat.login(restarted)
    await Gateway(chat.client, restarted).feed("GUILD_CREATE", payload("GUILD_CREATE"))
    try:
        assert await restarted.post_pending() == 5
    finally:
        await chat.client.close()
    assert len(questions(discord_api, CHANNELS["en"])) == 5


async def test_question_threads_stay_open_for_the_longest_discord_allows(bot, discord_api, people):
    await open_round_in_french_channel(bot, people)
    openings = [body for method, path, body in discord_api.requests if method == "POST" and path.endswith("/threads")]
    assert len(openings) == 5 and {body["auto_archive_duration"] for body in openings} == {10_080}


async def test_a_late_answer_in_a_round_closed_while_the_bot_was_away_is_read_back(discord_api, engine, example, people, clock):
    # Real time here: the cursor is Discord's clock, the round's closing the engine's.
    clock.now = discord.utils.utcnow()
    gateway = await start_bot(engine)
    await open_round_in_french_channel(gateway, people)
    gateway.client.dispatch("ready")
    await gateway.settle()
    await gateway.client.close()

    # While the bot is away: Marie answers in a question's thread, then the round closes.
    thread = questions(discord_api, CHANNELS["fr"])[0].thread_id
    written = str(discord.utils.time_snowflake(discord.utils.utcnow()))
    text = "Les jumelages entre communes financent des projets au village."
    discord_api.write(people["marie"].message(text, channel=thread, message_id=written))
    clock.advance(minutes=1)
    async with engine.sessions() as session:
        await close_round(session, await session.scalar(select(Round).where(Round.number == 1)), clock())
        await session.commit()

    _restarted, again = await restart(engine, example)
    await read_back(again)
    assert [(key, chat, text_) for key, chat, _language, text_, _status in await stored(engine)] == [("1.1", CHANNELS["fr"], text)]
