"""A person's reply time on Telegram while another chat floods: the real
adapter (python-telegram-bot, real HTTP, long polling) against the fake Bot
API server, the engine on a SQLite file. The fake server and the people
sending run in a process of their own, as Telegram is not in the bot's.

    python bench/bench_telegram_fairness.py [--flood 1000] [--samples 5] [--speed 20] [--rate 200]

One participant sends `--flood` answers: all at the server at once, or, with
`--rate`, that many a second (as a real flood comes), the other chat's
messages arriving between them. Meanwhile another sends one answer at a time
(during a flood at its middle), and the time from its arrival at the server
to the bot's acknowledgement is measured. Quiet samples (nobody flooding) and
flood samples alternate in one run. Telegram's limits are scaled `--speed` times
up (the flooder's own replies, one a second per private chat, would take
`--flood` seconds otherwise); the figure is the median flood reply time over
the median quiet one: target at most 2.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.telegram import Limits, TelegramChat
from bot.discussion import store
from bot.discussion.spec import example_discussion_path, load_discussion
from bot.ports import Secret
from bot.storage.database import create_engine, migrate, session_factory
from facilitator.assembly import make_engine
from schedules import rounds
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import add_subscriber

TOKEN = "6234567890:AAHbenchmarkTokenNeverLogged000000"
NOW = dt.datetime(2013, 7, 8, 10, 0, tzinfo=dt.UTC)
FLOODER, QUIET = 7_000_000_001, 7_000_000_002


async def subscribe(engine, chat_ids: list[int], language: str = "en") -> None:
    """Each chat a participant in `language`, past onboarding, and round 1 open."""
    async with engine.sessions() as session:
        discussion = await store.find_discussion(session)
        for number, chat_id in enumerate(chat_ids, 1):
            await add_subscriber(session, discussion, "telegram", str(chat_id), NOW, display_name=f"P{number}", language=language)
        await rounds.open_round(session, discussion, await store.round_by_number(session, discussion, 1), NOW)
        await session.commit()


async def reply_time(api: FakeTelegram, person, text: str) -> float:
    """From the message's arrival at the server to the bot's answer there."""
    before = len(api.to(person.id))
    started = time.perf_counter()
    saying = asyncio.ensure_future(person.says(text))
    await api.wait_sent_to(person.id, before + 1)
    await saying
    return api.to(person.id)[before].at - started


async def flood(api: FakeTelegram, person, count: int, rate: float | None) -> None:
    """`count` answers from one person: all at the server at once, or `rate` a second."""
    started = time.perf_counter()
    sent = 0
    while sent < count:
        due = count if rate is None else min(count, int((time.perf_counter() - started) * rate) + 1)
        for n in range(sent, due):
            update = person._message("private_reply_to_question", None, text=f"Q1: flood answer number {n} about twinning.")
            update["update_id"] = next(api._update_ids)
            api._pending.append(update)
        sent = due
        async with api._arrived:
            api._arrived.notify_all()
        if sent < count:
            await asyncio.sleep(0.005)


async def answered(api: FakeTelegram, person, count: int) -> None:
    """Until the bot has sent `count` messages to the person, and then nothing for a second."""
    await api.wait_sent_to(person.id, count, timeout=600)
    while True:
        seen = len(api.to(person.id))
        await asyncio.sleep(1)
        if len(api.to(person.id)) == seen:
            return


async def people(count: int, samples: int, rate: float | None) -> None:
    """The Bot API's side, in a process of its own (Telegram is not in the
    bot's process either): the fake server, the flooder and the person timed.
    Its address goes out on stdout first, the figures last."""
    api = await FakeTelegram(TOKEN).start()
    print(api.base_url, flush=True)
    flooder, quiet = api.private_user(FLOODER, "Flo", "en"), api.private_user(QUIET, "Quinn", "en")
    quiet_times, flood_times = [], []
    try:
        await reply_time(api, quiet, "Q2: a first answer, to warm up.")
        for sample in range(samples):
            quiet_times.append(await reply_time(api, quiet, f"Q2: a quiet answer, number {sample}."))
            before = len(api.to(FLOODER))
            flooding = asyncio.ensure_future(flood(api, flooder, count, rate))
            await asyncio.sleep(0.2 if rate is None else count / rate / 2)  # the flood is being handled, or halfway in
            flood_times.append(await reply_time(api, quiet, f"Q3: an answer during the flood, number {sample}."))
            await flooding
            await answered(api, flooder, before + count)  # the flood handled, its replies sent, before the next quiet sample
        print(json.dumps([quiet_times, flood_times]), flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until the bot has stopped
    finally:
        await api.stop()


async def bot(base_url: str, speed: float, until: Awaitable[object]) -> None:
    """The bot, on a SQLite file, until `until` is done."""
    folder = tempfile.mkdtemp()
    database = create_engine(f"sqlite+aiosqlite:///{folder}/bench.db")
    await migrate(database)
    engine = make_engine(session_factory(database), clock=lambda: NOW)
    await engine.load(load_discussion(example_discussion_path()))
    await subscribe(engine, [FLOODER, QUIET])
    adapter = TelegramChat(Secret(TOKEN), base_url, limits=Limits().scaled(speed), poll_timeout=1)
    engine.attach(adapter)
    serving = asyncio.create_task(adapter.serve(engine))
    try:
        await until
    finally:
        serving.cancel()
        await asyncio.gather(serving, return_exceptions=True)
        await database.dispose()


async def main(count: int, samples: int, speed: float, rate: float | None) -> None:
    options = [f"--flood={count}", f"--samples={samples}", *([f"--rate={rate}"] if rate else [])]
    child = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--people", *options, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
    )
    assert child.stdin is not None and child.stdout is not None
    base_url = (await child.stdout.readline()).decode().strip()
    figures = asyncio.ensure_future(child.stdout.readline())
    await bot(base_url, speed, figures)
    child.stdin.close()
    if await child.wait() or not figures.result():
        raise SystemExit(f"the Bot API's side failed ({child.returncode})")
    quiet_times, flood_times = json.loads(figures.result())
    quiet_median, flood_median = statistics.median(quiet_times), statistics.median(flood_times)
    arriving = "all at the server at once" if rate is None else f"arriving {rate:g} a second"
    print(f"{count} answers flooding from one chat, {arriving}, Telegram's limits ×{speed:g}, {samples} samples each, interleaved")
    for label, times in (("quiet:       ", quiet_times), ("during flood:", flood_times)):
        low, middle, high = (1000 * f(times) for f in (min, statistics.median, max))
        print(f"reply time, {label} min/median/max {low:7.1f} / {middle:7.1f} / {high:7.1f} ms")
    print(f"ratio (target at most 2): {flood_median / quiet_median:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flood", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--speed", type=float, default=20)
    parser.add_argument("--rate", type=float, default=None, help="flood answers a second (default: all at once)")
    parser.add_argument("--people", action="store_true", help=argparse.SUPPRESS)  # the Bot API's side, started by main
    args = parser.parse_args()
    if args.people:
        asyncio.run(people(args.flood, args.samples, args.rate))
    else:
        asyncio.run(main(args.flood, args.samples, args.speed, args.rate))
