"""Loading discussion files into the database, and the queries every part of
the engine shares (which discussion a chat follows, which round is open, who
organises)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar, cast

import numpy as np
from sqlalchemy import delete, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from bot.discussion.spec import DiscussionSpec
from bot.linking import Linker, LinkQuestion
from bot.linking.linker import EXEMPLAR_METHODS, EXEMPLARS_PER_QUESTION, FiledAnswer
from bot.linking.meaning import embedder_for_index
from bot.ports import ChatKind
from bot.storage.models import (
    Contribution,
    ContributionEmbedding,
    ContributionStatus,
    Discussion,
    OrganiserGrant,
    Participant,
    Question,
    Round,
    RoundState,
    RoundStatus,
    Venue,
)

AnyRound = TypeVar("AnyRound", bound=RoundState)  # a stored `Round`, or a turn's row of it


async def store_discussion(session: AsyncSession, spec: DiscussionSpec, now: dt.datetime) -> Discussion:
    """Create or update a discussion from its file. Round status, contributions
    and organisers granted from chat or CLI are kept; dates and texts follow the file."""
    discussion = await session.scalar(select(Discussion).where(Discussion.slug == spec.slug))
    if discussion is None:
        discussion = Discussion(slug=spec.slug)
        session.add(discussion)
    discussion.languages = list(spec.languages)
    discussion.timezone = spec.timezone
    discussion.title = dict(spec.title)
    discussion.invitation = dict(spec.invitation)
    # At least a second before closing: a rehearsal's scaled offsets must not fall at the closing itself.
    discussion.reminder_offsets = sorted({max(1, round(offset.total_seconds())) for offset in spec.reminders}, reverse=True)
    discussion.on_forget = spec.on_forget
    discussion.others_answers = spec.others_answers
    discussion.quiet_hours = spec.quiet_hours is not None
    if spec.quiet_hours is not None:
        discussion.quiet_from, discussion.quiet_until = str(spec.quiet_hours).split("-")
    discussion.source = spec.source
    discussion.loaded_at = now
    await session.flush()

    rounds = {r.number: r for r in await session.scalars(select(Round).where(Round.discussion_id == discussion.id))}
    questions = {q.key: q for q in await session.scalars(select(Question).where(Question.discussion_id == discussion.id))}
    for round_spec in spec.rounds:
        round_ = rounds.get(round_spec.number)
        if round_ is None:
            round_ = Round(discussion_id=discussion.id, number=round_spec.number, status=RoundStatus.scheduled)
            session.add(round_)
        round_.opens_at = round_spec.opens_at
        round_.closes_at = round_spec.closes_at
        await session.flush()
        for question_spec in round_spec.questions:
            question = questions.pop(question_spec.key, None)
            if question is None:
                question = Question(discussion_id=discussion.id, key=question_spec.key)
                session.add(question)
            question.round_id = round_.id
            question.position = question_spec.position
            question.texts = dict(question_spec.texts)
    # Questions removed from the file keep their contributions but leave the
    # discussion's rounds: they are neither posted nor offered any more.
    for orphan in questions.values():
        orphan.position = 0

    await session.execute(delete(OrganiserGrant).where(OrganiserGrant.discussion_id == discussion.id, OrganiserGrant.from_file.is_(True)))
    for organiser in spec.organisers:
        platform, external_id = organiser.split(":", 1)
        await grant_organiser(session, discussion, platform, external_id, now, from_file=True)
    await session.flush()
    return discussion


async def grant_organiser(
    session: AsyncSession, discussion: Discussion, platform: str, external_id: str, now: dt.datetime, from_file: bool = False
) -> bool:
    """Returns False when that identity already organises the discussion."""
    existing = await session.scalar(
        select(OrganiserGrant).where(
            OrganiserGrant.discussion_id == discussion.id,
            OrganiserGrant.platform == platform,
            OrganiserGrant.external_id == external_id,
        )
    )
    if existing is not None:
        return False
    session.add(
        OrganiserGrant(discussion_id=discussion.id, platform=platform, external_id=external_id, from_file=from_file, granted_at=now)
    )
    await session.flush()
    return True


async def revoke_organiser(session: AsyncSession, discussion: Discussion, platform: str, external_id: str) -> OrganiserGrant | None:
    """The grant taken back, or None when that identity did not organise the discussion. One from the
    discussion file (`from_file`) is granted again when the file is next loaded."""
    grant = await session.scalar(
        select(OrganiserGrant).where(
            OrganiserGrant.discussion_id == discussion.id,
            OrganiserGrant.platform == platform,
            OrganiserGrant.external_id == external_id,
        )
    )
    if grant is not None:
        await session.delete(grant)
        await session.flush()
    return grant


async def organisers_of(session: AsyncSession, discussion: Discussion) -> list[OrganiserGrant]:
    """Every identity granted organiser rights, by platform and id."""
    grants = await session.scalars(
        select(OrganiserGrant)
        .where(OrganiserGrant.discussion_id == discussion.id)
        .order_by(OrganiserGrant.platform, OrganiserGrant.external_id)
    )
    return list(grants)


async def is_organiser(session: AsyncSession, discussion: Discussion, platform: str, external_id: str) -> bool:
    grant = await session.scalar(
        select(OrganiserGrant.id).where(
            OrganiserGrant.discussion_id == discussion.id,
            OrganiserGrant.platform == platform,
            OrganiserGrant.external_id == external_id,
        )
    )
    return grant is not None


async def find_discussion(session: AsyncSession, slug: str | None = None) -> Discussion | None:
    """By slug, or else the most recently loaded discussion."""
    query = select(Discussion)
    query = query.where(Discussion.slug == slug) if slug else query.order_by(Discussion.loaded_at.desc(), Discussion.id.desc())
    return await session.scalar(query.limit(1))


async def list_discussions(session: AsyncSession) -> list[Discussion]:
    return list(await session.scalars(select(Discussion).order_by(Discussion.slug)))


async def venue_for_chat(session: AsyncSession, platform: str, chat_id: str) -> Venue | None:
    return await session.scalar(select(Venue).where(Venue.platform == platform, Venue.chat_id == chat_id))


async def move_chat(session: AsyncSession, platform: str, old_chat_id: str, new_chat_id: str) -> bool:
    """A chat the platform gave a new id (a Telegram group become a supergroup):
    it keeps following its discussion. False when nothing followed the old id,
    or something already follows the new one."""
    venue = await venue_for_chat(session, platform, old_chat_id)
    if venue is None or await venue_for_chat(session, platform, new_chat_id) is not None:
        return False
    venue.chat_id = new_chat_id
    return True


async def rounds_of(session: AsyncSession, discussion: Discussion) -> list[Round]:
    return list(await session.scalars(select(Round).where(Round.discussion_id == discussion.id).order_by(Round.number)))


async def round_by_number(session: AsyncSession, discussion: Discussion, number: int) -> Round | None:
    return await session.scalar(select(Round).where(Round.discussion_id == discussion.id, Round.number == number))


def current_of(rounds: Sequence[AnyRound]) -> tuple[AnyRound | None, bool]:
    """The open round (the latest, should several be), or else the round closed
    last, and whether answers to it are late."""
    opened = [r for r in rounds if r.status == RoundStatus.open]
    if opened:
        return max(opened, key=lambda r: r.number), False
    closed = [r for r in rounds if r.status == RoundStatus.closed]
    if closed:
        return max(closed, key=lambda r: (r.closed_at or r.closes_at, r.number)), True
    return None, False


def open_when(rounds: Sequence[AnyRound], moment: dt.datetime) -> AnyRound | None:
    """The round that was open at `moment` (the latest, should several have
    been): for a message written then and read later."""
    was_open = [
        r
        for r in rounds
        if r.opened_at is not None
        and r.opened_at <= moment
        and (r.status == RoundStatus.open or (r.status == RoundStatus.closed and (r.closed_at or r.closes_at) > moment))
    ]
    return max(was_open, key=lambda r: r.number) if was_open else None


async def current_round(session: AsyncSession, discussion: Discussion) -> tuple[Round | None, bool]:
    return current_of(await rounds_of(session, discussion))


async def questions_of(session: AsyncSession, discussion: IndexedDiscussion) -> list[tuple[Question, int]]:
    """Every question still in the discussion, with its round number, in order."""
    rows = await session.execute(
        select(Question, Round.number)
        .join(Round, Question.round_id == Round.id)
        .where(Question.discussion_id == discussion.id, Question.position > 0)
        .order_by(Round.number, Question.position)
    )
    return [(question, number) for question, number in rows]


@dataclass(frozen=True)
class IndexedQuestion:
    id: int
    key: str
    round_number: int
    position: int
    texts: dict[str, str]


@dataclass(frozen=True)
class DiscussionIndex:
    """What stays the same between two loads of a discussion file, kept in
    memory so that an update does not query it again."""

    questions: dict[str, IndexedQuestion]  # by key, in discussion order
    by_id: dict[int, IndexedQuestion]
    linker: Linker

    def round_keys(self, number: int | None) -> list[str]:
        return [q.key for q in self.questions.values() if q.round_number == number]


class IndexedDiscussion(Protocol):
    """What a discussion's index is built from and kept by: a stored `Discussion`, or a turn's row of it."""

    @property
    def id(self) -> int: ...
    @property
    def languages(self) -> Sequence[str]: ...
    @property
    def loaded_at(self) -> dt.datetime: ...


async def build_index(session: AsyncSession, discussion: IndexedDiscussion) -> DiscussionIndex:
    questions = [
        IndexedQuestion(id=q.id, key=q.key, round_number=number, position=q.position, texts=dict(q.texts))
        for q, number in await questions_of(session, discussion)
    ]
    link_questions = [LinkQuestion(key=q.key, round_number=q.round_number, position=q.position, texts=q.texts) for q in questions]
    # The model loads once per process (or in the background, when `facilitator run` started it
    # so), and embeds each wording once: off the event loop, both.
    embedder = await asyncio.to_thread(embedder_for_index)
    # The answers filed so far shape the linker as they did the one that linked them: a
    # restarted bot, or a file loaded again, links the next message as before.
    filed = await filed_answers(session, questions, embedder.name) if embedder is not None else []
    linker = await asyncio.to_thread(Linker, link_questions, discussion.languages, embedder, filed)
    return DiscussionIndex(questions={q.key: q for q in questions}, by_id={q.id: q for q in questions}, linker=linker)


# SQLite allows 500 terms in a compound SELECT: a discussion of more questions takes a query per so many.
FILED_ANSWERS_QUESTIONS_PER_QUERY = 400


async def filed_answers(session: AsyncSession, questions: Sequence[IndexedQuestion], model: str) -> list[FiledAnswer]:
    """The first answers filed under each question by what their authors said (the linker's
    EXEMPLAR_METHODS: not those moved or chosen since, nor those hidden), oldest first, with
    their stored vectors when `model` made them after their last change. One query (per
    FILED_ANSWERS_QUESTIONS_PER_QUERY questions), reading at most twice EXEMPLARS_PER_QUESTION
    per question through the index on each question's contributions, however many the
    discussion holds: the linker keeps the first so many distinct texts, oldest first."""
    keys = {q.id: q.key for q in questions}
    ids = list(keys)
    found: list[FiledAnswer] = []
    for start in range(0, len(ids), FILED_ANSWERS_QUESTIONS_PER_QUERY):
        firsts = [
            select(Contribution.id)
            .where(
                Contribution.question_id == question_id,
                Contribution.hidden.is_(False),
                Contribution.status == ContributionStatus.filed,
                Contribution.method.in_(sorted(EXEMPLAR_METHODS)),
            )
            .order_by(Contribution.id)
            .limit(2 * EXEMPLARS_PER_QUESTION)
            .subquery()
            for question_id in ids[start : start + FILED_ANSWERS_QUESTIONS_PER_QUERY]
        ]
        chosen = union_all(*(select(first.c.id) for first in firsts)).subquery()
        rows = await session.execute(
            select(
                Contribution.question_id,
                Contribution.text,
                Contribution.updated_at,
                ContributionEmbedding.vector,
                ContributionEmbedding.model,
                ContributionEmbedding.created_at,
            )
            .join(chosen, chosen.c.id == Contribution.id)
            .outerjoin(ContributionEmbedding, ContributionEmbedding.contribution_id == Contribution.id)
            .order_by(Contribution.id)
        )
        found += [
            FiledAnswer(
                keys[cast(int, question_id)],  # never None: the query picks by it
                text,
                np.frombuffer(vector, dtype="<f4") if vector is not None and made_by == model and made_at >= changed_at else None,
            )
            for question_id, text, changed_at, vector, made_by, made_at in rows
        ]
    return found


def venue_language(venue: Venue, participant: Participant | None, discussion: Discussion) -> str:
    if venue.kind == ChatKind.private and participant is not None and participant.language:
        return participant.language
    return venue.language or discussion.languages[0]


class _Worded(Protocol):
    """A question with its translations: a stored `Question`, an `IndexedQuestion`, a report's question."""

    @property
    def texts(self) -> Mapping[str, str]: ...


class _Multilingual(Protocol):
    """A discussion's languages, its main one first: a stored `Discussion`, a report's data."""

    @property
    def languages(self) -> Sequence[str]: ...


def question_text(question: _Worded, language: str, discussion: _Multilingual) -> str:
    return question.texts.get(language) or question.texts.get(discussion.languages[0]) or next(iter(question.texts.values()))


async def questions_of_round(session: AsyncSession, round_: RoundState) -> list[Question]:
    """The round's questions, in order."""
    return list(
        await session.scalars(select(Question).where(Question.round_id == round_.id, Question.position > 0).order_by(Question.position))
    )
