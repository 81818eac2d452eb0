"""A round of 4 questions broadcast to N private Telegram chats (2,000 by
default), through the real adapter (python-telegram-bot, real HTTP) to the
fake Bot API server, which enforces an overall rate limit and answers 429
beyond it.

    python bench/bench_telegram_broadcast.py [--chats 2000] [--limit 250] [--database URL] [--same-process] [--for SECONDS]

Telegram's limits are scaled up by limit/30 (overall, per chat) to keep the
run short; `--limit 30` is Telegram's real limits. The figure is the time
taken divided by the limit's minimum time, chats × 4 / limit: target at most
1.05, with no message lost or doubled. The database is made and the chats
subscribed in a process of their own, so the bot's process is measured
apart from its set-up: its CPU during the broadcast, and the resident memory
the round adds to it (peak during the broadcast, sampled every 20 ms, minus
the process's at its start). The fake server runs in its own process, as
Telegram runs on its own machines (--same-process: in this one, sharing its
CPU). `--for 120` stops the round after 120 s (a round to 100,000 chats takes
hours at the real limits): the figures are then those of its first part,
and what was posted is checked all the same.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import multiprocessing
import os
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import yaml
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.telegram import Limits, TelegramChat
from bot.conversation.engine import Engine
from bot.discussion import store
from bot.discussion.spec import example_discussion_path, parse_discussion
from bot.ports import (
    ChatKind,
    Secret,
)
from bot.storage.database import create_engine, migrate, session_factory
from bot.storage.models import Delivery, Participant, PlatformIdentity, Venue
from facilitator.assembly import make_engine
from schedules import rounds
from tests.fakes.telegram_api import FakeTelegram

TOKEN = "6234567890:AAHbenchmarkTokenNeverLogged000000"
NOW = dt.datetime(2013, 7, 8, 10, 0, tzinfo=dt.UTC)
QUESTIONS = 4
FIRST_CHAT = 7_000_000_000


def four_question_discussion():
    """The 2013 example's first round, cut to 4 questions (the real texts)."""
    data = yaml.safe_load(example_discussion_path().read_text(encoding="utf-8"))
    data["rounds"] = data["rounds"][:1]
    data["rounds"][0]["questions"] = data["rounds"][0]["questions"][:QUESTIONS]
    return parse_discussion(data, "bench.yaml")


async def subscribe(engine: Engine, chats: int) -> None:
    async with engine.sessions() as session:
        discussion = await store.find_discussion(session)
        for start in range(0, chats, 5_000):
            numbers = range(start, min(chats, start + 5_000))
            await session.execute(
                insert(Participant),
                [{"id": n + 1, "display_name": f"P{n}", "language": ("fr", "en", "es")[n % 3], "created_at": NOW} for n in numbers],
            )
            await session.execute(
                insert(PlatformIdentity),
                [{"platform": "telegram", "external_id": str(FIRST_CHAT + n), "participant_id": n + 1} for n in numbers],
            )
            await session.execute(
                insert(Venue),
                [
                    {
                        "discussion_id": discussion.id,
                        "platform": "telegram",
                        "chat_id": str(FIRST_CHAT + n),
                        "kind": ChatKind.private,
                        "participant_id": n + 1,
                        "active": True,
                        "unreachable": False,
                        "created_at": NOW,
                    }
                    for n in numbers
                ],
            )
        round_ = await store.round_by_number(session, discussion, 1)
        await rounds.open_round(session, discussion, round_, NOW)
        await session.commit()


def set_up(url: str, chats: int, schema_out) -> None:
    """In a process of its own: the database, the discussion, the chats subscribed, round 1 open."""

    async def main() -> None:
        database, schema = await open_database(url)
        engine = make_engine(session_factory(database), clock=lambda: NOW)
        await engine.load(four_question_discussion())
        await subscribe(engine, chats)
        await database.dispose()
        schema_out.send(schema)

    asyncio.run(main())


def resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class PeakMemory:
    """The process's resident memory sampled every 20 ms in a thread: its peak while running."""

    def __init__(self) -> None:
        self.peak = resident_bytes()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, resident_bytes())

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, resident_bytes())


async def open_database(url: str) -> tuple[AsyncEngine, str | None]:
    """SQLite as given; on PostgreSQL, a throwaway schema (dropped at the end)."""
    if not url.startswith("postgresql"):
        database = create_engine(url)
        await migrate(database)
        return database, None
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    async with admin.begin() as connection:
        await connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    await admin.dispose()
    database = create_async_engine(url, connect_args={"server_settings": {"search_path": schema}})
    await migrate(database)
    return database, schema


async def drop_schema(url: str, schema: str) -> None:
    admin = create_engine(url)
    async with admin.begin() as connection:
        await connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    await admin.dispose()


async def start_fake(limit: float, chats: int) -> FakeTelegram:
    api = await FakeTelegram(TOKEN, overall_limit=limit).start()
    for n in range(chats):
        api.private_user(FIRST_CHAT + n, f"P{n}", None)
    return api


def serve_fake_in_process(limit: float, chats: int, port_out, log_out, stop) -> None:
    async def main() -> None:
        api = await start_fake(limit, chats)
        port_out.send(api.port)
        while not stop.poll():
            await asyncio.sleep(0.05)
        log_out.send(([(s.chat_id, s.text) for s in api.sent], api.rejected_429))
        await api.stop()

    asyncio.run(main())


def connect(url: str, schema: str | None) -> AsyncEngine:
    if schema is None:
        return create_engine(url)
    return create_async_engine(url, connect_args={"server_settings": {"search_path": schema}})


async def run(chats: int, limit: float, database_url: str | None, separate: bool, stop_after: float | None) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite+aiosqlite:///{tmp}/bench.db"
        schema_in, schema_out = multiprocessing.Pipe(False)
        setting_up = multiprocessing.Process(target=set_up, args=(url, chats, schema_out))
        setting_up.start()
        schema = schema_in.recv()
        setting_up.join()

        if separate:
            port_in, port_out = multiprocessing.Pipe(False)
            log_in, log_out = multiprocessing.Pipe(False)
            stop_in, stop_out = multiprocessing.Pipe(False)
            server = multiprocessing.Process(target=serve_fake_in_process, args=(limit, chats, port_out, log_out, stop_in))
            server.start()
            base_url = f"http://127.0.0.1:{port_in.recv()}/bot"
        else:
            api = await start_fake(limit, chats)
            base_url = api.base_url

        at_start = resident_bytes()
        database = connect(url, schema)
        engine = make_engine(session_factory(database), clock=lambda: NOW)
        adapter = TelegramChat(Secret(TOKEN), base_url, limits=Limits().scaled(limit / Limits().overall_per_second), poll_timeout=1)
        engine.attach(adapter)
        serving = asyncio.create_task(adapter.serve(engine))
        await adapter.receiving.wait()
        ready = resident_bytes()
        with PeakMemory() as memory:
            started, cpu_started = time.perf_counter(), time.process_time()
            posting = asyncio.create_task(engine.post_pending())
            done, _pending = await asyncio.wait([posting], timeout=stop_after)
            if not done:
                posting.cancel()
            await asyncio.gather(posting, return_exceptions=True)
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        serving.cancel()
        await asyncio.gather(serving, return_exceptions=True)

        if separate:
            stop_out.send(True)
            sent, rejected = log_in.recv()
            server.join()
        else:
            sent, rejected = [(s.chat_id, s.text) for s in api.sent], api.rejected_429
            await api.stop()
        async with engine.sessions() as session:
            recorded = await session.scalar(select(func.count(Delivery.id)))
        await database.dispose()
        if schema:
            await drop_schema(url, schema)

    copies = Counter(sent)  # each question's message differs from the others in the same chat
    expected = chats * QUESTIONS if done else recorded
    delivered = len(copies)
    doubled = sum(n - 1 for n in copies.values())
    minimum = delivered / limit
    print(
        f"chats {chats:,}, questions {QUESTIONS}, overall limit {limit:g}/s ({'separate' if separate else 'same'} process server), database {'SQLite' if not database_url else database_url.split(':')[0]}"
        + ("" if done else f", stopped after {stop_after:g} s")
    )
    print(
        f"posted {delivered:,}, recorded {recorded:,}, time {elapsed:.2f} s, minimum {minimum:.2f} s, ratio {elapsed / minimum:.3f} (target <= 1.05),"
        f" pace {delivered / elapsed:.2f} msg/s = {delivered / elapsed / limit:.3f} of the limit"
    )
    print(f"the bot's process: CPU during the broadcast {cpu:.2f} s ({1000 * cpu / max(1, delivered):.2f} ms a message)")
    mib = 1024 * 1024
    print(
        f"the bot's resident memory: {at_start / mib:.0f} MiB at start, {ready / mib:.0f} MiB ready, peak {memory.peak / mib:.0f} MiB during the round: the round adds {(memory.peak - ready) / mib:.0f} MiB"
    )
    print(f"lost {expected - delivered}, doubled {doubled}, 429 answers {rejected}")
    return 0 if expected == delivered == recorded and doubled == 0 else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chats", type=int, default=2000)
    parser.add_argument("--limit", type=float, default=250.0, help="overall messages per second the fake server allows")
    parser.add_argument("--database", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--same-process", action="store_true", help="run the fake Bot API server in this process")
    parser.add_argument("--for", dest="stop_after", type=float, help="stop the round after this many seconds")
    args = parser.parse_args()
    return asyncio.run(run(args.chats, args.limit, args.database, not args.same_process, args.stop_after))


if __name__ == "__main__":
    sys.exit(main())
