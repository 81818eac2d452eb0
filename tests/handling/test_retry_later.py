"""A platform's "retry after" reaches the outbox (issue 15): a reply the
platform refuses for longer than its adapter waits in place (Telegram's 429
with a long `retry_after`, Discord's 429 still there after discord.py's own
tries) is kept unsent and not tried again before the time the platform gave,
however its chat writes meanwhile, and is sent after it; the doubling
back-off stays for the rest."""

from __future__ import annotations

import asyncio
import dataclasses

import discord
import pytest
from sqlalchemy import func, select

from adapters.telegram import TelegramChat
from bot.ports import ChatKind, ChatRef, OutgoingMessage, RetryLater, Secret, SentMessage
from bot.storage.database import session_factory
from bot.storage.models import OutboxMessage
from facilitator.assembly import make_engine
from tests.adapters.discord.test_adapter import start_bot
from tests.adapters.telegram.test_adapter import FAST, TOKEN
from tests.fakes.discord_gateway import CHANNELS
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.memory_platform import MemoryPlatform
from tests.fakes.telegram_api import FakeTelegram
from tests.handling.test_outbox_retry import resending, until  # noqa: F401  (`resending`: the running bot's retry)
from tests.helpers import join


@dataclasses.dataclass
class RateLimitedPlatform(MemoryPlatform):
    """The memory platform, whose next sends are refused, each for the next of `refusals` seconds."""

    refusals: list[float] = dataclasses.field(default_factory=list)
    attempts: int = 0

    async def send(self, message: OutgoingMessage) -> SentMessage:
        self.attempts += 1
        if self.refusals:
            raise RetryLater(self.refusals.pop(0))
        return await super().send(message)


@pytest.fixture
def platform() -> RateLimitedPlatform:
    return RateLimitedPlatform()


@pytest.mark.usefixtures("resending")
async def test_a_reply_refused_for_30_seconds_waits_them_out_then_goes_first(engine, platform, user, clock):
    ana = await join(engine, user, "ana", "en")
    platform.clear()
    platform.attempts, platform.refusals = 0, [30]
    await engine.handle_message(ana.message("/help"))
    assert platform.attempts == 1 and platform.texts(ana.dm) == []

    clock.advance(seconds=29)
    assert await engine.send_unsent() == 1, "not tried again before the platform's 30 s"
    await engine.handle_message(ana.message("/no_such_command"))  # her writing again brings nothing forward
    assert await engine.send_unsent() == 2
    assert platform.attempts == 1 and platform.texts(ana.dm) == []

    clock.advance(seconds=1)
    await until(lambda: len(platform.texts(ana.dm)) == 2)
    first, second = platform.texts(ana.dm)
    assert first.startswith("What you can do") and "no_such_command" in second
    assert platform.attempts == 3


async def test_the_platform_s_time_is_the_least_wait_and_the_back_off_doubles_still(engine, platform, user, clock):
    ana = await join(engine, user, "ana", "en")
    platform.clear()
    platform.attempts, platform.refusals = 0, [8, 1]
    await engine.handle_message(ana.message("/help"))
    clock.advance(seconds=5)  # the first back-off
    assert await engine.send_unsent() == 1 and platform.attempts == 1, "the platform's 8 s are longer"
    clock.advance(seconds=3)
    assert await engine.send_unsent() == 1 and platform.attempts == 2  # refused for 1 s: the second back-off, 10 s, is longer
    clock.advance(seconds=9)
    assert await engine.send_unsent() == 1 and platform.attempts == 2
    clock.advance(seconds=1)
    assert await engine.send_unsent() == 0 and platform.attempts == 3
    assert platform.texts(ana.dm)[0].startswith("What you can do")


# --- the adapters ----------------------------------------------------------------


@pytest.fixture
async def api():
    fake = await FakeTelegram(TOKEN).start()
    yield fake
    await fake.stop()


@pytest.fixture
async def telegram_engine(database, api, clock, small):
    """The engine with its Telegram adapter (Telegram's limits, faster; its 429 waits as they are)."""
    engine = make_engine(session_factory(database), clock=clock)
    adapter = TelegramChat(Secret(TOKEN), api.base_url, limits=FAST, poll_timeout=1, first_backoff=0.05)
    engine.attach(adapter)
    api.handled = adapter.idle
    await engine.load(small)
    task = asyncio.create_task(adapter.serve(engine))
    await asyncio.wait_for(adapter.receiving.wait(), 10)
    yield engine
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await engine.drain()


def send_requests(api: FakeTelegram) -> int:
    return sum(1 for method, _params in api.calls if method == "sendMessage")


async def unsent(engine) -> int:
    async with engine.sessions() as session:
        return await session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))) or 0


async def test_telegram_s_long_retry_after_holds_the_reply_in_the_outbox_rather_than_in_place(telegram_engine, api, clock):
    john = api.private_user(5000000003, "John", "en")
    ana = api.private_user(5000000004, "Ana", "en")
    api.rate_limited_requests, api.retry_after = 1, 30
    async with asyncio.timeout(10):  # rather than 30 s in place
        await john.says("/help")
    assert api.rejected_429 == 1 and api.texts(john.id) == [] and await unsent(telegram_engine) == 1
    requests = send_requests(api)

    clock.advance(seconds=29)
    assert await telegram_engine.send_unsent() == 1
    await john.says("/no_such_command")
    await ana.says("/help")  # Telegram's pause holds every chat: no request meanwhile
    assert send_requests(api) == requests and api.texts(john.id) == api.texts(ana.id) == []
    assert await unsent(telegram_engine) == 3


async def test_discord_s_429_after_its_own_tries_says_how_long_to_wait(engine, monkeypatch):
    server = FakeDiscord()
    monkeypatch.setattr(discord.http.Route, "BASE", await server.start())
    gateway = await start_bot(engine)
    try:
        server.rate_limited = 5  # each waited in place by discord.py; the fifth is handed back
        channel = ChatRef("discord", CHANNELS["fr"], ChatKind.group, "fr")
        with pytest.raises(RetryLater) as refused:
            await engine.send(OutgoingMessage(channel, "Bonjour"))
        assert refused.value.seconds == 1.0  # the answer's Retry-After
        assert server.rate_limit_answers == 5
    finally:
        await gateway.client.close()
        await server.close()
