"""One running bot per database: two would post every question twice and
send every reminder twice. The lock dies with its process (a crash frees it):
an advisory lock on PostgreSQL, held by one connection for the whole run, and
an OS lock on a file beside the SQLite database. Whoever holds it is named,
with the time they started, to the one refused."""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.database import sqlite_file

_LOCK_CLASS = 0x66616369  # "faci"


class DatabaseInUse(Exception):
    """Another `facilitator run` holds the database; the message says which and since when."""


def _holder() -> str:
    now = dt.datetime.now(dt.UTC)
    return f"process {os.getpid()} on {socket.gethostname()}, since {now:%Y-%m-%d %H:%M:%S} UTC"


class RunLock:
    """Held from `acquire` to `release` (or the process's end)."""

    def __init__(self, release: Callable[[], Awaitable[None]]):
        self._release = release

    @classmethod
    async def acquire(cls, database: AsyncEngine, url: str) -> RunLock:
        path = sqlite_file(url)
        if path is not None:
            return cls(_lock_file(path.with_name(path.name + ".run")))
        return cls(await _lock_advisory(database))

    async def release(self) -> None:
        await self._release()


def _lock_file(path: Path) -> Callable[[], Awaitable[None]]:
    file = path.open("a+", encoding="utf-8")
    try:
        fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        file.seek(0)
        holder = file.read().strip()
        file.close()
        raise DatabaseInUse(holder or "another process") from None
    file.seek(0)
    file.truncate()
    file.write(_holder() + "\n")
    file.flush()

    async def release() -> None:
        file.seek(0)
        file.truncate()
        file.close()  # closing frees the lock

    return release


async def _lock_advisory(database: AsyncEngine) -> Callable[[], Awaitable[None]]:
    connection = await database.connect()
    # Two keys: the project's, and one for this database and schema (test schemas of one server do not collide).
    key = f"{_LOCK_CLASS}, hashtext(current_database() || '.' || current_schema())"
    name = f"facilitator run {os.getpid()}@{socket.gethostname()}"[:63]
    await connection.execute(text("SELECT set_config('application_name', :name, false)"), {"name": name})
    if not await connection.scalar(text(f"SELECT pg_try_advisory_lock({key})")):
        row = (
            await connection.execute(
                text(
                    "SELECT a.application_name, a.backend_start FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                    f"WHERE l.locktype = 'advisory' AND l.granted AND l.classid = {_LOCK_CLASS} "
                    "AND l.objid::text::bigint = (hashtext(current_database() || '.' || current_schema())::bigint & 4294967295) "
                    "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                )
            )
        ).first()
        await connection.close()
        if row is None:
            raise DatabaseInUse("another process")
        raise DatabaseInUse(
            f"{row.application_name or 'another process'}, since {row.backend_start.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S} UTC"
        )
    await connection.commit()

    async def release() -> None:
        with contextlib.suppress(Exception):  # the connection may be gone: closing it frees the lock anyway
            await connection.execute(text(f"SELECT pg_advisory_unlock({key})"))
        await connection.close()

    return release
