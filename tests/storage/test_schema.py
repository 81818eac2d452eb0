"""The schema, built by the migrations, on SQLite and on PostgreSQL."""

import datetime as dt

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from bot.discussion import store
from bot.storage.database import migrate, safe_url
from bot.storage.models import Base, Message, Participant

NOW = dt.datetime(2013, 7, 8, 10, 0, tzinfo=dt.UTC)


async def test_migrations_build_exactly_the_models_schema(database):
    def differences(connection):
        return compare_metadata(MigrationContext.configure(connection), Base.metadata)

    async with database.connect() as connection:
        assert await connection.run_sync(differences) == []
        tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert {
        "discussions",
        "rounds",
        "questions",
        "participants",
        "platform_identities",
        "venues",
        "deliveries",
        "messages",
        "message_revisions",
        "contributions",
        "organiser_grants",
    } <= tables


async def test_migrating_twice_changes_nothing(database):
    await migrate(database)
    await migrate(database)


async def test_a_platform_message_is_stored_once(engine):
    async with engine.sessions() as session:
        discussion = await store.find_discussion(session)
        fields = dict(discussion_id=discussion.id, platform="telegram", chat_id="42", message_id="7", text="x", received_at=NOW)
        session.add(Message(**fields))
        await session.commit()
        session.add(Message(**fields))
        with pytest.raises(IntegrityError):
            await session.commit()


async def test_times_come_back_aware_and_in_utc(engine):
    paris_noon = dt.datetime(2013, 7, 8, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    async with engine.sessions() as session:
        session.add(Participant(display_name="Ana", created_at=paris_noon))
        await session.commit()
    async with engine.sessions() as session:
        stored = await session.scalar(select(Participant.created_at))
    assert stored == paris_noon and stored.tzinfo is not None and stored.utcoffset() == dt.timedelta(0)


async def test_reloading_a_discussion_keeps_round_status_and_follows_new_dates(engine, example):
    async with engine.sessions() as session:
        discussion = await store.find_discussion(session)
        first = await store.round_by_number(session, discussion, 1)
        first.status = first.status.open
        await session.commit()
    later = example.rounds[0].__class__(
        number=1,
        opens_at=example.rounds[0].opens_at,
        closes_at=example.rounds[0].closes_at + dt.timedelta(days=2),
        questions=example.rounds[0].questions,
    )
    await engine.load(example.__class__(**{**example.__dict__, "rounds": (later,) + example.rounds[1:]}))
    async with engine.sessions() as session:
        discussion = await store.find_discussion(session)
        first = await store.round_by_number(session, discussion, 1)
    assert first.status == first.status.open
    assert first.closes_at == example.rounds[0].closes_at + dt.timedelta(days=2)


def test_database_passwords_are_masked():
    assert safe_url("postgresql+asyncpg://bot:s3cret@db.example/facilitator") == "postgresql+asyncpg://bot:***@db.example/facilitator"
