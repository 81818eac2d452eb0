"""Messages per second from the adapter boundary to a stored, acknowledged
contribution, beside the same work done through SQLAlchemy Core, and beside
the bare writes alone.

    python bench/bench_engine.py [--messages 1000] [--runs 3] [--postgres URL]

Each message is one update from a participant past onboarding. Three paths,
interleaved in blocks of `BLOCK` messages (their order turning), on one
database made by the project's own factory:

- engine: the update handed to the engine, which looks up the chat and the
  sender, links the text, stores the message, its contribution, the update's
  identity and the acknowledgement's outbox row in one transaction, commits,
  sends the acknowledgement to an in-memory platform and marks its row sent;
- Core: the same work written directly in SQLAlchemy Core: one query for the
  chat, the sender, the rounds and whether the update was handled, the same
  linker, the same four rows in one transaction, the acknowledgement sent,
  its row marked sent;
- raw: the same four rows and the mark, through SQLAlchemy Core, with no
  lookup, no linking and nothing sent: what the guarantees cost at least.

Targets: the engine at least 0.9 of Core and 0.5 of raw, in every run.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import cast

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Table, bindparam, exists, insert, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.conversation.engine import Engine
from bot.discussion import store
from bot.discussion.spec import example_discussion_path, load_discussion
from bot.ports import Button, ChatKind, OutgoingMessage
from bot.storage.database import create_engine, migrate, session_factory
from bot.storage.models import (
    Contribution,
    ContributionStatus,
    Discussion,
    HandledUpdate,
    Message,
    OutboxMessage,
    Participant,
    PlatformIdentity,
    Round,
    RoundStatus,
    Venue,
)
from facilitator.assembly import make_engine
from tests.fakes.memory_platform import MemoryPlatform, MemoryUser

NOW = dt.datetime(2013, 7, 9, 10, 0, tzinfo=dt.UTC)
PARTICIPANTS = 50
BLOCK = 10  # short blocks: a burst of load from elsewhere falls on every path alike
ONBOARDING_STEPS = 6  # language, consent, name, organisation, country, role: each skipped
TEXTS = [
    "Q1: Les autorités locales devraient coordonner leurs services de coopération et d'immigration.",
    "Pregunta 2: convenios de cooperación interinstitucional con las autoridades nacionales.",
    "Q3: city-to-city partnerships and local government associations at national platforms.",
    "Question 4: le plan communal de développement inclut la migration comme axe transversal.",
    "Pregunta 5: la migración fue considerada solo un factor económico positivo.",
]

Send = Callable[[int], Awaitable[None]]  # the i-th message, handled


def text_of(i: int, path: str) -> str:
    """A path's i-th message's text: each one its own, as people write (the same text twice in a row is recorded once)."""
    return f"{TEXTS[i % len(TEXTS)]} ({path} {i})"


async def prepared_engine(database: AsyncEngine) -> tuple[Engine, MemoryPlatform, list[MemoryUser]]:
    platform = MemoryPlatform()
    # The clock moves on by a second a message, as people write: no one floods.
    ticks = iter(NOW + dt.timedelta(seconds=n) for n in range(10**9))
    engine = make_engine(session_factory(database), [platform], clock=lambda: next(ticks))
    discussion = await engine.load(load_discussion(example_discussion_path()))
    async with engine.sessions() as session:
        await store.grant_organiser(session, discussion, platform.name, "boss", NOW)
        await session.commit()
    boss = MemoryUser(platform, "boss", "Boss", "en")
    await engine.handle_message(boss.message("/open_round 1"))
    users = [MemoryUser(platform, f"p{i}", f"P{i}", ("fr", "en", "es")[i % 3]) for i in range(PARTICIPANTS)]
    for person in users:
        await engine.handle_message(person.message("/start"))
        for _step in range(ONBOARDING_STEPS):
            await engine.handle_button(person.press("skip"))
    await engine.drain()
    async with engine.sessions() as session:
        onboarding = await session.scalar(select(Participant.id).where(Participant.onboarding_step.is_not(None)).limit(1))
    assert onboarding is None, "every participant past onboarding"
    return engine, platform, users


def engine_path(engine: Engine, users: list[MemoryUser]) -> Send:
    async def send(i: int) -> None:
        person = users[i % len(users)]
        await engine.handle_message(person.message(text_of(i, "engine"), message_id=f"engine-{i}"))

    return send


MESSAGES, CONTRIBUTIONS, HANDLED, OUTBOX = (cast(Table, model.__table__) for model in (Message, Contribution, HandledUpdate, OutboxMessage))
# The Core and raw paths' statements, built once and bound per message, as the engine's are.
CONTEXT = (
    select(
        Discussion.id,
        Participant.id,
        Participant.language,
        Round.id,
        Round.number,
        Round.status,
        exists().where(
            HandledUpdate.platform == bindparam("platform"),
            HandledUpdate.chat_id == bindparam("chat_id"),
            HandledUpdate.kind == "message",
            HandledUpdate.external_id == bindparam("message_id"),
            HandledUpdate.version == "",
        ),
        # The sender's latest text in the chat, which the engine compares (a text sent twice is stored once).
        select(Message.text)
        .where(Message.participant_id == Participant.id, Message.platform == Venue.platform, Message.chat_id == Venue.chat_id)
        .order_by(Message.id.desc())
        .limit(1)
        .scalar_subquery(),
    )
    .select_from(Venue)
    .join(Discussion, Venue.discussion_id == Discussion.id)
    .outerjoin(Round, Round.discussion_id == Discussion.id)
    .outerjoin(
        PlatformIdentity,
        (PlatformIdentity.platform == bindparam("sender_platform")) & (PlatformIdentity.external_id == bindparam("sender_id")),
    )
    .outerjoin(Participant, PlatformIdentity.participant_id == Participant.id)
    .where(Venue.platform == bindparam("platform"), Venue.chat_id == bindparam("chat_id"))
    .order_by(Round.number)
)
STORE_MESSAGE = insert(MESSAGES).returning(MESSAGES.c.id)
STORE_CONTRIBUTION = insert(CONTRIBUTIONS).returning(CONTRIBUTIONS.c.id)
STORE_HANDLED = insert(HANDLED)
STORE_REPLY = insert(OUTBOX).returning(OUTBOX.c.id)
MARK_SENT = update(OUTBOX).where(OUTBOX.c.id == bindparam("row_id"))


def core_path(database: AsyncEngine, engine: Engine, platform: MemoryPlatform, users: list[MemoryUser]) -> Send:
    """The engine's work on the usual path, written straight in SQLAlchemy Core."""
    index_of: dict[int, store.DiscussionIndex] = {}

    async def send(i: int) -> None:
        person = users[i % len(users)]
        chat, sender, text, message_id = person.chat(), person.person, text_of(i, "Core"), f"core-{i}"
        now = engine.clock()
        async with database.begin() as connection:
            found = {"platform": chat.platform, "chat_id": chat.chat_id, "message_id": message_id}
            rows = (await connection.execute(CONTEXT, {**found, "sender_platform": sender.platform, "sender_id": sender.user_id})).all()
            discussion_id, participant_id, language, *_round, handled_before, last_text = rows[0]
            assert last_text != text
            assert not handled_before
            open_round = next(row for row in rows if row.status == RoundStatus.open)
            if discussion_id not in index_of:
                async with engine.sessions() as session:
                    discussion = await session.get_one(Discussion, discussion_id)
                    index_of[discussion_id] = await engine.index_for(session, discussion)
            index = index_of[discussion_id]
            linked = index.linker.link(text, open_round=open_round.number, reply_to=None, in_thread=False, participant_language=language)
            stored = await connection.scalar(
                STORE_MESSAGE,
                {
                    "discussion_id": discussion_id,
                    "participant_id": participant_id,
                    "platform": chat.platform,
                    "chat_id": chat.chat_id,
                    "message_id": message_id,
                    "text": text,
                    "language": linked.language,
                    "round_id": open_round[3],
                    "received_at": now,
                },
            )
            filed = []
            for position, segment in enumerate(linked.segments, start=1):
                assert segment.question is not None, "each text names its question"
                question = index.questions[segment.question]
                contribution = await connection.scalar(
                    STORE_CONTRIBUTION,
                    {
                        "message_id": stored,
                        "position": position,
                        "question_id": question.id,
                        "status": ContributionStatus.filed,
                        "text": segment.text,
                        "method": segment.method,
                        "confidence": segment.confidence,
                        "candidates": [],
                        "late": False,
                        "hidden": False,
                        "created_at": now,
                        "updated_at": now,
                    },
                )
                filed.append((question, contribution))
            await connection.execute(
                STORE_HANDLED,
                {**found, "kind": "message", "external_id": message_id, "version": "", "sender_id": sender.user_id, "handled_at": now},
            )
            question, contribution = filed[0]
            reply = OutgoingMessage(
                chat=chat,
                text=f"Thank you! Recorded under question {question.key}: «{question.texts.get(language or 'en', '')[:90]}».",
                buttons=(Button("Wrong question?", f"move:{contribution}"),),
                reply_to=message_id,
            )
            row = await connection.scalar(
                STORE_REPLY,
                {
                    "platform": chat.platform,
                    "chat_id": chat.chat_id,
                    "chat_kind": ChatKind.private,
                    "chat_title": "",
                    "reply_to": message_id,
                    "private": False,
                    "text": reply.text,
                    "buttons": [[b.label, b.data] for b in reply.buttons],
                    "created_at": now,
                },
            )
        sent = await platform.send(reply)
        async with database.begin() as connection:
            await connection.execute(
                MARK_SENT, {"row_id": row, "sent_at": engine.clock(), "message_id": sent.message_id, "text": "", "buttons": []}
            )

    return send


def raw_path(database: AsyncEngine, discussion_id: int, question_ids: list[int]) -> Send:
    """The rows the guarantees need and the mark, written with nothing else."""

    async def send(i: int) -> None:
        chat_id, message_id, text = f"c{i % PARTICIPANTS}", f"raw-{i}", text_of(i, "raw")
        async with database.begin() as connection:
            stored = await connection.scalar(
                STORE_MESSAGE,
                {
                    "discussion_id": discussion_id,
                    "platform": "raw",
                    "chat_id": chat_id,
                    "message_id": message_id,
                    "text": text,
                    "language": "fr",
                    "received_at": NOW,
                },
            )
            await connection.execute(
                STORE_CONTRIBUTION,
                {
                    "message_id": stored,
                    "position": 1,
                    "question_id": question_ids[i % len(question_ids)],
                    "status": ContributionStatus.filed,
                    "text": text,
                    "method": "reference",
                    "confidence": 0.9,
                    "candidates": [],
                    "late": False,
                    "hidden": False,
                    "created_at": NOW,
                    "updated_at": NOW,
                },
            )
            await connection.execute(
                STORE_HANDLED,
                {
                    "platform": "raw",
                    "chat_id": chat_id,
                    "kind": "message",
                    "external_id": message_id,
                    "version": "",
                    "sender_id": chat_id,
                    "handled_at": NOW,
                },
            )
            row = await connection.scalar(
                STORE_REPLY,
                {
                    "platform": "raw",
                    "chat_id": chat_id,
                    "chat_kind": ChatKind.private,
                    "chat_title": "",
                    "private": False,
                    "text": text,
                    "buttons": [],
                    "created_at": NOW,
                },
            )
        async with database.begin() as connection:
            await connection.execute(MARK_SENT, {"row_id": row, "sent_at": NOW, "message_id": message_id, "text": "", "buttons": []})

    return send


async def measure(database: AsyncEngine, messages: int) -> dict[str, tuple[float, float]]:
    """Each path's messages a second and CPU milliseconds a message."""
    await migrate(database)
    engine, platform, users = await prepared_engine(database)
    async with engine.sessions() as session:
        discussion = await store.find_discussion(session)
        assert discussion is not None
        question_ids = [q.id for q, _n in await store.questions_of(session, discussion)][:5]
    paths = {
        "engine": engine_path(engine, users),
        "Core": core_path(database, engine, platform, users),
        "raw": raw_path(database, discussion.id, question_ids),
    }
    wall = dict.fromkeys(paths, 0.0)
    cpu = dict.fromkeys(paths, 0.0)
    names = list(paths)
    platform.clear()
    for block, start in enumerate(range(0, messages, BLOCK)):
        turn = block % len(names)
        for name in names[turn:] + names[:turn]:
            started, started_cpu = time.perf_counter(), time.process_time()
            for i in range(start, min(start + BLOCK, messages)):
                await paths[name](i)
            wall[name] += time.perf_counter() - started
            cpu[name] += time.process_time() - started_cpu
    await engine.drain()  # the answers' embeddings, in the background meanwhile, before the database goes
    acknowledged = sum(1 for message, _ in platform.sent if message.text.startswith(("Thank", "Merci", "¡Gracias")))
    assert acknowledged == 2 * messages, f"{acknowledged} acknowledgements for {messages} messages on each of two paths"
    assert len(platform.sent) == 2 * messages, "one reply a message, nothing else"
    return {name: (messages / wall[name], 1000 * cpu[name] / messages) for name in paths}


def sqlite_database(directory: str) -> Callable[[], Awaitable[tuple[AsyncEngine, Callable[[], Awaitable[None]]]]]:
    async def make():
        database = create_engine(f"sqlite+aiosqlite:///{directory}/bench-{uuid.uuid4().hex[:8]}.db")
        return database, database.dispose

    return make


def postgres_database(url: str) -> Callable[[], Awaitable[tuple[AsyncEngine, Callable[[], Awaitable[None]]]]]:
    """A database of its own, reached through the project's factory as the bot reaches its own."""

    async def make():
        name = f"bench_{uuid.uuid4().hex[:10]}"
        admin = create_async_engine(url, isolation_level="AUTOCOMMIT")
        async with admin.connect() as connection:
            await connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        database = create_engine(make_url(url).set(database=name).render_as_string(hide_password=False))

        async def cleanup():
            await database.dispose()
            async with admin.connect() as connection:
                await connection.exec_driver_sql(f'DROP DATABASE "{name}"')
            await admin.dispose()

        return database, cleanup

    return make


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    print(f"{args.messages} messages a path, {PARTICIPANTS} participants, one update a message, blocks of {BLOCK} interleaved")
    with tempfile.TemporaryDirectory() as directory:
        for name, make_database in (("SQLite", sqlite_database(directory)), ("PostgreSQL", postgres_database(args.postgres))):
            to_core, to_raw = [], []
            for _run in range(args.runs):
                database, cleanup = await make_database()
                try:
                    rates = await measure(database, args.messages)
                finally:
                    await cleanup()
                (engine, engine_cpu), (core, core_cpu), (raw, raw_cpu) = rates["engine"], rates["Core"], rates["raw"]
                to_core.append(engine / core)
                to_raw.append(engine / raw)
                print(
                    f"{name:10} engine {engine:5.0f} msg/s ({engine_cpu:4.1f} ms CPU)   Core {core:5.0f} ({core_cpu:4.1f})   "
                    f"raw {raw:5.0f} ({raw_cpu:4.1f})   engine/Core {to_core[-1]:.2f}   engine/raw {to_raw[-1]:.2f}"
                )
            print(
                f"{name:10} engine/Core min {min(to_core):.2f} median {statistics.median(to_core):.2f} max {max(to_core):.2f} (target ≥ 0.90); "
                f"engine/raw min {min(to_raw):.2f} median {statistics.median(to_raw):.2f} max {max(to_raw):.2f} (target ≥ 0.50)"
            )


if __name__ == "__main__":
    asyncio.run(main())
