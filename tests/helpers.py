"""What several test files do the same way: an organiser, a participant who
joins, a round opened, an answer to a posted question, and what the database
holds, read back the way the tests check it."""

from __future__ import annotations

import datetime as dt
import signal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.discussion import store
from bot.ports import ChatKind
from bot.storage.models import Contribution, Delivery, Discussion, Message, Participant, PlatformIdentity, Question, Venue


async def organiser(engine, user, user_id: str = "boss", language: str = "en"):
    """Someone granted organiser rights on the loaded discussion."""
    boss = user(user_id, language)
    async with engine.sessions() as session:
        discussion = await store.find_discussion(session)
        await store.grant_organiser(session, discussion, boss.platform.name, boss.user_id, engine.clock())
        await session.commit()
    return boss


async def join(
    engine,
    user,
    user_id: str,
    language_code: str | None,
    consent: str | None = None,
    name: str | None = None,
    organisation: str | None = None,
    country: str | None = None,
    role: str | None = None,
    *,
    chosen_language: str | None = None,
    reminders: str | None = None,
    timezone: str | None = None,
    display_name: str = "",
):
    """Subscribe someone in their private chat through the engine, answering
    (or skipping) every prompt: the language the platform gave unless
    `chosen_language`, consent, name, organisation, country, role."""
    person = user(user_id, language_code, name=display_name)
    await engine.handle_message(person.message("/start"))
    await engine.handle_button(person.press(f"lang:{chosen_language}" if chosen_language else "skip"))
    await engine.handle_button(person.press(f"consent:{consent}" if consent else "skip"))
    for answer in (name, organisation, country):
        await engine.handle_message(person.message(answer or "/skip"))
    await engine.handle_button(person.press(f"role:{role}" if role else "skip"))
    if reminders:
        await engine.handle_message(person.message(f"/reminders {reminders}"))
    if timezone:
        await engine.handle_message(person.message(f"/timezone {timezone}"))
    return person


async def open_round(engine, boss, number: int = 1) -> None:
    """The organiser opens round `number`; its questions are posted before this returns."""
    await engine.handle_message(boss.message(f"/open_round {number}"))
    await engine.drain()


async def answer(engine, person, key: str, text: str = "Nuestra experiencia municipal.") -> None:
    """Reply to the question's message in the person's private chat."""
    async with engine.sessions() as session:
        message_id = await session.scalar(
            select(Delivery.message_id)
            .join(Venue, Delivery.venue_id == Venue.id)
            .join(Question, Delivery.question_id == Question.id)
            .where(Venue.chat_id == person.dm, Question.key == key)
        )
    assert message_id, f"question {key} was not posted to {person.user_id}"
    await engine.handle_message(person.message(text, reply_to=message_id))


def reminders_to(sent, person):
    """The reminders among (time, message) pairs sent, that went to `person`."""
    return [(at, message) for at, message in sent if message.chat.chat_id == person.dm and "/reminders off" in message.text]


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


async def add_subscriber(
    session: AsyncSession, discussion: Discussion, platform: str, chat_id: str, now: dt.datetime, **profile
) -> Participant:
    """A participant subscribed straight in the database, with their private
    chat: for benchmarks that need thousands without onboarding each."""
    person = Participant(created_at=now, **profile)
    session.add(person)
    await session.flush()
    session.add(PlatformIdentity(platform=platform, external_id=chat_id, participant_id=person.id))
    session.add(
        Venue(
            discussion_id=discussion.id, platform=platform, chat_id=chat_id, kind=ChatKind.private, participant_id=person.id, created_at=now
        )
    )
    return person


def ctrl_c_acted_on() -> None:
    """A `subprocess.Popen` preexec_fn: the child acts on Ctrl-C (SIGINT) as at a terminal, even
    when the tests run as a background job, whose children inherit SIGINT ignored (Python then
    installs no KeyboardInterrupt, and the bot rightly goes on)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
