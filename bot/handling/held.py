"""Updates held from their fetching until they are handled. A platform that
forgets what it handed out once confirmed (Telegram's getUpdates offset) can
be confirmed as soon as a batch is held, so that the next batch is fetched
while this one is handled: a chat's backlog delays no other chat's messages.
A crash before handling leaves them to be handled at the next start; one
handled and not yet released is handled again, which `handled` makes change
nothing. Released once handled: they hold what people wrote."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.ports import HeldUpdate
from bot.storage.models import InboundUpdate

RELEASED_AT_ONCE = 500  # ids per DELETE: well under SQLite's and asyncpg's limits on bound values


async def hold(session: AsyncSession, platform: str, updates: Sequence[HeldUpdate], now: dt.datetime) -> None:
    """One INSERT for the batch; an update held already (a redelivery) stays as it was."""
    if not updates:
        return
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    rows = [
        {"platform": platform, "chat_id": u.chat_id, "external_id": u.external_id, "payload": u.payload, "received_at": now}
        for u in updates
    ]
    statement = dialect.insert(InboundUpdate).on_conflict_do_nothing(index_elements=["platform", "external_id"])
    await session.execute(statement, rows)


async def held(session: AsyncSession, platform: str) -> list[HeldUpdate]:
    rows = await session.execute(
        select(InboundUpdate.chat_id, InboundUpdate.external_id, InboundUpdate.payload)
        .where(InboundUpdate.platform == platform)
        .order_by(InboundUpdate.id)
    )
    return [HeldUpdate(chat_id, external_id, payload) for chat_id, external_id, payload in rows]


async def release(session: AsyncSession, platform: str, external_ids: Collection[str]) -> None:
    ids = list(external_ids)
    for start in range(0, len(ids), RELEASED_AT_ONCE):
        chunk = ids[start : start + RELEASED_AT_ONCE]
        await session.execute(delete(InboundUpdate).where(InboundUpdate.platform == platform, InboundUpdate.external_id.in_(chunk)))
