"""How long the scheduler's work takes for a large discussion: planning (what
every job and the housekeeping pass do first) and sending one reminder to each
of N participants. Prints figures; asserts nothing.

    python bench/bench_schedules.py [participants]   (SQLite file in a temporary directory)
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.discussion import store
from bot.discussion.spec import example_discussion_path, load_discussion
from bot.storage.database import create_engine, migrate, session_factory
from bot.storage.models import Role, RoundStatus
from facilitator.assembly import make_engine
from schedules import timetable
from tests.fakes.memory_platform import MemoryPlatform
from tests.helpers import add_subscriber

UTC = dt.UTC
ZONES = ["Europe/Brussels", "America/Guatemala", "Africa/Dakar", "Asia/Manila", None]


async def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        database = create_engine(f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}")
        await migrate(database)
        now = dt.datetime(2013, 7, 8, 7, tzinfo=UTC)
        platform = MemoryPlatform()
        engine = make_engine(session_factory(database), [platform], clock=lambda: now)
        discussion = await engine.load(load_discussion(example_discussion_path()))
        async with engine.sessions() as session:
            for i in range(count):
                await add_subscriber(
                    session,
                    discussion,
                    "memory",
                    f"dm-{i}",
                    now,
                    display_name=f"p{i}",
                    language="fr",
                    role=Role.local_authority,
                    timezone=ZONES[i % len(ZONES)],
                )
            round_1 = await store.round_by_number(session, discussion, 1)
            round_1.status, round_1.opened_at = RoundStatus.open, now
            await session.commit()

        started = time.perf_counter()
        async with engine.sessions() as session:
            state = await timetable.load_state(session, await store.find_discussion(session), ["memory"])
        events = timetable.plan(state, now, timetable.DEFAULT_GRACE)
        planning = time.perf_counter() - started
        reminders = sorted({e.at for e in events if e.action == timetable.Action.remind and e.offset == 48 * 3600})

        started = time.perf_counter()
        for moment in reminders:
            await timetable.advance(engine, discussion.id, moment)
        sending = time.perf_counter() - started
        print(f"{count} participants, {len(events)} planned events: load + plan {planning * 1000:.0f} ms")
        print(
            f"48-hour reminders at {len(reminders)} moments: {len(platform.sent)} sent in {sending:.2f} s ({len(platform.sent) / sending:.0f}/s)"
        )
        await database.dispose()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000))
