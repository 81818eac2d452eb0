"""The engine's watch follows the database: it looks for questions left to
post only when what they depend on changed (a round opened, a chat active
again, elsewhere: the CLI, another process), or when its last look failed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from sqlalchemy import select

from bot.discussion import store
from bot.storage.models import Venue
from schedules import rounds
from tests.helpers import join


async def open_round_elsewhere(engine, number: int = 1) -> None:
    """As `facilitator round open` does, in a session of its own: the bot hears nothing of it."""
    async with engine.sessions() as session:
        discussion = await store.find_discussion(session)
        round_ = await store.round_by_number(session, discussion, number)
        await rounds.open_round(session, discussion, round_, engine.clock())
        await session.commit()


async def set_active_elsewhere(engine, chat_id: str, active: bool) -> None:
    async with engine.sessions() as session:
        venue = await session.scalar(select(Venue).where(Venue.chat_id == chat_id))
        venue.active = active
        await session.commit()


async def until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("not reached in time")


async def test_a_round_opened_elsewhere_is_posted_then_a_chat_active_again(engine, platform, user):
    marie = await join(engine, user, "marie", "fr")
    ana = await join(engine, user, "ana", "es")
    await set_active_elsewhere(engine, ana.dm, False)
    platform.clear()
    watching = asyncio.create_task(engine.watch(interval=0.05))
    try:
        await asyncio.sleep(0.2)  # looked once, at start, with nothing to post: settled
        await open_round_elsewhere(engine)
        await until(lambda: len(platform.to(marie.dm)) == 5)
        await asyncio.sleep(0.2)
        assert platform.to(ana.dm) == [], "a chat that stopped gets nothing"
        await set_active_elsewhere(engine, ana.dm, True)
        await until(lambda: len(platform.to(ana.dm)) == 5)
    finally:
        watching.cancel()
    assert len(platform.to(marie.dm)) == 5, "nothing posted twice"


async def test_a_look_that_failed_on_its_platform_is_made_again(engine, platform, user, monkeypatch):
    marie = await join(engine, user, "marie", "fr")
    platform.clear()
    send = platform.send
    failures = [ConnectionError("the platform is down")]

    async def down_once(message):
        if failures:
            raise failures.pop()
        return await send(message)

    monkeypatch.setattr(platform, "send", down_once)
    await open_round_elsewhere(engine)
    watching = asyncio.create_task(engine.watch(interval=0.05))
    try:
        await until(lambda: len(platform.to(marie.dm)) == 5)
    finally:
        watching.cancel()
    assert not failures, "the first look did fail"
    assert "Question 1.5" in platform.texts(marie.dm)[-1]
