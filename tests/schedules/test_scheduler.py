"""The real scheduler: APScheduler with its job store in the project's
database (SQLite, and the real PostgreSQL server), restarts with jobs missed
inside and outside the grace period, and a changed file rescheduled.

APScheduler keeps real time; the engine's clock is set relative to it, so a
restart "90 minutes later" is a second scheduler whose engine clock is 90
minutes ahead. Nothing here waits for a timer: the tests call the
housekeeping pass that `start` also schedules at once, and check what the
database and the platform show."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from bot.discussion import store
from bot.discussion.spec import parse_discussion
from bot.storage.database import session_factory
from bot.storage.models import RoundStatus, WrapUp
from facilitator.assembly import make_engine
from schedules.scheduler import JOB_TABLE, Scheduler, job_id, sync_url
from tests.helpers import join

UTC = dt.UTC
MINUTES = dt.timedelta(minutes=1)


def spec_around(now: dt.datetime, first_closes_in: dt.timedelta, second_lasts: dt.timedelta = dt.timedelta(days=7)):
    """Two rounds: the first opened a day ago, the second follows it."""
    first_closes = now + first_closes_in
    return parse_discussion(
        {
            "id": "live",
            "languages": ["en"],
            "timezone": "Europe/Brussels",
            "title": {"en": "Live"},
            "invitation": {"en": "Welcome."},
            "reminders": ["PT4H"],
            "rounds": [
                {
                    "opens": (now - dt.timedelta(days=1)).isoformat(),
                    "closes": first_closes.isoformat(),
                    "questions": [{"id": "1", "text": {"en": "One?"}}],
                },
                {
                    "opens": first_closes.isoformat(),
                    "closes": (first_closes + second_lasts).isoformat(),
                    "questions": [{"id": "2", "text": {"en": "Two?"}}],
                },
            ],
        },
        "live.yaml",
    )


class Process:
    """One run of the bot: an engine whose clock is `ahead` of real time, and its scheduler."""

    def __init__(self, database, platform, ahead=dt.timedelta(0), grace=dt.timedelta(hours=1)):
        self.engine = make_engine(session_factory(database), [platform], clock=lambda: dt.datetime.now(UTC) + ahead)
        self.scheduler = Scheduler(self.engine, database, grace=grace)

    async def __aenter__(self):
        await self.scheduler.start()
        await self.scheduler.housekeeping()  # the pass `start` schedules at once; done here to know it ran
        await self.engine.drain()
        return self

    async def __aexit__(self, *exc):
        await self.scheduler.stop()
        await self.engine.drain()


async def statuses(engine):
    async with engine.sessions() as session:
        discussion = await store.find_discussion(session, "live")
        return [r.status for r in await store.rounds_of(session, discussion)]


async def stored_jobs(database) -> list[str]:
    async with database.connect() as connection:
        return sorted(await connection.scalars(text(f"select id from {JOB_TABLE}")))


async def started_discussion(database, platform, user, spec):
    """The discussion as a previous run left it: round 1 open, Marie subscribed."""
    engine = make_engine(session_factory(database), [platform])
    discussion = await engine.load(spec)
    async with engine.sessions() as session:
        round_1 = await store.round_by_number(session, await store.find_discussion(session, "live"), 1)
        round_1.status, round_1.opened_at = RoundStatus.open, round_1.opens_at
        await session.commit()
    marie = await join(engine, user, "marie", "en", chosen_language="en", role="local_authority")
    await engine.drain()
    return discussion, marie


def test_the_job_store_uses_a_synchronous_driver():
    assert sync_url(make_url("sqlite+aiosqlite:////tmp/x.db")).drivername == "sqlite"
    assert sync_url(make_url("postgresql+asyncpg://u:secret@h/db")).drivername == "postgresql+psycopg"
    assert sync_url(make_url("postgresql+asyncpg://u:secret@h/db")).password == "secret"
    # asyncpg's options, as deployments write them, in psycopg's words.
    options = sync_url(make_url("postgresql+asyncpg://u@h/db?ssl=require&prepared_statement_cache_size=0")).query
    assert dict(options) == {"sslmode": "require"}


async def test_jobs_are_stored_in_the_database_and_a_restart_within_grace_runs_them_once(database, platform, user):
    now = dt.datetime.now(UTC).replace(microsecond=0)
    discussion, marie = await started_discussion(database, platform, user, spec_around(now, first_closes_in=30 * MINUTES))
    async with Process(database, platform) as first:
        assert await statuses(first.engine) == [RoundStatus.open, RoundStatus.scheduled]
        jobs = await stored_jobs(database)
        assert job_id(discussion.id, now + 30 * MINUTES) in jobs, "round 1 closes, round 2 opens"
    assert job_id(discussion.id, now + 30 * MINUTES) in await stored_jobs(database), "the store outlives the process"

    # The process was down; it starts again 75 minutes later: the closing and
    # opening of 45 minutes ago are within the grace period of an hour.
    platform.clear()
    async with Process(database, platform, ahead=75 * MINUTES) as restarted:
        assert await statuses(restarted.engine) == [RoundStatus.closed, RoundStatus.open]
    wrap_up, question = platform.texts(marie.dm)
    assert "Round 1 is closed" in wrap_up and "Two?" in question

    # Started once more: nothing runs twice.
    async with Process(database, platform, ahead=80 * MINUTES):
        pass
    assert len(platform.texts(marie.dm)) == 2
    async with make_engine(session_factory(database)).sessions() as session:
        assert await session.scalar(select(func.count(WrapUp.id))) == 1


async def test_a_restart_after_the_grace_period_skips_and_logs(database, platform, user, caplog):
    now = dt.datetime.now(UTC).replace(microsecond=0)
    await started_discussion(database, platform, user, spec_around(now, first_closes_in=30 * MINUTES))
    async with Process(database, platform):
        pass
    platform.clear()
    with caplog.at_level(logging.WARNING, logger="schedules.scheduler"):
        async with Process(database, platform, ahead=150 * MINUTES) as late:
            assert await statuses(late.engine) == [RoundStatus.open, RoundStatus.scheduled], "two hours late: skipped"
    assert platform.sent == []
    skipped = [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()]
    assert any("round 2 opens" in line for line in skipped) and any("round 1 closes" in line for line in skipped)


async def test_a_changed_file_is_rescheduled_at_restart(database, platform, user):
    now = dt.datetime.now(UTC).replace(microsecond=0)
    spec = spec_around(now, first_closes_in=dt.timedelta(days=2))
    discussion, _marie = await started_discussion(database, platform, user, spec)
    async with Process(database, platform):
        pass
    old = job_id(discussion.id, now + dt.timedelta(days=2))
    assert old in await stored_jobs(database)

    changed = spec_around(now, first_closes_in=dt.timedelta(days=3))
    async with Process(database, platform) as restarted:
        await restarted.engine.load(changed)
        await restarted.scheduler.replan()
    jobs = await stored_jobs(database)
    assert old not in jobs and job_id(discussion.id, now + dt.timedelta(days=3)) in jobs


async def test_a_past_discussion_opens_nothing_and_leaves_the_job_store_empty(database, platform, example):
    await make_engine(session_factory(database), [platform]).load(example)
    async with Process(database, platform) as process, process.engine.sessions() as session:
        discussion = await store.find_discussion(session)
        assert [r.status for r in await store.rounds_of(session, discussion)] == [RoundStatus.scheduled] * 4
    assert await stored_jobs(database) == []
    assert platform.sent == []


async def test_a_job_store_error_does_not_stop_the_scheduler_for_good():
    """APScheduler updates a job after running it without catching errors: a
    locked SQLite database then would leave the scheduler without a timer."""
    from apscheduler.jobstores.memory import MemoryJobStore
    from sqlalchemy.exc import OperationalError

    from schedules.scheduler import RETRY_AFTER_STORE_ERROR, SteadyScheduler

    class LockedStore(MemoryJobStore):
        def update_job(self, job):
            raise OperationalError("UPDATE apscheduler_jobs", {}, Exception("database is locked"))

    scheduler = SteadyScheduler(jobstores={"default": LockedStore()}, timezone=UTC)
    scheduler.start()
    try:
        scheduler.add_job(int, "interval", seconds=60, next_run_time=dt.datetime.now(UTC) - MINUTES)
        assert scheduler._process_jobs() == RETRY_AFTER_STORE_ERROR, "it looks again shortly"
    finally:
        scheduler.shutdown(wait=False)


async def test_a_job_of_one_discussion_leaves_the_other_discussions_jobs(database, platform, user):
    now = dt.datetime.now(UTC).replace(microsecond=0)
    live, _marie = await started_discussion(database, platform, user, spec_around(now, first_closes_in=30 * MINUTES))
    other = dataclasses.replace(spec_around(now, first_closes_in=50 * MINUTES), slug="other")
    async with Process(database, platform) as process:
        other_id = (await process.engine.load(other)).id
        await process.scheduler.replan()
        assert job_id(other_id, now + 50 * MINUTES) in await stored_jobs(database)
        await process.scheduler.advance(live.id)  # what the live discussion's job does when it runs
        jobs = await stored_jobs(database)
        assert job_id(live.id, now + 30 * MINUTES) in jobs and job_id(other_id, now + 50 * MINUTES) in jobs
