"""What the web adapter needs from the database: personal links (issued,
opened, revoked), a participant's page, the organisers' desk, and the few
edits the page makes that are not a message (an earlier answer rewritten or
moved, the profile form). Answers, commands and buttons from the web go
through the engine like any chat's.

A link's token is 32 random bytes; only its SHA-256 is stored. It cannot be
forged or guessed, it expires, and revoking or forgetting ends it. A
participant's link opens their page as often as they like until then; an
organiser's desk link signs in once, then the sign-in lasts `DESK_SESSION`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections import Counter
from typing import cast

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.conversation import filing
from bot.discussion import store
from bot.discussion.store import DiscussionIndex, question_text
from bot.ports import ChatKind
from bot.ports.web import (
    Answer,
    DeskAct,
    DeskPage,
    DeskPerson,
    DeskQuery,
    DeskQuestion,
    DeskRound,
    ParticipantPage,
    Published,
    QuestionView,
    Visitor,
)
from bot.reports.data import published_author, visible_contributions
from bot.storage.models import (
    Contribution,
    ContributionStatus,
    Discussion,
    HidingAct,
    Message,
    MessageRevision,
    Participant,
    PlatformIdentity,
    Role,
    RoundStatus,
    Venue,
    WebLink,
)
from bot.text import name_pattern, redact

PLATFORM = "web"  # the platform name of web identities and venues: one private "chat" per participant
PARTICIPANT_LINK_LIFETIME = dt.timedelta(days=60)
DESK_LINK_LIFETIME = dt.timedelta(minutes=30)
DESK_SESSION = dt.timedelta(hours=12)
DESK_PAGE = 50  # contributions or participants listed on one page of the desk
DESK_ACTS = 30  # hiding acts the overview lists
PUBLISHED_PER_QUESTION = 30  # others' contributions a participant's page shows under a question, the latest


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


async def issue_participant_link(session: AsyncSession, discussion: Discussion, participant: Participant, now: dt.datetime) -> str:
    token = secrets.token_urlsafe(32)
    session.add(
        WebLink(
            token_hash=_hash(token),
            discussion_id=discussion.id,
            participant_id=participant.id,
            created_at=now,
            expires_at=now + PARTICIPANT_LINK_LIFETIME,
        )
    )
    await session.flush()
    return token


async def issue_desk_link(session: AsyncSession, discussion: Discussion, platform: str, user_id: str, now: dt.datetime) -> str:
    token = secrets.token_urlsafe(32)
    session.add(
        WebLink(
            token_hash=_hash(token),
            discussion_id=discussion.id,
            organiser_platform=platform,
            organiser_id=user_id,
            created_at=now,
            expires_at=now + DESK_LINK_LIFETIME,
        )
    )
    await session.flush()
    return token


async def revoke_links(session: AsyncSession, participant_id: int, now: dt.datetime) -> int:
    """Every link of the participant stops opening their page, sessions opened with it included."""
    result = await session.execute(
        update(WebLink).where(WebLink.participant_id == participant_id, WebLink.revoked_at.is_(None)).values(revoked_at=now)
    )
    return cast(int, getattr(result, "rowcount", 0))


async def revoke_link(session: AsyncSession, token: str, now: dt.datetime) -> int:
    """The holder of this link loses every link to their page (one leaked, all end); 0 when the token is unknown."""
    participant_id = await session.scalar(select(WebLink.participant_id).where(WebLink.token_hash == _hash(token)))
    return await revoke_links(session, participant_id, now) if participant_id is not None else 0


def _visitor(link: WebLink) -> Visitor:
    if link.participant_id is not None:
        return Visitor(link_id=link.id, participant_id=link.participant_id)
    return Visitor(link_id=link.id, organiser=(cast(str, link.organiser_platform), cast(str, link.organiser_id)))


async def open_link(session: AsyncSession, token: str, now: dt.datetime) -> Visitor | None:
    """Whom the token lets in, or None (unknown, expired, revoked, a desk link already used).
    A participant gets a web identity and a private web "chat", so that what
    they send goes through the engine like any chat's."""
    link = await session.scalar(select(WebLink).where(WebLink.token_hash == _hash(token)))
    if link is None or link.revoked_at is not None or link.expires_at <= now:
        return None
    if link.participant_id is None:
        if link.used_at is not None:
            return None  # a desk link signs in once
        link.used_at, link.expires_at = now, now + DESK_SESSION
        return _visitor(link)
    external_id = str(link.participant_id)
    if (
        await session.scalar(
            select(PlatformIdentity.id).where(PlatformIdentity.platform == PLATFORM, PlatformIdentity.external_id == external_id)
        )
        is None
    ):
        session.add(PlatformIdentity(platform=PLATFORM, external_id=external_id, participant_id=link.participant_id))
    if await store.venue_for_chat(session, PLATFORM, external_id) is None:
        session.add(
            Venue(
                discussion_id=link.discussion_id,
                platform=PLATFORM,
                chat_id=external_id,
                kind=ChatKind.private,
                participant_id=link.participant_id,
                created_at=now,
            )
        )
    return _visitor(link)


async def visitor(session: AsyncSession, link_id: int, now: dt.datetime) -> Visitor | None:
    """The link a web session was opened with, while it still lets its holder in."""
    link = await session.get(WebLink, link_id)
    if link is None or link.revoked_at is not None or link.expires_at <= now:
        return None
    return _visitor(link)


# --- a participant's page -------------------------------------------------


def _answer(contribution: Contribution, message: Message, index: DiscussionIndex, author: str = "") -> Answer:
    question = index.by_id.get(contribution.question_id) if contribution.question_id is not None else None
    return Answer(
        id=contribution.id,
        question_key=question.key if question and contribution.status == ContributionStatus.filed else None,
        text=contribution.text,
        language=message.language,
        late=contribution.late,
        edited=message.edited_at is not None,
        hidden=contribution.hidden,
        candidates=tuple(contribution.candidates or ()),
        author=author,
    )


def _author_line(author) -> str | None:
    if not author.public:
        return None
    return ", ".join(part for part in (author.name, author.organisation, author.country) if part) or None


async def participant_page(session: AsyncSession, participant_id: int, index_for) -> ParticipantPage | None:
    participant = await session.get(Participant, participant_id)
    venue = await store.venue_for_chat(session, PLATFORM, str(participant_id))
    if participant is None or venue is None:
        return None
    discussion = cast(Discussion, await session.get(Discussion, venue.discussion_id))
    index: DiscussionIndex = await index_for(session, discussion)
    language: str = (
        participant.language if participant.language and participant.language in discussion.languages else discussion.languages[0]
    )
    rounds = await store.rounds_of(session, discussion)
    open_rounds = [r for r in rounds if r.status == RoundStatus.open]
    open_round = max(open_rounds, key=lambda r: r.number) if open_rounds else None
    rows = (
        await session.execute(
            select(Contribution, Message)
            .join(Message, Contribution.message_id == Message.id)
            .where(Message.participant_id == participant_id, Message.discussion_id == discussion.id)
            .order_by(Message.received_at, Message.id, Contribution.position)
        )
    ).all()
    answers = tuple(_answer(contribution, message, index) for contribution, message in rows)
    answered = {a.question_key for a in answers if a.question_key}
    shown_keys = [
        key for key, q in index.questions.items() if (open_round is not None and q.round_number == open_round.number) or key in answered
    ]
    questions = tuple(
        QuestionView(key, question_text(index.questions[key], language, discussion), index.questions[key].round_number)
        for key in shown_keys
    )
    own = {a.id for a in answers}
    published: list[Published] = []
    for key in (k for k in shown_keys if k in answered):
        published.extend(await _published(session, discussion, index.questions[key].id, key, own))
    return ParticipantPage(
        participant_id=participant.id,
        language=language,
        languages=tuple(discussion.languages),
        title=discussion.title.get(language) or next(iter(discussion.title.values()), discussion.slug),
        display_name=participant.display_name,
        name=participant.name or "",
        organisation=participant.organisation or "",
        country=participant.country or "",
        consent=None if participant.consent is not True else ("anonymous" if participant.anonymous else "named"),
        round_number=open_round.number if open_round else None,
        questions=questions,
        answers=answers,
        published=tuple(published),
    )


async def _published(session: AsyncSession, discussion: Discussion, question_id: int, key: str, own: set[int]) -> list[Published]:
    """The latest contributions to the question as the report publishes them
    (`bot.reports.data`'s rules: named only with consent, an unpublished
    author's names taken out of their text), the reader's own left out."""
    rows = await session.execute(
        select(
            Contribution.id,
            Contribution.text,
            Message.language,
            Participant.consent,
            Participant.anonymous,
            Participant.name,
            Participant.display_name,
            Participant.organisation,
            Participant.country,
            Participant.role,
        )
        .join(Message, Contribution.message_id == Message.id)
        .outerjoin(Participant, Message.participant_id == Participant.id)
        .where(*visible_contributions(discussion), Contribution.question_id == question_id, Contribution.id.not_in(own))
        .order_by(Message.received_at.desc(), Contribution.id.desc())
        .limit(PUBLISHED_PER_QUESTION)
    )
    published = []
    for cid, text, language, consent, anonymous, name, display_name, organisation, country, role in rows:
        author = published_author(consent, bool(anonymous), name, organisation, country, role)
        if not author.public:
            text = redact(text, name_pattern((name, display_name), (organisation,)))
        published.append(Published(cid, key, text, language, _author_line(author)))
    return published


async def _own(session: AsyncSession, participant_id: int, contribution_id: int) -> tuple[Contribution, Message] | None:
    row = (
        await session.execute(
            select(Contribution, Message)
            .join(Message, Contribution.message_id == Message.id)
            .where(Contribution.id == contribution_id, Message.participant_id == participant_id)
        )
    ).first()
    return (row[0], row[1]) if row else None


async def revise_answer(session: AsyncSession, participant_id: int, contribution_id: int, text: str, now: dt.datetime) -> bool:
    """The participant rewrites one of their answers; the message's earlier
    text is kept as a revision, as for an edit in a chat."""
    found = await _own(session, participant_id, contribution_id)
    if found is None:
        return False
    contribution, message = found
    if contribution.text == text:
        return True
    session.add(MessageRevision(message_id=message.id, text=message.text, replaced_at=now))
    # A message of several answers keeps its other parts: only this one's text changes in it.
    message.text = message.text.replace(contribution.text, text, 1) if contribution.text in message.text else text
    message.edited_at = now
    contribution.text, contribution.updated_at = text, now
    return True


async def move_answer(session: AsyncSession, visitor: Visitor, contribution_id: int, key: str, now: dt.datetime, index_for) -> bool:
    """File an answer under another question (or a waiting one under its
    question): its author from their page, an organiser from the desk."""
    if visitor.participant_id is not None:
        found = await _own(session, visitor.participant_id, contribution_id)
    else:
        found = await _organised(session, visitor, contribution_id)
    if found is None:
        return False
    contribution, message = found
    discussion = cast(Discussion, await session.get(Discussion, message.discussion_id))
    index: DiscussionIndex = await index_for(session, discussion)
    question = index.questions.get(key)
    if question is None:
        return False
    await filing.tie(session, contribution, question.id, now, by_organiser=visitor.organiser is not None)
    return True


async def update_profile(session: AsyncSession, participant_id: int, name: str, organisation: str, country: str) -> bool:
    participant = await session.get(Participant, participant_id)
    if participant is None:
        return False
    participant.name, participant.organisation, participant.country = (
        value.strip()[:200] or None for value in (name, organisation, country)
    )
    return True


# --- the organisers' desk -------------------------------------------------


async def _organised_discussion(session: AsyncSession, organiser: tuple[str, str]) -> Discussion | None:
    discussion = await store.find_discussion(session)
    if discussion is None or not await store.is_organiser(session, discussion, *organiser):
        return None
    return discussion


async def _organised(session: AsyncSession, visitor: Visitor, contribution_id: int) -> tuple[Contribution, Message] | None:
    if visitor.organiser is None or (discussion := await _organised_discussion(session, visitor.organiser)) is None:
        return None
    row = (
        await session.execute(
            select(Contribution, Message)
            .join(Message, Contribution.message_id == Message.id)
            .where(Contribution.id == contribution_id, Message.discussion_id == discussion.id)
        )
    ).first()
    return (row[0], row[1]) if row else None


async def desk_page(session: AsyncSession, organiser: tuple[str, str], language: str, query: DeskQuery, index_for) -> DeskPage | None:
    """None when `organiser` does not organise the discussion. Every figure is
    counted by the database (grouped queries); lists come a page at a time."""
    discussion = await _organised_discussion(session, organiser)
    if discussion is None:
        return None
    index: DiscussionIndex = await index_for(session, discussion)
    language = language if language in discussion.languages else discussion.languages[0]
    rounds = await store.rounds_of(session, discussion)
    of_discussion = Message.discussion_id == discussion.id

    overview = not (query.question or query.participants or query.brief)
    counts: Counter[tuple[int | None, bool]] = Counter()
    by_language: Counter[str] = Counter()
    per_day: Counter[dt.date] = Counter()
    by_country: Counter[str] = Counter()
    by_role: Counter[str] = Counter()
    if overview:
        # Each figure from an index (models: the desk's indexes), not from the contributions' wide rows.
        for question_id, hidden, count in await session.execute(
            select(Contribution.question_id, Contribution.hidden, func.count())
            .where(Contribution.question_id.in_(list(index.by_id)), Contribution.status == ContributionStatus.filed)
            .group_by(Contribution.question_id, Contribution.hidden)
        ):
            counts[(question_id, hidden)] = count
        day = func.date(Message.received_at)  # UTC: stored so on both backends
        for language_code, on, count in await session.execute(
            select(Message.language, day, func.count(Contribution.message_id))
            .join(Contribution, Contribution.message_id == Message.id)
            .where(of_discussion)
            .group_by(Message.language, day)
        ):
            by_language[language_code or "?"] += count
            per_day[_as_date(on)] += count
        contributors = select(Message.participant_id).where(of_discussion, Message.participant_id.is_not(None)).distinct()
        for country, role, count in await session.execute(
            select(Participant.country, Participant.role, func.count())
            .where(Participant.id.in_(contributors.scalar_subquery()))
            .group_by(Participant.country, Participant.role)
        ):
            by_country[country or ""] += count
            by_role[role.value if role else ""] += count

    async def listed(conditions: list, page: int) -> tuple[tuple[Answer, ...], int]:
        total = await session.scalar(
            select(func.count(Contribution.id)).join(Message, Contribution.message_id == Message.id).where(of_discussion, *conditions)
        )
        rows = await session.execute(
            select(Contribution, Message, Participant.display_name)
            .join(Message, Contribution.message_id == Message.id)
            .outerjoin(Participant, Message.participant_id == Participant.id)
            .where(of_discussion, *conditions)
            .order_by(Message.received_at, Message.id, Contribution.position)
            .limit(DESK_PAGE)
            .offset((page - 1) * DESK_PAGE)
        )
        return tuple(_answer(contribution, message, index, name or "") for contribution, message, name in rows), total or 0

    # A waiting answer has no question yet (`contributions._store_segments`): the index on question_id finds them.
    waiting_now = [Contribution.question_id.is_(None), Contribution.status == ContributionStatus.pending]
    waiting = (await listed(waiting_now, 1))[0] if overview else ()
    acts: tuple[DeskAct, ...] = ()
    if overview:
        acts = tuple(
            DeskAct(act.contribution_id, act.hidden, f"{act.by_platform}:{act.by_user}", act.reason, act.at)
            for act in await session.scalars(
                select(HidingAct)
                .join(Contribution, HidingAct.contribution_id == Contribution.id)
                .join(Message, Contribution.message_id == Message.id)
                .where(of_discussion)
                .order_by(HidingAct.at.desc(), HidingAct.id.desc())
                .limit(DESK_ACTS)
            )
        )
    page = max(1, query.page)
    shown: tuple[Answer, ...] = ()
    shown_total = 0
    asked = index.questions.get(query.question or "")
    if asked is not None:
        conditions = [Contribution.question_id == asked.id]
        if query.language:
            conditions.append(Message.language == query.language)
        if query.late:
            conditions.append(Contribution.late.is_(True))
        if query.edited:
            conditions.append(Message.edited_at.is_not(None))
        if query.hidden:
            conditions.append(Contribution.hidden.is_(True))
        if query.search.strip():
            conditions.append(Contribution.text.ilike("%" + _like(query.search.strip()) + "%", escape="\\"))
        shown, shown_total = await listed(conditions, page)
    people: tuple[DeskPerson, ...] = ()
    people_total = 0
    if query.participants:
        people, people_total = await _people(session, discussion, page)
    return DeskPage(
        title=discussion.title.get(language) or discussion.slug,
        language=language,
        languages=tuple(discussion.languages),
        timezone=discussion.timezone,
        paused=discussion.paused,
        rounds=tuple(DeskRound(r.number, r.status.value, r.opens_at, r.closes_at) for r in rounds),
        questions=tuple(
            DeskQuestion(q.key, question_text(q, language, discussion), q.round_number, counts[(q.id, False)], counts[(q.id, True)])
            for q in index.questions.values()
        ),
        participants=sum(by_role.values()),
        by_language=tuple(by_language.most_common()),
        per_day=tuple(sorted(per_day.items())),
        waiting=waiting,
        by_country=tuple(by_country.most_common()),
        by_role=tuple(by_role.most_common()),
        query=DeskQuery(**{**query.__dict__, "question": asked.key if asked else None, "page": page}),
        shown=shown,
        shown_total=shown_total,
        acts=acts,
        people=people,
        people_total=people_total,
        page_size=DESK_PAGE,
    )


async def _people(session: AsyncSession, discussion: Discussion, page: int) -> tuple[tuple[DeskPerson, ...], int]:
    """The discussion's participants (those with a private chat in it), a page at a time."""
    in_discussion = select(Venue.participant_id).where(Venue.discussion_id == discussion.id, Venue.participant_id.is_not(None))
    total = await session.scalar(select(func.count()).select_from(Participant).where(Participant.id.in_(in_discussion)))
    participants = list(
        await session.scalars(
            select(Participant)
            .where(Participant.id.in_(in_discussion))
            .order_by(Participant.id)
            .limit(DESK_PAGE)
            .offset((page - 1) * DESK_PAGE)
        )
    )
    ids = [p.id for p in participants]
    platforms: dict[int, set[str]] = {}
    reachable: set[int] = set()
    for participant_id, platform, unreachable in await session.execute(
        select(Venue.participant_id, Venue.platform, Venue.unreachable).where(
            Venue.participant_id.in_(ids), Venue.discussion_id == discussion.id
        )
    ):
        platforms.setdefault(cast(int, participant_id), set()).add(platform)
        if not unreachable and platform != PLATFORM:
            reachable.add(cast(int, participant_id))
    answered = dict(
        (
            await session.execute(
                select(Message.participant_id, func.count(func.distinct(Contribution.question_id)))
                .join(Contribution, Contribution.message_id == Message.id)
                .where(
                    Message.participant_id.in_(ids), Message.discussion_id == discussion.id, Contribution.status == ContributionStatus.filed
                )
                .group_by(Message.participant_id)
            )
        ).all()
    )
    return (
        tuple(
            DeskPerson(
                id=p.id,
                display_name=p.display_name,
                platforms=tuple(sorted(platforms.get(p.id, ()))),
                language=p.language,
                reachable=p.id in reachable,
                reminders=p.reminders if p.reminders is not None else p.role == Role.local_authority,
                answered=answered.get(p.id, 0),
            )
            for p in participants
        ),
        total or 0,
    )


def _like(text: str) -> str:
    """`text` matched literally by LIKE: its own % and _ are not wildcards."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _as_date(value) -> dt.date:
    """SQLite's date() gives text, PostgreSQL's a date."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
