"""The e-mail adapter against real servers on 127.0.0.1: Dovecot (started
once per session) as the mailbox, aiosmtpd as the relay."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from sqlalchemy import select

from adapters.email import EmailChat
from adapters.email.relay import Relay
from bot.discussion import store
from bot.ports import ChatKind, ChatRef, IncomingMessage, Person
from bot.storage.database import session_factory
from bot.storage.models import Participant, PlatformIdentity
from facilitator.assembly import make_engine
from tests.adapters.email.servers import Dovecot, MailboxClient, local_settings
from tests.adapters.email.servers import Relay as RecordingRelay
from tests.fakes.memory_platform import MemoryPlatform, MemoryUser

MAILS = Path(__file__).parent / "mails"
ADDRESS = "discussion@example.org"
TOKEN_KEY = "test-key"  # the fixtures' reply addresses are signed with it


def mail(name: str) -> bytes:
    return (MAILS / name).read_bytes()


@pytest.fixture(scope="session")
def dovecot():
    if not Dovecot.available():
        if os.environ.get("CI"):
            pytest.fail("Dovecot is not installed (.ci/run installs dovecot-imapd)")
        pytest.skip("Dovecot is not installed: apt-get install dovecot-imapd")
    server = Dovecot().start()
    yield server
    server.stop()


@pytest.fixture
async def relay():
    server = await RecordingRelay().start()
    yield server
    await server.stop()


class MailBot:
    """The engine with its e-mail adapter (and a memory chat for the organiser), serving until stopped."""

    def __init__(self, database, clock, dovecot: Dovecot, relay: RecordingRelay, **settings):
        self.memory = MemoryPlatform()
        self.engine = make_engine(session_factory(database), [self.memory], clock=clock)
        folder = dovecot.new_folder()
        self.config = local_settings(dovecot, folder, relay.port, address=ADDRESS, token_key=TOKEN_KEY, **settings)
        self.mailbox = MailboxClient(dovecot, folder)
        self.relay = relay
        self.task: asyncio.Task | None = None
        self.started = False
        self.adapter = self.new_adapter()

    def new_adapter(self) -> EmailChat:
        adapter = EmailChat(self.config, relay=Relay(self.config, first_backoff=0.01))
        self.engine.attach(adapter)
        return adapter

    async def start(self) -> MailBot:
        if self.task is None and not self.started:
            await self.mailbox.create()
            self.started = True
        self.task = asyncio.create_task(self.adapter.serve(self.engine))
        await asyncio.wait_for(self.adapter.mailbox.connected.wait(), 10)
        return self

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
            self.task = None
        await self.engine.drain()

    async def restart(self) -> None:
        """A new process: a new adapter, nothing kept in memory."""
        await self.stop()
        self.adapter = self.new_adapter()
        await self.start()

    async def receive(self, raw: bytes) -> None:
        """A mail arrives in the mailbox; returns once the bot has handled it."""
        left = await self.mailbox.unhandled()  # mail the bot leaves alone
        await self.mailbox.deliver(raw)
        await self.all_handled(left=left)

    async def all_handled(self, timeout: float = 15, left: int = 0) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while await self.mailbox.unhandled() > left:
            assert asyncio.get_running_loop().time() < deadline, "the bot did not handle the mailbox's mail"
            await asyncio.sleep(0.05)
        await self.engine.drain()

    async def join(self, address: str, language: str, name: str = "") -> None:
        """Someone subscribed with every prompt skipped, their language chosen (as `test_join_by_mail` does by mail)."""
        chat = ChatRef("email", address, ChatKind.private)
        person = Person("email", address, name or address, language)
        await self.engine.handle_message(IncomingMessage(chat, person, f"<join-{address}>", "/start"))
        async with self.engine.sessions() as session:
            participant = await store_participant(session, address)
            participant.language = language
            participant.onboarding_step = None
            await session.commit()

    async def open_round(self, number: int = 1) -> None:
        boss = MemoryUser(self.memory, "boss", "Boss", "en")
        async with self.engine.sessions() as session:
            discussion = await store.find_discussion(session)
            await store.grant_organiser(session, discussion, "memory", "boss", self.engine.clock())
            await session.commit()
        await self.engine.handle_message(boss.message(f"/open_round {number}"))
        await self.engine.drain()


async def store_participant(session, address: str) -> Participant:
    return await session.scalar(
        select(Participant).join(PlatformIdentity).where(PlatformIdentity.platform == "email", PlatformIdentity.external_id == address)
    )


@pytest.fixture
async def mailbot(database, clock, dovecot, relay, example):
    bot = MailBot(database, clock, dovecot, relay)
    await bot.engine.load(example)
    await bot.start()
    yield bot
    await bot.stop()
