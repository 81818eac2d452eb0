"""The `database` fixture clones a schema built once per session; every test
must still start from a database of its own: migrated to the newest revision,
and empty whatever the tests before it wrote."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.storage.database import alembic_config, create_engine, migrate, session_factory
from bot.storage.models import Base, Discussion
from tests.conftest import POSTGRES_URL


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


def describe(connection) -> dict:
    """Tables, columns, keys and indexes as the database reports them."""
    inspector = inspect(connection)
    described = {}
    for table in sorted(inspector.get_table_names()):
        described[table] = {
            "columns": [(c["name"], str(c["type"]), c["nullable"], str(c.get("default"))) for c in inspector.get_columns(table)],
            "primary key": inspector.get_pk_constraint(table)["constrained_columns"],
            "foreign keys": sorted(
                (
                    fk["name"] or "",
                    fk["constrained_columns"],
                    fk["referred_table"],
                    fk["referred_columns"],
                    sorted(fk.get("options", {}).items()),
                )
                for fk in inspector.get_foreign_keys(table)
            ),
            "indexes": sorted((i["name"], i["column_names"], bool(i["unique"])) for i in inspector.get_indexes(table)),
            "unique": sorted((u["name"] or "", u["column_names"]) for u in inspector.get_unique_constraints(table)),
        }
    return described


async def described(engine) -> dict:
    async with engine.connect() as connection:
        return await connection.run_sync(describe)


async def test_the_database_is_what_the_migrations_build(database, tmp_path):
    """The fixture does not run Alembic for each test; what it hands out must
    still be exactly what running the migrations on an empty database gives."""
    if database.dialect.name == "sqlite":
        reference = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'reference.db'}")
        await migrate(reference)
        try:
            assert await described(database) == await described(reference)
        finally:
            await reference.dispose()
        return

    schema = f"reference_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    async with admin.begin() as connection:
        await connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    reference = create_async_engine(POSTGRES_URL, connect_args={"server_settings": {"search_path": schema}})
    try:
        await migrate(reference)
        assert await described(database) == await described(reference)
    finally:
        await reference.dispose()
        async with admin.begin() as connection:
            await connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        await admin.dispose()
