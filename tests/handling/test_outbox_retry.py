"""The outbox's retry (issue 15): a reply whose sending failed for a while
(the platform's 5xx, the network, a 429 storm beyond its own retries) is sent
by the running bot once the platform takes messages again, without a restart:
after a back-off, once, in its chat's order; never a second time while a send
of it is under way; and a reply the platform refuses for good, or that still
fails a day later, is given up rather than tried for ever."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import select

from bot.handling import outgoing
from bot.ports import OutgoingMessage, SentMessage
from bot.storage.models import OutboxMessage
from tests.fakes.memory_platform import MemoryPlatform
from tests.helpers import join


@dataclasses.dataclass
class FlakyPlatform(MemoryPlatform):
    """The memory platform, whose next `failures` sends fail as a platform's 5xx
    does, and whose sends wait while `held` is set."""

    failures: int = 0
    attempts: int = 0
    held: bool = False
    sending: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)
    released: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)

    async def send(self, message: OutgoingMessage) -> SentMessage:
        self.attempts += 1
        self.sending.set()
        if self.held:
            await self.released.wait()
        if self.failures:
            self.failures -= 1
            raise ConnectionError("502 Bad Gateway")
        return await super().send(message)


@pytest.fixture
def platform() -> FlakyPlatform:
    return FlakyPlatform()


async def until(condition: Callable[[], bool | Awaitable[bool]]) -> None:
    """Let the bot run until `condition` holds (a guard against hanging, not a timing)."""
    async with asyncio.timeout(20):
        while not await condition() if asyncio.iscoroutinefunction(condition) else not condition():
            await asyncio.sleep(0.005)


async def rows(engine) -> list[OutboxMessage]:
    async with engine.sessions() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def last_reply(engine, recorded: str) -> Callable[[], Awaitable[bool]]:
    """Whether the last reply written is recorded `sent_at` or `given_up_at`."""

    async def holds() -> bool:
        return getattr((await rows(engine))[-1], recorded) is not None

    return holds


@pytest.fixture
async def resending(engine):
    """The running bot's retry, as `facilitator run` starts it."""
    task = asyncio.create_task(engine.resend_unsent(interval=0.01))
    yield task
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_a_reply_that_failed_arrives_once_when_the_platform_recovers(engine, platform, user, clock, resending):
    ana = await join(engine, user, "ana", "en")
    platform.clear()
    platform.attempts, platform.failures = 0, 2
    await engine.handle_message(ana.message("/help"))
    assert platform.texts(ana.dm) == [] and platform.attempts == 1

    assert await engine.send_unsent() == 1, "not tried again before its back-off is over"
    assert platform.attempts == 1
    clock.advance(seconds=outgoing.FIRST_RETRY.total_seconds())
    await until(lambda: platform.attempts == 2)  # failed again: the next try waits twice as long
    assert await engine.send_unsent() == 1 and platform.attempts == 2
    clock.advance(seconds=2 * outgoing.FIRST_RETRY.total_seconds())
    await until(last_reply(engine, "sent_at"))
    clock.advance(hours=1)
    assert await engine.send_unsent() == 0
    assert len(platform.texts(ana.dm)) == 1 and platform.texts(ana.dm)[0].startswith("What you can do"), "sent once"
    help_row = (await rows(engine))[-1]
    assert help_row.sent_at is not None and help_row.message_id == platform.sent[-1][1].message_id


async def test_a_later_reply_to_a_chat_waiting_for_its_retry_goes_after_the_earlier_one(engine, platform, user, resending):
    ana = await join(engine, user, "ana", "en")
    platform.clear()
    platform.failures = 1
    await engine.handle_message(ana.message("/help"))
    await engine.handle_message(ana.message("/no_such_command"))  # the platform works again; her chat's first reply still waits
    await until(lambda: len(platform.texts(ana.dm)) == 2)
    first, second = platform.texts(ana.dm)
    assert first.startswith("What you can do") and "no_such_command" in second


async def test_a_reply_being_sent_is_not_sent_again_meanwhile(engine, platform, user):
    ana = await join(engine, user, "ana", "en")
    platform.clear()
    platform.held, platform.attempts = True, 0
    platform.sending.clear()
    handling = asyncio.create_task(engine.handle_message(ana.message("/help")))
    await until(platform.sending.is_set)  # committed, and on the wire
    assert await asyncio.gather(engine.send_unsent(), engine.send_unsent()) == [0, 0], "the turn's own send is left to it"
    platform.released.set()
    await handling
    assert await engine.send_unsent() == 0
    assert len(platform.texts(ana.dm)) == 1 and platform.attempts == 1


async def test_a_chat_that_refuses_for_good_at_its_retry_is_given_up(engine, platform, user, clock, resending):
    ana = await join(engine, user, "ana", "en")
    platform.clear()
    platform.attempts, platform.failures = 0, 1
    await engine.handle_message(ana.message("/help"))
    platform.unreachable.add(ana.dm)  # she blocked the bot meanwhile
    clock.advance(seconds=outgoing.FIRST_RETRY.total_seconds())
    await until(last_reply(engine, "given_up_at"))
    platform.unreachable.clear()
    clock.advance(hours=2)
    assert await engine.send_unsent() == 0
    assert platform.attempts == 2, "not tried again"
    help_row = (await rows(engine))[-1]
    assert help_row.given_up_at is not None and help_row.sent_at is None and help_row.text == ""


async def test_a_reply_still_failing_a_day_later_is_given_up_and_its_chat_goes_on(engine, platform, user, clock, resending):
    ana = await join(engine, user, "ana", "en")
    platform.clear()
    platform.failures = 1_000_000  # an error the platform never calls permanent
    await engine.handle_message(ana.message("/help"))
    clock.advance(days=1, seconds=1)
    await until(last_reply(engine, "given_up_at"))
    platform.failures = 0
    await engine.handle_message(ana.message("/no_such_command"))
    await until(last_reply(engine, "sent_at"))
    help_row, unknown_row = (await rows(engine))[-2:]
    assert help_row.given_up_at is not None and help_row.sent_at is None
    assert unknown_row.sent_at is not None
    [text] = platform.texts(ana.dm)
    assert "no_such_command" in text
