"""What a platform may have delivered while the bot was away.

Telegram keeps a bot's updates until it fetches them; Discord does not: a
message written while the bot was down reaches it only if the bot reads the
chat's history back. The adapter keeps a cursor (how far it received messages
live) and, at its next start, rereads from there the chats where a round is
open, handing each message to the engine as if it had just arrived. Messages
already stored are dropped by the engine (their ids are unique).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.ports import ChatRef, PlaceToReread
from bot.storage.models import Delivery, PlatformCursor, Question, Round, RoundStatus, Venue


async def places_to_reread(session: AsyncSession, platform: str) -> list[PlaceToReread]:
    """Every chat on the platform still following a discussion with an open round."""
    open_rounds = select(Round.id, Round.discussion_id).where(Round.status == RoundStatus.open).subquery()
    venues = await session.scalars(
        select(Venue)
        .where(Venue.platform == platform, Venue.active, Venue.unreachable.is_(False))
        .where(Venue.discussion_id.in_(select(open_rounds.c.discussion_id)))
        .order_by(Venue.id)
    )
    threads = await session.execute(
        select(Delivery.venue_id, Delivery.thread_id)
        .join(Question, Delivery.question_id == Question.id)
        .where(Question.round_id.in_(select(open_rounds.c.id)), Delivery.thread_id.is_not(None))
        .order_by(Delivery.id)
    )
    threads_of: dict[int, list[str]] = {}
    for venue_id, thread_id in threads:
        assert thread_id is not None  # the query keeps deliveries with a thread only
        threads_of.setdefault(venue_id, []).append(thread_id)
    return [
        PlaceToReread(ChatRef(platform, venue.chat_id, venue.kind), (venue.chat_id, *dict.fromkeys(threads_of.get(venue.id, []))))
        for venue in venues
    ]


async def seen_up_to(session: AsyncSession, platform: str) -> str | None:
    cursor = await session.get(PlatformCursor, platform)
    return cursor.seen_up_to if cursor else None


async def record_seen(session: AsyncSession, platform: str, seen_up_to: str, now: dt.datetime) -> None:
    cursor = await session.get(PlatformCursor, platform)
    if cursor is None:
        session.add(PlatformCursor(platform=platform, seen_up_to=seen_up_to, updated_at=now))
    else:
        cursor.seen_up_to, cursor.updated_at = seen_up_to, now
