"""The Telegram adapter end to end: python-telegram-bot's real code, over real
HTTP, against the fake Bot API server (tests/fakes/telegram_api.py)."""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy import func, select

from adapters.telegram import Limits, TelegramChat, Webhook
from bot.discussion import store
from bot.i18n import _, reading_in
from bot.ports import ChatKind, ChatRef, OutgoingMessage, Secret
from bot.storage.database import session_factory
from bot.storage.models import (
    Contribution,
    ContributionStatus,
    Delivery,
    InboundUpdate,
    Message,
    MessageRevision,
    Question,
    Round,
    RoundStatus,
    Venue,
)
from facilitator.assembly import COMMANDS, make_engine
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import stored_contributions

TOKEN = "6234567890:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
FAST = Limits().scaled(50)  # Telegram's limits, 50 times faster: same shape, short tests


@pytest.fixture
async def api():
    fake = await FakeTelegram(TOKEN).start()
    yield fake
    await fake.stop()


class Bot:
    """An engine and its Telegram adapter, serving until stopped."""

    def __init__(self, database, api: FakeTelegram, clock, webhook: Webhook | None = None):
        self.engine = make_engine(session_factory(database), clock=clock)
        self.adapter = TelegramChat(Secret(TOKEN), api.base_url, limits=FAST, webhook=webhook, poll_timeout=1, first_backoff=0.05)
        self.engine.attach(self.adapter)
        api.handled = self.adapter.idle  # a test's next step comes once the bot has answered
        self.task: asyncio.Task | None = None

    async def start(self) -> Bot:
        self.task = asyncio.create_task(self.adapter.serve(self.engine))
        await asyncio.wait_for(self.adapter.receiving.wait(), 10)
        return self

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
        await self.engine.drain()


@pytest.fixture
async def telegram(database, api, clock, small):
    bot = Bot(database, api, clock)
    await bot.engine.load(small)
    await bot.start()
    yield bot
    await bot.stop()


async def make_organiser(bot: Bot, user) -> None:
    async with bot.engine.sessions() as session:
        discussion = await store.find_discussion(session)
        await store.grant_organiser(session, discussion, "telegram", str(user.id), bot.engine.clock())
        await session.commit()


async def subscribe(api: FakeTelegram, user, command: str = "/start") -> None:
    """/start, then every onboarding prompt skipped: by button, or by /skip."""
    await user.says(command)
    for _prompt in range(6):
        last = api.last(user.id)
        if "skip" in [data for _label, data in last.buttons]:
            await user.presses(last, "skip")
        elif "/skip" in last.text:
            await user.says("/skip")
        else:
            return


async def contributions(bot: Bot):
    return await stored_contributions(bot.engine.sessions, Question.key, Contribution.text, Contribution.status, Message.message_id)


def question_messages(api: FakeTelegram, chat_id: int) -> list:
    """The messages that posted a question (each names its key on a line of its own)."""
    return [s for s in api.to(chat_id) if s.method == "sendMessage" and any(f" {key}\n" in s.text for key in ("1.1", "1.2", "2.1"))]


def translated(language: str, message: str) -> str:
    with reading_in(language):
        return _(message)


# --- a whole round ------------------------------------------------------------------


async def test_three_participants_take_a_whole_round_in_their_languages(telegram, api):
    boss = api.private_user(5000000001, "Boss", "en")
    marie = api.private_user(5000000002, "Marie", "fr")
    john = api.private_user(5000000003, "John", "en")
    ana = api.private_user(5000000004, "Ana", None)
    await make_organiser(telegram, boss)

    await subscribe(api, marie, "/start small")  # the deep link t.me/<bot>?start=small
    await subscribe(api, john)
    await ana.says("/start")
    prompt = api.last(ana.id)
    assert [data for _label, data in prompt.buttons] == ["lang:fr", "lang:en", "lang:es", "skip"]
    await ana.presses(prompt, "lang:es")
    await subscribe(api, ana, "/profile")
    assert len(api.callback_answers) >= 4, "every button press is answered"

    await boss.says("/open_round 1")
    await telegram.engine.drain()
    for person, word in ((marie, "Question 1.1"), (john, "Question 1.1"), (ana, "Pregunta 1.1")):
        posted = [s.text for s in api.to(person.id) if "1.1" in s.text or "1.2" in s.text]
        assert len(posted) == 2, f"one message per question for {person.user['first_name']}: {posted}"
        assert word in posted[0]
    assert "Comment coopérer" in api.find(marie.id, "1.1").text
    assert "¿Cómo cooperar?" in api.find(ana.id, "1.1").text

    # Answers: a Telegram reply to a question's message, and plain messages naming the question.
    await marie.says("Par des jumelages <b>entre communes</b> & *associations*.", reply_to=api.find(marie.id, "1.1").message_id)
    await john.says("Q2: joint funds managed by the municipalities.")
    await ana.says("Con convenios entre municipios.", reply_to=api.find(ana.id, "1.2").message_id)
    acknowledgement = api.last(marie.id)
    assert "1.1" in acknowledgement.text and acknowledgement.parse_mode is None
    assert acknowledgement.reply_to is not None, "the acknowledgement replies to the answer"

    await boss.says("/close_round 1")
    await boss.says("/status")
    status = api.last(boss.id).text
    assert "1.1" in status and "1.2" in status
    stored = {(key, status) for key, _text, status, _id in await contributions(telegram)}
    assert stored == {("1.1", ContributionStatus.filed), ("1.2", ContributionStatus.filed)}
    assert "<b>entre communes</b> & *associations*" in [t for _k, t, _s, _i in await contributions(telegram)][0], "stored as written"


async def test_commands_menu_in_each_language(telegram, api):
    participants = [c for c in COMMANDS if not c.organiser_only]
    for language in ("fr", "en", "es"):
        menu = api.commands[("default", language)]
        assert [name for name, _description in menu] == [c.name for c in participants]
        assert [description for _name, description in menu] == [translated(language, c.description) for c in participants]
        assert [name for name, _d in api.commands[("all_chat_administrators", language)]] == [c.name for c in COMMANDS]
    assert ("default", "") in api.commands, "a menu for every other language too"


async def test_organiser_menu_lists_organiser_commands(database, api, clock, small):
    boss = api.private_user(5000000001, "Boss", "fr")
    bot = Bot(database, api, clock)
    await bot.engine.load(small)
    await make_organiser(bot, boss)
    await bot.start()
    try:
        menu = api.commands[(f"chat:{boss.id}", "fr")]
        assert [name for name, _d in menu] == [c.name for c in COMMANDS]
    finally:
        await bot.stop()


# --- groups -------------------------------------------------------------------------


async def test_forum_group_gets_a_topic_per_question(telegram, api):
    boss = api.private_user(5000000001, "Boss", "es")
    ana = api.private_user(5000000004, "Ana", "es")
    forum = api.group(-1001987654321, "Migración y desarrollo local", forum=True)
    await make_organiser(telegram, boss)
    await boss.says("/attach es", chat=forum)
    await boss.says("/open_round 1")
    await telegram.engine.drain()

    topics = api.topics[forum["id"]]
    assert sorted(name.split(" · ")[0] for name in topics.values()) == ["1.1", "1.2"]
    posted = question_messages(api, forum["id"])
    assert len(posted) == 2 and all(s.thread_id in topics for s in posted)
    assert len({s.thread_id for s in posted}) == 2, "each question in its own topic"
    thread_of = {topics[s.thread_id].split(" · ")[0]: s.thread_id for s in posted}

    # A message in a topic, replying to nothing, answers that topic's question; the answer stays in the topic.
    await ana.says("Con convenios entre municipios vecinos.", chat=forum, thread=thread_of["1.2"])
    [(key, _text, status, _id)] = await contributions(telegram)
    assert (key, status) == ("1.2", ContributionStatus.filed)
    assert api.last(forum["id"]).thread_id == thread_of["1.2"]
    async with telegram.engine.sessions() as session:
        threads = set(await session.scalars(select(Delivery.thread_id)))
    assert threads == {str(t) for t in thread_of.values()}


async def test_plain_group_gets_the_questions_and_replies_to_them(telegram, api):
    boss = api.private_user(5000000001, "Boss", "en")
    paul = api.private_user(5000000005, "Paul", "en")
    group = api.group(-1001555000111, "M4D English")
    await make_organiser(telegram, boss)
    await boss.says("/attach en", chat=group)
    await boss.says("/open_round 1")
    await telegram.engine.drain()
    assert api.topics == {}
    question = api.find(group["id"], "1.1")
    assert question.thread_id is None
    await paul.says("Twinning with Dakar worked for us.", chat=group, reply_to=question.message_id)
    assert [(k, s) for k, _t, s, _i in await contributions(telegram)] == [("1.1", ContributionStatus.filed)]


async def test_command_for_another_bot_is_ignored(telegram, api):
    paul = api.private_user(5000000005, "Paul", "en")
    group = api.group(-1001555000111, "M4D English")
    sent = len(api.sent)
    await paul.says("/start@another_helper_bot", chat=group)
    await paul.says("/help@facilitator_m4d_bot", chat=group)
    assert len(api.sent) == sent + 1 and "/help" in api.last(group["id"]).text


# --- clarification, edits, attachments ---------------------------------------------


async def opened(telegram, api, *people):
    boss = api.private_user(5000000001, "Boss", "en")
    await make_organiser(telegram, boss)
    for person in people:
        await subscribe(api, person)
    await boss.says("/open_round 1")
    await telegram.engine.drain()


async def test_unclear_answer_is_filed_by_button(telegram, api):
    john = api.private_user(5000000003, "John", "en")
    await opened(telegram, api, john)
    await john.says("We did something like that in our town.")
    question = api.last(john.id)
    assert question.buttons and question.buttons[0][1].startswith("file:")
    [(key, _text, status, _id)] = await contributions(telegram)
    assert key is None and status == ContributionStatus.pending
    answered = len(api.callback_answers)
    await john.presses(question, question.buttons[1][1])
    [(key, _text, status, _id)] = await contributions(telegram)
    assert status == ContributionStatus.filed and key == question.buttons[1][1].rsplit(":", 1)[1]
    assert len(api.callback_answers) == answered + 1


async def test_edit_updates_the_contribution_and_keeps_the_earlier_text(telegram, api):
    marie = api.private_user(5000000002, "Marie", "fr")
    await opened(telegram, api, marie)
    question = api.find(marie.id, "1.1")
    sent = await marie.says("Par des jumelages.", reply_to=question.message_id)
    await marie.edits(sent["message"]["message_id"], "Q1: Par des jumelages entre communes.")
    [(key, text, _status, _id)] = await contributions(telegram)
    assert (key, text) == ("1.1", "Par des jumelages entre communes.")
    async with telegram.engine.sessions() as session:
        assert await session.scalar(select(MessageRevision.text)) == "Par des jumelages."


async def test_a_redelivered_update_is_stored_once(telegram, api):
    john = api.private_user(5000000003, "John", "en")
    await opened(telegram, api, john)
    update = await john.says("Q1: city-to-city partnerships.")
    sent = len(api.sent)
    await api.deliver(update)  # Telegram sends it again, under a new update id
    assert len(await contributions(telegram)) == 1
    assert len(api.sent) == sent, "acknowledged once"


async def test_stickers_and_voice_get_a_polite_answer_and_a_caption_is_text(telegram, api):
    marie = api.private_user(5000000002, "Marie", "fr")
    await opened(telegram, api, marie)
    only_text = translated("fr", "Only text is recorded. Please write your answer as a message (a caption on a photo counts).")
    await marie.sends("sticker")
    assert api.last(marie.id).text == only_text
    await marie.sends("voice")
    assert api.last(marie.id).text == only_text
    await marie.sends("photo_with_caption")
    assert [(k, t) for k, t, _s, _i in await contributions(telegram)] == [("1.2", "notre plan communal, page 3.")]


async def test_long_text_is_split_and_a_report_goes_as_a_document(telegram, api):
    john = api.private_user(5000000003, "John", "en")
    chat = ChatRef("telegram", str(john.id), ChatKind.private)
    paragraph = "Local authorities cooperate with migrant associations. " * 30
    text = "\n\n".join(f"{n}. {paragraph.strip()}" for n in range(1, 11))
    await telegram.adapter.send(OutgoingMessage(chat, text))
    parts = api.texts(john.id)
    assert len(parts) == 5 and all(len(p) <= 4096 for p in parts)
    assert all(p[0].isdigit() and p.endswith(".") for p in parts), "cut between paragraphs"
    assert "\n\n".join(parts) == text

    await telegram.adapter.send(OutgoingMessage(chat, "Report of round 1", attachment=("report-round-1.docx", b"PK\x03\x04 docx")))
    document = api.last(john.id)
    assert document.method == "sendDocument" and document.document == ("report-round-1.docx", b"PK\x03\x04 docx")
    assert document.text == "Report of round 1"


# --- organisers -----------------------------------------------------------------------


async def test_non_organiser_is_refused_every_organiser_command_in_their_language(telegram, api):
    ana = api.private_user(5000000004, "Ana", "es")
    await subscribe(api, ana)
    for command in [c for c in COMMANDS if c.organiser_only]:
        await ana.says(f"/{command.name} 1")
        expected = translated("es", "Only the organisers of this discussion can use /{name}.").format(name=command.name)
        assert api.last(ana.id).text == expected
    async with telegram.engine.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Round).where(Round.status == RoundStatus.open)) == 0


async def test_an_anonymous_administrator_is_told_to_show_themselves(telegram, api):
    group = api.group(-1001555000111, "M4D English")
    update = {
        "message": {
            "message_id": 322,
            "from": {"id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"},
            "sender_chat": group,
            "chat": group,
            "date": 1373285400,
            "text": "/open_round 1",
            "entities": [{"offset": 0, "length": 11, "type": "bot_command"}],
        }
    }
    await api.deliver(update)
    # The group follows no discussion yet: the answer is in the discussion's first language.
    assert api.last(group["id"]).text == translated(
        "fr",
        "You are writing as the group, so I cannot tell who you are. To use commands, switch off "
        "«Remain anonymous» in your administrator rights, or write to me in a private chat.",
    )
    async with telegram.engine.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Round).where(Round.status == RoundStatus.open)) == 0


# --- failures ---------------------------------------------------------------------------


async def test_a_429_storm_delays_the_round_but_loses_and_doubles_nothing(telegram, api):
    people = [api.private_user(5000000100 + n, f"P{n}", ("fr", "en", "es")[n % 3]) for n in range(6)]
    await opened_without_round(telegram, api, people)
    api.flood(seconds=0.5, retry_after=1)
    await open_round_as_boss(telegram, api)
    assert api.rejected_429 >= 1
    for person in people:
        assert sorted(keys_posted(api, person.id)) == ["1.1", "1.2"]


async def test_server_errors_are_retried(telegram, api):
    people = [api.private_user(5000000100 + n, f"P{n}", "en") for n in range(3)]
    await opened_without_round(telegram, api, people)
    api.server_errors = 4
    await open_round_as_boss(telegram, api)
    for person in people:
        assert sorted(keys_posted(api, person.id)) == ["1.1", "1.2"]


async def test_a_blocked_participant_is_marked_unreachable_and_left_alone(telegram, api, clock):
    john = api.private_user(5000000003, "John", "en")
    ana = api.private_user(5000000004, "Ana", "es")
    await opened_without_round(telegram, api, [john, ana])
    api.blocked.add(john.id)
    before = send_attempts(api, john.id)
    await open_round_as_boss(telegram, api)
    assert sorted(keys_posted(api, ana.id)) == ["1.1", "1.2"]
    async with telegram.engine.sessions() as session:
        assert await session.scalar(select(Venue.unreachable).where(Venue.chat_id == str(john.id))) is True
    assert send_attempts(api, john.id) == before + 1, "refused once, then left alone"
    await open_round_as_boss(telegram, api, 2)
    assert send_attempts(api, john.id) == before + 1
    assert "2.1" in keys_posted(api, ana.id)


async def test_a_group_where_the_bot_was_muted_is_left_alone_like_a_blocked_chat(telegram, api):
    ana = api.private_user(5000000004, "Ana", "es")
    group = await attached_group(telegram, api, -1001555000111, [ana])
    api.muted.add(group["id"])
    await open_round_as_boss(telegram, api)
    assert sorted(keys_posted(api, ana.id)) == ["1.1", "1.2"]
    async with telegram.engine.sessions() as session:
        assert await session.scalar(select(Venue.unreachable).where(Venue.chat_id == str(group["id"]))) is True


async def test_a_group_become_a_supergroup_keeps_its_discussion(telegram, api):
    group = await attached_group(telegram, api, -4012345678)
    supergroup = api.group(-1001555000222, "M4D English")
    await api.private_user(5000000001, "Boss", "en").sends("group_migrated", chat=group)  # Telegram's notice, in the old group
    await open_round_as_boss(telegram, api)
    assert sorted(keys_posted(api, supergroup["id"])) == ["1.1", "1.2"]
    assert keys_posted(api, group["id"]) == []


async def test_a_group_that_moved_unnoticed_is_followed_at_the_first_refusal(telegram, api):
    group = await attached_group(telegram, api, -4012345678)
    supergroup = api.group(-1001555000222, "M4D English")
    api.migrated[group["id"]] = supergroup["id"]
    await open_round_as_boss(telegram, api)
    assert sorted(keys_posted(api, supergroup["id"])) == ["1.1", "1.2"]
    before = send_attempts(api, group["id"])
    await open_round_as_boss(telegram, api, 2)
    assert "2.1" in keys_posted(api, supergroup["id"])
    assert send_attempts(api, group["id"]) == before, "the new id is used from then on"


async def opened_without_round(telegram, api, people) -> None:
    boss = api.private_user(5000000001, "Boss", "en")
    await make_organiser(telegram, boss)
    for person in people:
        await subscribe(api, person)


async def attached_group(telegram, api, chat_id: int, people=()) -> dict:
    """A group the organiser attached in English, `people` subscribed in private, no round open."""
    await opened_without_round(telegram, api, people)
    group = api.group(chat_id, "M4D English")
    await api.private_user(5000000001, "Boss", "en").says("/attach en", chat=group)
    return group


def send_attempts(api: FakeTelegram, chat_id: int) -> int:
    """Messages the bot tried to send to a chat, refused ones included."""
    return sum(1 for method, params in api.calls if method == "sendMessage" and int(params["chat_id"]) == chat_id)


async def open_round_as_boss(telegram, api, number: int = 1) -> None:
    await api.private_user(5000000001, "Boss", "en").says(f"/open_round {number}")
    await telegram.engine.drain()


def keys_posted(api: FakeTelegram, chat_id: int) -> list[str]:
    """The question keys posted in a chat, one per question message."""
    return [key for sent in question_messages(api, chat_id) for key in ("1.1", "1.2", "2.1") if f" {key}\n" in sent.text]


async def test_killed_in_the_middle_of_a_broadcast_resumes_with_nothing_lost_or_doubled(database, api, clock, small):
    first = Bot(database, api, clock)
    await first.engine.load(small)
    await first.start()
    people = [api.private_user(5000000100 + n, f"P{n}", ("fr", "en", "es")[n % 3]) for n in range(24)]
    await opened_without_round(first, api, people)
    api.latency = 0.02  # requests on the wire when the process dies
    before = len(api.sent)
    boss = api.private_user(5000000001, "Boss", "en")
    await boss.says("/open_round 1")
    await api.wait_sent(before + 18)  # part of the 48 question messages is out
    posting = first.engine._posting_task
    posting.cancel()
    first.task.cancel()
    await asyncio.gather(posting, first.task, return_exceptions=True)
    posted_before_restart = sum(len(keys_posted(api, p.id)) for p in people)
    assert 0 < posted_before_restart < 48

    api.latency = 0
    second = Bot(database, api, clock)
    await second.start()
    try:
        await second.engine.post_pending()
    finally:
        await second.stop()
    for person in people:
        assert sorted(keys_posted(api, person.id)) == ["1.1", "1.2"], f"chat {person.id}: {keys_posted(api, person.id)}"
    async with second.engine.sessions() as session:
        assert await session.scalar(select(func.count(Delivery.id))) == 48


# --- receiving ------------------------------------------------------------------------------


async def test_an_update_is_confirmed_once_held_and_its_held_copy_goes_once_handled(database, api, clock, small):
    bot = Bot(database, api, clock)
    await bot.engine.load(small)
    handling, release = asyncio.Event(), asyncio.Event()
    real_handle = bot.engine.handle_message

    async def slow_handle(message):
        handling.set()
        await release.wait()
        await real_handle(message)

    bot.engine.handle_message = slow_handle
    api.handled = None  # confirmed before it is handled
    await bot.start()
    try:
        john = api.private_user(5000000003, "John", "en")
        await john.says("/help")  # returns once a getUpdates has confirmed it
        await asyncio.wait_for(handling.wait(), 10)
        async with bot.engine.sessions() as session:
            assert "/help" in await session.scalar(select(InboundUpdate.payload)), "held, as Telegram sent it"
        release.set()
        await asyncio.wait_for(bot.adapter.idle(), 10)
        assert "/help" in api.last(john.id).text
    finally:
        await bot.stop()
    async with bot.engine.sessions() as session:
        assert await session.scalar(select(func.count(InboundUpdate.id))) == 0, "what John wrote is not kept once handled"


async def test_a_group_at_its_limit_does_not_hold_up_the_other_chats(database, api, clock, small):
    """Updates are acknowledged once stored: a reply waiting for the group's
    20-a-minute window must not stop the next updates from being fetched."""
    bot = Bot(database, api, clock)
    bot.adapter = TelegramChat(Secret(TOKEN), api.base_url, limits=Limits().scaled(5), poll_timeout=1, first_backoff=0.05)
    bot.engine.attach(bot.adapter)
    api.handled = None  # here the next step must not wait for the group's reply
    await bot.engine.load(small)
    await bot.start()
    try:
        paul = api.private_user(5000000004, "Paul", "en")
        john = api.private_user(5000000003, "John", "en")
        group = api.group(-1001555000111, "M4D English")
        for n in range(20):  # the group's window is full for the next 12 s
            await bot.adapter.send(OutgoingMessage(ChatRef("telegram", str(group["id"]), ChatKind.group), f"message {n}"))
        await paul.says("/help", chat=group)
        await john.says("/help")
        await api.wait_sent(21)
        assert "/help" in api.last(john.id).text
        assert len(api.to(group["id"])) == 20, "the group's answer still waits for its window"
    finally:
        await bot.stop()


async def test_webhook_mode_checks_the_secret(database, api, clock, small, unused_tcp_port):
    url = f"http://127.0.0.1:{unused_tcp_port}/telegram/updates"
    bot = Bot(database, api, clock, webhook=Webhook(url, f"127.0.0.1:{unused_tcp_port}", Secret("s3cret-webhook-token")))
    await bot.engine.load(small)
    await bot.start()
    try:
        assert api.webhook_url == url and api.webhook_secret == "s3cret-webhook-token"
        john = api.private_user(5000000003, "John", "en")
        await john.says("/start")
        assert "Welcome" in api.texts(john.id)[0]
        api.webhook_secret = "forged"
        with pytest.raises(AssertionError, match="403"):
            await john.says("/help")
    finally:
        await bot.stop()


async def test_the_token_never_appears_in_logs(database, api, clock, small, caplog):
    caplog.set_level(logging.DEBUG)
    bot = Bot(database, api, clock)
    await bot.engine.load(small)
    await bot.start()
    try:
        people = [api.private_user(5000000100 + n, f"P{n}", "en") for n in range(2)]
        await opened_without_round(bot, api, people)
        api.server_errors, api.rate_limited_requests = 2, 1
        api.blocked.add(people[0].id)
        await open_round_as_boss(bot, api)
    finally:
        await bot.stop()
    assert any("getUpdates" in record.getMessage() for record in caplog.records), "the requests were logged"
    assert TOKEN not in caplog.text
    assert all(TOKEN not in record.getMessage() for record in caplog.records)


# --- asks tied to their text, answers moved (issue 13) -------------------------------


async def test_each_ask_files_its_own_text_and_an_answer_is_moved_after_a_restart(database, api, clock, small):
    first = Bot(database, api, clock)
    await first.engine.load(small)
    await first.start()
    john = api.private_user(5000000003, "John", "en")
    try:
        await opened(first, api, john)
        await john.says("We did something like that in our town.")
        town_ask = api.last(john.id)
        await john.says("Our region tried it as well, with mixed results.")
        region_ask = api.last(john.id)
        assert "our town" in town_ask.text and "Our region" in region_ask.text
        assert town_ask.buttons[0][1] != region_ask.buttons[0][1], "each ask carries its own text's id"
    finally:
        await first.stop()

    second = Bot(database, api, clock)
    await second.start()
    try:
        await john.says("1.1", reply_to=town_ask.message_id)  # a reply to the older ask answers it
        await john.says("1.2")
        ack = api.last(john.id)
        assert "«Our region tried it as well, with mixed results.»" in ack.text and "1.2" in ack.text
        [(label, move)] = ack.buttons
        assert label == "Wrong question?" and move.startswith("move:")
        await john.presses(ack, move)
        offer = api.last(john.id)
        await john.presses(offer, move.replace("move:", "moveto:") + ":1.1")
        assert sorted((key, text) for key, text, _status, _id in await contributions(second)) == [
            ("1.1", "Our region tried it as well, with mixed results."),
            ("1.1", "We did something like that in our town."),
        ]
        assert api.last(john.id).text.startswith("Moved: «Our region")
    finally:
        await second.stop()
