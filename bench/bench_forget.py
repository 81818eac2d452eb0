"""/forget in a large discussion: how long it takes, how long it holds up the event loop at
most (the bot's other chats wait that long), and its peak memory.

    python bench/bench_forget.py [--contributions 100000] [--runs 3] [--keep DIR]

On the report bench's database (the example discussion, 5,000 participants, three languages),
a named participant is forgotten and the transaction rolled back, each run in a fresh child
process; a task beside it sleeps 5 ms at a time and records the longest it waited beyond that.
Every other message of the discussion is tested for the forgotten name, so the work grows with
the discussion: it is read and tested a batch at a time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import bench_reports
from bot.privacy.personal_data import forget_participant
from bot.storage.database import create_engine, session_factory
from bot.storage.models import Participant

TICK = 0.005  # seconds the watching task sleeps between looks


async def measure(path: Path) -> dict:
    """In the child: one participant forgotten, then rolled back."""
    longest, done = 0.0, asyncio.Event()

    async def watch() -> None:
        nonlocal longest
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(TICK)
            now = time.perf_counter()
            longest, last = max(longest, now - last - TICK), now

    database = create_engine(f"sqlite+aiosqlite:///{path}")
    async with session_factory(database)() as session:
        person = await session.scalar(select(Participant).where(Participant.name.is_not(None)).order_by(Participant.id).limit(1))
        assert person is not None
        watcher = asyncio.create_task(watch())
        start = time.perf_counter()
        await forget_participant(session, person)
        seconds = time.perf_counter() - start
        done.set()
        await watcher
        await session.rollback()
    await database.dispose()
    return {"seconds": seconds, "held_ms": longest * 1000, "maxrss_mb": bench_reports.maxrss_mb()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contributions", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="keep the database in this directory")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # child processes: the database
    args = parser.parse_args()
    if args.measure is not None:
        print(json.dumps(asyncio.run(measure(args.measure))))
        return
    with tempfile.TemporaryDirectory() as scratch:
        path = bench_reports.databases([args.contributions], args.keep or Path(scratch), "reports")[args.contributions]
        runs = [
            json.loads(
                subprocess.run([sys.executable, __file__, "--measure", str(path)], check=True, capture_output=True, text=True).stdout
            )
            for _run in range(args.runs)
        ]
    spread = bench_reports.spread
    print(f"/forget at {args.contributions:,} contributions, {args.runs} runs, min / median / max:")
    print(f"  {spread([run['seconds'] for run in runs], 2)} s; the loop held up {spread([run['held_ms'] for run in runs], 0)} ms at most")
    print(f"  peak {spread([run['maxrss_mb'] for run in runs], 0)} MB")


if __name__ == "__main__":
    main()
