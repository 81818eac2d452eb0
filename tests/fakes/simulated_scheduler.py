"""The scheduler's twin for tests: plays a discussion's calendar on the test's
clock, calling `schedules.timetable.advance` at every moment the real scheduler
would have a job for (the same plan), so weeks pass in seconds."""

from __future__ import annotations

import datetime as dt

from bot.conversation.engine import Engine
from bot.discussion import store
from bot.ports import OutgoingMessage
from schedules import timetable


async def next_moment(engine: Engine, now: dt.datetime, grace: dt.timedelta) -> dt.datetime | None:
    moments = []
    async with engine.sessions() as session:
        for discussion in await store.list_discussions(session):
            state = await timetable.load_state(session, discussion, engine.platforms.keys())
            moments += [event.at for event in timetable.plan(state, now, grace) if event.at > now]
    return min(moments, default=None)


async def run_until(
    engine: Engine, clock, until: dt.datetime, grace: dt.timedelta = timetable.DEFAULT_GRACE
) -> list[tuple[dt.datetime, OutgoingMessage]]:
    """Move the clock to `until`, doing at each planned moment what the
    scheduler's job would. Returns what was sent, with when."""
    platform = next(iter(engine.platforms.values()))
    sent: list[tuple[dt.datetime, OutgoingMessage]] = []
    moment = clock()  # first, as the scheduler's housekeeping does: what is due already
    while moment is not None and moment <= until:
        clock.now = moment
        before = len(platform.sent)
        async with engine.sessions() as session:
            discussion_ids = [d.id for d in await store.list_discussions(session)]
        for discussion_id in discussion_ids:
            await timetable.advance(engine, discussion_id, moment, grace)
        await engine.drain()
        sent += [(moment, message) for message, _sent in platform.sent[before:]]
        moment = await next_moment(engine, clock(), grace)
    clock.now = until
    return sent
