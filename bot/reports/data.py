"""A discussion's report data, gathered in a handful of queries and one per
question (none per round or contribution) into plain dataclasses that every
renderer reads; in a streamed report, a question's contributions are read when
it is written. The privacy rules are applied here, once: a renderer cannot publish
what it is never given.

What is published about an author:
- consent True and not anonymous: the name, organisation, country and role
  they gave;
- everyone else (anonymous, refused, never answered, or forgotten): nothing.
  Their contributions appear as "anonymous", and their country and role are
  not counted in the participation figures either: a country or a role with
  a single contributor would point at that person, and they never agreed to
  either being published. Only the languages of their contributions are
  counted, since every contribution shows its language anyway.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from collections.abc import AsyncIterator, Callable, Collection, Coroutine, Iterator
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, TypeVar

from sqlalchemy import ColumnElement, func, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.handling.unfiled import not_tied
from bot.i18n import country_code
from bot.ports.web import organiser_name
from bot.storage.models import (
    Contribution,
    ContributionMove,
    Discussion,
    HidingAct,
    Message,
    Participant,
    Question,
    Role,
    Round,
)
from bot.text import NamePattern, name_pattern, redact

if TYPE_CHECKING:
    from bot.reports.synthesis.draft import Synthesis

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Author:
    """What may be published about who wrote a contribution."""

    public: bool
    name: str | None = None
    organisation: str | None = None
    country: str | None = None
    role: Role | None = None


ANONYMOUS = Author(public=False)


@dataclass(frozen=True, slots=True)
class Entry:
    """One contribution as published: the part of a message that answers one question."""

    id: int  # the contribution's id, which organisers give to /hide
    author: Author
    language: str | None
    platform: str
    text: str  # the latest text, for an edited message
    created_at: dt.datetime  # when the message was received
    edited_at: dt.datetime | None
    late: bool
    moved_from: str | None = None  # the question it was under before its author (or an organiser) moved it


class Act(NamedTuple):
    """An organiser's act on a contribution, for the audit log: hidden, shown
    again, or filed or moved to a question. Only the contribution's number is
    given: a hidden contribution's text is not published again."""

    contribution_id: int
    kind: str  # "hidden", "shown", "filed" (it was waiting), "moved"
    at: dt.datetime
    by: str | None  # the organiser as the desk shows them ("telegram:123", "cli"); None where the record does not say who
    reason: str = ""
    from_question: str | None = None
    to_question: str | None = None


class Unfiled(NamedTuple):
    """An answer not yet tied to a question, with the round it was sent in."""

    round_number: int | None
    entry: Entry


@dataclass(frozen=True)
class QuestionData:
    key: str
    round_number: int
    texts: dict[str, str]  # every translation, by language
    entries: list[Entry] | Streamed[Entry] = field(default_factory=list)


@dataclass(frozen=True)
class RoundData:
    number: int
    opens_at: dt.datetime
    closes_at: dt.datetime
    questions: list[QuestionData]

    @property
    def contributions(self) -> int:
        return sum(len(question.entries) for question in self.questions)


@dataclass(frozen=True)
class Figures:
    """The participation summary. Participants are the people with at least
    one published contribution; contributions of forgotten participants are
    counted as contributions, not as anyone's."""

    participants: int
    contributions: int
    by_language: dict[str, int]  # participants, each once, by the language they chose (else the one they wrote most in)
    by_country: dict[str | None, int]  # None: not published; "": not given
    by_role: dict[Role | None, int]  # None: not published
    unpublished_profiles: int  # participants whose profile is not published
    contributions_by_language: dict[str, int] = field(default_factory=dict)  # contributions written in each language


@dataclass(frozen=True)
class ReportData:
    slug: str
    languages: list[str]
    timezone: str
    title: dict[str, str]
    invitation: dict[str, str]
    rounds: list[RoundData]
    figures: Figures
    public_authors: list[Author]  # the named participants, by name
    authors: dict[int, Author]  # each contributor's participant id: the author as published
    generated_at: dt.datetime
    unfiled: list[Unfiled] | Streamed[Unfiled] = field(default_factory=list)  # shown under "Not yet tied to a question"
    acts: list[Act] = field(default_factory=list)  # the organisers' acts on contributions, oldest first
    synthesis: Synthesis | None = None  # the key points per question (bot.reports.synthesis), when made
    reader: _Reader | None = None  # a streamed report's: where its contributions are read from

    @property
    def questions(self) -> list[QuestionData]:
        return [question for round_ in self.rounds for question in round_.questions]

    def entries_with_ids(self, ids: Collection[int]) -> dict[int, Entry]:
        """The contributions filed under the report's questions and numbered `ids` (the few
        its key points quote or take sentences from), read from the database for a streamed
        report: in a worker thread, as a streamed report is written."""
        if self.reader is not None:
            return self.reader.wait(self.reader.with_ids(ids))
        return {entry.id: entry for question in self.questions for entry in question.entries if entry.id in ids}

    def texts_with_ids(self, ids: Collection[int]) -> dict[int, str]:
        """The texts of `entries_with_ids`, as published."""
        return {number: entry.text for number, entry in self.entries_with_ids(ids).items()}

    @property
    def opens_at(self) -> dt.datetime | None:
        return self.rounds[0].opens_at if self.rounds else None

    @property
    def closes_at(self) -> dt.datetime | None:
        return self.rounds[-1].closes_at if self.rounds else None


STREAMED_ROWS = 2_000  # contributions read from the database at a time


def counted_country(typed: str | None) -> str:
    """A country as counted: its ISO code when it is one ("Spain", "España" and "espagne" are one), else as typed."""
    written = (typed or "").strip()
    return country_code(written) or written


def published_author(
    consent: bool | None,
    anonymous: bool,
    name: str | None,
    organisation: str | None,
    country: str | None,
    role: Role | None,
) -> Author:
    if consent is True and not anonymous:
        return Author(public=True, name=name, organisation=organisation, country=country, role=role)
    return ANONYMOUS


def visible_contributions(discussion: Discussion):
    """The conditions a contribution meets to be published: sent in this
    discussion (filed under a question, or still waiting for one), and not
    hidden by an organiser."""
    return (Message.discussion_id == discussion.id, Contribution.hidden.is_(False))


async def gather(session: AsyncSession, discussion: Discussion, now: dt.datetime, *, streamed: bool = False) -> ReportData:
    """Everything a report shows, in a handful of queries. `streamed`: each block's
    contributions (a question's, or those not yet tied to one) are counted now and read when
    a renderer reaches them, so that one block is held at a time, not the whole discussion;
    such a report is written in a worker thread (`asyncio.to_thread`) while `session` is open."""
    question_rows = await session.execute(
        select(Question.id, Question.key, Question.texts, Round.number)
        .join(Round, Question.round_id == Round.id)
        .where(Question.discussion_id == discussion.id, Question.position > 0)
        .order_by(Round.number, Question.position)
    )
    asked: dict[int, tuple[str, int, dict[str, str]]] = {}  # question id: key, round number, texts
    for question_id, key, texts, number in question_rows:
        asked[question_id] = (key, number, dict(texts))
    # Each round's dates as it was held (opened or closed by hand), rounds without questions too.
    round_dates = {
        round_.number: round_.held for round_ in await session.scalars(select(Round).where(Round.discussion_id == discussion.id))
    }

    author_of: dict[int, Author] = {}
    chosen_language: dict[int, str] = {}
    # The names of those who are not published, to take out of their own texts ("Saludos, Ana Pérez").
    unpublished_names: dict[int, NamePattern | None] = {}
    contributors = select(Message.participant_id).join(Contribution).where(*visible_contributions(discussion))
    for row in await session.execute(
        select(
            Participant.id,
            Participant.consent,
            Participant.anonymous,
            Participant.name,
            Participant.display_name,
            Participant.organisation,
            Participant.country,
            Participant.role,
            Participant.language,
        ).where(Participant.id.in_(contributors.scalar_subquery()))
    ):
        author_of[row.id] = published_author(row.consent, row.anonymous, row.name, row.organisation, row.country, row.role)
        if row.language:
            chosen_language[row.id] = row.language
        if not author_of[row.id].public:
            unpublished_names[row.id] = name_pattern((row.name, row.display_name), (row.organisation,))

    keys = {question_id: key for question_id, (key, _number, _texts) in asked.items()}
    # The question each moved contribution was under before its latest move.
    latest_move = (
        select(ContributionMove.contribution_id, func.max(ContributionMove.id).label("move_id"))
        .where(ContributionMove.from_question_id.is_not(None))
        .group_by(ContributionMove.contribution_id)
        .subquery()
    )
    moved_from = {
        contribution_id: keys.get(from_question_id)
        for contribution_id, from_question_id in await session.execute(
            select(latest_move.c.contribution_id, ContributionMove.from_question_id).join(
                ContributionMove, ContributionMove.id == latest_move.c.move_id
            )
        )
    }
    round_numbers = {
        round_id: number
        for round_id, number in await session.execute(select(Round.id, Round.number).where(Round.discussion_id == discussion.id))
    }
    reader = _Reader(session, discussion, list(asked), author_of, unpublished_names, moved_from, round_numbers)
    counted = await _counted(session, discussion, set(asked))

    rounds = {number: RoundData(number, opens_at, closes_at, []) for number, (opens_at, closes_at) in sorted(round_dates.items())}
    for question_id, (key, number, texts) in asked.items():
        count = counted.contributions[question_id]
        entries = Streamed(reader, count, partial(reader.question, question_id)) if streamed else await reader.question(question_id)
        rounds[number].questions.append(QuestionData(key, number, texts, entries))
    unfiled = Streamed(reader, counted.contributions[None], reader.unfiled) if streamed else await reader.unfiled()
    ordered_rounds = list(rounds.values())
    acts = await _acts(session, discussion, keys)
    return ReportData(
        slug=discussion.slug,
        languages=list(discussion.languages),
        timezone=discussion.timezone,
        title=dict(discussion.title),
        invitation=dict(discussion.invitation),
        rounds=ordered_rounds,
        figures=_figures([*asked, None], counted, author_of, chosen_language),
        authors=author_of,
        public_authors=sorted({a for a in author_of.values() if a.public}, key=lambda a: ((a.name or "").casefold(), a.organisation or "")),
        generated_at=now,
        unfiled=unfiled,
        acts=acts,
        reader=reader if streamed else None,
    )


class _Counted(NamedTuple):
    """What the figures count, read without the texts: per block (a question's id, or None
    for those not yet tied to one), its contributions and their languages; per participant,
    the languages they wrote in (in the order of their first contribution)."""

    contributions: Counter[int | None]
    languages: dict[int | None, Counter[str]]
    languages_of: dict[int, Counter[str]]


async def _counted(session: AsyncSession, discussion: Discussion, questions: set[int]) -> _Counted:
    contributions: Counter[int | None] = Counter()
    languages: dict[int | None, Counter[str]] = {}
    languages_of: dict[int, Counter[str]] = {}
    connection = await session.connection()
    rows = await connection.stream(
        select(Contribution.question_id, Message.participant_id, Message.language, not_tied().label("waiting"))
        .join(Message, Contribution.message_id == Message.id)
        .where(*visible_contributions(discussion))
        .order_by(*_IN_ORDER)
        .execution_options(yield_per=STREAMED_ROWS)
    )
    async for batch in rows.partitions():
        for question_id, participant_id, language, waiting in batch:
            block = question_id if question_id in questions and not waiting else None
            contributions[block] += 1
            if participant_id is not None:
                written = languages_of.get(participant_id)
                if written is None:  # not setdefault, which would build a Counter per contribution to throw away
                    written = languages_of[participant_id] = Counter()
                if language:
                    written[language] += 1
            if language:
                in_block = languages.get(block)
                if in_block is None:
                    in_block = languages[block] = Counter()
                in_block[language] += 1
    return _Counted(contributions, languages, languages_of)


# The order contributions are published in: as received, each message's parts in their order.
_IN_ORDER = (Message.received_at, Message.id, Contribution.position)


class _Reader:
    """Reads a report's contributions as published (the author as they may be named, the
    names of the unpublished taken out of their texts), one block at a time. Core rows
    through the session's connection: the ORM's result layer adds about a tenth to reading
    100,000 rows and gives nothing here."""

    def __init__(
        self,
        session: AsyncSession,
        discussion: Discussion,
        questions: list[int],
        author_of: dict[int, Author],
        unpublished_names: dict[int, NamePattern | None],
        moved_from: dict[int, str | None],
        round_numbers: dict[int, int],
    ):
        self.session = session
        self.discussion = discussion
        self.questions = questions
        self.author_of = author_of
        self.unpublished_names = unpublished_names
        self.moved_from = moved_from
        self.round_numbers = round_numbers
        self.loop = asyncio.get_running_loop()
        self.shared: dict[str, str] = {}  # the few languages and platforms, one string each, not one per contribution

    async def question(self, question_id: int) -> list[Entry]:
        return [entry async for entry, _round_id in self._read(Contribution.question_id == question_id, not_(not_tied()))]

    async def unfiled(self) -> list[Unfiled]:
        """Those waiting for their question, or whose question has since left the file."""
        return [
            Unfiled(self.round_numbers.get(round_id) if round_id is not None else None, entry)
            async for entry, round_id in self._read(or_(not_tied(), Contribution.question_id.not_in(self.questions)))
        ]

    async def with_ids(self, ids: Collection[int]) -> dict[int, Entry]:
        """The contributions numbered `ids` among those filed under the report's questions."""
        found: dict[int, Entry] = {}
        numbers = sorted(ids)
        for start in range(0, len(numbers), STREAMED_ROWS):  # a bounded IN list per query
            chosen = Contribution.id.in_(numbers[start : start + STREAMED_ROWS])
            async for entry, _round_id in self._read(chosen, Contribution.question_id.in_(self.questions), not_(not_tied())):
                found[entry.id] = entry
        return found

    def wait(self, reading: Coroutine[Any, Any, T]) -> T:
        """`reading` run on the event loop, from the worker thread that writes the report."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run_coroutine_threadsafe(reading, self.loop).result()
        reading.close()
        raise RuntimeError("a streamed report is written in a worker thread (asyncio.to_thread), not on the event loop")

    async def _read(self, *where: ColumnElement[bool]) -> AsyncIterator[tuple[Entry, int | None]]:
        connection = await self.session.connection()
        rows = await connection.stream(
            select(
                Contribution.id,
                Contribution.text,
                Contribution.late,
                Message.participant_id,
                Message.language,
                Message.platform,
                Message.received_at,
                Message.edited_at,
                Message.round_id,
            )
            .join(Message, Contribution.message_id == Message.id)
            .where(*visible_contributions(self.discussion), *where)
            .order_by(*_IN_ORDER)
            .execution_options(yield_per=STREAMED_ROWS)
        )
        shared, author_of, unpublished_names, moved_from = self.shared, self.author_of, self.unpublished_names, self.moved_from
        async for batch in rows.partitions():  # a batch at a time: one hop to the driver per batch, not per row
            for cid, text, late, participant_id, language, platform, received_at, edited_at, round_id in batch:
                language = shared.setdefault(language, language) if language else language
                platform = shared.setdefault(platform, platform)
                author = author_of.get(participant_id, ANONYMOUS) if participant_id is not None else ANONYMOUS
                if participant_id in unpublished_names:
                    text = redact(text, unpublished_names[participant_id])
                yield Entry(cid, author, language, platform, text, received_at, edited_at, late, moved_from.get(cid)), round_id


class Streamed(Generic[T]):
    """A block's contributions in a streamed report: counted when the report was gathered,
    read from the database each time a renderer goes through them."""

    def __init__(self, reader: _Reader, count: int, read: Callable[[], Coroutine[Any, Any, list[T]]]):
        self.reader = reader
        self.count = count
        self.read = read  # on the event loop: all of the block's contributions

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[T]:
        return iter(self.reader.wait(self.read()))


async def held(question: QuestionData) -> QuestionData:
    """The question with its contributions in memory, for work that runs on the event loop."""
    entries = question.entries
    return replace(question, entries=await entries.read()) if isinstance(entries, Streamed) else question


async def _acts(session: AsyncSession, discussion: Discussion, keys: dict[int, str]) -> list[Act]:
    """The organisers' acts on this discussion's contributions, oldest first.
    A reason that names the contribution's unpublished author ("spam from
    Ana Pérez") has the name taken out, as their texts do."""
    hidings = await session.execute(
        select(
            HidingAct.contribution_id,
            HidingAct.hidden,
            HidingAct.by_platform,
            HidingAct.by_user,
            HidingAct.reason,
            HidingAct.at,
            Participant.consent,
            Participant.anonymous,
            Participant.name,
            Participant.display_name,
            Participant.organisation,
        )
        .join(Contribution, HidingAct.contribution_id == Contribution.id)
        .join(Message, Contribution.message_id == Message.id)
        .outerjoin(Participant, Message.participant_id == Participant.id)
        .where(Message.discussion_id == discussion.id)
    )
    acts = []
    for cid, hidden, platform, user, reason, at, consent, anonymous, name, display_name, organisation in hidings:
        if not published_author(consent, bool(anonymous), name, organisation, None, None).public:
            reason = redact(reason, name_pattern((name, display_name), (organisation,)))
        acts.append(Act(cid, "hidden" if hidden else "shown", at, organiser_name(platform, user), reason))
    moves = await session.execute(
        select(
            ContributionMove.contribution_id,
            ContributionMove.moved_at,
            ContributionMove.from_question_id,
            ContributionMove.to_question_id,
            ContributionMove.by_platform,
            ContributionMove.by_user,
        )
        .join(Contribution, ContributionMove.contribution_id == Contribution.id)
        .join(Message, Contribution.message_id == Message.id)
        .where(Message.discussion_id == discussion.id, ContributionMove.by_organiser.is_(True))
    )
    acts += [
        Act(
            cid,
            "moved" if from_id is not None else "filed",
            at,
            organiser_name(platform, user),
            "",
            keys.get(from_id) if from_id else None,
            keys.get(to_id) if to_id else None,
        )
        for cid, at, from_id, to_id, platform, user in moves
    ]
    return sorted(acts, key=lambda act: (act.at, act.contribution_id))


def _figures(blocks: list[int | None], counted: _Counted, author_of: dict[int, Author], chosen_language: dict[int, str]) -> Figures:
    """`blocks`: the questions' ids in the report's order, then None (those not yet tied to
    one): the order in which languages with as many contributions are listed."""
    people = [author_of.get(pid, ANONYMOUS) for pid in counted.languages_of]
    each_once = Counter(
        chosen_language.get(pid) or (written.most_common(1)[0][0] if written else None) for pid, written in counted.languages_of.items()
    )
    written_in: Counter[str] = Counter()
    for block in blocks:
        written_in.update(counted.languages.get(block, {}))
    return Figures(
        participants=len(people),
        contributions=counted.contributions.total(),
        by_language={code: count for code, count in each_once.most_common() if code},
        contributions_by_language=dict(written_in.most_common()),
        by_country=dict(Counter((counted_country(a.country) if a.public else None) for a in people).most_common()),
        by_role=dict(Counter(a.role if a.public else None for a in people).most_common()),
        unpublished_profiles=sum(1 for a in people if not a.public),
    )
