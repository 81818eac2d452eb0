"""The scheduler's housekeeping pass (every 15 s in a running bot) on a
discussion with 2,000, 20,000 and 100,000 participants, idle: a round open,
nothing due. Each pass is measured for the CPU it takes (this process, every
thread: aiosqlite's and the job store's included) and for the longest stall
of the event loop meanwhile (a ticker task's lateness). The sizes are run
interleaved, `--runs` times each, each on its own prepared SQLite database,
and min/median/max are printed, with the ratio of cost between sizes ten
times apart. Asserts nothing.

    python bench/bench_housekeeping.py [--sizes 2000,20000,100000] [--runs 3] [--round 1]

Participants: local authority staff (reminders on), one private chat each,
five time zones; a tenth answered every question of the open round, and a
fifth already had its 48-hour reminder. Every question so far is posted in
every chat, and `--round 2` closes round 1 with its wrap-ups posted. Also
measured: the CPU of one look for questions left to post (the engine's
watch made one every 3 s), and of what the watch reads every 3 s now (the
state that look depends on; the look itself only when it changes).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import itertools
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.discussion import store
from bot.discussion.spec import DiscussionSpec, example_discussion_path, load_discussion
from bot.ports import ChatKind
from bot.storage.database import create_engine, migrate, session_factory
from bot.storage.models import (
    Contribution,
    ContributionStatus,
    Delivery,
    Message,
    Participant,
    Question,
    ReminderSent,
    Role,
    RoundStatus,
    Venue,
    WrapUp,
)
from facilitator.assembly import make_engine
from schedules.scheduler import Scheduler
from tests.fakes.memory_platform import MemoryPlatform

UTC = dt.UTC
# The scheduler's timers run on the real clock: the discussion is moved to now,
# round 1 open since the day before, so nothing is due while the bench runs.
NOW = dt.datetime.now(UTC).replace(microsecond=0)
ZONES = ["Europe/Brussels", "America/Guatemala", "Africa/Dakar", "Asia/Manila", None]
BATCH = 5_000
TICK = 0.001  # seconds


def discussion_moved(current: int) -> DiscussionSpec:
    """The example, round `current` opened the day before (the rounds last a week)."""
    spec = load_discussion(example_discussion_path())
    shift = NOW - dt.timedelta(days=1) - spec.rounds[current - 1].opens_at
    moved = tuple(dataclasses.replace(r, opens_at=r.opens_at + shift, closes_at=r.closes_at + shift) for r in spec.rounds)
    return dataclasses.replace(spec, rounds=moved)


async def prepare(path: Path, count: int, current: int):
    """A database with the example discussion, round `current` open (the
    rounds before it closed, their wrap-ups and the questions of every round
    so far posted in every chat), `count` participants; and its scheduler."""
    database = create_engine(f"sqlite+aiosqlite:///{path}")
    await migrate(database)
    engine = make_engine(session_factory(database), [MemoryPlatform()], clock=lambda: NOW)
    discussion = await engine.load(discussion_moved(current))
    async with engine.sessions() as session:
        earlier = [await store.round_by_number(session, discussion, number) for number in range(1, current)]
        for closed in earlier:
            assert closed is not None
            closed.status, closed.opened_at, closed.closed_at = RoundStatus.closed, closed.opens_at, closed.closes_at
        round_1 = await store.round_by_number(session, discussion, current)
        assert round_1 is not None
        round_1.status, round_1.opened_at = RoundStatus.open, round_1.opens_at
        questions = list(await session.scalars(select(Question.id).where(Question.round_id == round_1.id, Question.position > 0)))
        posted = list(
            await session.scalars(
                select(Question.id).where(
                    Question.discussion_id == discussion.id,
                    Question.position > 0,
                    Question.round_id.in_([r.id for r in [*earlier, round_1] if r]),
                )
            )
        )
        for start in range(0, count, BATCH):
            ids = range(start + 1, min(count, start + BATCH) + 1)
            await session.execute(
                insert(Participant),
                [
                    {
                        "id": i,
                        "display_name": f"p{i}",
                        "language": "fr",
                        "role": Role.local_authority,
                        "timezone": ZONES[i % 5],
                        "created_at": NOW,
                    }
                    for i in ids
                ],
            )
            await session.execute(
                insert(Venue),
                [
                    {
                        "id": i,
                        "discussion_id": discussion.id,
                        "platform": "memory",
                        "chat_id": f"dm-{i}",
                        "kind": ChatKind.private,
                        "participant_id": i,
                        "active": True,
                        "unreachable": False,
                        "created_at": NOW,
                    }
                    for i in ids
                ],
            )
            answering = [i for i in ids if i % 10 == 0]
            await session.execute(
                insert(Message),
                [
                    {
                        "id": i,
                        "discussion_id": discussion.id,
                        "participant_id": i,
                        "platform": "memory",
                        "chat_id": f"dm-{i}",
                        "message_id": "1",
                        "text": "…",
                        "round_id": round_1.id,
                        "received_at": NOW,
                    }
                    for i in answering
                ],
            )
            await session.execute(
                insert(Contribution),
                [
                    {
                        "message_id": i,
                        "position": position,
                        "question_id": question,
                        "status": ContributionStatus.filed,
                        "text": "…",
                        "candidates": [],
                        "created_at": NOW,
                        "updated_at": NOW,
                    }
                    for i in answering
                    for position, question in enumerate(questions)
                ],
            )
            await session.execute(
                insert(Delivery),
                [
                    {"venue_id": i, "question_id": question, "message_id": f"{i}-{question}", "posted_at": NOW}
                    for i in ids
                    for question in posted
                ],
            )
            if earlier:
                await session.execute(
                    insert(WrapUp),
                    [
                        {"venue_id": i, "round_id": closed.id, "message_id": f"w{i}", "posted_at": NOW}
                        for i in ids
                        for closed in earlier
                        if closed
                    ],
                )
            await session.execute(
                insert(ReminderSent),
                [{"round_id": round_1.id, "participant_id": i, "offset_seconds": 48 * 3600, "sent_at": NOW} for i in ids if i % 5 == 1],
            )
        await session.commit()
    scheduler = Scheduler(engine, database, replan_every=dt.timedelta(days=1))
    await scheduler.start()
    assert scheduler._apscheduler is not None
    # Its first pass, run at once by APScheduler, is not one of those measured: wait until it has started.
    while scheduler._apscheduler.get_job("housekeeping", jobstore="memory").next_run_time <= dt.datetime.now(UTC):
        await asyncio.sleep(0.05)
    await scheduler.replan()  # once that first pass is over
    return database, scheduler, engine


async def measure(scheduler: Scheduler) -> tuple[float, float]:
    """One housekeeping pass: (CPU seconds, longest loop stall in seconds)."""
    stalls = [0.0]
    running = True

    async def tick() -> None:
        while running:
            before = time.perf_counter()
            await asyncio.sleep(TICK)
            stalls.append(time.perf_counter() - before - TICK)

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(TICK * 2)
    cpu = time.process_time()
    await scheduler.housekeeping()
    cpu = time.process_time() - cpu
    running = False
    await ticker
    return cpu, max(stalls)


def spread(values: list[float], unit: float = 1.0, digits: int = 0) -> str:
    return " / ".join(f"{value * unit:.{digits}f}" for value in (min(values), statistics.median(values), max(values)))


async def idle_posting_check(engine) -> float:
    """CPU seconds of one look for questions left to post (the engine's watch does one every 3 s)."""
    cpu = time.process_time()
    assert await engine.post_pending() == 0
    return time.process_time() - cpu


async def watch_tick(engine) -> float:
    """CPU seconds of what the engine's watch reads every 3 s when nothing changed."""
    cpu = time.process_time()
    await engine.posting_state()
    return time.process_time() - cpu


async def main(sizes: list[int], runs: int, current: int) -> None:
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as directory:
        prepared = {}
        for size in sizes:
            started = time.perf_counter()
            prepared[size] = await prepare(Path(directory) / f"bench-{size}.db", size, current)
            print(f"{size:,} participants prepared in {time.perf_counter() - started:.1f} s", flush=True)
        cpu: dict[int, list[float]] = {size: [] for size in sizes}
        stall: dict[int, list[float]] = {size: [] for size in sizes}
        for _run in range(runs):
            for size in sizes:  # interleaved: every size in every run
                spent, longest = await measure(prepared[size][1])
                cpu[size].append(spent)
                stall[size].append(longest)
        print(f"housekeeping pass, idle, {runs} interleaved runs; min / median / max")
        for size in sizes:
            print(f"  {size:>7,} participants: CPU {spread(cpu[size], 1000)} ms, longest loop stall {spread(stall[size], 1000)} ms")
        for small, large in itertools.pairwise(sizes):
            ratios = [b / a for a, b in zip(cpu[small], cpu[large], strict=True)]
            print(
                f"  {large // small}× participants ({small:,} → {large:,}): {min(ratios):.1f} / {statistics.median(ratios):.1f} / {max(ratios):.1f}× CPU"
            )
        posting: dict[int, list[float]] = {size: [] for size in sizes}
        ticks: dict[int, list[float]] = {size: [] for size in sizes}
        for _run in range(runs):
            for size in sizes:
                posting[size].append(await idle_posting_check(prepared[size][2]))
                ticks[size].append(await watch_tick(prepared[size][2]))
        print(f"a look for questions left to post, everything posted, {runs} interleaved runs; min / median / max")
        for size in sizes:
            print(f"  {size:>7,} chats: CPU {spread(posting[size], 1000)} ms")
        print("the watch's read every 3 s, nothing changed (the look above only when something did, or every 5 minutes)")
        for size in sizes:
            print(f"  {size:>7,} chats: CPU {spread(ticks[size], 1000, 1)} ms")
        for database, scheduler, _engine in prepared.values():
            await scheduler.stop()
            await database.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="2000,20000,100000", help="participants, comma-separated")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--round", type=int, default=1, help="the round open; the ones before closed, everything posted")
    arguments = parser.parse_args()
    asyncio.run(main([int(size) for size in arguments.sizes.split(",")], arguments.runs, arguments.round))
