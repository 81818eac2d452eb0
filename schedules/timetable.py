"""The discussion's calendar: what happens when, what is due at a given
moment, and the organisers' changes to it.

Everything is a function of the database and a `now` given by the caller, so
a four-week discussion can be played in seconds with a controlled clock. The
scheduler (`schedules/`) only decides when to call `advance`; the database
decides what `advance` does, so a job run twice, late, or for a date that has
since changed does the right thing or nothing.

An event is due at `now` when its time has come, and not more than the grace
period ago: an event missed by longer (the process was down, or the file's
dates are past, as in the 2013 example) is skipped, and an organiser acts by
hand (`/next_round`, `/extend_round`, …).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import enum
import logging
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, String, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased

from bot.discussion import store
from bot.discussion.spec import DiscussionSpec, QuietHours, later
from bot.i18n import _, format_moment, ngettext
from bot.ports import Outbox
from bot.storage.models import (
    Contribution,
    ContributionStatus,
    Discussion,
    Message,
    Participant,
    Question,
    ReminderSent,
    Round,
    RoundChange,
    RoundStatus,
    Venue,
)
from schedules import rounds
from schedules.reminders import (
    quiet_hours_of,
    reachable_participants,
    reachable_private_chat,
    reminder_moment,
    send_reminder,
    wants_reminders,
    zone_of,
)
from schedules.wrapups import post_missing_wrap_ups

log = logging.getLogger(__name__)

DEFAULT_GRACE = dt.timedelta(hours=1)


class Action(str, enum.Enum):
    close = "close"  # listed first: at the same moment, a round closes before the next opens
    open = "open"
    remind = "remind"


_ACTION_ORDER = {Action.close: 0, Action.open: 1, Action.remind: 2}


@dataclass(frozen=True)
class Event:
    at: dt.datetime
    action: Action
    round_number: int
    participant_id: int | None = None  # reminders
    offset: int | None = None  # reminders: seconds before closing

    def sort_key(self) -> tuple:
        return (self.at, _ACTION_ORDER[self.action], self.round_number, self.participant_id or 0, -(self.offset or 0))


@dataclass(frozen=True)
class Moment:
    """What the calendar does at one moment: a round opens or closes, or the
    reminders at one offset before a round closes go to these participants."""

    at: dt.datetime
    action: Action
    round_number: int
    offset: int | None = None  # reminders: seconds before closing
    participant_ids: tuple[int, ...] = ()  # reminders

    def events(self) -> list[Event]:
        if self.action != Action.remind:
            return [Event(self.at, self.action, self.round_number)]
        return [Event(self.at, self.action, self.round_number, participant, self.offset) for participant in self.participant_ids]

    def sort_key(self) -> tuple:
        return (self.at, _ACTION_ORDER[self.action], self.round_number, -(self.offset or 0))


@dataclass(frozen=True)
class RoundState:
    id: int
    number: int
    status: RoundStatus
    opens_at: dt.datetime
    closes_at: dt.datetime
    question_ids: frozenset[int]


@dataclass(frozen=True)
class State:
    """What the calendar depends on, read from the database: as ids, in sets,
    so that a discussion's 100,000 participants are planned in a few passes
    over them, by time zone, rather than one at a time."""

    discussion_id: int
    paused: bool
    quiet_hours: QuietHours | None
    offsets: tuple[int, ...]
    rounds: tuple[RoundState, ...]
    people: Mapping[str, tuple[int, ...]]  # who wants reminders and can be written to: participant ids by time zone
    finished: Mapping[int, frozenset[int]]  # round id → who answered all its questions (rounds not closed)
    reminded: Mapping[tuple[int, int], frozenset[int]]  # (round id, offset) → who got that reminder (rounds not closed)

    def round(self, number: int) -> RoundState:
        return next(r for r in self.rounds if r.number == number)


async def load_state(session: AsyncSession, discussion: Discussion, platforms: Collection[str]) -> State:
    """The calendar's state. The participants' ids come grouped by the database,
    a few strings of ids: 100,000 rows would be as many objects, and
    the garbage collector's passes over them would hold the event loop."""
    all_rounds = await store.rounds_of(session, discussion)
    questions = await session.execute(
        select(Question.round_id, Question.id).where(Question.discussion_id == discussion.id, Question.position > 0)
    )
    by_round: dict[int, set[int]] = {}
    for round_id, question_id in questions:
        by_round.setdefault(round_id, set()).add(question_id)
    live = [r.id for r in all_rounds if r.status != RoundStatus.closed]  # a closed round plans nothing
    reached = (
        select(Participant.id, Participant.timezone, Participant.reminders, Participant.role)
        .join(Venue, Venue.participant_id == Participant.id)
        .where(*reachable_private_chat(discussion.id, platforms))
        .distinct()  # one a person, however many chats reach them
        .subquery()
    )
    people: dict[str, list[int]] = {}
    for timezone, reminders, role, ids in await session.execute(
        select(reached.c.timezone, reached.c.reminders, reached.c.role, _joined(reached.c.id)).group_by(
            reached.c.timezone, reached.c.reminders, reached.c.role
        )
    ):
        if wants_reminders(reminders, role):
            people.setdefault(zone_of(timezone, discussion.timezone), []).extend(_ids(ids))
        await asyncio.sleep(0)
    other = aliased(Question)
    in_round = select(func.count(other.id)).where(other.round_id == Question.round_id, other.position > 0).scalar_subquery()
    answered_all = (
        select(Message.participant_id, Question.round_id)
        .join(Contribution, Contribution.message_id == Message.id)
        .join(Question, Contribution.question_id == Question.id)
        .where(
            Question.round_id.in_(live),
            Question.position > 0,
            Contribution.status == ContributionStatus.filed,
            Contribution.hidden.is_(False),
            Message.participant_id.is_not(None),
        )
        .group_by(Message.participant_id, Question.round_id)
        .having(func.count(distinct(Contribution.question_id)) >= in_round)
        .subquery()
    )
    finished = {
        round_id: frozenset(_ids(ids))
        for round_id, ids in await session.execute(
            select(answered_all.c.round_id, _joined(answered_all.c.participant_id)).group_by(answered_all.c.round_id)
        )
    }
    await asyncio.sleep(0)
    reminded = {
        (round_id, offset): frozenset(_ids(ids))
        for round_id, offset, ids in await session.execute(
            select(ReminderSent.round_id, ReminderSent.offset_seconds, _joined(ReminderSent.participant_id))
            .where(ReminderSent.round_id.in_(live))
            .group_by(ReminderSent.round_id, ReminderSent.offset_seconds)
        )
    }
    return State(
        discussion_id=discussion.id,
        paused=discussion.paused,
        quiet_hours=quiet_hours_of(discussion),
        offsets=tuple(discussion.reminder_offsets or ()),
        rounds=tuple(RoundState(r.id, r.number, r.status, r.opens_at, r.closes_at, frozenset(by_round.get(r.id, ()))) for r in all_rounds),
        people={zone: tuple(ids) for zone, ids in people.items()},
        finished=finished,
        reminded=reminded,
    )


def _joined(column: ColumnElement[int] | InstrumentedAttribute[int]) -> ColumnElement[str]:
    """A group's ids, as one string: "3,17,42"."""
    return func.aggregate_strings(column.cast(String), ",")


def _ids(joined: str | None) -> list[int]:
    return [int(id_) for id_ in joined.split(",")] if joined else []


def _moments_per_round(state: State, now: dt.datetime, grace: dt.timedelta) -> Iterator[list[Moment]]:
    """The moments still to come, a round's opening and closing, then each
    of its offsets' reminders, a part at a time (see `planned`). A reminder's
    moment is worked out once per round, offset and time zone."""
    if state.paused:
        return
    for round_ in state.rounds:
        if round_.status == RoundStatus.closed:
            continue
        if round_.status == RoundStatus.scheduled:
            if now - round_.opens_at > grace:
                yield [Moment(round_.opens_at, Action.open, round_.number)]
                continue  # its opening was skipped: it opens by hand, if at all
            yield [Moment(round_.opens_at, Action.open, round_.number), Moment(round_.closes_at, Action.close, round_.number)]
        else:
            yield [Moment(round_.closes_at, Action.close, round_.number)]
        if not round_.question_ids:
            continue  # nothing to remind of
        finished = state.finished.get(round_.id, frozenset())
        for offset in state.offsets:
            done = finished | state.reminded.get((round_.id, offset), frozenset())
            by_moment: dict[dt.datetime, list[int]] = {}
            for zone, people in state.people.items():
                moment = reminder_moment(round_.opens_at, round_.closes_at, dt.timedelta(seconds=offset), ZoneInfo(zone), state.quiet_hours)
                if moment is not None:
                    by_moment.setdefault(moment, []).extend([person for person in people if person not in done] if done else people)
            yield [Moment(at, Action.remind, round_.number, offset, tuple(ids)) for at, ids in by_moment.items() if ids]


@dataclass(frozen=True)
class Plan:
    """Every moment still to happen according to the state, in order,
    including those whose time has passed (see `due` and `missed`)."""

    state: State
    moments: tuple[Moment, ...]

    def due(self, now: dt.datetime, grace: dt.timedelta) -> list[Moment]:
        """What to do at `now`: its time has come, not longer than `grace` ago."""
        return [
            moment
            for moment in self.moments
            if moment.at <= now
            and now - moment.at <= grace
            and not (moment.action == Action.open and now >= self.state.round(moment.round_number).closes_at)
        ]

    def missed(self, now: dt.datetime, grace: dt.timedelta) -> list[Moment]:
        """What passed longer than `grace` ago: it will not happen by itself."""
        return [moment for moment in self.moments if now - moment.at > grace]


def plan_of(state: State, now: dt.datetime, grace: dt.timedelta) -> Plan:
    return Plan(state, tuple(sorted((m for part in _moments_per_round(state, now, grace) for m in part), key=Moment.sort_key)))


async def planned(session: AsyncSession, discussion: Discussion, platforms: Collection[str], now: dt.datetime, grace: dt.timedelta) -> Plan:
    """The discussion's plan, read and worked out with the loop free between parts."""
    state = await load_state(session, discussion, platforms)
    moments: list[Moment] = []
    for part in _moments_per_round(state, now, grace):
        moments += part
        await asyncio.sleep(0)
    return Plan(state, tuple(sorted(moments, key=Moment.sort_key)))


def _events(moments: Iterable[Moment]) -> list[Event]:
    return sorted((event for moment in moments for event in moment.events()), key=Event.sort_key)


def plan(state: State, now: dt.datetime, grace: dt.timedelta) -> list[Event]:
    """Every event still to happen according to the database, in order,
    including those whose time has passed (see `due` and `missed`)."""
    return _events(plan_of(state, now, grace).moments)


def due(state: State, now: dt.datetime, grace: dt.timedelta) -> list[Event]:
    """The events to do at `now`: their time has come, not longer than `grace` ago."""
    return _events(plan_of(state, now, grace).due(now, grace))


def missed(state: State, now: dt.datetime, grace: dt.timedelta) -> list[Event]:
    """The events whose time passed longer than `grace` ago: they will not happen by themselves."""
    return _events(plan_of(state, now, grace).missed(now, grace))


async def advance(
    outbox: Outbox, discussion_id: int, now: dt.datetime, grace: dt.timedelta = DEFAULT_GRACE, plan: Plan | None = None
) -> list[Event]:
    """Do what is due at `now`: close rounds and post their wrap-ups, open the
    round whose time has come and post its questions, send the reminders due.
    `plan`: the discussion's, worked out at `now` by the caller (else read here).
    Returns what was done."""
    done: list[Event] = []
    async with outbox.sessions() as session:
        discussion = await session.get(Discussion, discussion_id)
        if discussion is None:
            return done
        if plan is None:
            plan = await planned(session, discussion, outbox.platform_names, now, grace)
        to_do = plan.due(now, grace)
        if not to_do:
            return done
        opening = [moment for moment in to_do if moment.action == Action.open][-1:]  # rounds follow each other: the latest
        all_rounds = {r.number: r for r in await store.rounds_of(session, discussion)}
        # Close first (a round opening closes the open one anyway), so that its
        # wrap-up is posted before the next round's questions.
        closing = [moment for moment in to_do if moment.action == Action.close]
        if opening:
            already = {moment.round_number for moment in closing}
            closing += [
                Moment(now, Action.close, r.number) for r in all_rounds.values() if r.status == RoundStatus.open and r.number not in already
            ]
        for moment in closing:
            if await rounds.close_round(session, all_rounds[moment.round_number], now):
                done += moment.events()
        await session.commit()
    if done:
        await post_missing_wrap_ups(outbox, now, discussion_id)
    async with outbox.sessions() as session:
        discussion = await session.get(Discussion, discussion_id)
        assert discussion is not None  # read above
        opened = []
        for moment in opening:
            round_ = await store.round_by_number(session, discussion, moment.round_number)
            assert round_ is not None  # the moment was planned from this round's row
            if await rounds.open_round(session, discussion, round_, now):
                opened += moment.events()
        await session.commit()
    if opened:
        done += opened
        outbox.kick()  # post its questions in the background
    done += await _send_due_reminders(outbox, discussion_id, now, [moment for moment in to_do if moment.action == Action.remind])
    return done


async def _send_due_reminders(outbox: Outbox, discussion_id: int, now: dt.datetime, due_now: list[Moment]) -> list[Event]:
    """Send the reminders of `due_now` (planned from the state read before
    rounds closed or opened: a round closed since gets none, and each
    participant's answers are read again as their reminder is written)."""
    done: list[Event] = []
    if not due_now:
        return done
    async with outbox.sessions() as session:
        discussion = await session.get(Discussion, discussion_id)
        assert discussion is not None  # read by `advance` before
        grouped: dict[tuple[int, int], list[Event]] = {}
        for moment in due_now:
            for event in moment.events():
                assert event.participant_id is not None  # every reminder has its participant (see `Moment.events`)
                grouped.setdefault((event.participant_id, event.round_number), []).append(event)
        reach = {
            person.participant_id: person
            for person in await reachable_participants(session, discussion, outbox.platform_names, only={p for p, _number in grouped})
        }
        open_rounds = {r.number: r for r in await store.rounds_of(session, discussion) if r.status == RoundStatus.open}
        questions = {number: await store.questions_of_round(session, round_) for number, round_ in open_rounds.items()}
        for (participant_id, number), events in grouped.items():
            if number not in open_rounds or participant_id not in reach:
                continue
            offsets = [cast(int, event.offset) for event in events]  # every reminder has its offset (see `Moment.events`)
            try:
                sent = await send_reminder(
                    outbox, session, discussion, open_rounds[number], questions[number], reach[participant_id], offsets, now
                )
            except Exception:
                # One participant's platform failing must not cost the others their reminder; theirs is retried.
                log.exception("a reminder to participant %s could not be sent; it is tried again", participant_id)
                continue
            if sent:
                done += events
    return done


# --- the organisers' changes ------------------------------------------------


async def open_by_hand(session: AsyncSession, discussion: Discussion, round_: Round, now: dt.datetime) -> bool:
    """An organiser opens the round now (/open_round, `facilitator round open`, `schedule next`).
    A round that never opened and whose closing time has passed (a file of an earlier discussion, a
    round opened long after its dates) would be closed by the next housekeeping and announced as open
    until a past date: it opens now, its closing moves by whole days to keep the file's time of day
    (`_until_now`), and the rounds after it move as much, keeping the rhythm (`move_rounds`).
    Returns False when it was already open."""
    if round_.status == RoundStatus.scheduled and round_.closes_at <= now:
        await move_rounds(session, discussion, round_, _until_now(discussion, round_, now), now, extend=False, first_opens_at=now)
    return await rounds.open_round(session, discussion, round_, now)


def _until_now(discussion: Discussion, round_: Round, now: dt.datetime) -> dt.timedelta:
    """How far a past round moves to open now. A round of a day or more moves by whole days on the
    discussion's calendar, so that it and the rounds after keep the file's times of day ("closes on
    Friday at 17:00", not at the minute it was opened); a shorter one moves by the wall-clock time
    between (`later` counts whole days on the calendar, whatever changes of clocks lie between)."""
    zone = ZoneInfo(discussion.timezone)
    opens, today = round_.opens_at.astimezone(zone), now.astimezone(zone)
    if round_.closes_at - round_.opens_at < dt.timedelta(days=1):
        return today.replace(tzinfo=None) - opens.replace(tzinfo=None)
    days = (today.date() - opens.date()).days
    while later(round_.closes_at, dt.timedelta(days=days), zone) <= now:  # opened after the file's time of closing
        days += 1
    return dt.timedelta(days=days)


async def open_next_round(session: AsyncSession, discussion: Discussion, now: dt.datetime) -> Round | None:
    """Open, now, the first round after the open or last closed one. None when there is none left."""
    all_rounds = await store.rounds_of(session, discussion)
    started = [r.number for r in all_rounds if r.status != RoundStatus.scheduled]
    following = [r for r in all_rounds if r.status == RoundStatus.scheduled and r.number > max(started, default=0)]
    if not following:
        return None
    await open_by_hand(session, discussion, following[0], now)
    return following[0]


async def resume(session: AsyncSession, discussion: Discussion, now: dt.datetime) -> list[Round]:
    """Resume a paused discussion. A round whose closing time passed during
    the pause closes now, as of that time (a closing is the end of a period,
    not an event that can be skipped); its wrap-up follows. Returns those rounds."""
    discussion.paused = False
    closed = []
    for round_ in await store.rounds_of(session, discussion):
        if round_.status == RoundStatus.open and round_.closes_at <= now:
            await rounds.close_round(session, round_, round_.closes_at)
            closed.append(round_)
    return closed


async def move_rounds(
    session: AsyncSession,
    discussion: Discussion,
    first: Round,
    by: dt.timedelta,
    now: dt.datetime,
    extend: bool,
    first_opens_at: dt.datetime | None = None,
) -> list[Round]:
    """Extend `first` (it closes `by` later) or postpone it (it opens and closes
    `by` later, or at `first_opens_at` when given); the rounds after it move by
    `by` too, keeping the rhythm. Remembered as a `RoundChange`, so a restart
    with the same file keeps it."""
    moved = [r for r in await store.rounds_of(session, discussion) if r.number >= first.number]
    zone = ZoneInfo(discussion.timezone)
    for round_ in moved:
        change = await session.scalar(select(RoundChange).where(RoundChange.round_id == round_.id))
        if change is None:
            change = RoundChange(round_id=round_.id, file_opens_at=round_.opens_at, file_closes_at=round_.closes_at)
            session.add(change)
        if round_.id == first.id and first_opens_at is not None:
            round_.opens_at = first_opens_at
        elif not (extend and round_.id == first.id):
            round_.opens_at = later(round_.opens_at, by, zone)
        round_.closes_at = later(round_.closes_at, by, zone)
        change.opens_at, change.closes_at, change.changed_at = round_.opens_at, round_.closes_at, now
    await session.flush()
    return moved


async def keep_round_changes(session: AsyncSession, discussion: Discussion) -> None:
    """After the discussion file is (re)loaded: put back the organisers' changes
    to rounds whose dates the file still gives as they were; drop those the
    file has since changed (the file wins). Running it twice changes nothing."""
    rows = await session.execute(
        select(RoundChange, Round).join(Round, RoundChange.round_id == Round.id).where(Round.discussion_id == discussion.id)
    )
    for change, round_ in rows:
        if (round_.opens_at, round_.closes_at) == (change.file_opens_at, change.file_closes_at):
            round_.opens_at, round_.closes_at = change.opens_at, change.closes_at
        elif (round_.opens_at, round_.closes_at) != (change.opens_at, change.closes_at):
            log.info(
                "round %s of %s has new dates in the file; the earlier change made by an organiser is dropped",
                round_.number,
                discussion.slug,
            )
            await session.delete(change)
    await session.flush()


# --- rehearsal ----------------------------------------------------------------


def rehearsal(spec: DiscussionSpec, round_length: dt.timedelta, start: dt.datetime) -> DiscussionSpec:
    """The discussion replayed from `start`, each round lasting `round_length`,
    the reminders scaled in proportion to the rounds' usual length and sent at
    any hour, under its own id (`<id>-rehearsal`) so the real discussion is
    left untouched."""
    usual = sum((r.closes_at - r.opens_at for r in spec.rounds), dt.timedelta()) / len(spec.rounds)
    scale = round_length / usual
    return dataclasses.replace(
        spec,
        slug=rehearsal_slug(spec.slug),
        rounds=tuple(
            dataclasses.replace(r, opens_at=start + i * round_length, closes_at=start + (i + 1) * round_length)
            for i, r in enumerate(spec.rounds)
        ),
        reminders=tuple(offset * scale for offset in spec.reminders),
        quiet_hours=None,
    )


def rehearsal_slug(slug: str) -> str:
    return slug[:54] + "-rehearsal"


# --- what happens next, for people ---------------------------------------------


def describe(events: list[Event], zone: str, also_utc: bool = False) -> list[str]:
    """One line per moment and kind: "15 Jul 2013, 09:00:00 (Europe/Brussels): round 2 opens".
    Reminders at the same moment, for the same round, are counted together.
    Call inside `reading_in`."""
    lines: list[str] = []
    grouped: dict[tuple, int] = {}
    for event in events:
        key = (event.at, event.action, event.round_number, event.offset)
        grouped[key] = grouped.get(key, 0) + 1
    for (at, action, number, offset), count in grouped.items():
        if action == Action.open:
            what = _("round {number} opens").format(number=number)
        elif action == Action.close:
            what = _("round {number} closes").format(number=number)
        else:
            what = ngettext(
                "reminder to {count} participant, {hours} h before round {number} closes",
                "reminders to {count} participants, {hours} h before round {number} closes",
                count,
            ).format(count=count, hours=round(offset / 3600, 2) if offset % 3600 else offset // 3600, number=number)
        when = format_moment(at, zone)
        if also_utc:
            when += f" = {at.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S} UTC"
        lines.append(f"{when}: {what}")
    return lines
