"""Shared fixtures: a real database (an SQLite file, and the real PostgreSQL
server when it answers), the engine wired to in-memory platforms, a clock the
test controls, and no network beyond this machine."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import os
import shutil
import socket
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import create_async_engine

from bot.conversation.engine import Engine
from bot.discussion.spec import DiscussionSpec, example_discussion_path, load_discussion, parse_discussion
from bot.storage.database import create_engine, migrate, session_factory
from facilitator.assembly import make_engine
from tests.fakes.memory_platform import MemoryPlatform, MemoryUser

POSTGRES_URL = os.environ.get("FACILITATOR_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
# CI sets this so that a PostgreSQL server that does not answer fails the run instead of skipping its tests.
REQUIRE_POSTGRES = os.environ.get("FACILITATOR_REQUIRE_POSTGRES") == "1"


# --- no network ---------------------------------------------------------------

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _is_local(address) -> bool:
    if isinstance(address, (str, bytes)):  # a unix socket
        return True
    host = address[0]
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


class NetworkAccessError(RuntimeError):
    pass


def _guarded_connect(sock, address):
    if not _is_local(address):
        raise NetworkAccessError(f"tests may not reach the network (tried {address!r})")
    return _real_connect(sock, address)


def _guarded_connect_ex(sock, address):
    if not _is_local(address):
        raise NetworkAccessError(f"tests may not reach the network (tried {address!r})")
    return _real_connect_ex(sock, address)


def _guarded_getaddrinfo(host, *args, **kwargs):
    if host not in (None, "localhost") and not _is_local((host if isinstance(host, str) else host.decode(),)):
        raise NetworkAccessError(f"tests may not resolve {host!r}")
    return _real_getaddrinfo(host, *args, **kwargs)


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded_connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", _guarded_getaddrinfo)


# --- database -----------------------------------------------------------------
#
# Running every migration for every test is slow, so Alembic runs once per
# session on each backend and each test gets a database of its own from that:
#   SQLite: a migrated template file, copied for each test;
#   PostgreSQL: a fresh schema per test, into which the SQL the migration ran
#   once (recorded, in order, with its parameters) is replayed. (Cloning a
#   template database with CREATE DATABASE … TEMPLATE was measured slower than
#   migrating: it copies the whole database, catalogues included, through the WAL.)
# The session-scoped fixtures are synchronous, their async work running in a
# loop of its own on a worker thread: the tests' event loops are function-scoped.


def _postgres_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


def _run_in_fresh_loop(make_coroutine):
    """Runs `make_coroutine()` to completion in a loop of its own, on a worker
    thread, so that neither the test's running loop nor its thread's current
    loop is touched."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make_coroutine())).result()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory) -> Path:
    """An SQLite file migrated to head, checkpointed and closed: a plain copy of it is a whole database."""
    path = tmp_path_factory.mktemp("sqlite-template") / "facilitator.db"

    async def build() -> None:
        engine = create_engine(f"sqlite+aiosqlite:///{path}")
        try:
            await migrate(engine)
            async with engine.connect() as connection:
                await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            await engine.dispose()

    _run_in_fresh_loop(build)
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size:
        raise RuntimeError(f"the SQLite template still has pages in its write-ahead log: {wal}")
    return path


class RecordedMigration:
    """The statements one run of the migrations sent to PostgreSQL, to replay into another empty schema."""

    def __init__(self, schema: str, statements: list[tuple[str, object]]):
        self.schema = schema  # where Alembic itself built them; dropped at the end of the session
        for statement, _ in statements:
            if schema in statement:
                raise RuntimeError(f"a migration names the schema it runs in; it cannot be replayed elsewhere: {statement!r}")
        # Runs of statements without parameters go in one round trip; the others one by one, in order.
        self.steps: list[tuple[str, object]] = []
        script: list[str] = []
        for statement, parameters in statements:
            if parameters:
                if script:
                    self.steps.append((";\n".join(script), None))
                    script = []
                self.steps.append((statement, parameters))
            else:
                script.append(statement)
        if script:
            self.steps.append((";\n".join(script), None))

    async def replay(self, connection) -> None:
        """Replays into the first schema of `connection`'s search_path, inside its transaction."""
        for statement, parameters in self.steps:
            if parameters is None:
                raw = await connection.get_raw_connection()
                await raw.driver_connection.execute(statement)  # asyncpg: several statements at once
            else:
                await connection.exec_driver_sql(statement, parameters)


def _schema_engine(schema: str):
    return create_async_engine(POSTGRES_URL, connect_args={"server_settings": {"search_path": schema}})


async def _on_postgres(statement: str) -> None:
    """One statement on the test server, through a connection of its own."""
    admin = create_engine(POSTGRES_URL)
    try:
        async with admin.begin() as connection:
            await connection.exec_driver_sql(statement)
    finally:
        await admin.dispose()


@pytest.fixture(scope="session")
def _postgres_migration() -> Iterator[RecordedMigration]:
    schema = f"facilitator_template_{uuid.uuid4().hex[:12]}"

    async def build() -> list[tuple[str, object]]:
        await _on_postgres(f'CREATE SCHEMA "{schema}"')
        engine = _schema_engine(schema)
        statements: list[tuple[str, object]] = []

        @event.listens_for(engine.sync_engine, "before_cursor_execute")
        def record(_connection, _cursor, statement, parameters, _context, _executemany):
            statements.append((statement, parameters))

        try:
            await migrate(engine)
        finally:
            await engine.dispose()
        return statements

    async def drop() -> None:
        await _on_postgres(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')

    try:
        yield RecordedMigration(schema, _run_in_fresh_loop(build))
    finally:
        _run_in_fresh_loop(drop)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database(request, tmp_path: Path):
    """A migrated, empty database: an SQLite file, or a fresh schema on the real PostgreSQL server."""
    if request.param == "sqlite":
        path = tmp_path / "facilitator.db"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        engine = create_engine(f"sqlite+aiosqlite:///{path}")
        yield engine
        await engine.dispose()
        return
    if not _postgres_answers():
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL does not answer at {POSTGRES_URL}")
        pytest.skip("PostgreSQL does not answer on 127.0.0.1:5432")
    migration: RecordedMigration = request.getfixturevalue("_postgres_migration")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    async with admin.begin() as connection:
        await connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        await connection.exec_driver_sql(f'SET LOCAL search_path TO "{schema}"')
        await migration.replay(connection)
    engine = _schema_engine(schema)
    try:
        yield engine
    finally:
        await engine.dispose()
        async with admin.begin() as connection:
            await connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        await admin.dispose()


# --- engine -------------------------------------------------------------------


class Clock:
    """The time the engine sees; tests move it."""

    def __init__(self, start: dt.datetime):
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock(dt.datetime(2013, 7, 8, 10, 0, tzinfo=dt.UTC))


@pytest.fixture
def example() -> DiscussionSpec:
    return load_discussion(example_discussion_path())


SMALL_DISCUSSION = {
    "id": "small",
    "languages": ["fr", "en", "es"],
    "timezone": "Europe/Brussels",
    "title": {"fr": "Petite discussion", "en": "Small discussion", "es": "Pequeña discusión"},
    "invitation": {"fr": "Bienvenue.", "en": "Welcome.", "es": "Bienvenida."},
    "starts": "2013-07-08T09:00",
    "rounds": [
        {
            "duration": "P7D",
            "questions": [
                {"id": "1.1", "text": {"fr": "Comment coopérer ?", "en": "How to cooperate?", "es": "¿Cómo cooperar?"}},
                {"id": "1.2", "text": {"fr": "Quels mécanismes ?", "en": "Which mechanisms?", "es": "¿Qué mecanismos?"}},
            ],
        },
        {
            "duration": "P7D",
            "questions": [
                {"id": "2.1", "text": {"fr": "Quelles pratiques ?", "en": "Which practices?", "es": "¿Qué prácticas?"}},
            ],
        },
    ],
}


@pytest.fixture
def small() -> DiscussionSpec:
    return parse_discussion(SMALL_DISCUSSION, "small.yaml")


@pytest.fixture
def platform() -> MemoryPlatform:
    return MemoryPlatform()


@pytest.fixture
async def engine(database, platform, clock, example) -> Engine:
    engine = make_engine(session_factory(database), [platform], clock=clock)
    await engine.load(example)
    yield engine
    await engine.drain()


@pytest.fixture
def user(platform):
    """Makes people: `user("ana", "es")`."""

    def make(user_id: str, language_code: str | None = None, name: str = "") -> MemoryUser:
        return MemoryUser(platform, user_id, name or user_id.capitalize(), language_code)

    return make
