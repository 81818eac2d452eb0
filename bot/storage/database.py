"""Connecting to the database and bringing its schema up to date.

SQLite file `facilitator.db` in the working directory by default;
`FACILITATOR_DATABASE_URL` selects another (`postgresql+asyncpg://…`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.sql.expression import Executable

from bot.storage.sqlite_turns import TurnTakingDBAPI

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///facilitator.db"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
LOCK_TIMEOUT_SECONDS = 30  # SQLite: a write waits this long for its turn in this process, then as long for SQLite's lock
RECYCLE_SECONDS = 1800  # under the idle timeouts of the usual PostgreSQL proxies and firewalls


def safe_url(url: str) -> str:
    """The URL with its password masked, for logs and messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable database URL>"


def sqlite_file(url: str) -> Path | None:
    """The file an SQLite URL names (relative to the working directory), else None."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def create_engine(url: str) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        # A second process (the CLI) writes while the bot runs: wait for locks
        # rather than fail, and let readers go on during a write. Writers of
        # this process wait their turn in the event loop (`sqlite_turns`).
        engine = create_async_engine(url, module=TurnTakingDBAPI(LOCK_TIMEOUT_SECONDS), connect_args={"timeout": LOCK_TIMEOUT_SECONDS})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA secure_delete=ON")  # what /forget deletes is overwritten, not left in free pages
            cursor.close()

        return engine
    # No ping before each use (a round trip per session): connections are
    # recycled before a server's idle timeout, and an update whose connection
    # turns out dropped is handled once more on a fresh one (`dropped`).
    return create_async_engine(url, pool_recycle=RECYCLE_SECONDS)


def unreachable(error: BaseException) -> bool:
    """Whether a failure is the database's being out of reach (down, its
    connection lost, a lock held too long, its disk full), not the update's."""
    return dropped(error) or isinstance(error, (OSError, TimeoutError, OperationalError, InterfaceError))


def dropped(error: BaseException) -> bool:
    """Whether a failure is a pooled connection found closed (the server
    restarted, an idle connection cut): trying once more on a new one helps."""
    return isinstance(error, DBAPIError) and error.connection_invalidated


def session_factory(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)


async def inserted_ids(connection: AsyncConnection, insert_returning_id: Executable, rows: list[dict[str, Any]]) -> list[int]:
    """The ids an insert returning them gives its rows, in order. One row alone is a
    plain execution, not the many-rows path (its sentinel and sorting cost a single row
    as much again), and the ids are read off the rows (a scalar view of the result
    costs a row's insert as much again)."""
    if len(rows) == 1:
        return [await connection.scalar(insert_returning_id, rows[0])]
    return [row[0] for row in await connection.execute(insert_returning_id, rows)] if rows else []


def bound_to(sessions: async_sessionmaker) -> AsyncEngine:
    """The database a session factory opens its sessions on."""
    return sessions.kw["bind"]


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


async def migrate(engine: AsyncEngine) -> None:
    """Upgrade the schema to the newest migration (a no-op when it is there)."""

    def upgrade(connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")

    async with engine.begin() as connection:
        await connection.run_sync(upgrade)
