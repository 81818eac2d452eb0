"""The scheduler: an APScheduler 3 `AsyncIOScheduler` on the running event
loop, its jobs stored in the project's database.

There is one stored job per discussion and moment at which something happens
(a round opens or closes, reminders are due), named `d<id>@<UTC time>`. Jobs
are thin: each calls `schedules.timetable.advance` with the time it runs at, and the
database decides what that does, so a job that runs late, twice, or for a date
that has since changed does the right thing or nothing.

The jobs mirror the database: they are planned at start, after every job, and
every few seconds (`replan_every`), when a housekeeping pass also does
whatever is due (so a round extended from a chat or the command line, a
resumed discussion, or a participant who changes time zone is followed). At
start, what fell due while the process was down is done once if that was
within the grace period, and skipped and logged otherwise.

The job store is APScheduler's synchronous `SQLAlchemyJobStore`; its URL is
the project's, with a synchronous driver: `sqlite+aiosqlite` → `sqlite`,
`postgresql+asyncpg` → `postgresql+psycopg` (psycopg 3).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable

from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import Engine as SyncEngine
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.discussion import store
from bot.i18n import reading_in
from bot.ports import Outbox
from bot.storage.models import Discussion
from schedules import jobs, timetable
from schedules.wrapups import post_missing_wrap_ups

log = logging.getLogger(__name__)

SYNC_DRIVERS = {"sqlite": "sqlite", "postgresql": "postgresql+psycopg"}
JOB_TABLE = "apscheduler_jobs"
ASYNCPG_ONLY_OPTIONS = ("prepared_statement_cache_size", "prepared_statement_name_func", "statement_cache_size")
RETRY_AFTER_STORE_ERROR = 5.0  # seconds
# The job store is synchronous, on the event loop's thread: waiting long for
# SQLite's write lock would freeze the bot; better fail, and try again soon.
SQLITE_STORE_TIMEOUT = 5


class SteadyScheduler(AsyncIOScheduler):
    """An `AsyncIOScheduler` that outlives a job store error. APScheduler
    updates a stored job after running it without catching errors there; one
    ("database is locked") would leave its timer unset, and nothing would ever
    run again."""

    def _process_jobs(self) -> float | None:
        try:
            return super()._process_jobs()
        except Exception:
            log.exception("the scheduler could not update its stored jobs; it looks again in %.0f s", RETRY_AFTER_STORE_ERROR)
            return RETRY_AFTER_STORE_ERROR


def sync_url(url: URL) -> URL:
    """The project's database URL with the synchronous driver the job store
    needs, and asyncpg's own options in psycopg's words (`ssl` is `sslmode`;
    statement cache sizes mean nothing to it)."""
    backend = url.get_backend_name()
    if backend not in SYNC_DRIVERS:
        raise ValueError(f"the scheduler cannot store its jobs in a {backend} database")
    query = dict(url.query)
    if url.get_driver_name() == "asyncpg":
        if "ssl" in query:
            query["sslmode"] = query.pop("ssl")
        for option in ASYNCPG_ONLY_OPTIONS:
            query.pop(option, None)
    return url.set(drivername=SYNC_DRIVERS[backend], query=query)


async def job_store_engine(database: AsyncEngine) -> tuple[SyncEngine, str | None]:
    """A synchronous engine on the same database, and the schema the project's tables are in."""
    url = sync_url(database.url)
    if url.get_backend_name() == "sqlite":
        return create_engine(url, connect_args={"timeout": SQLITE_STORE_TIMEOUT}), None
    async with database.connect() as connection:
        schema = await connection.scalar(text("select current_schema()"))
    return create_engine(url, pool_pre_ping=True), schema


def job_id(discussion_id: int, at: dt.datetime) -> str:
    return f"d{discussion_id}@{at.astimezone(dt.UTC):%Y-%m-%dT%H:%M:%SZ}"


def job_name(slug: str, moments: list[timetable.Moment]) -> str:
    parts = []
    for moment in moments:
        part = (
            f"{moment.action.value} round {moment.round_number}"
            if moment.action != timetable.Action.remind
            else f"reminders round {moment.round_number}"
        )
        if part not in parts:
            parts.append(part)
    return f"{slug}: {', '.join(parts)}"


def _discussion_of(job_id_: str) -> int | None:
    """The discussion a stored job is for (see `job_id`)."""
    head, _at, _rest = job_id_.partition("@")
    return int(head[1:]) if head.startswith("d") and head[1:].isdigit() else None


def _jobs_of(
    discussion_id: int, slug: str, plan: timetable.Plan, now: dt.datetime, grace: dt.timedelta
) -> dict[str, tuple[dt.datetime, int, str]]:
    """The stored jobs a discussion's plan wants: one per moment, not passed longer than `grace` ago."""
    by_moment: dict[dt.datetime, list[timetable.Moment]] = {}
    for moment in plan.moments:
        if now - moment.at <= grace:
            by_moment.setdefault(moment.at, []).append(moment)
    return {job_id(discussion_id, at): (at, discussion_id, job_name(slug, moments)) for at, moments in by_moment.items()}


class Scheduler:
    def __init__(
        self,
        outbox: Outbox,
        database: AsyncEngine,
        grace: dt.timedelta = timetable.DEFAULT_GRACE,
        replan_every: dt.timedelta = dt.timedelta(seconds=15),
    ):
        self.outbox = outbox
        self.database = database
        self.grace = grace
        self.replan_every = replan_every
        self._lock = asyncio.Lock()  # one advance, wrap-up posting or planning at a time
        self._store_engine: SyncEngine | None = None
        self._apscheduler: AsyncIOScheduler | None = None

    @property
    def clock(self) -> Callable[[], dt.datetime]:
        return self.outbox.clock

    async def start(self) -> None:
        self._store_engine, schema = await job_store_engine(self.database)
        self._apscheduler = SteadyScheduler(
            jobstores={
                "default": SQLAlchemyJobStore(engine=self._store_engine, tablename=JOB_TABLE, tableschema=schema),
                "memory": MemoryJobStore(),
            },
            job_defaults={"misfire_grace_time": int(self.grace.total_seconds()), "coalesce": True, "max_instances": 1},
            timezone=dt.UTC,
        )
        jobs.register(self)
        self._apscheduler.start(paused=True)
        await self.replan(starting=True)
        # First run at once: what fell due while the process was down, within
        # the grace period, is done now (once: the database says what is done).
        self._apscheduler.add_job(
            self.housekeeping,
            "interval",
            seconds=self.replan_every.total_seconds(),
            id="housekeeping",
            jobstore="memory",
            next_run_time=dt.datetime.now(dt.UTC),
        )
        self._apscheduler.resume()

    async def stop(self) -> None:
        async with self._lock:  # let a running job finish
            if self._apscheduler is not None and self._apscheduler.running:
                self._apscheduler.shutdown(wait=False)
                await asyncio.sleep(0)  # AsyncIOScheduler shuts down in a loop callback
        jobs.register(None)
        if self._store_engine is not None:
            self._store_engine.dispose()

    async def advance(self, discussion_id: int) -> None:
        """What a stored job does."""
        async with self._lock:
            await self._pass([discussion_id], act=True)

    async def housekeeping(self) -> None:
        """Every few seconds, for every discussion: do what is due (a round
        extended from a chat by a few seconds, a discussion resumed, a send that
        failed and can be retried within the grace period), post the wrap-ups of
        rounds closed by hand, and follow date changes made elsewhere."""
        async with self._lock:
            await self._pass(None, act=True)

    async def replan(self, starting: bool = False) -> None:
        async with self._lock:
            await self._pass(None, act=False, starting=starting)

    async def _pass(self, only: list[int] | None, act: bool, starting: bool = False) -> None:
        """For each discussion (`only` these, else all), one state read and one
        plan worked out: what is due in it is done (`act`), and the stored jobs
        are brought in line with it: one job per moment something is planned;
        stored jobs nothing is planned for any more are removed. The plan is
        the one read before acting: what acting removes from it (a round closed
        early) leaves a job that finds nothing to do, removed at the next pass.
        At start, stored jobs whose time passed within the grace period are
        kept (APScheduler runs them once); anything missed by longer is logged
        as skipped."""
        now = self.clock()
        wanted: dict[str, tuple[dt.datetime, int, str]] = {}
        kept: set[int] = set()  # the discussions whose stored jobs stay as they are: not planned now
        try:
            async with self.outbox.sessions() as session:
                discussions = [(d.id, d.slug, d.timezone) for d in await store.list_discussions(session)]
            kept = {discussion_id for discussion_id, _slug, _zone in discussions}
            for discussion_id, slug, zone in discussions:
                if only is not None and discussion_id not in only:
                    continue
                try:
                    async with self.outbox.sessions() as session:
                        discussion = await session.get(Discussion, discussion_id)
                        if discussion is None:
                            continue
                        plan = await timetable.planned(session, discussion, self.outbox.platform_names, now, self.grace)
                    kept.discard(discussion_id)
                    wanted |= _jobs_of(discussion_id, slug, plan, now, self.grace)
                    if starting:
                        self._report_missed(slug, zone, [e for m in plan.missed(now, self.grace) for e in m.events()])
                    if act:
                        done = await timetable.advance(self.outbox, discussion_id, now, self.grace, plan)
                        for event in done:
                            if event.action != timetable.Action.remind:
                                log.info("discussion %s: %s round %s done", discussion_id, event.action.value, event.round_number)
                        if reminded := sum(event.action == timetable.Action.remind for event in done):
                            log.info("discussion %s: %d reminders sent", discussion_id, reminded)
                except Exception:  # one discussion's failure must not stop the others'
                    log.exception("discussion %s: what was due could not all be done; tried again shortly", discussion_id)
            if act and only is None:
                await post_missing_wrap_ups(self.outbox, self.clock())
        finally:
            await asyncio.to_thread(self._store_jobs, wanted, now, starting, kept)

    def _store_jobs(self, wanted: dict[str, tuple[dt.datetime, int, str]], now: dt.datetime, starting: bool, kept: set[int]) -> None:
        """Runs in a thread: the job store is synchronous. The stored jobs of
        the discussions `kept` stay (not planned in this pass, or their plan
        could not be read); those of a discussion that is gone are removed."""
        assert self._apscheduler is not None
        stored = {job.id: job for job in self._apscheduler.get_jobs(jobstore="default")}
        for id_, job in stored.items():
            if id_ not in wanted and _discussion_of(id_) not in kept:
                self._apscheduler.remove_job(id_, jobstore="default")
            elif starting and job.misfire_grace_time != int(self.grace.total_seconds()):
                self._apscheduler.modify_job(id_, jobstore="default", misfire_grace_time=int(self.grace.total_seconds()))
        for id_, (at, discussion_id, name) in wanted.items():
            if id_ not in stored and at > now:
                self._apscheduler.add_job(
                    jobs.advance, "date", run_date=at, args=[discussion_id], id=id_, name=name, jobstore="default", replace_existing=True
                )

    def _report_missed(self, slug: str, zone: str, missed: list[timetable.Event]) -> None:
        if not missed:
            return
        with reading_in("en"):
            lines = timetable.describe(missed, zone, also_utc=True)
        if len(lines) == 1:
            log.warning("%s: skipped, missed by more than the grace period (%s): %s", slug, self.grace, lines[0])
            return
        # A discussion whose dates are past (the example) is one line, not one a round; -v gives each.
        log.warning(
            "%s: %d events skipped, missed by more than the grace period (%s); the last: %s", slug, len(lines), self.grace, lines[-1]
        )
        for line in lines:
            log.info("%s: skipped: %s", slug, line)

    def planned_jobs(self) -> list[tuple[str, dt.datetime]]:
        """The stored jobs, as (id, next run time): what `facilitator run` will do next."""
        assert self._apscheduler is not None
        return [(job.id, job.next_run_time) for job in self._apscheduler.get_jobs(jobstore="default")]
