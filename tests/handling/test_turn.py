"""The turn's connection: its plain statements (the update's identity, the outbox rows, a new
answer's rows) run on the connection of the session's transaction, asked of the session once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from bot.handling.turn import Turn
from bot.ports import ChatKind, ChatRef, Person
from bot.storage.database import session_factory
from bot.storage.models import HandledUpdate

NOW = dt.datetime(2013, 7, 9, 10, 0, tzinfo=dt.UTC)


async def test_a_turn_asks_the_session_for_its_connection_once(database):
    async with session_factory(database)() as session:
        turn = Turn(session=session, chat=ChatRef("memory", "dm-1", ChatKind.private), sender=Person("memory", "1", "One"), now=NOW)
        connection = await turn.connection()
        assert await turn.connection() is connection
        assert await session.connection() is connection  # the session's own transaction: committed with it
        await connection.execute(
            HandledUpdate.__table__.insert(),
            {
                "platform": "memory",
                "chat_id": "dm-1",
                "kind": "message",
                "external_id": "m1",
                "version": "",
                "sender_id": "1",
                "handled_at": NOW,
            },
        )
        await session.commit()
    async with session_factory(database)() as session:
        assert await session.scalar(select(func.count()).select_from(HandledUpdate)) == 1
