"""Opening and closing rounds, posting their questions, and participation figures.

Posting is resumable: each question posted in a venue is recorded as a
`Delivery` right after the platform accepts it, and `post_missing_questions`
posts only what has no delivery yet, so a process killed in the middle of a
round resumes it with nothing lost and nothing posted twice. It reads the
venues a batch at a time and writes each message as it sends it, so a round
to 100,000 chats takes no more memory than a round to 1,000.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, replace

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.discussion import store
from bot.discussion.store import question_text, venue_language
from bot.handling.unfiled import waiting_per_round
from bot.i18n import _, format_moment, ngettext, reading_in
from bot.ports import (
    ChatPlatform,
    ChatRef,
    OutgoingMessage,
    QuestionPost,
    RecipientUnreachable,
    SentMessage,
    answers_by_reply,
    posts_whole_rounds,
    ready_to_send,
)
from bot.storage.models import (
    LANGUAGE_STEP,
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


def question_post(discussion: Discussion, round_: Round, question: Question, count: int, language: str, by_reply: bool = True) -> str:
    """One question as posted; the first of a round carries the round's header. Call inside `reading_in`.
    `by_reply`: the chat's platform lets people reply to a message."""
    body = _("Question {key}").format(key=question.key) + "\n" + question_text(question, language, discussion)
    footer = (
        _("To answer, reply to this message or start your message with «{key}:».")
        if by_reply
        else _("To answer, start your message with «{key}:».")
    ).format(key=question.key)
    if question.position != 1:
        return f"{body}\n\n{footer}"
    return f"{round_header(discussion, round_, count)}\n\n{body}\n\n{footer}"


def round_header(discussion: Discussion, round_: Round, count: int) -> str:
    """The sentence a round's first post opens with. Call inside `reading_in`."""
    return ngettext(
        "Round {number} is open until {closes}: {count} question, answer it in the language of your choice.",
        "Round {number} is open until {closes}: {count} questions, answer as many as you wish, in the language of your choice.",
        count,
    ).format(number=round_.number, closes=format_moment(round_.closes_at, discussion.timezone), count=count)


VENUES_AT_ONCE = 500  # venues read per query; a broadcast holds this many, and its messages, whatever its size
# A participant who subscribed while a round is open and has not chosen their language yet is not sent its
# questions in the language guessed for them; if they never choose, they get them in it after this.
LANGUAGE_CHOICE_WAIT = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class _OpenQuestions:
    """A discussion's open rounds' questions, in order, as posted."""

    discussion: Discussion
    questions: tuple[tuple[Round, Question, int], ...]  # round, question, questions in that round


@dataclass(frozen=True)
class _Target:
    """A venue and the questions it has not received yet, in order."""

    venue_id: int
    chat: ChatRef
    language: str
    open: _OpenQuestions
    missing: tuple[tuple[Round, Question, int], ...]


async def _open_questions(session: AsyncSession) -> dict[int, _OpenQuestions]:
    """Per discussion not paused with a round open, its open rounds' questions (a few dozen at most)."""
    rows = await session.execute(
        select(Discussion, Round, Question)
        .join(Round, and_(Round.discussion_id == Discussion.id, Round.status == RoundStatus.open))
        .join(Question, and_(Question.round_id == Round.id, Question.position > 0))
        .where(Discussion.paused.is_(False))
        .order_by(Discussion.id, Round.number, Question.position)
    )
    found: dict[int, tuple[Discussion, list[tuple[Round, Question]]]] = {}
    for discussion, round_, question in rows:
        found.setdefault(discussion.id, (discussion, []))[1].append((round_, question))
    result = {}
    for discussion_id, (discussion, questions) in found.items():
        counts = Counter(round_.id for round_, _question in questions)
        result[discussion_id] = _OpenQuestions(discussion, tuple((r, q, counts[r.id]) for r, q in questions))
    return result


async def _targets(
    sessions: async_sessionmaker[AsyncSession],
    open_questions: Mapping[int, _OpenQuestions],
    platforms: Collection[str],
    only_venue_id: int | None,
    venues_at_once: int,
    now: dt.datetime,
) -> AsyncIterator[_Target]:
    """The venues missing one of their discussion's open questions, in order
    of id, read `venues_at_once` at a time (keyset: each read starts after the
    last venue of the one before), in a session of its own. A participant who
    has just subscribed gets them once they have chosen their language (the
    engine posts them then), or after LANGUAGE_CHOICE_WAIT if they never do."""
    question_ids = [question.id for open_ in open_questions.values() for _round, question, _count in open_.questions]
    missing_one = (
        select(Question.id)
        .join(Round, and_(Question.round_id == Round.id, Round.status == RoundStatus.open))
        .where(
            Question.discussion_id == Venue.discussion_id,
            Question.position > 0,
            ~select(Delivery.id)
            .where(Delivery.venue_id == Venue.id, Delivery.question_id == Question.id)
            .correlate_except(Delivery)
            .exists(),
        )
        .exists()
    )
    after = 0
    while True:
        async with sessions() as session:
            rows = (
                await session.execute(
                    select(Venue, Participant)
                    .outerjoin(Participant, Venue.participant_id == Participant.id)
                    .where(
                        Venue.id > after,
                        Venue.discussion_id.in_(list(open_questions)),
                        Venue.active.is_(True),
                        Venue.unreachable.is_(False),
                        Venue.platform.in_(list(platforms)),
                        ~and_(
                            func.coalesce(Participant.onboarding_step, "") == LANGUAGE_STEP, Venue.created_at > now - LANGUAGE_CHOICE_WAIT
                        ),
                        missing_one,
                        *([Venue.id == only_venue_id] if only_venue_id is not None else []),
                    )
                    .order_by(Venue.id)
                    .limit(venues_at_once)
                )
            ).all()
            if not rows:
                return
            delivered = {
                (venue_id, question_id)
                for venue_id, question_id in await session.execute(
                    select(Delivery.venue_id, Delivery.question_id).where(
                        Delivery.venue_id.in_([venue.id for venue, _participant in rows]), Delivery.question_id.in_(question_ids)
                    )
                )
            }
        for venue, participant in rows:
            open_ = open_questions[venue.discussion_id]
            missing = tuple(entry for entry in open_.questions if (venue.id, entry[1].id) not in delivered)
            if missing:
                chat = ChatRef(platform=venue.platform, chat_id=venue.chat_id, kind=venue.kind)
                yield _Target(venue.id, chat, venue_language(venue, participant, open_.discussion), open_, missing)
        after = rows[-1][0].id


async def post_missing_questions(
    sessions: async_sessionmaker[AsyncSession],
    send: Send,
    platforms: Mapping[str, ChatPlatform],
    now: Callable[[], dt.datetime],
    only_venue_id: int | None = None,
    concurrency: int = 64,
    venues_at_once: int = VENUES_AT_ONCE,
) -> int:
    """Post every open round's questions that a reachable venue on one of
    `platforms` has not received yet. Venues are read in batches, and served
    `concurrency` at a time (the adapters pace their platform's limits), each
    venue's questions in order (in one message per round where the platform
    posts rounds whole), each message written as it is sent, its deliveries
    recorded as soon as the platform accepts it. A venue whose
    platform fails is left for the next posting; the others go on, and the
    first failure is raised at the end. Returns how many were posted."""
    async with sessions() as session:
        open_questions = await _open_questions(session)
    if not open_questions:
        return 0
    deliveries = _DeliveryLog(sessions)
    queue: asyncio.Queue[_Target | None] = asyncio.Queue(maxsize=concurrency)
    texts: dict[tuple[int, str, bool], tuple[str, str]] = {}  # a question's message per language and platform kind: a few
    whole_rounds: dict[tuple[tuple[int, ...], str], OutgoingMessage] = {}  # a round's message per language, questions missing
    failures: list[BaseException] = []

    def message(target: _Target, round_: Round, question: Question, count: int) -> OutgoingMessage:
        by_reply = answers_by_reply(platforms[target.chat.platform])
        key = (question.id, target.language, by_reply)
        if key not in texts:
            discussion = target.open.discussion
            with reading_in(target.language):
                text = question_post(discussion, round_, question, count, target.language, by_reply)
            texts[key] = (text, f"{question.key} · {question_text(question, target.language, discussion)}"[:96])
        text, title = texts[key]
        return OutgoingMessage(chat=target.chat, text=text, new_thread_title=title)

    def whole_round(target: _Target, entries: tuple[tuple[Round, Question, int], ...]) -> OutgoingMessage:
        round_, _question, count = entries[0]
        key = (tuple(question.id for _round, question, _count in entries), target.language)
        if key not in whole_rounds:
            discussion = target.open.discussion
            with reading_in(target.language):
                header = round_header(discussion, round_, count)
                title = _("Round {number} · {title}").format(number=round_.number, title=discussion.title.get(target.language, ""))
            posts = tuple(QuestionPost(question.key, question_text(question, target.language, discussion)) for _r, question, _c in entries)
            whole_rounds[key] = OutgoingMessage(chat=target.chat, text=header, new_thread_title=title.rstrip(" ·"), questions=posts)
        return replace(whole_rounds[key], chat=target.chat)

    def posts(target: _Target) -> list[tuple[OutgoingMessage, tuple[tuple[Round, Question, int], ...]]]:
        """The venue's messages, each with the questions it posts: one each, or one per round where the platform posts rounds whole."""
        if not posts_whole_rounds(platforms[target.chat.platform]):
            return [(message(target, *entry), (entry,)) for entry in target.missing]
        by_round: dict[int, list[tuple[Round, Question, int]]] = {}
        for entry in target.missing:
            by_round.setdefault(entry[0].id, []).append(entry)
        return [(whole_round(target, tuple(entries)), tuple(entries)) for entries in by_round.values()]

    async def post_to_venue(target: _Target) -> int:
        posted = 0
        for outgoing, entries in posts(target):
            try:
                with reading_in(target.language):  # a round posted whole is sent in its reader's language (`posts_whole_rounds`)
                    sent = await send(outgoing)
            except RecipientUnreachable:
                log.info("venue %s is unreachable; no more questions are posted there", target.venue_id)
                async with sessions() as session:
                    venue = await session.get(Venue, target.venue_id)
                    assert venue is not None  # read just before (gone only if its participant was forgotten since)
                    venue.unreachable = True
                    await session.commit()
                break
            posted_at = now()
            await _even_if_cancelled(
                deliveries.record(
                    [
                        Delivery(
                            venue_id=target.venue_id,
                            question_id=question.id,
                            message_id=sent.message_id,
                            thread_id=sent.thread_id,
                            posted_at=posted_at,
                        )
                        for _round, question, _count in entries
                    ]
                )
            )
            posted += len(entries)
        return posted

    async def serve() -> int:
        posted = 0
        while (target := await queue.get()) is not None:
            try:
                posted += await post_to_venue(target)
            except Exception as error:
                log.info("posting to venue %s failed (%s); it is retried at the next posting", target.venue_id, error)
                failures.append(error)
        return posted

    async def feed() -> None:
        ready = [name for name, platform in platforms.items() if ready_to_send(platform)]  # the others: at the next posting
        async for target in _targets(sessions, open_questions, ready, only_venue_id, venues_at_once, now()):
            await queue.put(target)
        for _server in servers:
            await queue.put(None)

    servers = [asyncio.ensure_future(serve()) for _ in range(concurrency)]
    feeding = asyncio.ensure_future(feed())
    try:
        await feeding
        posted = sum(await asyncio.gather(*servers))
    finally:
        # Cancelled, or the reading failed: stop every server, and wait for
        # them, so that a cancelled posting has really stopped, its deliveries
        # recorded, when it returns.
        for task in (feeding, *servers):
            task.cancel()
        await asyncio.wait([feeding, *servers])
    if failures:
        raise failures[0]
    return posted


class _DeliveryLog:
    """Records deliveries as the platforms accept them, those accepted together
    in one transaction. One transaction per delivery from 64 venues at once
    made them queue for the database's write lock (on SQLite, its busy wait):
    a 2,000-chat broadcast ran at a fraction of the platform's pace."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]):
        self._sessions = sessions
        self._waiting: list[tuple[list[Delivery], asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def record(self, message_deliveries: list[Delivery]) -> None:
        """Return once the deliveries of one message (one question's, or a whole round's) are committed, all together."""
        committed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((message_deliveries, committed))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.ensure_future(self._write())
        await committed

    async def _write(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                await self._commit([delivery for message_deliveries, _committed in batch for delivery in message_deliveries])
            except Exception:
                # One bad row must not fail the others: one message at a time, each its own outcome.
                for message_deliveries, committed in batch:
                    try:
                        await self._commit(message_deliveries)
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
        # Cancelled again meanwhile (the posting's servers are cancelled more
        # than once on the way out): the recording still ends first.
        while not task.done():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(task)
        task.result()
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
    waiting: int = 0  # answers sent in the round that wait for their question


async def participation(session: AsyncSession, discussion: Discussion) -> list[RoundFigures]:
    """Per round and question: contributions filed (hidden ones excluded),
    distinct participants, languages; and per round, the answers still waiting
    for their question."""
    waiting = await waiting_per_round(session, discussion.id)
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
        round_participants: set[int] = set()
        for question in questions:
            answers = by_question.get(question.id, [])
            # As in the report: a forgotten author (no participant any more) is no one to count, their answers still are.
            people = {participant for participant, _language in answers if participant is not None}
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
                opens_at=round_.held[0],
                closes_at=round_.held[1],
                questions=tuple(per_question),
                participants=len(round_participants),
                waiting=waiting.get(round_.id, 0),
            )
        )
    return figures
