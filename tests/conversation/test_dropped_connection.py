"""No ping before each session (a round trip per update): a pooled connection
the server closed meanwhile (a restart, an idle connection cut) is found when
the update's first query fails, and the update is handled once more on a new
connection, so the person sees their answer recorded, not an error."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.storage.models import Contribution
from tests.conftest import POSTGRES_URL
from tests.helpers import join, open_round, organiser


@pytest.mark.postgres
@pytest.mark.parametrize("database", ["postgres"], indirect=True)
async def test_an_answer_on_a_connection_the_server_closed_is_recorded_and_acknowledged_once(engine, database, user, platform):
    boss = await organiser(engine, user)
    await open_round(engine, boss)
    ana = await join(engine, user, "ana", "en")
    pooled = [await database.connect() for _ in range(database.sync_engine.pool.checkedin())]  # the idle ones, each
    backends = [await connection.scalar(text("select pg_backend_pid()")) for connection in pooled]
    for connection in pooled:
        await connection.close()
    admin = create_async_engine(POSTGRES_URL)
    try:
        async with admin.connect() as connection:
            for backend in backends:  # what a server restart does to them
                assert await connection.scalar(text("select pg_terminate_backend(:pid)"), {"pid": backend})
    finally:
        await admin.dispose()
    platform.clear()

    await engine.handle_message(ana.message("Q1.1: our town hall set up a migrants' desk."))

    assert [m.text.split(":")[0] for m in platform.to(ana.dm)] == ["Thank you! Recorded under question 1.1"]
    async with engine.sessions() as session:
        assert await session.scalar(select(func.count(Contribution.id))) == 1
