"""The turn's one transaction: its plain statements (the update's identity, the outbox rows, a
new answer's rows) and, for a handler that needs entities, its ORM session share it; they are
committed together at the turn's end, or not at all."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from bot.handling.turn import Turn
from bot.ports import ChatKind, ChatRef, Person
from bot.storage.models import HandledUpdate, Participant

NOW = dt.datetime(2013, 7, 9, 10, 0, tzinfo=dt.UTC)


async def a_turns_work(database, external_id: str, commit: bool) -> bool:
    """A plain row and an entity written in one turn; returns whether the turn opened a session before
    its handler asked for one."""
    async with database.connect() as connection:
        await connection.begin()
        async with Turn(
            transaction=connection, chat=ChatRef("memory", "dm-1", ChatKind.private), sender=Person("memory", "1", "One"), now=NOW
        ) as turn:
            opened_unasked = turn.opened_session is not None
            await turn.transaction.execute(
                HandledUpdate.__table__.insert(),
                {
                    "platform": "memory",
                    "chat_id": "dm-1",
                    "kind": "message",
                    "external_id": external_id,
                    "version": "",
                    "sender_id": "1",
                    "handled_at": NOW,
                },
            )
            turn.session.add(Participant(display_name=external_id, created_at=NOW))
            await turn.session.flush()
            if commit:
                await connection.commit()
    return opened_unasked


async def counts(database) -> tuple[int, int]:
    async with database.connect() as connection:
        return (
            await connection.scalar(select(func.count()).select_from(HandledUpdate)),
            await connection.scalar(select(func.count()).select_from(Participant)),
        )


async def test_a_turns_plain_rows_and_its_entities_are_committed_together_or_not_at_all(database):
    assert not await a_turns_work(database, "m1", commit=True), "no session until a handler needs one"
    assert await counts(database) == (1, 1)
    await a_turns_work(database, "m2", commit=False)  # failed before its end: nothing of it stays
    assert await counts(database) == (1, 1)
