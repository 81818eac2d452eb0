"""Reminders before a round closes: who gets them, when, and what they say.

Who: local authority staff, unless they turned reminders off, and any other
participant who turned them on (`/reminders on`); only in their private chat
on a platform that is running and still reaches them, and only while they have
not answered every question of the round.

When: at each of the discussion's offsets before the round closes (48 and 4
hours by default), moved out of the participant's night. Quiet hours are the
discussion file's (21:00–08:00 by default) in the participant's own time zone
(`/timezone`), else the discussion's. A reminder that would fall in them is
sent when they end if that still leaves at least half of the intended notice,
otherwise an hour before they begin. Rehearsals have no quiet hours.

A reminder is recorded (`ReminderSent`, unique per round, participant and
offset) once the platform accepts it, so it is never sent twice.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
from collections.abc import Collection
from dataclasses import dataclass
from typing import cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel.dates import format_timedelta
from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.discussion import store
from bot.discussion.spec import QuietHours
from bot.discussion.store import question_text
from bot.handling.unfiled import record_ask, waiting_of, which_question_buttons
from bot.i18n import _, current_language, format_moment, ngettext, reading_in
from bot.ports import ChatKind, ChatRef, Outbox, OutgoingMessage, RecipientUnreachable
from bot.storage.models import (
    Contribution,
    ContributionStatus,
    Discussion,
    Message,
    Participant,
    Question,
    ReminderSent,
    Role,
    Round,
    Venue,
)
from bot.text import shorten

log = logging.getLogger(__name__)

DEFAULT_QUIET_HOURS = QuietHours()
BEFORE_QUIET_HOURS = dt.timedelta(hours=1)  # where a reminder goes when the morning after is too late
MAX_CHOICES = 4  # questions offered for an answer waiting for its question, as when it came
IDS_PER_QUERY = 500  # participant ids in one IN (…): well under SQLite's limit on a statement's parameters


def quiet_hours_of(discussion: Discussion) -> QuietHours | None:
    if not discussion.quiet_hours:
        return None
    return QuietHours.parse(f"{discussion.quiet_from}-{discussion.quiet_until}") or DEFAULT_QUIET_HOURS


def wants_reminders(reminders: bool | None, role: Role) -> bool:
    """Their own choice (`reminders`) if they made one; otherwise local authority staff do, others do not."""
    if reminders is not None:
        return reminders
    return role == Role.local_authority


def reachable_private_chat(discussion_id: int, platforms: Collection[str]) -> tuple[ColumnElement[bool], ...]:
    """A venue of the discussion reminders can go to: a private chat, followed, still reached, on a platform running."""
    return (
        Venue.discussion_id == discussion_id,
        Venue.kind == ChatKind.private,
        Venue.active.is_(True),
        Venue.unreachable.is_(False),
        Venue.platform.in_(list(platforms)),
    )


def zone_of(timezone: str | None, discussion_zone: str) -> str:
    """The time zone a participant's reminders follow: their own if it is a real one, else the discussion's."""
    return timezone if timezone and zone_named(timezone) else discussion_zone


@functools.lru_cache(maxsize=1024)  # a name that is no zone costs a scan of every zone's name
def zone_named(name: str) -> ZoneInfo | None:
    """An IANA time zone from what a person typed ("europe/paris" works too)."""
    name = name.strip()
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        pass
    matches = [key for key in available_timezones() if key.lower() == name.lower()]
    return ZoneInfo(matches[0]) if matches else None


def in_night(moment: dt.datetime, zone: ZoneInfo, quiet: QuietHours = DEFAULT_QUIET_HOURS) -> bool:
    return quiet.contains(moment.astimezone(zone).time())


def out_of_night(
    moment: dt.datetime,
    zone: ZoneInfo,
    notice: dt.timedelta,
    opens_at: dt.datetime,
    closes_at: dt.datetime,
    quiet: QuietHours = DEFAULT_QUIET_HOURS,
) -> dt.datetime | None:
    """`moment`, or, when it falls in the quiet hours where the participant
    lives, the morning they end if that still leaves half the `notice` before
    closing, else the evening before they began (never before the round opens);
    None when the round has no waking moment left for it."""
    if not in_night(moment, zone, quiet):
        return moment
    local = moment.astimezone(zone)
    past_midnight = quiet.starts > quiet.ends and local.time() < quiet.ends
    night_began = local.date() - dt.timedelta(days=1) if past_midnight else local.date()
    night_ends = night_began + dt.timedelta(days=1) if quiet.starts > quiet.ends else night_began
    morning = dt.datetime.combine(night_ends, quiet.ends, tzinfo=zone).astimezone(dt.UTC)
    evening = dt.datetime.combine(night_began, quiet.starts, tzinfo=zone).astimezone(dt.UTC) - BEFORE_QUIET_HOURS
    if closes_at - morning >= notice / 2 or evening <= opens_at:
        return morning if morning < closes_at else None
    return evening


def reminder_moment(
    opens_at: dt.datetime, closes_at: dt.datetime, offset: dt.timedelta, zone: ZoneInfo, quiet_hours: QuietHours | None
) -> dt.datetime | None:
    """When the reminder `offset` before closing reaches someone living in
    `zone`; None when the round is shorter than the offset."""
    moment = closes_at - offset
    if moment <= opens_at:
        return None
    return out_of_night(moment, zone, offset, opens_at, closes_at, quiet_hours) if quiet_hours else moment


# --- sending ----------------------------------------------------------------


@dataclass(frozen=True)
class Reach:
    """Where and how to write to one participant."""

    participant_id: int
    language: str
    zone: str
    venues: tuple[tuple[int, ChatRef], ...]  # reachable private chats, newest first


async def reachable_participants(
    session: AsyncSession, discussion: Discussion, platforms: Collection[str], only: Collection[int] | None = None
) -> list[Reach]:
    """Participants of the discussion who want reminders and can be written to
    privately (`only`: among these participant ids). Read as columns: a large
    discussion's thousands of people are not loaded as ORM objects."""
    chosen = sorted(only or ())
    batches = [chosen[start : start + IDS_PER_QUERY] for start in range(0, len(chosen), IDS_PER_QUERY)] if only is not None else [None]
    people: dict[int, Reach] = {}
    for ids in batches:
        rows = await session.execute(
            select(
                Participant.id,
                Participant.language,
                Participant.timezone,
                Participant.reminders,
                Participant.role,
                Venue.id,
                Venue.platform,
                Venue.chat_id,
                Venue.kind,
            )
            .join(Venue, Venue.participant_id == Participant.id)
            .where(*reachable_private_chat(discussion.id, platforms), *([Participant.id.in_(ids)] if ids is not None else []))
            .order_by(Participant.id, Venue.created_at.desc(), Venue.id.desc())
        )
        languages: list[str] = discussion.languages
        for participant_id, language, timezone, reminders, role, venue_id, platform, chat_id, kind in rows:
            if not wants_reminders(reminders, role):
                continue
            chat = (venue_id, ChatRef(platform=platform, chat_id=chat_id, kind=kind))
            known = people.get(participant_id)
            if known is None:
                language = language if language in languages else languages[0]
                people[participant_id] = Reach(participant_id, language, zone_of(timezone, discussion.timezone), (chat,))
            else:
                people[participant_id] = dataclasses.replace(known, venues=(*known.venues, chat))
    return list(people.values())


async def answered_questions(session: AsyncSession, round_ids: Collection[int], participant_id: int | None = None) -> set[tuple[int, int]]:
    """(participant id, question id) for every question answered in these rounds
    (pending or hidden parts do not count), by everyone or by one participant."""
    rows = await session.execute(
        select(Message.participant_id, Contribution.question_id)
        .join(Contribution, Contribution.message_id == Message.id)
        .join(Question, Contribution.question_id == Question.id)
        .where(
            Question.round_id.in_(list(round_ids)),
            Contribution.status == ContributionStatus.filed,
            Contribution.hidden.is_(False),
            *([Message.participant_id == participant_id] if participant_id is not None else []),
        )
    )
    # Joined on Question: every contribution counted has its question.
    return {(participant_id, cast(int, question_id)) for participant_id, question_id in rows if participant_id is not None}


def reminder_text(discussion: Discussion, round_: Round, unanswered: list[Question], zone: str, now: dt.datetime, waiting: int = 0) -> str:
    """Call inside `reading_in` the participant's language. `waiting`: how
    many of their answers wait for their question (each is asked about again
    after the reminder)."""
    language = current_language()
    lines = [
        _("Reminder: round {number} closes on {closes}, {remaining}.").format(
            number=round_.number,
            closes=format_moment(round_.closes_at, zone),
            remaining=format_timedelta(round_.closes_at - now, add_direction=True, locale=language),
        ),
    ]
    if unanswered:
        lines.append(
            ngettext(
                "You have not answered this question yet:",
                "You have not answered these {count} questions yet:",
                len(unanswered),
            ).format(count=len(unanswered))
        )
        lines += [f"{question.key}. {shorten(question_text(question, language, discussion), 200)}" for question in unanswered]
    if waiting:
        lines.append(
            ngettext(
                "{count} of your answers waits for its question: choose it in the message below.",
                "{count} of your answers wait for their question: choose each one's in the messages below.",
                waiting,
            ).format(count=waiting)
        )
    lines.append("")
    if unanswered:
        lines.append(
            _("Reply to a question's message to answer it, or start your message with its number, for example «Q{key}: …».").format(
                key=unanswered[0].key
            )
        )
    lines.append(_("Send /reminders off to stop these reminders."))
    return "\n".join(lines)


async def unanswered_reminder(
    session: AsyncSession, discussion: Discussion, round_: Round, questions: list[Question], reach: Reach, now: dt.datetime
) -> str | None:
    """The reminder of the round's `questions` this participant has not
    answered, in their language; None when they answered them all."""
    answered = {question for _participant, question in await answered_questions(session, [round_.id], reach.participant_id)}
    unanswered = [question for question in questions if question.id not in answered]
    waiting = await waiting_of(session, reach.participant_id, discussion.id)
    if not unanswered and not waiting:
        return None
    with reading_in(reach.language):
        return reminder_text(discussion, round_, unanswered, reach.zone, now, len(waiting))


async def waiting_asks(
    session: AsyncSession, discussion: Discussion, reach: Reach, chat: ChatRef, now: dt.datetime
) -> list[OutgoingMessage]:
    """The participant's answers waiting for their question, each asked about
    again with its buttons (the same the conversation sends: a press files it)."""
    waiting = await waiting_of(session, reach.participant_id, discussion.id)
    if not waiting:
        return []
    questions = {question.key: (question, number) for question, number in await store.questions_of(session, discussion)}
    round_of = {contribution.id: await _round_number_of(session, contribution) for contribution in waiting}
    asks = []
    with reading_in(reach.language):
        for contribution in waiting:
            keys = [k for k in contribution.candidates if k in questions] or [
                key for key, (_question, number) in questions.items() if number == round_of[contribution.id]
            ][:MAX_CHOICES]
            choices = [(key, question_text(questions[key][0], reach.language, discussion)) for key in keys]
            text = _("Which question does this answer? «{excerpt}»").format(excerpt=shorten(contribution.text, 80))
            asks.append(OutgoingMessage(chat=chat, text=text, buttons=which_question_buttons(contribution.id, choices, _("None of them"))))
            contribution.asked_at = now
    return asks


async def _round_number_of(session: AsyncSession, contribution: Contribution) -> int | None:
    return await session.scalar(
        select(Round.number).join(Message, Message.round_id == Round.id).where(Message.id == contribution.message_id)
    )


def record_reminder(session: AsyncSession, round_: Round, reach: Reach, offsets: Collection[int], now: dt.datetime) -> None:
    for offset in offsets:
        session.add(ReminderSent(round_id=round_.id, participant_id=reach.participant_id, offset_seconds=offset, sent_at=now))


async def send_reminder(
    outbox: Outbox,
    session: AsyncSession,
    discussion: Discussion,
    round_: Round,
    questions: list[Question],
    reach: Reach,
    offsets: Collection[int],
    now: dt.datetime,
) -> bool:
    """Remind one participant of the round's `questions` they have not answered,
    recording each of `offsets` as sent. False when there was nothing to remind
    (all answered) or no chat of theirs accepts messages any more."""
    text = await unanswered_reminder(session, discussion, round_, questions, reach, now)
    if text is None:
        return False
    for venue_id, chat in reach.venues:
        try:
            await outbox.send(OutgoingMessage(chat=chat, text=text))
            for ask in await waiting_asks(session, discussion, reach, chat, now):
                await record_ask(session, ask, await outbox.send(ask), now)
        except RecipientUnreachable:
            log.info("venue %s is unreachable; no more reminders go there", venue_id)
            venue = await session.get(Venue, venue_id)
            assert venue is not None  # read just before (gone only if its participant was forgotten since)
            venue.unreachable = True
            await session.commit()
            continue
        record_reminder(session, round_, reach, offsets, now)
        await session.commit()
        return True
    return False


@dataclass(frozen=True)
class RemindedNow:
    sent: int
    asleep: int  # not disturbed: in their night


async def remind_now(
    session: AsyncSession, discussion: Discussion, platform_names: Collection[str], now: dt.datetime
) -> tuple[RemindedNow, list[OutgoingMessage]] | None:
    """An organiser's "send reminders now" for the open round: to everyone who
    would get scheduled reminders and has not answered everything, except those
    in their night. Recorded, in `session`, with the time left before closing
    as its offset; the reminders are returned for the caller to send once that
    is committed. None when no round is open."""
    round_, late = await store.current_round(session, discussion)
    if round_ is None or late:
        return None
    offset = max(int((round_.closes_at - now).total_seconds()), 0)
    questions = await store.questions_of_round(session, round_)
    reminders: list[OutgoingMessage] = []
    asleep = 0
    quiet = quiet_hours_of(discussion)
    for reach in await reachable_participants(session, discussion, platform_names):
        if quiet and in_night(now, ZoneInfo(reach.zone), quiet):
            asleep += 1
            continue
        already = await session.scalar(
            select(ReminderSent.id).where(
                ReminderSent.round_id == round_.id,
                ReminderSent.participant_id == reach.participant_id,
                ReminderSent.offset_seconds == offset,
            )
        )
        if already is not None or not reach.venues:
            continue
        text = await unanswered_reminder(session, discussion, round_, questions, reach, now)
        if text is not None:
            record_reminder(session, round_, reach, [offset], now)
            reminders.append(OutgoingMessage(chat=reach.venues[0][1], text=text))
            reminders += await waiting_asks(session, discussion, reach, reach.venues[0][1], now)
    return RemindedNow(sent=len(reminders), asleep=asleep), reminders
