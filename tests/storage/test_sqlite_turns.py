"""Writers of one process take turns on SQLite instead of sleeping in its busy
handler: each goes as soon as the one before it ends its transaction,
however that transaction ends."""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.storage.sqlite_turns import TurnTakingDBAPI, WriterTurns

# SQLite's own wait for a lock, made so short that a writer relying on it
# alone fails while the other is still in its transaction.
SQLITE_WAIT = 0.01
HELD = 0.3  # how long the first writer keeps its transaction open


class CountedTurns(WriterTurns):
    """Counts the writers that have asked for their turn: once `asked` has
    grown, that writer is queued (asking and queueing happen in one step)."""

    def __init__(self, patience: float):
        super().__init__(patience)
        self.asked = 0

    async def take(self) -> asyncio.Lock:
        self.asked += 1
        return await super().take()


def sqlite_engine(tmp_path, *, turns: WriterTurns | None) -> AsyncEngine:
    url = f"sqlite+aiosqlite:///{tmp_path / 'turns.db'}"
    module = {}
    if turns is not None:
        dbapi = TurnTakingDBAPI(patience=turns.patience)
        dbapi.turns = turns
        module = {"module": dbapi}
    return create_async_engine(url, connect_args={"timeout": SQLITE_WAIT}, **module)


async def with_table(engine: AsyncEngine) -> AsyncEngine:
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE IF NOT EXISTS notes (text VARCHAR)"))
    return engine


async def note(engine: AsyncEngine, words: str, keep_open: float = 0.0) -> None:
    async with engine.begin() as connection:
        await connection.execute(text("INSERT INTO notes VALUES (:text)"), {"text": words})
        await asyncio.sleep(keep_open)


async def notes(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as connection:
        return list(await connection.scalars(text("SELECT text FROM notes ORDER BY rowid")))


async def second_writer_meanwhile(first: asyncio.Task) -> None:
    """Writes while `first` holds its transaction open (it has written)."""
    await asyncio.sleep(HELD / 3)
    assert not first.done()


async def test_without_turns_the_second_writer_fails_while_the_first_holds_the_lock(tmp_path):
    """The control: with SQLite's wait this short, the test below means something."""
    engine = await with_table(sqlite_engine(tmp_path, turns=None))
    try:
        first = asyncio.create_task(note(engine, "first", keep_open=HELD))
        await second_writer_meanwhile(first)
        with pytest.raises(OperationalError, match="database is locked"):
            await note(engine, "second")
        await first
    finally:
        await engine.dispose()


@pytest.fixture
def turns() -> CountedTurns:
    return CountedTurns(patience=10)


@pytest.fixture
async def turn_taking(tmp_path, turns):
    engine = await with_table(sqlite_engine(tmp_path, turns=turns))
    yield engine
    await engine.dispose()


async def test_the_second_writer_goes_once_the_first_commits(turn_taking):
    first = asyncio.create_task(note(turn_taking, "first", keep_open=HELD))
    await second_writer_meanwhile(first)
    await note(turn_taking, "second")
    assert first.done(), "the second waited for the first"
    assert await notes(turn_taking) == ["first", "second"]


async def test_writers_go_in_the_order_they_came(turn_taking, turns):
    first = asyncio.create_task(note(turn_taking, "0", keep_open=HELD))
    await second_writer_meanwhile(first)
    waiting = []
    for number in range(1, 9):
        # Each writer comes once the one before is queued: how long a
        # connection takes to open decides nothing here.
        asked = turns.asked
        waiting.append(asyncio.create_task(note(turn_taking, str(number))))
        async with asyncio.timeout(5):
            while turns.asked == asked:
                await asyncio.sleep(0.001)
    await asyncio.gather(first, *waiting)
    assert await notes(turn_taking) == [str(number) for number in range(9)]


async def test_a_writer_cancelled_in_its_transaction_gives_its_turn_back(turn_taking):
    """The transaction is rolled back when its task is cancelled; the next
    writer must not wait for a turn nobody holds any more."""
    cancelled = asyncio.create_task(note(turn_taking, "cancelled", keep_open=60))
    await second_writer_meanwhile(cancelled)
    cancelled.cancel()
    async with asyncio.timeout(5):
        await note(turn_taking, "next")
    assert await notes(turn_taking) == ["next"]


async def test_a_failed_write_gives_its_turn_back(turn_taking):
    async with turn_taking.connect() as other:  # another connection, with no turn of its own yet
        with pytest.raises(OperationalError, match="no such table"):
            async with turn_taking.begin() as connection:
                await connection.execute(text("INSERT INTO notes VALUES ('rolled back')"))
                await connection.execute(text("INSERT INTO missing VALUES (1)"))
        async with asyncio.timeout(5):
            await other.execute(text("INSERT INTO notes VALUES ('next')"))
            await other.commit()
    assert await notes(turn_taking) == ["next"]


async def test_a_turn_never_given_back_stops_nobody_for_longer_than_its_patience(tmp_path, caplog):
    dbapi = TurnTakingDBAPI(patience=0.05)
    engine = await with_table(create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'turns.db'}", module=dbapi))
    try:
        await dbapi.turns.take()  # taken, as by a writer gone wrong, and never given back
        with caplog.at_level(logging.WARNING, logger="bot.storage.sqlite_turns"):
            async with asyncio.timeout(5):
                await note(engine, "goes ahead")
        assert await notes(engine) == ["goes ahead"]
        assert "goes ahead" in caplog.text
    finally:
        await engine.dispose()


async def test_a_statement_in_one_trip_gives_what_the_driver_would(turn_taking):
    """Rows, counts and the new row's id, read in aiosqlite's thread before the cursor closes."""
    async with turn_taking.begin() as connection:
        inserted = await connection.execute(text("INSERT INTO notes VALUES ('a')"))
        await connection.execute(text("INSERT INTO notes VALUES (:text)"), [{"text": "b"}, {"text": "c"}])
        changed = await connection.execute(text("UPDATE notes SET text = text || '!' WHERE text != 'a'"))
        result = await connection.execute(text("SELECT text FROM notes ORDER BY rowid"))
        first, rest = result.fetchmany(), result.fetchall()
    assert (inserted.lastrowid, changed.rowcount) == (1, 2)
    assert ([row.text for row in first], [row.text for row in rest]) == (["a"], ["b!", "c!"])
