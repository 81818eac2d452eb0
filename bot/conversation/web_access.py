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

from sqlalchemy import Date, and_, delete, func, or_, select, update
from sqlalchemy import cast as cast_to
from sqlalchemy.ext.asyncio import AsyncSession

from bot.conversation import contributions, filing, onboarding
from bot.discussion import store
from bot.discussion.store import DiscussionIndex, question_text
from bot.handling.buttons import read_button
from bot.i18n import _, format_moment, reading_in
from bot.ports import Button, ChatKind
from bot.ports.web import (
    Answer,
    Choice,
    DeskAct,
    DeskPage,
    DeskPerson,
    DeskQuery,
    DeskQuestion,
    DeskRound,
    ParticipantPage,
    Published,
    QuestionView,
    Sent,
    SynthesisDraft,
    SynthesisReview,
    Visitor,
    organiser_name,
)
from bot.reports.data import published_author, visible_contributions
from bot.storage.models import (
    Contribution,
    ContributionEmbedding,
    ContributionMove,
    ContributionStatus,
    Discussion,
    HidingAct,
    Message,
    MessageRevision,
    Participant,
    PlatformIdentity,
    Question,
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
DESK_ACTS = 30  # the organisers' acts (hidings, filings, moves) the overview lists
DAYS_A_STATEMENT = 366  # the desk's per-day counts: one column a day
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


async def linked_participant_named(session: AsyncSession, discussion: Discussion, name: str) -> Participant | None:
    """The participant a personal link was made for under this name (any case) in the discussion, if any:
    a contact listed again gets a new link to their own page, not a second self."""
    wanted = name.strip().casefold()
    linked = await session.scalars(
        select(Participant).join(WebLink, WebLink.participant_id == Participant.id).where(WebLink.discussion_id == discussion.id)
    )
    return next((participant for participant in linked if (participant.name or "").strip().casefold() == wanted), None)


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


# What its message said when it came: the earliest of its revisions (an edit keeps the text it replaces).
_FIRST_TEXT = (
    select(MessageRevision.text)
    .where(MessageRevision.message_id == Message.id)
    .order_by(MessageRevision.id)
    .limit(1)
    .correlate(Message)
    .scalar_subquery()
)
# An answer is edited when its text is not found in what its message first said: an edit rewrites the
# whole message, and its other answers, untouched, are not edited. REPLACE rather than LIKE, whose
# wildcards the text may hold; SQLite and PostgreSQL both have it.
EDITED = and_(Message.edited_at.is_not(None), func.replace(_FIRST_TEXT, Contribution.text, "") == _FIRST_TEXT)

# What an `Answer` is drawn from: plain columns, never ORM objects (a desk page lists 50 of a question's thousands).
ANSWER_COLUMNS = (
    Contribution.id,
    Contribution.question_id,
    Contribution.status,
    Contribution.text,
    Message.language,
    Contribution.late,
    EDITED.label("edited"),
    Contribution.hidden,
    Contribution.candidates,
)


def _answer_of(row, index: DiscussionIndex, author: str = "") -> Answer:
    question = index.by_id.get(row.question_id) if row.question_id is not None else None
    return Answer(
        id=row.id,
        question_key=question.key if question and row.status == ContributionStatus.filed else None,
        text=row.text,
        language=row.language,
        late=row.late,
        edited=bool(row.edited),
        hidden=row.hidden,
        candidates=tuple(row.candidates or ()),
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
    following = next((r for r in rounds if r.status == RoundStatus.scheduled), None)
    with reading_in(language):
        timing = (
            _("Round {number} is open until {closes}.").format(
                number=open_round.number, closes=format_moment(open_round.closes_at, discussion.timezone)
            )
            if open_round is not None
            else _("Round {number} opens on {opens}.").format(
                number=following.number, opens=format_moment(following.opens_at, discussion.timezone)
            )
            if following is not None
            else ""
        )
    rows = await session.execute(
        select(
            *ANSWER_COLUMNS,
            Message.id.label("message_row"),
            Message.platform,
            Message.message_id,
            Message.text.label("message_text"),
        )
        .join(Message, Contribution.message_id == Message.id)
        .where(Message.participant_id == participant_id, Message.discussion_id == discussion.id)
        .order_by(Message.received_at, Message.id, Contribution.position)
    )
    sent = _sent(rows, index)
    answers = [answer for message in sent for answer in message.answers]
    answered = {a.question_key for a in answers if a.question_key}
    shown_keys = [
        key for key, q in index.questions.items() if (open_round is not None and q.round_number == open_round.number) or key in answered
    ]
    questions = tuple(
        QuestionView(key, question_text(index.questions[key], language, discussion), index.questions[key].round_number)
        for key in shown_keys
    )
    own = {a.id for a in answers}
    at_once = discussion.others_answers == "at_once"
    published: list[Published] = []
    for key in (k for k in shown_keys if at_once or k in answered):
        published.extend(await published_answers(session, discussion, index.questions[key].id, key, own))
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
        sent=sent,
        published=tuple(published),
        others_at_once=at_once,
        timing=timing,
        **_settings(discussion, language),
    )


def _sent(rows, index: DiscussionIndex) -> tuple[Sent, ...]:
    """The participant's answers, grouped by the message they came in (rows in message order). A message
    sent from the page is edited there as the chats edit one; an edit of its one answer stays tied to
    that answer's question, as its box tied it, unless the new text names another."""
    by_message: dict[int, list] = {}
    for row in rows:
        by_message.setdefault(row.message_row, []).append(row)
    sent = []
    for parts in by_message.values():
        answers = tuple(_answer_of(row, index) for row in parts)
        from_page = parts[0].platform == PLATFORM
        sent.append(
            Sent(
                text=parts[0].message_text,
                answers=answers,
                message_id=parts[0].message_id if from_page else None,
                question=answers[0].question_key if from_page and len(answers) == 1 else None,
            )
        )
    return tuple(sent)


def _settings(discussion: Discussion, language: str) -> dict[str, tuple[Choice, ...]]:
    """The page's language and consent buttons: the very buttons onboarding offers in the chats, labelled in the page's language."""
    with reading_in(language):
        return {
            "language_choices": _choices(onboarding.language_buttons(discussion.languages)),
            "consent_choices": _choices(onboarding.consent_buttons()),
        }


def _choices(buttons: tuple[Button, ...]) -> tuple[Choice, ...]:
    return tuple(Choice(read_button(button.data).value(), button) for button in buttons)


async def published_answers(
    session: AsyncSession, discussion: Discussion, question_id: int, key: str, own: set[int], at_most: int = PUBLISHED_PER_QUESTION
) -> list[Published]:
    """The contributions to the question stored last, as the report publishes
    them (`bot.reports.data`'s rules: named only with consent, an unpublished
    author's names taken out of their text), the reader's own left out, newest
    first: the question's index gives them so, and the reading stops at `at_most`."""
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
        .order_by(Contribution.id.desc())
        .limit(at_most)
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


async def revise_answer(session: AsyncSession, participant_id: int, contribution_id: int, text: str, now: dt.datetime, index_for) -> bool:
    """The participant rewrites, on their page, one of the answers they sent on another platform; the
    message's earlier text is kept as a revision, as for an edit in a chat, and an edit that names
    another question of an opened round ("Q3: …") moves the answer there, as a chat edit does. (A
    message sent from the page is edited as a message, through the engine, and linked again: `Sent`.)"""
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
    named = await _question_named(session, message.discussion_id, text, index_for)
    if named is not None and (named[0] != contribution.question_id or contribution.status != ContributionStatus.filed):
        await filing.tie(session, contribution, named[0], now)
    contribution.text, contribution.updated_at = named[1] if named else text, now
    # Its meaning is computed again (`embeddings.Backfill`): the synthesis groups it by what it says now.
    await session.execute(delete(ContributionEmbedding).where(ContributionEmbedding.contribution_id == contribution.id))
    return True


async def _question_named(session: AsyncSession, discussion_id: int, text: str, index_for) -> tuple[int, str] | None:
    """The question of an opened round that a text names, alone ("Q3: …", the question restated),
    and the answer without its marker; None when it names none, or several."""
    discussion = cast(Discussion, await session.get(Discussion, discussion_id))
    index: DiscussionIndex = await index_for(session, discussion)
    rounds = await store.rounds_of(session, discussion)
    current, _late = store.current_of(rounds)
    segments = (await contributions.link(index, text, open_round=current.number if current else None)).segments
    if len(segments) != 1 or segments[0].method not in contributions.NAMING_METHODS:
        return None
    question = index.questions.get(segments[0].question or "")
    if question is None or question.round_number not in filing.opened_rounds(rounds):
        return None
    return question.id, segments[0].text


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
    if contribution.status == ContributionStatus.filed and contribution.question_id == question.id:
        return True  # already there: no move to record
    # As in the chats, a participant's answer moves only to a round that has opened.
    if visitor.participant_id is not None and question.round_number not in filing.opened_rounds(await store.rounds_of(session, discussion)):
        return False
    await filing.tie(session, contribution, question.id, now, visitor.organiser)
    return True


async def update_profile(
    session: AsyncSession, participant_id: int, name: str | None, organisation: str | None, country: str | None
) -> bool:
    """Each field given, cut to what its column holds; one not given (None) is left as it is."""
    participant = await session.get(Participant, participant_id)
    if participant is None:
        return False
    for column, value in (("name", name), ("organisation", organisation), ("country", country)):
        if value is not None:
            setattr(participant, column, value.strip()[: onboarding.PROFILE_COLUMNS[column]] or None)
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
    counted by the database in index ranges; lists come a page at a time, as
    plain rows."""
    discussion = await _organised_discussion(session, organiser)
    if discussion is None:
        return None
    index: DiscussionIndex = await index_for(session, discussion)
    language = language if language in discussion.languages else discussion.languages[0]
    rounds = await store.rounds_of(session, discussion)
    overview = not (query.question or query.waiting or query.participants or query.brief)
    # The organiser's own zone, when their profile has one (/timezone) other than the discussion's.
    own_timezone = await session.scalar(
        select(Participant.timezone)
        .join(PlatformIdentity, PlatformIdentity.participant_id == Participant.id)
        .where(PlatformIdentity.platform == organiser[0], PlatformIdentity.external_id == organiser[1])
    )
    counts: dict[int, tuple[int, int]] = {}
    per_language_and_day: Counter[tuple[str, dt.date]] = Counter()
    by_country: Counter[str] = Counter()
    by_role: Counter[str] = Counter()
    waiting: tuple[Answer, ...] = ()
    waiting_total = 0
    acts: tuple[DeskAct, ...] = ()
    of_discussion = Message.discussion_id == discussion.id
    # A waiting answer has no question yet (`contributions._store_segments`): the index on question_id finds them.
    waiting_now = [Contribution.question_id.is_(None), Contribution.status == ContributionStatus.pending]
    if overview:
        counts = await _per_question(session, index)
        per_language_and_day = await _per_language_and_day(session, discussion)
        by_country, by_role = await _contributors(session, discussion)
        waiting, waiting_total = await _listed(session, index, 1, waiting_now, [of_discussion])
        acts = await _acts(session, discussion, index)
    by_language: Counter[str] = Counter()
    per_day: Counter[dt.date] = Counter()
    for (language_code, day), count in per_language_and_day.items():
        by_language[language_code] += count
        per_day[day] += count
    page = max(1, query.page)
    shown: tuple[Answer, ...] = ()
    shown_total = 0
    asked = index.questions.get(query.question or "")
    if asked is not None or query.waiting:
        # A question is of one discussion: its contributions are found without a look at their messages.
        listing = ([Contribution.question_id == asked.id], []) if asked is not None else (list(waiting_now), [of_discussion])
        shown, shown_total = await _listed(session, index, page, *_filtered(query, *listing))
    people: tuple[DeskPerson, ...] = ()
    people_total = 0
    if query.participants:
        people, people_total = await _people(session, discussion, page)
    return DeskPage(
        title=discussion.title.get(language) or discussion.slug,
        language=language,
        languages=tuple(discussion.languages),
        timezone=discussion.timezone,
        own_timezone=own_timezone if own_timezone not in (None, discussion.timezone) else None,
        paused=discussion.paused,
        rounds=tuple(DeskRound(r.number, r.status.value, *r.held) for r in rounds),
        questions=tuple(
            DeskQuestion(q.key, question_text(q, language, discussion), q.round_number, *counts.get(q.id, (0, 0)))
            for q in index.questions.values()
        ),
        participants=sum(by_role.values()),
        by_language=tuple(by_language.most_common()),
        per_day=tuple(sorted(per_day.items())),
        waiting=waiting,
        waiting_total=waiting_total,
        by_country=tuple(by_country.most_common()),
        by_role=tuple(by_role.most_common()),
        query=DeskQuery(
            **{**query.__dict__, "question": asked.key if asked else None, "waiting": query.waiting and not asked, "page": page}
        ),
        shown=shown,
        shown_total=shown_total,
        acts=acts,
        people=people,
        people_total=people_total,
        page_size=DESK_PAGE,
    )


# The desk's figures are counts in index ranges, one range each, not GROUP BY
# over the whole discussion: with 100,000 contributions, SQLite spends most of
# a grouped query sorting its rows into groups (the per-day figure took 200 ms
# that way, 40 ms counted per language and day). PostgreSQL is the other way
# round for the per-day figure (`_grouped_per_language_and_day`).


async def _per_question(session: AsyncSession, index: DiscussionIndex) -> dict[int, tuple[int, int]]:
    """Filed contributions per question: (shown, hidden), from ix_contributions_question_hidden_status."""

    def filed(hidden: bool):
        return (
            select(func.count())
            .select_from(Contribution)
            .where(Contribution.question_id == Question.id, Contribution.hidden == hidden, Contribution.status == ContributionStatus.filed)
            .scalar_subquery()
        )

    rows = await session.execute(select(Question.id, filed(False), filed(True)).where(Question.id.in_(list(index.by_id))))
    return {question_id: (shown, hidden) for question_id, shown, hidden in rows}


async def _per_language_and_day(session: AsyncSession, discussion: Discussion) -> Counter[tuple[str, dt.date]]:
    """Contributions received per language ("?" when unknown) and UTC day: for
    each language, each day from its first message to its last is one range of
    ix_messages_discussion_language_received, each message's contributions
    found in their own (message_id, position) index."""
    if session.get_bind().dialect.name == "postgresql":
        return await _grouped_per_language_and_day(session, discussion)
    of_discussion = Message.discussion_id == discussion.id
    counted: Counter[tuple[str, dt.date]] = Counter()
    for language in list(await session.scalars(select(Message.language).where(of_discussion).distinct())):
        in_language = (of_discussion, Message.language == language if language is not None else Message.language.is_(None))
        # Each read at an end of the language's range (a grouped min and max would read all of it).
        first, last = (
            await session.execute(
                select(
                    select(func.min(Message.received_at)).where(*in_language).scalar_subquery(),
                    select(func.max(Message.received_at)).where(*in_language).scalar_subquery(),
                )
            )
        ).one()
        midnight = dt.datetime.combine(first.date(), dt.time(), dt.UTC)
        days = [midnight + dt.timedelta(days=n) for n in range((last - midnight).days + 1)]
        # One column per day (a year at most a statement, within SQLite's limit on columns): the
        # statement's shape depends only on the number of days, so it is compiled once.
        for first_day in range(0, len(days), DAYS_A_STATEMENT):
            some = days[first_day : first_day + DAYS_A_STATEMENT]
            counts = (
                await session.execute(
                    select(
                        *(
                            select(func.count())  # of the rows the two indexes give, no table row read
                            .select_from(Message)
                            .join(Contribution, Contribution.message_id == Message.id)
                            .where(*in_language, Message.received_at >= day, Message.received_at < day + dt.timedelta(days=1))
                            .scalar_subquery()
                            for day in some
                        )
                    )
                )
            ).one()
            for day, count in zip(some, counts, strict=True):
                if count:
                    counted[(language or "?", day.date())] += count
    return counted


async def _grouped_per_language_and_day(session: AsyncSession, discussion: Discussion) -> Counter[tuple[str, dt.date]]:
    """`_per_language_and_day` in one grouped statement, for PostgreSQL: each
    of the ranges' index probes costs it more than SQLite's in-process ones
    (100,000 probes, 100 ms), while it merges the discussion's messages, in
    ix_messages_discussion_id's id order, with the contributions' (message_id,
    position) index and groups the joined rows in 30 ms. The messages are
    asked for in id order: left to itself, the planner hashes them instead,
    40 ms."""
    messages = (
        select(Message.id, Message.language, Message.received_at)
        .where(Message.discussion_id == discussion.id)
        .order_by(Message.id)
        .subquery()
    )
    day = cast_to(func.timezone("UTC", messages.c.received_at), Date).label("day")
    rows = await session.execute(
        select(messages.c.language, day, func.count())
        .join(Contribution, Contribution.message_id == messages.c.id)
        .group_by(messages.c.language, day)
    )
    return Counter({(language or "?", on): count for language, on, count in rows})


async def _contributors(session: AsyncSession, discussion: Discussion) -> tuple[Counter[str], Counter[str]]:
    """The participants who answered in the discussion (a message with an answer in it, filed or waiting: not
    one that only announced an answer, or whose answers were all withdrawn), per country they gave ("" when
    none) and per role."""
    wrote = (
        select(Contribution.id)
        .join(Message, Contribution.message_id == Message.id)
        .where(Message.discussion_id == discussion.id, Message.participant_id == Participant.id)
        .exists()
    )
    by_country: Counter[str] = Counter()
    by_role: Counter[str] = Counter()
    for country, role, count in await session.execute(
        select(Participant.country, Participant.role, func.count()).where(wrote).group_by(Participant.country, Participant.role)
    ):
        by_country[country or ""] += count
        by_role[role.value if role else ""] += count
    return by_country, by_role


async def _acts(session: AsyncSession, discussion: Discussion, index: DiscussionIndex) -> tuple[DeskAct, ...]:
    """The organisers' latest acts on contributions, newest first: hidings, and answers filed or moved by them.
    Read from the (few) acts, each checked to be of this discussion."""

    def of_discussion(contribution_id):
        return (
            select(Contribution.id)
            .join(Message, Contribution.message_id == Message.id)
            .where(Contribution.id == contribution_id, Message.discussion_id == discussion.id)
            .exists()
        )

    hidings = await session.execute(
        select(HidingAct.contribution_id, HidingAct.hidden, HidingAct.by_platform, HidingAct.by_user, HidingAct.reason, HidingAct.at)
        .where(of_discussion(HidingAct.contribution_id))
        .order_by(HidingAct.at.desc(), HidingAct.id.desc())
        .limit(DESK_ACTS)
    )
    moves = await session.execute(
        select(
            ContributionMove.contribution_id,
            ContributionMove.from_question_id,
            ContributionMove.to_question_id,
            ContributionMove.moved_at,
            ContributionMove.by_platform,
            ContributionMove.by_user,
        )
        .where(ContributionMove.by_organiser.is_(True), of_discussion(ContributionMove.contribution_id))
        .order_by(ContributionMove.moved_at.desc(), ContributionMove.id.desc())
        .limit(DESK_ACTS)
    )
    acts = [
        DeskAct(cid, "hidden" if hidden else "shown", at, organiser_name(platform, user), reason)
        for cid, hidden, platform, user, reason, at in hidings
    ]
    for cid, from_id, to_id, at, platform, user in moves:
        to = index.by_id.get(to_id) if to_id is not None else None
        acts.append(
            DeskAct(cid, "filed" if from_id is None else "moved", at, organiser_name(platform, user), to_question=to.key if to else None)
        )
    return tuple(sorted(acts, key=lambda act: act.at, reverse=True)[:DESK_ACTS])


def _filtered(query: DeskQuery, of_contributions: list, of_messages: list) -> tuple[list, list]:
    """The conditions a listed contribution meets, on its own columns and on its message's, with the desk's filters."""
    if query.language:
        of_messages.append(Message.language == query.language)
    if query.late:
        of_contributions.append(Contribution.late.is_(True))
    if query.edited:
        of_messages.append(EDITED)
    if query.hidden:
        of_contributions.append(Contribution.hidden.is_(True))
    if searched := query.search.strip():
        # SQLite folds the case of ASCII letters only: "DONNÉES" is also looked for as "données" (and the reverse).
        spellings = {searched, searched.lower(), searched.upper()}
        of_contributions.append(or_(*(Contribution.text.ilike("%" + _like(spelling) + "%", escape="\\") for spelling in spellings)))
    return of_contributions, of_messages


async def _listed(
    session: AsyncSession, index: DiscussionIndex, page: int, contribution_conditions: list, message_conditions: list
) -> tuple[tuple[Answer, ...], int]:
    """One page of the contributions that meet the conditions, in the order they were stored, and how many
    meet them. The messages' (wide) rows are read only for conditions on them and for the page's 50:
    a question's contributions are counted and paged in the contributions' own index."""

    def matching(*columns):
        query = select(*columns).select_from(Contribution)
        if message_conditions:
            query = query.join(Message, Contribution.message_id == Message.id).where(*message_conditions)
        return query.where(*contribution_conditions)

    total = await session.scalar(matching(func.count()))
    page_ids = matching(Contribution.id).order_by(Contribution.id).limit(DESK_PAGE).offset((page - 1) * DESK_PAGE)
    rows = await session.execute(
        select(*ANSWER_COLUMNS, Participant.display_name)
        .join(Message, Contribution.message_id == Message.id)
        .outerjoin(Participant, Message.participant_id == Participant.id)
        .where(Contribution.id.in_(page_ids.scalar_subquery()))
        .order_by(Contribution.id)
    )
    return tuple(_answer_of(row, index, author=row.display_name or "") for row in rows), total or 0


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


# --- the key points' review on the desk --------------------------------------
# The synthesis (scikit-learn, YAKE) is imported when a desk asks for it, not when the bot starts.


async def synthesis_draft(session: AsyncSession, organiser: tuple[str, str], language: str, now: dt.datetime) -> SynthesisDraft | None:
    """The draft as `facilitator synthesis` writes it, the organisers' review in it when
    there is one; kept, so that reports start from it."""
    from bot.reports.data import gather
    from bot.reports.synthesis import store as kept
    from bot.reports.synthesis.making import for_report
    from bot.reports.synthesis.review import draft_file

    discussion = await _organised_discussion(session, organiser)
    if discussion is None:
        return None
    language = language if language in discussion.languages else discussion.languages[0]
    report = await gather(session, discussion, now)
    synthesis = await for_report(session, discussion, report, language)
    await kept.keep(session, discussion, synthesis, now)
    return SynthesisDraft(
        language, draft_file(synthesis, discussion.slug, f"{discussion.slug}-synthesis-{language}.yaml"), synthesis.reviewed_at is not None
    )


async def save_synthesis_review(
    session: AsyncSession, organiser: tuple[str, str], language: str, text: str, now: dt.datetime
) -> SynthesisReview | None:
    from bot.reports.data import gather
    from bot.reports.synthesis import store as kept
    from bot.reports.synthesis.making import make_synthesis
    from bot.reports.synthesis.review import not_held_in, read_back

    discussion = await _organised_discussion(session, organiser)
    if discussion is None:
        return None
    if language not in discussion.languages:
        return SynthesisReview(False, (not_held_in(discussion.slug, discussion.languages, language),))
    report = await gather(session, discussion, now)
    edits = read_back(text, report, discussion.slug, language, now, await kept.kept(session, discussion, language))
    if edits.review is not None:
        # Brought up to date as the CLI does: a file written before a /forget or a /hide
        # would otherwise put back what was taken out since.
        await kept.keep(session, discussion, await make_synthesis(session, discussion, report, language, edits.review), now)
    return SynthesisReview(edits.review is not None, tuple(edits.problems), tuple(edits.notes))
