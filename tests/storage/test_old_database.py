"""A database made before the layout move (commit b34b3fe, `facilitator run
--organiser --rehearse P1D` in the console on 2026-12-01 at 14:13 UTC) still
opens, upgrades and runs: its stored jobs name `schedules.jobs:advance`, its
participant goes on answering, and its contributions are in the exports.

The file holds one participant (Amina Diallo, console), round 1 open, two
answers filed (1.1 in English, 1.3 in Spanish), one waiting for its question
after a "which question?", and the four jobs that open the next rounds."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

from alembic.script import ScriptDirectory
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import text

from bot.discussion import store
from bot.ports import ChatKind, ChatRef, IncomingMessage, Person
from bot.reports.data import gather
from bot.reports.export import report_bytes
from bot.storage.database import alembic_config, create_engine, migrate, session_factory
from facilitator.assembly import make_engine
from schedules import jobs
from schedules.scheduler import JOB_TABLE, Scheduler
from tests.fakes.memory_platform import MemoryPlatform

BEFORE_LAYOUT = Path(__file__).parent / "data" / "before_layout.db"
SLUG = "m4d-2013-rehearsal"
MADE_AT = dt.datetime(2026, 12, 1, 14, 13, tzinfo=dt.UTC)
CONSOLE_CHAT = ChatRef("console", "console", ChatKind.private)
AMINA = Person("console", "local", "Amina Diallo", "en")


async def test_a_database_made_before_the_layout_move_opens_upgrades_and_runs(tmp_path):
    copy = tmp_path / "facilitator.db"
    shutil.copyfile(BEFORE_LAYOUT, copy)
    url = f"sqlite+aiosqlite:///{copy}"

    # Its stored jobs load from their import path, before anything else runs.
    store_engine = create_sync_engine(f"sqlite:///{copy}")
    stored = SQLAlchemyJobStore(engine=store_engine, tablename=JOB_TABLE).get_all_jobs()
    store_engine.dispose()
    assert len(stored) == 4 and {job.func for job in stored} == {jobs.advance}

    database = create_engine(url)
    try:
        await migrate(database)
        async with database.connect() as connection:
            head = await connection.scalar(text("select version_num from alembic_version"))
        assert head == ScriptDirectory.from_config(alembic_config()).get_current_head()

        now = MADE_AT + dt.timedelta(minutes=10)
        console = MemoryPlatform(name="console")
        engine = make_engine(session_factory(database), [console], clock=lambda: now)
        scheduler = Scheduler(engine, database)
        await scheduler.start()
        try:
            planned = {job_id for job_id, _at in scheduler.planned_jobs()}
        finally:
            await scheduler.stop()
        assert planned == {job.id for job in stored}, "the old jobs are kept, none doubled"

        # The participant picks the question of the answer the bot asked about
        # before the move ("[1] 1.1"), then writes a new one.
        await engine.handle_message(IncomingMessage(CONSOLE_CHAT, AMINA, "new-1", "1"))
        await engine.handle_message(IncomingMessage(CONSOLE_CHAT, AMINA, "new-2", "Q2: a joint committee with the diaspora"))
        await engine.drain()
        filed_old, filed_new = console.texts("console")
        assert "1.1" in filed_old and "1.2" in filed_new

        async with engine.sessions() as session:
            discussion = await store.find_discussion(session, SLUG)
            exported = json.loads(report_bytes(await gather(session, discussion, now), "json", "en"))
        texts = json.dumps(exported, ensure_ascii=False)
        for written in (
            "twinning with migrants as experts",  # filed before the move
            "compartir lecciones aprendidas entre municipios",
            "The radio programmes for the diaspora worked well.",  # asked about before, filed after
            "a joint committee with the diaspora",  # written after
        ):
            assert written in texts
    finally:
        await database.dispose()
