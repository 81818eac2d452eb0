"""Shared fixtures: a real database (an SQLite file, and the real PostgreSQL
server when it answers), the engine wired to in-memory platforms, a clock the
test controls, and no network beyond this machine."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import os
import socket
import uuid
from pathlib import Path

import pytest

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


def _postgres_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database(request, tmp_path: Path):
    """A migrated, empty database: an SQLite file, or a fresh schema on the real PostgreSQL server."""
    if request.param == "sqlite":
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'facilitator.db'}")
        await migrate(engine)
        yield engine
        await engine.dispose()
        return
    if not _postgres_answers():
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL does not answer at {POSTGRES_URL}")
        pytest.skip("PostgreSQL does not answer on 127.0.0.1:5432")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    async with admin.begin() as connection:
        await connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(POSTGRES_URL, connect_args={"server_settings": {"search_path": schema}})
    await migrate(engine)
    yield engine
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
    return Clock(dt.datetime(2013, 7, 8, 10, 0, tzinfo=dt.timezone.utc))


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
