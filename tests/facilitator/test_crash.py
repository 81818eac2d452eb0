"""`facilitator run` killed (SIGKILL) in the middle of a burst of answers and
in the middle of onboarding, on SQLite and on PostgreSQL (issue 15). The kill
comes while replies decided and committed are on their way out (the fake Bot
API holds them at its door, so none of them was taken), and Telegram then
hands every update of the burst over again. After the restart every effect
is applied once, and every acknowledgement, ask and prompt is sent once:
nothing lost, nothing doubled.

A reply already taken by Telegram when the process dies, before the bot
records it as sent, would go out again at the next start (no platform lets a
message be sent "once only"): the kill here waits until the replies taken
are recorded, so that each count is exact."""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import signal
import uuid

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

from bot.storage.database import create_engine, session_factory
from bot.storage.models import Ask, Contribution, ContributionStatus, Discussion, InboundUpdate, Message, OutboxMessage, Participant, Role
from tests.conftest import POSTGRES_URL, REQUIRE_POSTGRES, _postgres_answers
from tests.facilitator.test_shutdown import TOKEN, discussion_starting_now, start_run, until
from tests.fakes.telegram_api import FakeTelegram, Sent, TelegramUser
from tests.helpers import add_subscriber

PEOPLE = 12
ANSWERS_EACH = 6  # four name their question, two do not (each gets a "which question?")
ONBOARDING = 10
SETTLE = 1.0  # seconds for the replies taken before the hold to be recorded as sent


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request, tmp_path):
    """Where both runs keep their data: the folder's SQLite file, or a database of its own on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'facilitator.db'}"
        return
    if not _postgres_answers():
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL does not answer at {POSTGRES_URL}")
        pytest.skip("PostgreSQL does not answer on 127.0.0.1:5432")
    name = f"crash_{uuid.uuid4().hex[:12]}"
    await outside_transactions(f'CREATE DATABASE "{name}"')
    try:
        yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        await outside_transactions(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def outside_transactions(statement: str) -> None:
    """CREATE and DROP DATABASE, which PostgreSQL runs in no transaction."""
    server = create_async_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        async with server.connect() as connection:
            await connection.exec_driver_sql(statement)
    finally:
        await server.dispose()


@pytest.fixture
async def api():
    api = await FakeTelegram(TOKEN).start()
    yield api
    await api.stop()


async def first_run(tmp_path, api: FakeTelegram, database_url: str) -> asyncio.subprocess.Process:
    (tmp_path / "small.yaml").write_text(yaml.safe_dump(discussion_starting_now(), allow_unicode=True), encoding="utf-8")
    run = await start_run(tmp_path, api, database_url)
    await until(lambda: any(method == "getUpdates" for method, _params in api.calls))
    return run


async def kill_while_replies_wait(run: asyncio.subprocess.Process, api: FakeTelegram, sessions) -> int:
    """SIGKILL with replies committed and on their way out; returns how many rows the outbox was left with unsent."""
    api.hold()
    await asyncio.sleep(SETTLE)
    run.send_signal(signal.SIGKILL)
    await run.wait()
    api.release()
    async with sessions() as session:
        return await session.scalar(select(func.count()).where(OutboxMessage.sent_at.is_(None), OutboxMessage.given_up_at.is_(None)))


async def stop(run: asyncio.subprocess.Process) -> str:
    run.send_signal(signal.SIGTERM)
    _out, err = await asyncio.wait_for(run.communicate(), 90)
    assert run.returncode == 0, err.decode()
    return err.decode()


def letters(number: int) -> str:
    """A number in letters ("abc" for 12): a text that names no question by a number it holds."""
    return "".join("abcdefghij"[int(digit)] for digit in str(number))


def replies_to(api: FakeTelegram, chat_id: int, message_id: int) -> list[Sent]:
    return [sent for sent in api.to(chat_id) if sent.reply_to == message_id]


async def test_a_kill_mid_burst_loses_and_doubles_no_answer_and_no_reply(tmp_path, api, database_url):
    database = create_engine(database_url)
    sessions = session_factory(database)
    people = [api.private_user(7_000_000_000 + n, f"P{n}", "en") for n in range(PEOPLE)]
    try:
        run = await first_run(tmp_path, api, database_url)
        async with sessions() as session:
            discussion = await session.scalar(select(Discussion))
            for person in people:
                await add_subscriber(
                    session, discussion, "telegram", str(person.id), dt.datetime.now(dt.UTC), display_name="P", language="en"
                )
            await session.commit()
        await until(lambda: all(len(api.to(person.id)) >= 4 for person in people))  # the round's four questions, each
        first_update = len(api.delivered)
        texts = {
            (person.id, n): f"Q1.{n + 1}: our answer {letters(n)} from {letters(person.id)}, on twinning."
            if n < 4
            else f"We tried many things, says {letters(person.id)} {letters(n)}."
            for person in people
            for n in range(ANSWERS_EACH)
        }
        burst = [asyncio.ensure_future(person.says(texts[person.id, n])) for n in range(ANSWERS_EACH) for person in people]
        await until(lambda: len(api.delivered) == first_update + len(texts))
        sent_ids = {(u["message"]["chat"]["id"], u["message"]["message_id"]): u["message"]["text"] for u in api.delivered[first_update:]}
        answered = lambda: sum(1 for chat, message in sent_ids if replies_to(api, chat, message))  # noqa: E731
        await until(lambda: answered() >= len(texts) // 4)
        left_unsent = await kill_while_replies_wait(run, api, sessions)
        answered_before = answered()
        await api.redeliver(api.delivered[first_update:])  # the getUpdates confirming them never reached Telegram

        again = await start_run(tmp_path, api, database_url)
        await until(lambda: answered() == len(texts), timeout=120)
        await asyncio.wait_for(asyncio.gather(*burst), 60)
        await asyncio.sleep(4)  # time enough for anything doubled to show
        await stop(again)

        assert left_unsent > 0 and answered_before < len(texts), "the kill came with replies committed and not sent"
        replies = {key: replies_to(api, *key) for key in sent_ids}
        assert [key for key, sent in replies.items() if len(sent) != 1] == [], "one reply to each message, not none, not two"
        asks = [key for key, sent in replies.items() if sent[0].text.startswith("Which question does this answer?")]
        assert sorted(sent_ids[key] for key in asks) == sorted(text for (_chat, n), text in texts.items() if n >= 4)
        async with sessions() as session:
            stored = collections.Counter(await session.scalars(select(Contribution.text)))
            pending = await session.scalar(select(func.count()).where(Contribution.status == ContributionStatus.pending))
            recorded_asks = await session.scalar(select(func.count(Ask.id)))
            unsent = await session.scalar(select(func.count()).where(OutboxMessage.sent_at.is_(None)))
            messages = await session.scalar(select(func.count(Message.id)))
            held = await session.scalar(select(func.count(InboundUpdate.id)))
        expected = collections.Counter(text.split(": ", 1)[1] if n < 4 else text for (_chat, n), text in texts.items())
        assert stored == expected, "every answer stored once"
        assert messages == len(texts) and pending == len(asks) == recorded_asks, "each ask recorded, so a reply to it files its text"
        assert unsent == 0
        assert held == 0, "no update left held (what people wrote) once handled"
    finally:
        await database.dispose()


PROMPTS = {
    "language": "I will write to you in",
    "consent": "How may your answers appear",
    "name": "What is your name?",
    "organisation": "Which organisation",
    "country": "In which country?",
    "role": "Do you work for a local or regional authority?",
    "done": "Thank you, that is all.",
}


async def prompted(api: FakeTelegram, person: TelegramUser, step: str) -> Sent:
    await until(lambda: any(PROMPTS[step] in text for text in api.texts(person.id)), timeout=120)
    return api.find(person.id, PROMPTS[step])


async def onboard(api: FakeTelegram, person: TelegramUser, n: int) -> None:
    """Each prompt answered once it comes, whichever run sends it."""
    await person.says("/start")
    await person.presses(await prompted(api, person, "language"), "skip")
    await person.presses(await prompted(api, person, "consent"), "consent:named")
    for step, value in (
        ("name", f"Person {letters(n)}"),
        ("organisation", f"Municipality {letters(n)}"),
        ("country", f"Land {letters(n)}"),
    ):
        await prompted(api, person, step)
        await person.says(value)
    await person.presses(await prompted(api, person, "role"), "role:participant")
    await prompted(api, person, "done")


async def test_a_kill_mid_onboarding_sets_each_profile_field_once_and_sends_each_prompt_once(tmp_path, api, database_url):
    database = create_engine(database_url)
    sessions = session_factory(database)
    people = [api.private_user(7_100_000_000 + n, f"P{n}", "en") for n in range(ONBOARDING)]
    try:
        run = await first_run(tmp_path, api, database_url)
        onboarding = [asyncio.ensure_future(onboard(api, person, n)) for n, person in enumerate(people)]
        prompts_sent = lambda: sum(1 for sent in api.sent if any(p in sent.text for p in PROMPTS.values()))  # noqa: E731
        await until(lambda: prompts_sent() >= ONBOARDING * len(PROMPTS) // 3)
        left_unsent = await kill_while_replies_wait(run, api, sessions)
        await api.redeliver(api.delivered)  # every update so far, handed over again

        again = await start_run(tmp_path, api, database_url)
        await asyncio.wait_for(asyncio.gather(*onboarding), 120)
        await asyncio.sleep(4)
        await stop(again)

        assert left_unsent > 0, "the kill came with prompts committed and not sent"
        for person in people:
            counts = {step: sum(prompt in text for text in api.texts(person.id)) for step, prompt in PROMPTS.items()}
            assert counts == dict.fromkeys(PROMPTS, 1), (person.id, counts)
        async with sessions() as session:
            profiles = sorted(
                tuple(row)
                for row in await session.execute(
                    select(Participant.name, Participant.organisation, Participant.country, Participant.role, Participant.onboarding_step)
                )
            )
        expected = [
            (f"Person {letters(n)}", f"Municipality {letters(n)}", f"Land {letters(n)}", Role.participant, None) for n in range(ONBOARDING)
        ]
        assert profiles == sorted(expected)
    finally:
        await database.dispose()
