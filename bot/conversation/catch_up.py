"""What a platform may have delivered while the bot was away.

Telegram keeps a bot's updates until it fetches them; Discord does not: a
message written while the bot was down reaches it only if the bot reads the
chat's history back. The adapter keeps a cursor (how far it received messages
live) and, at its next start, rereads from there the chats where a round is
open, handing each message to the engine as if it had just arrived. Messages
already stored are dropped by the engine (their ids are unique).

The command menu last registered with a platform is kept here too, so that
it is registered again only when it changes.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.ports import ChatRef, PlaceToReread
from bot.storage.models import Delivery, PlatformCursor, Question, RegisteredMenu, Round, RoundStatus, Venue


async def places_to_reread(session: AsyncSession, platform: str) -> list[PlaceToReread]:
    """Every chat on the platform still following a discussion with a round
    open, or closed since the cursor (a late answer written meanwhile in its
    thread is read back too)."""
    cursor = await session.get(PlatformCursor, platform)
    since = cursor.updated_at if cursor else None
    followed = Round.status == RoundStatus.open
    if since is not None:
        followed = or_(followed, and_(Round.status == RoundStatus.closed, Round.closed_at >= since))
    rounds_read = select(Round.id, Round.discussion_id).where(followed).subquery()
    venues = await session.scalars(
        select(Venue)
        .where(Venue.platform == platform, Venue.active, Venue.unreachable.is_(False))
        .where(Venue.discussion_id.in_(select(rounds_read.c.discussion_id)))
        .order_by(Venue.id)
    )
    threads = await session.execute(
        select(Delivery.venue_id, Delivery.thread_id)
        .join(Question, Delivery.question_id == Question.id)
        .where(Question.round_id.in_(select(rounds_read.c.id)), Delivery.thread_id.is_not(None))
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


async def registered_menu(session: AsyncSession, platform: str) -> str | None:
    menu = await session.get(RegisteredMenu, platform)
    return menu.digest if menu else None


async def record_registered_menu(session: AsyncSession, platform: str, digest: str, now: dt.datetime) -> None:
    menu = await session.get(RegisteredMenu, platform)
    if menu is None:
        session.add(RegisteredMenu(platform=platform, digest=digest, registered_at=now))
    else:
        menu.digest, menu.registered_at = digest, now
