"""SQLite writers of one process take turns in the event loop.

SQLite lets one connection write at a time. A writer that finds the file
locked sleeps in SQLite's busy handler, 1, 2, 5, 10 … ms before it looks
again, so under a steady stream of short writes (the Telegram poller's holds,
the turns, the sent marks) most of a write's time was spent asleep after the
lock was free. Here a connection about to write first waits for its turn in
an `asyncio.Lock`: it is woken the moment the writer before it commits or
rolls back. SQLite's own lock still keeps writers apart (another process,
the command line, may write too); the turn only decides who goes next.

Each statement also crosses to aiosqlite's thread once, not four times:
SQLAlchemy's adapter opens a cursor, executes, fetches and closes it in four
trips through the thread's queue, each a wake-up of two threads; here one
function does all four in the thread (`_run`). A turn's six statements went
from 24 trips to 6.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import re
import sqlite3
import weakref
from collections.abc import Callable
from typing import Any, NamedTuple, cast

from sqlalchemy.connectors.asyncio import AsyncAdapt_dbapi_connection
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT

log = logging.getLogger(__name__)

# The statements with which SQLite takes its write lock (Python's sqlite3
# opens the transaction before each data change). One not recognised here
# only waits in SQLite's busy handler, as before.
WRITES = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER)\b", re.IGNORECASE)


class WriterTurns:
    """Whose turn it is to write, per event loop (tests run several loops)."""

    def __init__(self, patience: float):
        self.patience = patience
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()

    async def take(self) -> asyncio.Lock:
        """Waits for the turn and returns the lock to give it back with. After
        `patience` it goes on regardless: the writer before may be stuck, and
        SQLite still keeps the two apart."""
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        try:
            async with asyncio.timeout(self.patience):
                await lock.acquire()
        except TimeoutError:
            log.warning("a database write waited %s s for the one before it; it goes ahead", self.patience)
        return lock


def give_back(lock: asyncio.Lock) -> None:
    if lock.locked():
        lock.release()


class _Ran(NamedTuple):
    """What a statement left on its sqlite3 cursor, read in aiosqlite's thread before it closed."""

    description: Any
    rowcount: int
    lastrowid: int | None
    rows: list[Any]


def _run(connection: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> _Ran:
    """In aiosqlite's thread: the statement executed, its rows fetched, its cursor closed."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        else:
            cursor.execute(operation, () if parameters is None else parameters)
        description = cursor.description
        return _Ran(description, cursor.rowcount, cursor.lastrowid, cursor.fetchall() if description else [])
    finally:
        cursor.close()


class TurnTakingCursor(AsyncAdapt_aiosqlite_cursor):
    """A statement in one trip to aiosqlite's thread (`_run`), after the write turn is taken."""

    __slots__ = ("_arraysize", "_ran")
    _adapt_connection: TurnTakingConnection

    def __init__(self, adapt_connection: AsyncAdapt_dbapi_connection):  # no aiosqlite cursor: `_run` makes its own
        self._adapt_connection = cast(TurnTakingConnection, adapt_connection)
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._ran = _Ran(None, -1, None, [])
        self._arraysize = 1  # sqlite3's: the rows `fetchmany()` gives when asked for no count

    @property
    def description(self) -> Any:
        return self._ran.description

    @property
    def rowcount(self) -> int:
        return self._ran.rowcount

    @property
    def lastrowid(self) -> Any:
        return self._ran.lastrowid

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    async def _async_soft_close(self) -> None:
        """Nothing to close: the sqlite3 cursor was closed in the thread."""

    def close(self) -> None:
        self._rows.clear()

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        await self._adapt_connection.before(operation)
        return await self._in_thread(operation, parameters, many=False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        await self._adapt_connection.before(operation)
        return await self._in_thread(operation, seq_of_parameters, many=True)

    async def _in_thread(self, operation: str, parameters: Any, many: bool) -> None:
        async with self._adapt_connection._execute_mutex:
            self._ran = await self._connection._execute(_run, self._connection._conn, operation, parameters, many)
        self._rows = collections.deque(self._ran.rows)


class TurnTakingConnection(AsyncAdapt_aiosqlite_connection):
    """Holds the turn from its transaction's first write to its end."""

    __slots__ = ("_turn", "_turns")
    _cursor_cls = TurnTakingCursor

    def __init__(self, dbapi: Any, connection: Any, turns: WriterTurns):
        super().__init__(dbapi, connection)
        self._turns = turns
        self._turn: asyncio.Lock | None = None

    async def before(self, operation: str) -> None:
        if self._turn is None and WRITES.match(operation):
            self._turn = await self._turns.take()

    def _ending(self, end: Callable[[], None]) -> None:
        try:
            end()
        finally:
            turn, self._turn = self._turn, None
            if turn is not None:
                give_back(turn)

    # Every way a transaction ends, including the pool's rollback of a
    # connection given back by a cancelled task, and its closing.
    def commit(self) -> None:
        self._ending(super().commit)

    def rollback(self) -> None:
        self._ending(super().rollback)

    def close(self) -> None:
        self._ending(super().close)

    def terminate(self) -> None:
        self._ending(super().terminate)


class TurnTakingDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The aiosqlite DBAPI of one engine, its connections taking turns to write."""

    def __init__(self, patience: float):
        import aiosqlite

        super().__init__(aiosqlite, sqlite3)
        self.turns = WriterTurns(patience)

    def connect(self, *args: Any, **kw: Any) -> TurnTakingConnection:
        adapted = super().connect(*args, **kw)
        return TurnTakingConnection(self, adapted._connection, self.turns)
