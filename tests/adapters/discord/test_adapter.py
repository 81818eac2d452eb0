"""The Discord adapter through discord.py's real code: raw gateway payloads fed
into the client's own connection-state parsers, its REST calls answered by a
local fake of Discord's API."""

from __future__ import annotations

import asyncio
import logging
import re

import discord
import pytest
from sqlalchemy import func, select

from adapters.discord import DiscordChat
from adapters.discord.adapter import split_text
from bot.conversation.engine import Engine
from bot.discussion import store
from bot.i18n import _, reading_in, translations
from bot.ports import ChatKind, ChatRef, OutgoingMessage, RecipientUnreachable, Secret
from bot.storage.models import (
    Contribution,
    ContributionStatus,
    Delivery,
    Message,
    MessageRevision,
    Question,
    Round,
    RoundStatus,
    Venue,
)
from facilitator.assembly import COMMANDS, make_engine
from tests.fakes.discord_gateway import CHANNELS, ORGANISER_ROLE, UNATTACHED_CHANNEL, DiscordUser, Gateway, payload, thread_create
from tests.fakes.discord_server import FakeDiscord
from tests.helpers import stored_contributions

TOKEN = "MTEwMDAwMDAwMDAwMDAwMDA5OQ.GhXyZw.s3cr3t-b0t-t0ken-n3v3r-l0gg3d"


@pytest.fixture
async def discord_api(monkeypatch):
    server = FakeDiscord()
    monkeypatch.setattr(discord.http.Route, "BASE", await server.start())
    yield server
    await server.close()


async def start_bot(engine: Engine) -> Gateway:
    """The adapter as `serve` starts it, short of the gateway; the server is known (GUILD_CREATE)."""
    chat = DiscordChat(Secret(TOKEN), organiser_role=ORGANISER_ROLE)
    engine.attach(chat)
    await chat.login(engine)
    gateway = Gateway(chat.client, engine)
    await gateway.feed("GUILD_CREATE", payload("GUILD_CREATE"))
    return gateway


async def restart(engine: Engine, example) -> tuple[Engine, Gateway]:
    """A new process on the same database: its engine, and its adapter started."""
    restarted = make_engine(engine.sessions, clock=engine.clock)
    await restarted.load(example)
    return restarted, await start_bot(restarted)


async def read_back(gateway: Gateway) -> None:
    """The gateway says it is ready; what was written meanwhile is read back, then the client stops."""
    gateway.client.dispatch("ready")
    await gateway.settle()
    await gateway.client.close()


@pytest.fixture
async def bot(engine, discord_api):
    gateway = await start_bot(engine)
    yield gateway
    await gateway.client.close()


@pytest.fixture
def people():
    return {
        "boss": DiscordUser("1200000000000000009", "organiser", "Boss", "en-GB"),
        "marie": DiscordUser("1200000000000000001", "marie.dupont", "Marie", "fr"),
        "john": DiscordUser("1200000000000000002", "john.smith", "John", "en-US"),
        "ana": DiscordUser("1200000000000000003", "ana.garcia", "Ana", "es-ES"),
        "rolf": DiscordUser("1200000000000000004", "rolf", "Rolf", "fr", roles=[ORGANISER_ROLE]),
    }


async def grant(engine, person: DiscordUser) -> None:
    async with engine.sessions() as session:
        discussion = await store.find_discussion(session)
        await store.grant_organiser(session, discussion, "discord", person.user_id, engine.clock())
        await session.commit()


async def subscribe_by_dm(bot: Gateway, server: FakeDiscord, person: DiscordUser) -> None:
    """/start in their DM with the bot, then skip every question about them (select menus and buttons)."""
    await bot.feed("INTERACTION_CREATE", person.command("start"))
    for _step in range(6):  # language, consent, name, organisation, country, role
        prompt = [p for p in server.posted if p.components][-1]
        await bot.feed("INTERACTION_CREATE", person.choose(prompt.id, "skip", select=3 in prompt.kinds))


async def stored(engine) -> list[tuple]:
    return await stored_contributions(
        engine.sessions, Question.key, Message.chat_id, Message.language, Contribution.text, Contribution.status
    )


def said(language: str, sentence: str, **values) -> str:
    with reading_in(language):
        return _(sentence).format(**values)


def questions(server: FakeDiscord, channel: str) -> list:
    return [p for p in server.in_channel(channel) if p.reference is None]


async def test_three_languages_take_a_round_in_channels_with_threads_and_by_dm(bot, discord_api, engine, people):
    boss, marie, john, ana = people["boss"], people["marie"], people["john"], people["ana"]
    carlos = DiscordUser("1200000000000000005", "carlos", "Carlos", "es-419")
    await grant(engine, boss)
    for language, channel in CHANNELS.items():
        await bot.feed("INTERACTION_CREATE", boss.command("attach", language, channel=channel))
    await subscribe_by_dm(bot, discord_api, ana)

    await bot.feed("INTERACTION_CREATE", boss.command("open_round", "1", channel=CHANNELS["en"]))

    for channel in CHANNELS.values():
        posts = questions(discord_api, channel)
        assert len(posts) == 5 and all(p.thread_id == p.id for p in posts), "each question opens its thread"
    assert "Question 1.1" in questions(discord_api, CHANNELS["fr"])[0].content
    assert "coopération décentralisée" in questions(discord_api, CHANNELS["fr"])[0].content
    in_dm = discord_api.in_channel(ana.dm_channel)
    assert len(in_dm) == 5 and all(p.thread_id is None for p in in_dm), "no threads in direct messages"
    assert "Pregunta 1.1" in in_dm[0].content

    # Marie answers in the thread of question 1.1, which Discord announced (THREAD_CREATE).
    thread_fr = questions(discord_api, CHANNELS["fr"])[0].thread_id
    await bot.feed("THREAD_CREATE", thread_create(thread_fr, CHANNELS["fr"], "1.1"))
    answer = marie.message("Les jumelages entre communes ont permis de financer des projets au village.", channel=thread_fr)
    await bot.feed("MESSAGE_CREATE", answer)
    # John replies to the message of question 1.2 in the English channel.
    question_en = questions(discord_api, CHANNELS["en"])[1]
    await bot.feed(
        "MESSAGE_CREATE",
        john.message("Diaspora associations should sit on the municipal boards.", channel=CHANNELS["en"], reply_to=question_en.id),
    )
    # Carlos writes in the thread of question 1.3, unknown to the cache (as after a restart).
    thread_es = questions(discord_api, CHANNELS["es"])[2].thread_id
    await bot.feed(
        "MESSAGE_CREATE", carlos.message("Los municipios deberían compartir sus experiencias en redes regionales.", channel=thread_es)
    )
    # Ana replies, in her DM, to question 1.4.
    await bot.feed("MESSAGE_CREATE", ana.message("Las remesas colectivas financian escuelas y centros de salud.", reply_to=in_dm[3].id))
    # Talk in a channel that follows no discussion is left alone, and so is the bot's own echo.
    posted = len(discord_api.posted)
    await bot.feed("MESSAGE_CREATE", john.message("Lunch anyone?", channel=UNATTACHED_CHANNEL))
    echo = dict(john.message("Q1: an echo", channel=CHANNELS["en"]), author=payload("GUILD_CREATE")["members"][0]["user"])
    await bot.feed("MESSAGE_CREATE", echo)
    assert len(discord_api.posted) == posted

    assert [(key, chat, language, status) for key, chat, language, _text, status in await stored(engine)] == [
        ("1.1", CHANNELS["fr"], "fr", ContributionStatus.filed),
        ("1.2", CHANNELS["en"], "en", ContributionStatus.filed),
        ("1.3", CHANNELS["es"], "es", ContributionStatus.filed),
        ("1.4", ana.dm_channel, "es", ContributionStatus.filed),
    ]
    [acknowledgement] = discord_api.in_channel(thread_fr)
    assert acknowledgement.reference == answer["id"] and "1.1" in acknowledgement.content, "acknowledged in the thread"
    [acknowledgement] = [p for p in discord_api.in_channel(thread_es)]
    assert "1.3" in acknowledgement.content and "Gracias" in acknowledgement.content
    assert [p for p in discord_api.in_channel(CHANNELS["en"]) if p.reference][0].content.startswith("Thank you")
    assert "1.4" in discord_api.in_channel(ana.dm_channel)[-1].content


async def test_slash_commands_are_named_and_described_in_each_language(bot, discord_api):
    synced = {command["name"]: command for command in discord_api.command_sync}
    assert list(synced) == [command.name for command in COMMANDS]
    assert (synced["help"]["name_localizations"]["fr"], synced["help"]["name_localizations"]["es-ES"]) == ("aide", "ayuda")
    assert synced["open_round"]["name_localizations"]["es-419"] == "abrir_ronda"
    assert synced["language"]["options"][0]["name_localizations"]["fr"] == "valeur"
    for command in COMMANDS:
        descriptions = synced[command.name].get("description_localizations") or {}
        for locale, language in (("fr", "fr"), ("es-ES", "es"), ("es-419", "es")):
            assert descriptions.get(locale, command.description) == translations(language).gettext(command.description)
            assert len(descriptions.get(locale, "")) <= 100
    for locale in ("fr", "es-ES"):
        names = [(synced[c.name].get("name_localizations") or {}).get(locale, c.name) for c in COMMANDS]
        assert len(set(names)) == len(names), f"two commands share a name in {locale}"
        for name in names:  # what Discord accepts for a command name
            assert 1 <= len(name) <= 32 and name == name.lower() and all(ch.isalnum() or ch in "-_" for ch in name), name


async def test_slash_command_answers_follow_the_discord_language(bot, discord_api, people):
    for person, language in ((people["marie"], "fr"), (people["john"], "en"), (people["ana"], "es")):
        command = person.command("help")
        await bot.feed("INTERACTION_CREATE", command)
        [answer] = discord_api.answers(command)
        assert answer.content.startswith(said(language, "What you can do:")), answer.content
        assert "/open_round" not in answer.content, "organiser commands are listed to organisers only"
        assert not answer.ephemeral, "answers in a direct message stay"
    # In a server channel, a slash command's answers are the sender's alone.
    command = people["marie"].command("questions", channel=CHANNELS["fr"])
    await bot.feed("INTERACTION_CREATE", command)
    [answer] = discord_api.answers(command)
    assert answer.ephemeral and discord_api.deferred[command["token"]]["data"]["flags"] == 64
    assert answer.content == said("fr", "No round is open at the moment.")


async def test_a_non_organiser_is_refused_every_organiser_command(bot, discord_api, engine, people):
    marie = people["marie"]
    for command in [c for c in COMMANDS if c.organiser_only]:
        interaction = marie.command(command.name, "1" if command.arguments else None, channel=CHANNELS["fr"])
        await bot.feed("INTERACTION_CREATE", interaction)
        [answer] = discord_api.answers(interaction)
        assert answer.content == said("fr", "Only the organisers of this discussion can use /{name}.", name=command.name)
        assert answer.ephemeral
    async with engine.sessions() as session:
        assert await session.scalar(select(func.count(Venue.id))) == 0
        assert set(await session.scalars(select(Round.status))) == {RoundStatus.scheduled}
    assert not discord_api.in_channel(CHANNELS["fr"])


async def test_the_organiser_role_grants_organiser_commands_in_the_server_only(bot, discord_api, engine, people):
    rolf = people["rolf"]  # has the server role named by FACILITATOR_DISCORD_ORGANISER_ROLE
    await bot.feed("INTERACTION_CREATE", rolf.command("attach", "fr", channel=CHANNELS["fr"]))
    await bot.feed("INTERACTION_CREATE", rolf.command("open_round", "1", channel=CHANNELS["fr"]))
    assert len(questions(discord_api, CHANNELS["fr"])) == 5
    # In a direct message no role comes with him: only grants count there.
    status = rolf.command("status")
    await bot.feed("INTERACTION_CREATE", status)
    [answer] = discord_api.answers(status)
    assert answer.content == said("fr", "Only the organisers of this discussion can use /{name}.", name="status")


async def open_round_in_french_channel(bot: Gateway, people) -> None:
    rolf = people["rolf"]
    await bot.feed("INTERACTION_CREATE", rolf.command("attach", "fr", channel=CHANNELS["fr"]))
    await bot.feed("INTERACTION_CREATE", rolf.command("open_round", "1", channel=CHANNELS["fr"]))


async def test_an_unclear_answer_is_clarified_with_a_select_menu(bot, discord_api, engine, people):
    marie, john = people["marie"], people["john"]
    await open_round_in_french_channel(bot, people)
    unclear = marie.message("Nous avons fait quelque chose comme ça dans notre ville.", channel=CHANNELS["fr"])
    await bot.feed("MESSAGE_CREATE", unclear)
    [(key, _chat, _language, _text, status)] = await stored(engine)
    assert key is None and status == ContributionStatus.pending
    [clarification] = [p for p in discord_api.in_channel(CHANNELS["fr"]) if p.components]
    assert clarification.reference == unclear["id"]
    assert clarification.kinds == {3}, "a select menu"
    assert clarification.choices[0].startswith("file:") and clarification.choices[-1].startswith("drop:")

    stranger = john.choose(clarification.id, clarification.choices[1], channel=CHANNELS["fr"])
    await bot.feed("INTERACTION_CREATE", stranger)
    [answer] = discord_api.answers(stranger)
    assert answer.ephemeral and answer.content == said("en", "That choice is not yours to make, or has expired.")

    chosen = marie.choose(clarification.id, clarification.choices[1], channel=CHANNELS["fr"])
    await bot.feed("INTERACTION_CREATE", chosen)
    [(key, _chat, _language, _text, status)] = await stored(engine)
    assert status == ContributionStatus.filed and key == clarification.choices[1].rsplit(":", 1)[1]
    [answer] = discord_api.answers(chosen)
    assert answer.ephemeral and key in answer.content


async def test_an_edit_updates_the_contribution_and_keeps_the_earlier_text(bot, discord_api, engine, people):
    marie = people["marie"]
    await open_round_in_french_channel(bot, people)
    question = questions(discord_api, CHANNELS["fr"])[0]
    first = marie.message("Les communes doivent associer les migrants dès le début.", channel=CHANNELS["fr"], reply_to=question.id)
    await bot.feed("MESSAGE_CREATE", first)
    # An embed unfolding is an update without an edit: nothing changes, nothing is said.
    unfolded = dict(first, embeds=[{"type": "link", "url": "https://example.org"}])
    posted = len(discord_api.posted)
    await bot.feed("MESSAGE_UPDATE", unfolded)
    assert len(discord_api.posted) == posted
    await bot.feed("MESSAGE_UPDATE", marie.edit(first, "Les communes doivent associer les migrants et leurs associations dès le début."))
    [(key, _chat, _language, text, _status)] = await stored(engine)
    assert (key, text) == ("1.1", "Les communes doivent associer les migrants et leurs associations dès le début.")
    async with engine.sessions() as session:
        assert list(await session.scalars(select(MessageRevision.text))) == [first["content"]]
    assert discord_api.posted[-1].content.startswith(
        said("fr", "Your edit is saved under {questions}; the earlier text is kept.", questions="1.1")[:20]
    )


async def test_a_rate_limit_is_waited_out_and_nothing_is_posted_twice(bot, discord_api, people, caplog):
    discord_api.rate_limited = 1
    await open_round_in_french_channel(bot, people)
    assert discord_api.rate_limit_answers == 1
    assert len(questions(discord_api, CHANNELS["fr"])) == 5
    assert len({p.content for p in questions(discord_api, CHANNELS["fr"])}) == 5
    assert any("rate limited" in record.getMessage() for record in caplog.records)


async def test_a_refused_direct_message_stops_messages_to_that_participant(bot, discord_api, engine, people):
    ana = people["ana"]
    await subscribe_by_dm(bot, discord_api, ana)
    discord_api.refusing[ana.dm_channel] = 50007  # she closed her DMs
    await open_round_in_french_channel(bot, people)
    await engine.post_pending()
    attempts = [r for r in discord_api.requests if r[:2] == ("POST", f"/channels/{ana.dm_channel}/messages")]
    assert len(attempts) == 1, "one refusal, then no more attempts"
    async with engine.sessions() as session:
        venue = await session.scalar(select(Venue).where(Venue.chat_id == ana.dm_channel))
        assert venue.unreachable
    assert len(questions(discord_api, CHANNELS["fr"])) == 5, "the others still get the questions"


async def test_a_process_killed_mid_round_resumes_it_with_nothing_lost_or_doubled(discord_api, engine, example, people):
    bot = await start_bot(engine)
    for language, channel in CHANNELS.items():
        await bot.feed("INTERACTION_CREATE", people["rolf"].command("attach", language, channel=channel))
    discord_api.hold_after = 7  # of 15 questions; the next posts never get an answer
    bot.client._connection.parsers["INTERACTION_CREATE"](people["rolf"].command("open_round", "1", channel=CHANNELS["fr"]))
    await asyncio.wait_for(discord_api.held.wait(), timeout=10)
    # Killed while waiting for Discord to answer a post (where a process spends
    # its time): the posts Discord answered are recorded first.
    await asyncio.wait_for(deliveries_reach(engine, 7), timeout=10)
    engine._posting_task.cancel()
    await bot.client.close()
    assert len([p for p in discord_api.posted if p.channel_id]) == 7

    discord_api.hold_after = None
    restarted, again = await restart(engine, example)
    await restarted.post_pending()
    await again.client.close()

    for channel in CHANNELS.values():
        keys = [re.search(r"(?:Question|Pregunta) (\d\.\d)", p.content).group(1) for p in questions(discord_api, channel)]
        assert keys == ["1.1", "1.2", "1.3", "1.4", "1.5"], "each question once, in order"
    async with engine.sessions() as session:
        deliveries = list(await session.scalars(select(Delivery)))
    assert len(deliveries) == 15
    assert {d.message_id for d in deliveries} == {p.id for p in discord_api.posted if p.channel_id}


async def deliveries_reach(engine, count: int) -> None:
    while True:
        async with engine.sessions() as session:
            if await session.scalar(select(func.count(Delivery.id))) >= count:
                return
        await asyncio.sleep(0.01)


async def test_the_token_never_appears_in_logs_or_errors(discord_api, engine, people, caplog):
    caplog.set_level(logging.DEBUG)
    bot = await start_bot(engine)
    ana = people["ana"]
    await subscribe_by_dm(bot, discord_api, ana)
    discord_api.rate_limited = 1
    discord_api.refusing[ana.dm_channel] = 50007
    await open_round_in_french_channel(bot, people)
    chat = bot.client.chat
    with pytest.raises(RecipientUnreachable) as refused:
        await chat.send(OutgoingMessage(ChatRef("discord", ana.dm_channel, ChatKind.private), "?"))
    await bot.client.close()
    assert "rate limited" in caplog.text and "POST" in caplog.text, "the DEBUG log did record the traffic"
    assert TOKEN not in caplog.text
    assert TOKEN not in str(refused.value) and TOKEN not in repr(chat.__dict__)
    assert TOKEN.split(".")[-1] not in caplog.text


async def test_a_file_is_uploaded_and_long_texts_are_split(bot, discord_api):
    chat = bot.client.chat
    channel = ChatRef("discord", CHANNELS["en"], ChatKind.group)
    sent = await chat.send(OutgoingMessage(channel, "The report", attachment=("report.docx", b"PK\x03\x04 report")))
    [posted] = discord_api.in_channel(CHANNELS["en"])
    assert sent.message_id == posted.id and posted.files == [("report.docx", b"PK\x03\x04 report")]
    long_text = "\n".join(f"line {n} " + "x" * 90 for n in range(60))
    await chat.send(OutgoingMessage(channel, long_text))
    parts = discord_api.in_channel(CHANNELS["en"])[1:]
    assert len(parts) == 3 and all(len(p.content) <= 2000 for p in parts)
    assert "\n".join(p.content for p in parts) == long_text


def test_split_text_cuts_at_line_breaks_then_spaces():
    assert split_text("a" * 5, limit=5) == ["aaaaa"]
    assert split_text("aaa\nbbb ccc", limit=7) == ["aaa", "bbb ccc"]
    assert split_text("aaaa bbbb", limit=6) == ["aaaa", "bbbb"]
    assert split_text("a" * 12, limit=5) == ["aaaaa", "aaaaa", "aa"]


def test_the_discord_adapter_runs_when_its_token_is_set():
    from facilitator.assembly import configured_platforms
    from facilitator.settings import Settings

    settings = Settings.from_environment({"FACILITATOR_DISCORD_TOKEN": TOKEN, "FACILITATOR_DISCORD_ORGANISER_ROLE": ORGANISER_ROLE})
    [platform] = configured_platforms(settings)
    assert isinstance(platform, DiscordChat) and platform.client.organiser_role_id == int(ORGANISER_ROLE)
    with pytest.raises(ValueError, match="role ID") as wrong:
        DiscordChat(Secret(TOKEN), organiser_role="Organisateurs")
    assert TOKEN not in str(wrong.value)


async def test_messages_written_while_the_bot_was_away_are_read_back_at_the_next_start(discord_api, engine, example, people):
    boss, marie, john, ana = people["boss"], people["marie"], people["john"], people["ana"]
    await grant(engine, boss)
    bot = await start_bot(engine)
    await bot.feed("INTERACTION_CREATE", boss.command("attach", "fr", channel=CHANNELS["fr"]))
    await subscribe_by_dm(bot, discord_api, ana)
    await bot.feed("INTERACTION_CREATE", boss.command("open_round", "1", channel=CHANNELS["fr"]))
    bot.client.dispatch("ready")  # the gateway session starts: nothing to read back yet
    await bot.settle()
    threads = [p.thread_id for p in questions(discord_api, CHANNELS["fr"])]
    in_dm = discord_api.in_channel(ana.dm_channel)
    live = marie.message("Les jumelages entre communes financent des projets au village.", channel=threads[0])
    discord_api.write(live)
    await bot.feed("MESSAGE_CREATE", live)
    await bot.client.close()

    # While the bot is down: answers in a thread, as a reply in the channel, in a DM; a typed command.
    for message in (
        marie.message("Un comité mixte avec le ministère aligne nos stratégies.", channel=threads[1]),
        john.message(
            "Sharing through city networks works best.", channel=CHANNELS["fr"], reply_to=questions(discord_api, CHANNELS["fr"])[2].id
        ),
        ana.message("Pregunta 4: el plan municipal incluye la migración desde 2011."),
        boss.message("/open_round 2", channel=CHANNELS["fr"]),
    ):
        discord_api.write(message)

    _restarted, again = await restart(engine, example)
    await read_back(again)

    assert [(key, chat) for key, chat, _language, _text, _status in await stored(engine)] == [
        ("1.1", CHANNELS["fr"]),
        ("1.2", CHANNELS["fr"]),
        ("1.3", CHANNELS["fr"]),
        ("1.4", ana.dm_channel),
    ], "each answer once, the one received live included"
    assert len(discord_api.in_channel(threads[0])) == 1, "the answer received live is not acknowledged again"
    assert "1.2" in discord_api.in_channel(threads[1])[0].content
    assert "1.4" in discord_api.in_channel(ana.dm_channel)[-1].content and len(discord_api.in_channel(ana.dm_channel)) == len(in_dm) + 1
    async with engine.sessions() as session:
        round_two = await session.scalar(select(Round).where(Round.number == 2))
        assert round_two.status != RoundStatus.open, "a command typed while the bot was away is not replayed"


async def test_each_ask_files_its_own_text_and_an_answer_is_moved_with_a_button_after_a_restart(discord_api, engine, example, people):
    marie = people["marie"]
    bot = await start_bot(engine)
    await open_round_in_french_channel(bot, people)
    town = "Nous avons fait quelque chose comme ça dans notre ville."
    region = "Notre région a essayé aussi, avec des résultats mitigés."
    for text in (town, region):
        await bot.feed("MESSAGE_CREATE", marie.message(text, channel=CHANNELS["fr"]))
    town_ask, region_ask = [p for p in discord_api.in_channel(CHANNELS["fr"]) if p.components]
    assert "notre ville" in town_ask.content and "Notre région" in region_ask.content
    await bot.client.close()

    restarted, again = await restart(engine, example)
    try:
        town_id = town_ask.choices[0].split(":")[1]
        await again.feed("INTERACTION_CREATE", marie.choose(town_ask.id, f"file:{town_id}:1.1", channel=CHANNELS["fr"]))
        await again.feed("MESSAGE_CREATE", marie.message("1.2", channel=CHANNELS["fr"]))
        ack = discord_api.in_channel(CHANNELS["fr"])[-1]
        assert "« Notre région a essayé aussi, avec des résultats mitigés. »" in ack.content and "1.2" in ack.content
        assert ack.kinds == {2}, "a button"
        [move] = ack.choices
        pressed = marie.choose(ack.id, move, channel=CHANNELS["fr"], select=False)
        await again.feed("INTERACTION_CREATE", pressed)
        [offer] = discord_api.answers(pressed)
        assert offer.ephemeral and f"{move.replace('move', 'moveto')}:1.3" in offer.choices
        chosen = marie.choose(offer.id, f"{move.replace('move', 'moveto')}:1.3", channel=CHANNELS["fr"])
        await again.feed("INTERACTION_CREATE", chosen)
        [(key_town, *_town), (key_region, *_region)] = await stored(restarted)
        assert (key_town, key_region) == ("1.1", "1.3")
    finally:
        await again.client.close()
