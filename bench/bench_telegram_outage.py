"""Messages sent to the bot on Telegram while its database is out of reach:
how many must be sent again once it is back (target 0). The real adapter
against the fake Bot API, the engine on a SQLite file, which a switch takes
out of reach (its sessions then connect where nothing listens).

    python bench/bench_telegram_outage.py [--outage 40] [--messages 300] [--people 30]

`--messages` answers from `--people` participants, spread evenly over the
`--outage` seconds. Once the database is back: how many answers are stored
(each once), how many acknowledged, and how many got "something went wrong"
or nothing at all, that is how many the participants would have to send again.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_telegram_fairness import NOW, TOKEN, subscribe

from adapters.telegram import Limits, TelegramChat
from bot.discussion.spec import example_discussion_path, load_discussion
from bot.ports import Secret
from bot.storage.database import create_engine, migrate, session_factory
from bot.storage.models import Contribution
from facilitator.assembly import make_engine
from tests.adapters.telegram.test_outage import Switchable
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import stored_contributions

FIRST_ID = 7_100_000_000


async def main(outage: float, messages: int, people: int) -> None:
    folder = tempfile.mkdtemp()
    database = create_engine(f"sqlite+aiosqlite:///{folder}/bench.db")
    nowhere = create_engine("postgresql+asyncpg://postgres@127.0.0.1:1/facilitator")  # nothing listens there
    await migrate(database)
    engine = make_engine(session_factory(database), clock=lambda: NOW)
    await engine.load(load_discussion(example_discussion_path()))
    await subscribe(engine, [FIRST_ID + n for n in range(people)], language="es")
    sessions = engine.sessions = Switchable(session_factory(database), session_factory(nowhere))
    api = await FakeTelegram(TOKEN).start()
    users = [api.private_user(FIRST_ID + n, f"P{n}", "es") for n in range(people)]
    adapter = TelegramChat(Secret(TOKEN), api.base_url, limits=Limits().scaled(20), poll_timeout=1, first_backoff=0.5)
    engine.attach(adapter)
    serving = asyncio.create_task(adapter.serve(engine))
    await adapter.receiving.wait()
    texts = [f"Pregunta 1: nuestra experiencia municipal, mensaje {n}." for n in range(messages)]
    try:
        await engine.drain()  # the round's questions posted to everyone first
        await adapter.idle()
        before = {user.id: len(api.to(user.id)) for user in users}
        sessions.down = True
        started = time.perf_counter()
        deliveries = []
        for n, text in enumerate(texts):
            await asyncio.sleep(max(0.0, started + n * outage / messages - time.perf_counter()))
            deliveries.append(asyncio.ensure_future(users[n % people].says(text, timeout=outage + 120)))
        await asyncio.sleep(max(0.0, started + outage - time.perf_counter()))
        sessions.down = False
        back = time.perf_counter()
        await asyncio.wait_for(asyncio.gather(*deliveries), 120)
        await asyncio.wait_for(adapter.idle(), 120)
        caught_up = time.perf_counter() - back
    finally:
        serving.cancel()
        await asyncio.gather(serving, return_exceptions=True)
        await api.stop()
        await engine.drain()
        await nowhere.dispose()
    stored = [text for (text,) in await stored_contributions(engine.sessions, Contribution.text)]
    distinct = set(stored)
    await database.dispose()
    replies = [text for user in users for text in api.texts(user.id)[before[user.id] :]]
    acknowledged = sum(1 for text in replies if "1.1" in text)
    unstored = sum(1 for text in texts if text.split(": ", 1)[1] not in distinct)
    print(f"{messages} answers from {people} people over a {outage:g} s database outage")
    print(f"stored once the database was back: {len(distinct)} ({len(stored) - len(distinct)} twice)")
    print(f"acknowledged: {acknowledged}; other replies (something went wrong, send it again): {len(replies) - acknowledged}")
    print(f"every update stored and answered {caught_up:.1f} s after the database came back")
    print(f"messages to send again (target 0): {unstored}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--outage", type=float, default=40)
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--people", type=int, default=30)
    args = parser.parse_args()
    asyncio.run(main(args.outage, args.messages, args.people))
