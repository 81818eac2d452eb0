"""What the database holds, read back the way the tests check it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.models import Contribution, Message, Question


async def stored_contributions(sessions: async_sessionmaker[AsyncSession], *columns) -> list[tuple]:
    """Every contribution, oldest first, as a tuple of `columns` (of Question,
    Message and Contribution; Question.key is None while a contribution is pending)."""
    async with sessions() as session:
        rows = await session.execute(
            select(*columns)
            .select_from(Contribution)
            .join(Message)
            .outerjoin(Question, Contribution.question_id == Question.id)
            .order_by(Contribution.id)
        )
        return [tuple(row) for row in rows]
