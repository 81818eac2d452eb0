"""Opening and closing rounds, posting their questions, and participation figures.

Posting is resumable: each question posted in a venue is recorded as a
`Delivery` right after the platform accepts it, and `post_missing_questions`
posts only what has no delivery yet, so a process killed in the middle of a
round resumes it with nothing lost and nothing posted twice.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.discussion import store
from bot.discussion.store import question_text, venue_language
from bot.i18n import _, format_moment, ngettext, reading_in
from bot.ports import ChatRef, OutgoingMessage, RecipientUnreachable, SentMessage
from bot.storage.models import (
    Contribution,
    ContributionStatus,
    Delivery,
    Discussion,
    Message,
    Participant,
    Question,
    Round,
    RoundStatus,
    Venue,
)

log = logging.getLogger(__name__)

Send = Callable[[OutgoingMessage], Awaitable[SentMessage]]


async def open_round(session: AsyncSession, discussion: Discussion, round_: Round, now: dt.datetime) -> bool:
    """Open a round (closing any other open one: rounds follow each other).
    Returns False when it was already open. Posting is `post_missing_questions`' job."""
    if round_.status == RoundStatus.open:
        return False
    for other in await store.rounds_of(session, discussion):
        if other.status == RoundStatus.open and other.id != round_.id:
            other.status, other.closed_at = RoundStatus.closed, now
    round_.status, round_.opened_at, round_.closed_at = RoundStatus.open, now, None
    await session.flush()
    return True


async def close_round(session: AsyncSession, round_: Round, now: dt.datetime) -> bool:
    if round_.status != RoundStatus.open:
        return False
    round_.status, round_.closed_at = RoundStatus.closed, now
    await session.flush()
    return True


def question_post(discussion: Discussion, round_: Round, question: Question, count: int, language: str) -> str:
    """One question as posted; the first of a round carries the round's header. Call inside `reading_in`."""
    body = _("Question {key}").format(key=question.key) + "\n" + question_text(question, language, discussion)
    footer = _("To answer, reply to this message or start your message with «{key}:».").format(key=question.key)
    if question.position != 1:
        return f"{body}\n\n{footer}"
    header = ngettext(
        "Round {number} is open until {closes}: {count} question, answer it in the language of your choice.",
        "Round {number} is open until {closes}: {count} questions, answer as many as you wish, in the language of your choice.",
        count,
    ).format(number=round_.number, closes=format_moment(round_.closes_at, discussion.timezone), count=count)
    return f"{header}\n\n{body}\n\n{footer}"


@dataclass(frozen=True)
class _Post:
    venue_id: int
    question_id: int
    chat: ChatRef
    message: OutgoingMessage


async def plan_missing_posts(session: AsyncSession, platforms: Collection[str], only_venue_id: int | None = None) -> dict[int, list[_Post]]:
    """Per venue, in order, the open rounds' questions it has not received yet."""
    rows = await session.execute(
        select(Venue, Round, Question, Discussion, Participant)
        .join(Discussion, Venue.discussion_id == Discussion.id)
        .join(Round, and_(Round.discussion_id == Discussion.id, Round.status == RoundStatus.open))
        .join(Question, and_(Question.round_id == Round.id, Question.position > 0))
        .outerjoin(Participant, Venue.participant_id == Participant.id)
        .outerjoin(Delivery, and_(Delivery.venue_id == Venue.id, Delivery.question_id == Question.id))
        .where(
            Delivery.id.is_(None),
            Venue.active.is_(True),
            Venue.unreachable.is_(False),
            Venue.platform.in_(list(platforms)),
            Discussion.paused.is_(False),
            *([Venue.id == only_venue_id] if only_venue_id is not None else []),
        )
        .order_by(Venue.id, Round.number, Question.position)
    )
    counts: dict[int, int] = {}
    plan: dict[int, list[_Post]] = {}
    for venue, round_, question, discussion, participant in rows.all():
        if round_.id not in counts:
            count = await session.scalar(select(func.count(Question.id)).where(Question.round_id == round_.id, Question.position > 0))
            assert count is not None  # a COUNT always has its row
            counts[round_.id] = count
        language = venue_language(venue, participant, discussion)
        with reading_in(language):
            text = question_post(discussion, round_, question, counts[round_.id], language)
        chat = ChatRef(platform=venue.platform, chat_id=venue.chat_id, kind=venue.kind)
        title = f"{question.key} · {question_text(question, language, discussion)}"
        message = OutgoingMessage(chat=chat, text=text, new_thread_title=title[:96])
        plan.setdefault(venue.id, []).append(_Post(venue.id, question.id, chat, message))
    return plan


async def post_missing_questions(
    sessions: async_sessionmaker[AsyncSession],
    send: Send,
    platforms: Collection[str],
    now: Callable[[], dt.datetime],
    only_venue_id: int | None = None,
    concurrency: int = 64,
) -> int:
    """Post every open round's questions that a reachable venue on one of
    `platforms` has not received yet. Venues are served concurrently (the
    adapters pace their platform's limits), each venue's questions in order,
    each delivery recorded as soon as the platform accepts it. Returns how many
    were posted."""
    async with sessions() as session:
        plan = await plan_missing_posts(session, platforms, only_venue_id)
    slots = asyncio.Semaphore(concurrency)
    deliveries = _DeliveryLog(sessions)

    async def post_to_venue(posts: list[_Post]) -> int:
        posted = 0
        async with slots:
            for post in posts:
                try:
                    sent = await send(post.message)
                except RecipientUnreachable:
                    log.info("venue %s is unreachable; no more questions are posted there", post.venue_id)
                    async with sessions() as session:
                        venue = await session.get(Venue, post.venue_id)
                        assert venue is not None  # planned from its row (gone only if its participant was forgotten since)
                        venue.unreachable = True
                        await session.commit()
                    break
                delivery = Delivery(
                    venue_id=post.venue_id,
                    question_id=post.question_id,
                    message_id=sent.message_id,
                    thread_id=sent.thread_id,
                    posted_at=now(),
                )
                await _even_if_cancelled(deliveries.record(delivery))
                posted += 1
        return posted

    tasks = [asyncio.ensure_future(post_to_venue(posts)) for posts in plan.values()]
    try:
        return sum(await asyncio.gather(*tasks))
    finally:
        # gather() returns at the first failure or cancellation and leaves the
        # other venues' tasks running: wait for them, so that a cancelled
        # posting has really stopped, its deliveries recorded, when it returns.
        if tasks:
            await asyncio.wait(tasks)


class _DeliveryLog:
    """Records deliveries as the platforms accept them, those accepted together
    in one transaction. One transaction per delivery from 64 venues at once
    made them queue for the database's write lock (on SQLite, its busy wait):
    a 2,000-chat broadcast ran at a fraction of the platform's pace."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]):
        self._sessions = sessions
        self._waiting: list[tuple[Delivery, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def record(self, delivery: Delivery) -> None:
        """Return once the delivery is committed."""
        committed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((delivery, committed))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.ensure_future(self._write())
        await committed

    async def _write(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                await self._commit([delivery for delivery, _committed in batch])
            except Exception:
                # One bad row must not fail the others: one at a time, each its own outcome.
                for delivery, committed in batch:
                    try:
                        await self._commit([delivery])
                    except Exception as error:
                        if not committed.done():
                            committed.set_exception(error)
                    else:
                        if not committed.done():
                            committed.set_result(None)
            else:
                for _delivery, committed in batch:
                    if not committed.done():  # not when its sender was torn down meanwhile
                        committed.set_result(None)

    async def _commit(self, deliveries: list[Delivery]) -> None:
        async with self._sessions() as session:
            session.add_all(deliveries)
            await session.commit()


async def _even_if_cancelled(operation: Awaitable[None]) -> None:
    """Finish recording a delivery when the posting is cancelled meanwhile
    (shutdown in the middle of a broadcast), then stop: a message sent and not
    recorded would be sent again after the restart."""
    task = asyncio.ensure_future(operation)
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        await task
        raise


@dataclass(frozen=True)
class QuestionFigures:
    key: str
    contributions: int
    participants: int
    languages: tuple[str, ...]


@dataclass(frozen=True)
class RoundFigures:
    number: int
    status: RoundStatus
    opens_at: dt.datetime
    closes_at: dt.datetime
    questions: tuple[QuestionFigures, ...]
    participants: int


async def participation(session: AsyncSession, discussion: Discussion) -> list[RoundFigures]:
    """Per round and question: contributions filed (hidden ones excluded), distinct participants, languages."""
    rows = await session.execute(
        select(Question.id, Message.participant_id, Message.language)
        .join(Contribution, Contribution.question_id == Question.id)
        .join(Message, Contribution.message_id == Message.id)
        .where(
            Question.discussion_id == discussion.id,
            Contribution.status == ContributionStatus.filed,
            Contribution.hidden.is_(False),
        )
    )
    by_question: dict[int, list[tuple[int | None, str | None]]] = {}
    for question_id, participant_id, language in rows:
        by_question.setdefault(question_id, []).append((participant_id, language))
    figures = []
    for round_ in await store.rounds_of(session, discussion):
        questions = await session.scalars(
            select(Question).where(Question.round_id == round_.id, Question.position > 0).order_by(Question.position)
        )
        per_question = []
        round_participants: set[int | None] = set()
        for question in questions:
            answers = by_question.get(question.id, [])
            people = {participant for participant, _language in answers}
            round_participants |= people
            per_question.append(
                QuestionFigures(
                    key=question.key,
                    contributions=len(answers),
                    participants=len(people),
                    languages=tuple(sorted({language for _participant, language in answers if language})),
                )
            )
        figures.append(
            RoundFigures(
                number=round_.number,
                status=round_.status,
                opens_at=round_.opens_at,
                closes_at=round_.closes_at,
                questions=tuple(per_question),
                participants=len(round_participants),
            )
        )
    return figures
