"""The database out of reach while Telegram updates come in: they are not
confirmed to Telegram, polling waits and tries again, and once the database
is back every message is stored and answered, with nothing to resend."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.database import create_engine, session_factory
from bot.storage.models import Contribution
from tests.adapters.telegram import test_adapter
from tests.adapters.telegram.test_adapter import Bot, make_organiser, subscribe
from tests.helpers import stored_contributions

api = test_adapter.api  # the fake Bot API, the adapter tests' fixture


class Switchable:
    """A database that can be taken out of reach and back, as the engine reaches it: sessions of it
    (called as a session factory), and connections (a turn's, a sent mark's)."""

    def __init__(self, reachable: AsyncEngine, unreachable: AsyncEngine):
        self.sessions = {False: session_factory(reachable), True: session_factory(unreachable)}
        self.engines = {False: reachable, True: unreachable}
        self.down = False

    def __call__(self):
        return self.sessions[self.down]()

    def connect(self):
        return self.engines[self.down].connect()

    def begin(self):
        return self.engines[self.down].begin()


async def test_messages_sent_while_the_database_is_down_are_stored_once_it_is_back(database, api, clock, small):
    bot = Bot(database, api, clock)
    await bot.engine.load(small)
    nowhere = create_engine("postgresql+asyncpg://postgres@127.0.0.1:1/test")  # nothing listens there
    sessions = bot.engine.sessions = bot.engine.database = Switchable(database, nowhere)
    await bot.start()
    try:
        ana, boss = api.private_user(5000000004, "Ana", "es"), api.private_user(5000000001, "Boss", "en")
        api.handled = bot.adapter.idle
        await subscribe(api, ana)
        await make_organiser(bot, boss)
        await boss.says("/open_round 1")
        await bot.engine.drain()  # the questions are posted
        api.handled = None  # from here, the updates are not expected to be confirmed at once
        sent_before = len(api.to(ana.id))

        sessions.down = True
        answers = [f"Pregunta 1: nuestra experiencia municipal número {n}." for n in range(5)]
        deliveries = [asyncio.ensure_future(ana.says(text)) for text in answers]
        await asyncio.sleep(1.5)  # several attempts, each refused by the database
        assert not any(d.done() for d in deliveries), "none is confirmed to Telegram"
        assert len(api.to(ana.id)) == sent_before, "nothing is said meanwhile (no «something went wrong»)"
        polls = len(api.offsets)
        await asyncio.sleep(0.5)
        assert len(api.offsets) == polls, "polling waits"

        sessions.down = False
        await asyncio.wait_for(asyncio.gather(*deliveries), 30)
        await asyncio.wait_for(bot.adapter.idle(), 30)
    finally:
        await bot.stop()
        await nowhere.dispose()
    stored = sorted(text for (text,) in await stored_contributions(bot.engine.sessions, Contribution.text))
    assert stored == sorted(answer.split(": ", 1)[1] for answer in answers), "each once"
    acknowledgements = api.texts(ana.id)[sent_before:]
    assert len(acknowledgements) == 5 and all("1.1" in text for text in acknowledgements)
