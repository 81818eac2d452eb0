"""The `database` fixture clones a schema built once per session; every test
must still start from a database of its own: migrated to the newest revision,
and empty whatever the tests before it wrote."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select, text

from bot.storage.database import alembic_config, session_factory
from bot.storage.models import Base, Discussion


async def table_names(database) -> set[str]:
    async with database.connect() as connection:
        return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))


# Run twice on each backend: whichever runs second sees the first one's row if
# the databases are not separate (or if a test's writes reach the template).
@pytest.mark.parametrize("turn", ["first", "second"])
async def test_each_test_gets_an_empty_database_migrated_to_head(database, turn):
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    async with database.connect() as connection:
        assert list(await connection.scalars(text("select version_num from alembic_version"))) == [head]
    assert set(Base.metadata.tables) <= await table_names(database)

    sessions = session_factory(database)
    async with sessions() as session:
        for table in Base.metadata.sorted_tables:
            assert await session.scalar(select(func.count()).select_from(table)) == 0, f"{table.name} is not empty"

        session.add(
            Discussion(
                slug=f"isolation-{turn}",
                languages=["en"],
                timezone="UTC",
                title={"en": "Isolation"},
                invitation={"en": "Welcome."},
                loaded_at=dt.datetime.now(dt.UTC),
            )
        )
        await session.commit()

    async with sessions() as session:
        assert list(await session.scalars(select(Discussion.slug))) == [f"isolation-{turn}"]
