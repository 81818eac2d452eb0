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

import dataclasses
import datetime as dt
import enum
import logging
from collections.abc import Collection
from dataclasses import dataclass
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.discussion import store
from bot.discussion.spec import DiscussionSpec, QuietHours, later
from bot.i18n import _, format_moment, ngettext
from bot.ports import Outbox
from bot.storage.models import Discussion, Question, ReminderSent, Round, RoundChange, RoundStatus
from schedules import rounds
from schedules.reminders import (
    Reach,
    answered_questions,
    quiet_hours_of,
    reachable_participants,
    reminder_moment,
    send_reminder,
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
class RoundState:
    id: int
    number: int
    status: RoundStatus
    opens_at: dt.datetime
    closes_at: dt.datetime
    question_ids: frozenset[int]


@dataclass(frozen=True)
class State:
    """What the calendar depends on, read from the database."""

    discussion_id: int
    paused: bool
    quiet_hours: QuietHours | None
    offsets: tuple[int, ...]
    rounds: tuple[RoundState, ...]
    people: tuple[Reach, ...]  # who wants reminders and can be written to
    answered: frozenset[tuple[int, int]]  # participant id, question id
    reminded: frozenset[tuple[int, int, int]]  # round id, participant id, offset

    def round(self, number: int) -> RoundState:
        return next(r for r in self.rounds if r.number == number)


async def load_state(session: AsyncSession, discussion: Discussion, platforms: Collection[str]) -> State:
    all_rounds = await store.rounds_of(session, discussion)
    questions = await session.execute(
        select(Question.round_id, Question.id).where(Question.discussion_id == discussion.id, Question.position > 0)
    )
    by_round: dict[int, set[int]] = {}
    for round_id, question_id in questions:
        by_round.setdefault(round_id, set()).add(question_id)
    round_ids = [r.id for r in all_rounds]
    reminded = await session.execute(
        select(ReminderSent.round_id, ReminderSent.participant_id, ReminderSent.offset_seconds).where(ReminderSent.round_id.in_(round_ids))
    )
    return State(
        discussion_id=discussion.id,
        paused=discussion.paused,
        quiet_hours=quiet_hours_of(discussion),
        offsets=tuple(discussion.reminder_offsets or ()),
        rounds=tuple(RoundState(r.id, r.number, r.status, r.opens_at, r.closes_at, frozenset(by_round.get(r.id, ()))) for r in all_rounds),
        people=tuple(reach for _participant, reach in await reachable_participants(session, discussion, platforms)),
        answered=frozenset(await answered_questions(session, round_ids)),
        reminded=frozenset((round_id, participant_id, offset) for round_id, participant_id, offset in reminded),
    )


def plan(state: State, now: dt.datetime, grace: dt.timedelta) -> list[Event]:
    """Every event still to happen according to the database, in order,
    including those whose time has passed (see `due` and `missed`)."""
    if state.paused:
        return []
    answered: dict[int, set[int]] = {}
    for participant, question in state.answered:
        answered.setdefault(participant, set()).add(question)
    events: list[Event] = []
    for round_ in state.rounds:
        if round_.status == RoundStatus.closed:
            continue
        if round_.status == RoundStatus.scheduled:
            events.append(Event(round_.opens_at, Action.open, round_.number))
            if now - round_.opens_at > grace:
                continue  # its opening was skipped: it opens by hand, if at all
        events.append(Event(round_.closes_at, Action.close, round_.number))
        for person in state.people:
            if round_.question_ids <= answered.get(person.participant_id, set()):
                continue
            for offset in state.offsets:
                if (round_.id, person.participant_id, offset) in state.reminded:
                    continue
                moment = reminder_moment(
                    round_.opens_at, round_.closes_at, dt.timedelta(seconds=offset), ZoneInfo(person.zone), state.quiet_hours
                )
                if moment is not None:
                    events.append(Event(moment, Action.remind, round_.number, person.participant_id, offset))
    return sorted(events, key=Event.sort_key)


def due(state: State, now: dt.datetime, grace: dt.timedelta) -> list[Event]:
    """The events to do at `now`: their time has come, not longer than `grace` ago."""
    return [
        event
        for event in plan(state, now, grace)
        if event.at <= now
        and now - event.at <= grace
        and not (event.action == Action.open and now >= state.round(event.round_number).closes_at)
    ]


def missed(state: State, now: dt.datetime, grace: dt.timedelta) -> list[Event]:
    """The events whose time passed longer than `grace` ago: they will not happen by themselves."""
    return [event for event in plan(state, now, grace) if now - event.at > grace]


async def advance(outbox: Outbox, discussion_id: int, now: dt.datetime, grace: dt.timedelta = DEFAULT_GRACE) -> list[Event]:
    """Do what is due at `now`: close rounds and post their wrap-ups, open the
    round whose time has come and post its questions, send the reminders due.
    Returns what was done."""
    done: list[Event] = []
    async with outbox.sessions() as session:
        discussion = await session.get(Discussion, discussion_id)
        if discussion is None:
            return done
        to_do = due(await load_state(session, discussion, outbox.platform_names), now, grace)
        if not to_do:
            return done
        opening = [event for event in to_do if event.action == Action.open][-1:]  # rounds follow each other: the latest
        all_rounds = {r.number: r for r in await store.rounds_of(session, discussion)}
        # Close first (a round opening closes the open one anyway), so that its
        # wrap-up is posted before the next round's questions.
        closing = [event for event in to_do if event.action == Action.close]
        if opening:
            already = {event.round_number for event in closing}
            closing += [
                Event(now, Action.close, r.number) for r in all_rounds.values() if r.status == RoundStatus.open and r.number not in already
            ]
        for event in closing:
            if await rounds.close_round(session, all_rounds[event.round_number], now):
                done.append(event)
        await session.commit()
    if done:
        await post_missing_wrap_ups(outbox, now, discussion_id)
    async with outbox.sessions() as session:
        discussion = await session.get(Discussion, discussion_id)
        assert discussion is not None  # read above
        opened = []
        for event in opening:
            round_ = await store.round_by_number(session, discussion, event.round_number)
            assert round_ is not None  # the event was planned from this round's row
            if await rounds.open_round(session, discussion, round_, now):
                opened.append(event)
        await session.commit()
    if opened:
        done += opened
        outbox.kick()  # post its questions in the background
    done += await _send_due_reminders(outbox, discussion_id, now, grace)
    return done


async def _send_due_reminders(outbox: Outbox, discussion_id: int, now: dt.datetime, grace: dt.timedelta) -> list[Event]:
    done: list[Event] = []
    async with outbox.sessions() as session:
        discussion = await session.get(Discussion, discussion_id)
        assert discussion is not None  # read by `advance` before
        state = await load_state(session, discussion, outbox.platform_names)
        reminders = [event for event in due(state, now, grace) if event.action == Action.remind]
        reach = {person.participant_id: person for person in state.people}
        grouped: dict[tuple[int, int], list[Event]] = {}
        for event in reminders:
            assert event.participant_id is not None  # every reminder has its participant (see `plan`)
            grouped.setdefault((event.participant_id, event.round_number), []).append(event)
        open_rounds = {r.number: r for r in await store.rounds_of(session, discussion) if r.status == RoundStatus.open}
        questions = {number: await store.questions_of_round(session, round_) for number, round_ in open_rounds.items()}
        for (participant_id, number), events in grouped.items():
            if number not in open_rounds:
                continue
            offsets = [cast(int, event.offset) for event in events]  # every reminder has its offset (see `plan`)
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


async def open_next_round(session: AsyncSession, discussion: Discussion, now: dt.datetime) -> Round | None:
    """Open, now, the first round after the open or last closed one. None when there is none left."""
    all_rounds = await store.rounds_of(session, discussion)
    started = [r.number for r in all_rounds if r.status != RoundStatus.scheduled]
    following = [r for r in all_rounds if r.status == RoundStatus.scheduled and r.number > max(started, default=0)]
    if not following:
        return None
    await rounds.open_round(session, discussion, following[0], now)
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
    session: AsyncSession, discussion: Discussion, first: Round, by: dt.timedelta, now: dt.datetime, extend: bool
) -> list[Round]:
    """Extend `first` (it closes `by` later) or postpone it (it opens and closes
    `by` later); the rounds after it move by `by` too, keeping the rhythm.
    Remembered as a `RoundChange`, so a restart with the same file keeps it."""
    moved = [r for r in await store.rounds_of(session, discussion) if r.number >= first.number]
    zone = ZoneInfo(discussion.timezone)
    for round_ in moved:
        change = await session.scalar(select(RoundChange).where(RoundChange.round_id == round_.id))
        if change is None:
            change = RoundChange(round_id=round_.id, file_opens_at=round_.opens_at, file_closes_at=round_.closes_at)
            session.add(change)
        if not (extend and round_.id == first.id):
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
