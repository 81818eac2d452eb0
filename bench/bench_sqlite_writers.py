"""Writers of one process on one SQLite file: SQLite's busy handler alone,
beside writers taking turns in the event loop (`bot/storage/sqlite_turns.py`).

    python bench/bench_sqlite_writers.py [--writers 50] [--held 0.005] [--runs 5]

`--writers` tasks start at once; each inserts a row, keeps its transaction
open `--held` seconds (the awaits of a real transaction: a flush, a read, the
next statement's hop to the driver's thread) and commits. The figure is the
time until all have committed, over the least it can take (`writers × held`,
one writer at a time). The two engines' runs alternate, on files of their own.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.storage.database import create_engine


async def all_written(engine: AsyncEngine, writers: int, held: float) -> float:
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE IF NOT EXISTS notes (number INTEGER)"))

    async def write(number: int) -> None:
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO notes VALUES (:number)"), {"number": number})
            await asyncio.sleep(held)

    started = time.perf_counter()
    await asyncio.gather(*(write(number) for number in range(writers)))
    return time.perf_counter() - started


async def main(writers: int, held: float, runs: int) -> None:
    folder = Path(tempfile.mkdtemp())
    engines = {
        "busy handler alone": create_async_engine(f"sqlite+aiosqlite:///{folder / 'alone.db'}", connect_args={"timeout": 30}),
        "taking turns": create_engine(f"sqlite+aiosqlite:///{folder / 'turns.db'}"),
    }
    times: dict[str, list[float]] = {name: [] for name in engines}
    try:
        for _ in range(runs):
            for name, engine in engines.items():
                times[name].append(await all_written(engine, writers, held))
    finally:
        for engine in engines.values():
            await engine.dispose()
    least = writers * held
    print(f"{writers} writers at once, each holding its transaction {1000 * held:g} ms, {runs} runs interleaved")
    for name, measured in times.items():
        low, middle, high = (f(measured) / least for f in (min, statistics.median, max))
        print(f"{name:20s} over the least: min/median/max {low:.2f} / {middle:.2f} / {high:.2f}")
    alone, turns = (statistics.median(measured) for measured in times.values())
    print(f"taking turns is {alone / turns:.2f}× as fast")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writers", type=int, default=50)
    parser.add_argument("--held", type=float, default=0.005)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.writers, args.held, args.runs))
