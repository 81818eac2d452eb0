"""The web's figures: desk pages on a large discussion, and web answers per
second beside the engine's own rate.

    python bench/bench_web.py [--participants 10000] [--contributions 100000] [--requests 40] [--answers 300] [--only desk|answers]
                              [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/bench]

Desk: an SQLite file filled as bench_reports.py fills it (here 10,000
participants, 100,000 contributions), an organiser signed in; the pages are
asked through the whole ASGI application (session cookie, engine, queries,
templates) by httpx in the same process, interleaved: the participation
overview, a question's contributions (page 3, 50 a page), the same with a
search, and the participants (page 2). Target: the 95th percentile under
300 ms. With --postgres, the file's rows are copied into that (empty)
database first, and each page is asked of the desk on SQLite and then of the
desk on PostgreSQL, in turn, so that both meet the same load on the machine.
Beside each figure: the statements one view of the page sends the database.

Answers: on a fresh database with round 1 open, participants with a web
link post an answer to a question's box (/me/answer, the page drawn again
after it) and, interleaved, the same number of messages go to the engine
from an in-memory chat (as bench_engine.py measures it). Both end in a
stored, acknowledged contribution; the ratio is web / engine.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bench_reports
import httpx
from sqlalchemy import event, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.web import WebChat
from adapters.web.app import make_app
from bot.conversation import web_access
from bot.discussion import store
from bot.discussion.spec import example_discussion_path, load_discussion
from bot.ports import ChatKind, Secret
from bot.storage.database import create_engine, migrate, session_factory
from bot.storage.models import Base, Contribution, Participant, Venue
from facilitator.assembly import make_engine
from tests.fakes.memory_platform import MemoryPlatform, MemoryUser

URL = "http://127.0.0.1:8080"
TARGET_MS = 300.0


def client_of(app, number: int = 1) -> httpx.AsyncClient:
    """A browser of its own (its own cookies and address: links tried are limited per address) on the one application."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(f"127.0.{number // 250}.{number % 250 + 1}", 40000)), base_url=URL
    )


async def copied(path: Path, url: str) -> AsyncEngine:
    """The SQLite file's rows in the empty PostgreSQL database at `url`, migrated, then vacuumed
    and analysed as autovacuum leaves a live database (index-only scans need it)."""
    database = create_engine(url)
    await migrate(database)
    source = create_engine(f"sqlite+aiosqlite:///{path}")
    async with source.connect() as reading, database.begin() as writing:
        for table in Base.metadata.sorted_tables:
            rows = [dict(row._mapping) for row in await reading.execute(select(table))]
            for start in range(0, len(rows), 5_000):
                await writing.execute(insert(table), rows[start : start + 5_000])
            if rows and "id" in table.c:  # the next rows get the next ids
                await writing.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), (SELECT max(id) FROM {table.name}))")
                )
    await source.dispose()
    async with database.connect() as connection:
        await (await connection.execution_options(isolation_level="AUTOCOMMIT")).execute(text("VACUUM ANALYZE"))
    return database


async def signed_in_desk(database: AsyncEngine, participants: int, number: int) -> httpx.AsyncClient:
    """An organiser's browser signed in to the desk on `database`, the discussion's participants given a private chat."""
    engine = make_engine(session_factory(database), clock=lambda: bench_reports.NOW)
    web = WebChat(URL, session_secret=Secret("bench"))
    engine.attach(web)
    async with engine.sessions() as session:
        discussion = await store.find_discussion(session)
        assert discussion is not None
        await store.grant_organiser(session, discussion, "telegram", "1", bench_reports.NOW)
        # People with a private chat are the desk's participants.
        await session.execute(
            insert(Venue),
            [
                {
                    "discussion_id": discussion.id,
                    "platform": "telegram",
                    "chat_id": f"chat-{n}",
                    "kind": ChatKind.private,
                    "participant_id": n,
                    "created_at": bench_reports.NOW,
                    "active": True,
                    "unreachable": False,
                }
                for n in range(1, participants + 1)
            ],
        )
        token = await web_access.issue_desk_link(session, discussion, "telegram", "1", bench_reports.NOW)
        await session.commit()
    client = client_of(make_app(engine, web.session_secret), number)
    assert (await client.get(f"/p/{token}")).status_code == 303
    return client


async def desk_pages(directory: Path, participants: int, contributions: int, requests: int, postgres: str) -> None:
    path = directory / "desk.db"
    bench_reports.PARTICIPANTS = participants
    started = time.perf_counter()
    await bench_reports.fill(path, contributions)
    print(f"filled {participants:,} participants and {contributions:,} contributions in {time.perf_counter() - started:.0f} s")
    databases = [create_engine(f"sqlite+aiosqlite:///{path}")] + ([await copied(path, postgres)] if postgres else [])
    statements = {database.dialect.name: 0 for database in databases}
    for database in databases:

        def counted(*_args, backend=database.dialect.name, **_kwargs) -> None:
            statements[backend] += 1

        event.listen(database.sync_engine, "before_cursor_execute", counted)
    clients = {database.dialect.name: await signed_in_desk(database, participants, n) for n, database in enumerate(databases)}
    pages = {
        "participation": "/desk",
        "question, page 3": "/desk?question=1.2&page=3",
        "question, searched": "/desk?question=1.2&search=diaspora",
        "participants, page 2": "/desk?participants=on&page=2",
    }
    timings: dict[tuple[str, str], list[float]] = {(backend, name): [] for backend in clients for name in pages}
    sent: dict[tuple[str, str], int] = {}
    for client in clients.values():
        for path_ in pages.values():  # warm: the discussion's index, the templates
            assert (await client.get(path_)).status_code == 200
    for _round in range(requests):
        for name, path_ in pages.items():
            for backend, client in clients.items():
                statements[backend] = 0
                began = time.perf_counter()
                response = await client.get(path_)
                timings[(backend, name)].append((time.perf_counter() - began) * 1000)
                assert response.status_code == 200
                sent[(backend, name)] = statements[backend]
    for client in clients.values():
        await client.aclose()
    for database in databases:
        await database.dispose()
    for (backend, name), values in timings.items():
        values.sort()
        p95 = values[max(0, round(0.95 * len(values)) - 1)]
        print(
            f"desk {backend:10} {name:22} median {statistics.median(values):6.0f} ms   p95 {p95:6.0f} ms   "
            f"({'under' if p95 < TARGET_MS else 'OVER'} {TARGET_MS:.0f} ms)   {sent[(backend, name)]:3} statements"
        )


async def answer_rates(directory: Path, answers: int) -> None:
    database = create_engine(f"sqlite+aiosqlite:///{directory}/answers.db")
    await migrate(database)
    platform = MemoryPlatform()
    engine = make_engine(session_factory(database), [platform], clock=lambda: bench_reports.NOW)
    web = WebChat(URL, session_secret=Secret("bench"))
    engine.attach(web)
    discussion = await engine.load(load_discussion(example_discussion_path()))
    async with engine.sessions() as session:
        await store.grant_organiser(session, discussion, platform.name, "boss", bench_reports.NOW)
        await session.commit()
    boss = MemoryUser(platform, "boss", "Boss", "en")
    await engine.handle_message(boss.message("/open_round 1"))
    people = 50
    chat_users = [MemoryUser(platform, f"p{i}", f"P{i}", ("fr", "en", "es")[i % 3]) for i in range(people)]
    for person in chat_users:
        await engine.handle_message(person.message("/start"))
        await engine.handle_button(person.press("skip"))
    clients = []
    app = make_app(engine, web.session_secret)
    for i in range(people):
        async with engine.sessions() as session:
            participant = Participant(display_name=f"W{i}", language=("fr", "en", "es")[i % 3], created_at=bench_reports.NOW)
            session.add(participant)
            await session.flush()
            token = await web_access.issue_participant_link(session, discussion, participant, bench_reports.NOW)
            await session.commit()
        client = client_of(app, i)
        await client.get(f"/p/{token}")
        found = re.search(r'name="csrf" value="([^"]+)"', (await client.get("/me")).text)
        assert found
        clients.append((client, found.group(1)))
    await engine.drain()
    texts = bench_reports.SENTENCES["en"]
    web_seconds = chat_seconds = 0.0
    batch = 25
    for start in range(0, answers, batch):
        began = time.perf_counter()
        for i in range(start, min(start + batch, answers)):
            client, csrf = clients[i % people]
            form = {"csrf": csrf, "nonce": f"w{i}", "question": f"1.{i % 5 + 1}", "text": texts[i % len(texts)]}
            assert (await client.post("/me/answer", data=form)).status_code == 200
        web_seconds += time.perf_counter() - began
        began = time.perf_counter()
        for i in range(start, min(start + batch, answers)):
            person = chat_users[i % people]
            await engine.handle_message(person.message(f"Q{i % 5 + 1}: {texts[i % len(texts)]}", message_id=f"c{i}"))
        chat_seconds += time.perf_counter() - began
    async with engine.sessions() as session:
        stored = await session.scalar(select(func.count(Contribution.id)))
    assert stored == 2 * answers, f"{stored} contributions stored for {2 * answers} answers"
    for client, _csrf in clients:
        await client.aclose()
    await database.dispose()
    web_rate, chat_rate = answers / web_seconds, answers / chat_seconds
    print(
        f"answers  web {web_rate:6.0f}/s (page drawn again after each)   engine from a chat {chat_rate:6.0f}/s   ratio {web_rate / chat_rate:.2f}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--contributions", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=40, help="of each desk page")
    parser.add_argument("--answers", type=int, default=300)
    parser.add_argument("--only", choices=("desk", "answers"), help="one of the two measures")
    parser.add_argument(
        "--postgres",
        default="",
        help="the desk on this empty PostgreSQL database too (postgresql+asyncpg://…), filled from the SQLite file",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        if args.only != "desk":
            await answer_rates(Path(directory), args.answers)
        if args.only != "answers":
            await desk_pages(Path(directory), args.participants, args.contributions, args.requests, args.postgres)


if __name__ == "__main__":
    asyncio.run(main())
