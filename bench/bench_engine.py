"""Messages per second from the adapter boundary to a stored, acknowledged
contribution, beside the same inserts made through SQLAlchemy alone.

    python bench/bench_engine.py [--messages 2000] [--postgres URL]

Each message is one update: the engine looks up the chat and the sender,
links the text to its question, stores the message and its contribution in
one transaction and sends the acknowledgement to an in-memory platform. The
raw rate is the same two rows inserted per message, one transaction each,
through SQLAlchemy with nothing else. Target: the engine at least half the raw rate.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy.ext.asyncio import create_async_engine

from bot.conversation.engine import Engine
from bot.discussion import store
from bot.discussion.spec import example_discussion_path, load_discussion
from bot.storage.database import create_engine, migrate, session_factory
from bot.storage.models import Contribution, ContributionStatus, Message
from facilitator.assembly import make_engine
from tests.fakes.memory_platform import MemoryPlatform, MemoryUser

NOW = dt.datetime(2013, 7, 9, 10, 0, tzinfo=dt.UTC)
PARTICIPANTS = 50
TEXTS = [
    "Q1: Les autorités locales devraient coordonner leurs services de coopération et d'immigration.",
    "Pregunta 2: convenios de cooperación interinstitucional con las autoridades nacionales.",
    "Q3: city-to-city partnerships and local government associations at national platforms.",
    "Question 4: le plan communal de développement inclut la migration comme axe transversal.",
    "Pregunta 5: la migración fue considerada solo un factor económico positivo.",
]


async def prepared_engine(database) -> tuple[Engine, MemoryPlatform, list[MemoryUser]]:
    platform = MemoryPlatform()
    engine = make_engine(session_factory(database), [platform], clock=lambda: NOW)
    discussion = await engine.load(load_discussion(example_discussion_path()))
    async with engine.sessions() as session:
        await store.grant_organiser(session, discussion, platform.name, "boss", NOW)
        await session.commit()
    boss = MemoryUser(platform, "boss", "Boss", "en")
    await engine.handle_message(boss.message("/open_round 1"))
    users = [MemoryUser(platform, f"p{i}", f"P{i}", ("fr", "en", "es")[i % 3]) for i in range(PARTICIPANTS)]
    for person in users:
        await engine.handle_message(person.message("/start"))
        await engine.handle_button(person.press("skip"))
    await engine.drain()
    return engine, platform, users


async def engine_rate(database, messages: int) -> float:
    engine, platform, users = await prepared_engine(database)
    platform.clear()
    started = time.perf_counter()
    for i in range(messages):
        person = users[i % len(users)]
        await engine.handle_message(person.message(TEXTS[i % len(TEXTS)], message_id=f"bench-{i}"))
    elapsed = time.perf_counter() - started
    acknowledged = sum(1 for message, _ in platform.sent if message.text.startswith(("Thank", "Merci", "¡Gracias")))
    assert acknowledged == messages, f"{acknowledged} acknowledgements for {messages} messages"
    return messages / elapsed


async def raw_rate(database, messages: int) -> float:
    sessions = session_factory(database)
    async with sessions() as session:
        discussion = await store.find_discussion(session)
        questions = [q for q, _n in await store.questions_of(session, discussion)][:5]
    started = time.perf_counter()
    for i in range(messages):
        async with sessions() as session:
            message = Message(
                discussion_id=discussion.id,
                platform="raw",
                chat_id=f"c{i % PARTICIPANTS}",
                message_id=f"raw-{i}",
                text=TEXTS[i % len(TEXTS)],
                language="fr",
                received_at=NOW,
                contributions=[],
            )
            message.contributions.append(
                Contribution(
                    position=1,
                    question_id=questions[i % 5].id,
                    status=ContributionStatus.filed,
                    text=TEXTS[i % len(TEXTS)],
                    method="reference",
                    confidence=0.9,
                    candidates=[],
                    created_at=NOW,
                    updated_at=NOW,
                )
            )
            session.add(message)
            await session.commit()
    return messages / (time.perf_counter() - started)


async def measure(name: str, make_database, messages: int) -> None:
    database, cleanup = await make_database()
    try:
        await migrate(database)
        engine_per_second = await engine_rate(database, messages)
        raw_per_second = await raw_rate(database, messages)
    finally:
        await cleanup()
    print(
        f"{name:10} engine {engine_per_second:8.0f} msg/s   SQLAlchemy alone {raw_per_second:8.0f} msg/s   "
        f"ratio {engine_per_second / raw_per_second:.2f} (target ≥ 0.50)"
    )


def sqlite_database(directory: str):
    async def make():
        database = create_engine(f"sqlite+aiosqlite:///{directory}/bench.db")
        return database, database.dispose

    return make


def postgres_database(url: str):
    async def make():
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        admin = create_async_engine(url)
        async with admin.begin() as connection:
            await connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        database = create_async_engine(url, connect_args={"server_settings": {"search_path": schema}})

        async def cleanup():
            await database.dispose()
            async with admin.begin() as connection:
                await connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
            await admin.dispose()

        return database, cleanup

    return make


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--postgres", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    print(f"{args.messages} messages, {PARTICIPANTS} participants, one update per message")
    with tempfile.TemporaryDirectory() as directory:
        await measure("SQLite", sqlite_database(directory), args.messages)
    await measure("PostgreSQL", postgres_database(args.postgres), args.messages)


if __name__ == "__main__":
    asyncio.run(main())
