"""`facilitator schedule` (what happens next, and the organisers' changes to
the calendar from a shell) and what `facilitator run` needs for schedules:
loading a discussion for a rehearsal, and its options."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt

from sqlalchemy import delete, select

from bot.conversation.engine import Engine, utc_now
from bot.discussion import store
from bot.discussion.spec import DiscussionSpec, format_duration, parse_typed_duration
from bot.i18n import reading_in
from bot.storage.models import Discussion, Message, Round, RoundStatus, Venue
from schedules import timetable

_LATER = "how much later: 2d, 12h, 30m or P2D (only later: a round is not moved back)"


def _duration(text: str) -> dt.timedelta:
    if text.strip().startswith("-"):
        raise argparse.ArgumentTypeError(f"{text.strip()!r} is negative: a duration counts forward, such as 2d, 12h, 30m or P2D")
    try:
        return parse_typed_duration(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _later(text: str) -> dt.timedelta:
    if text.strip().startswith("-"):
        raise argparse.ArgumentTypeError(
            f"{text.strip()!r}: a round is not moved back, only later "
            "(to close the open round now: facilitator round close; to open the next one now: facilitator schedule next)"
        )
    return _duration(text)


def add_run_options(run: argparse.ArgumentParser) -> None:
    run.add_argument(
        "--rehearse",
        type=_duration,
        metavar="DURATION",
        help="rehearse the discussion from now, each round lasting DURATION (e.g. PT5M), reminders scaled, no quiet hours",
    )
    run.add_argument(
        "--grace",
        type=_duration,
        default=timetable.DEFAULT_GRACE,
        metavar="DURATION",
        help="run what fell due while the bot was down if it is at most this late (default PT1H)",
    )


async def load_for_run(engine: Engine, spec: DiscussionSpec, rehearse: dt.timedelta | None) -> Discussion:
    """Load the discussion file, keeping the organisers' changes to its rounds;
    or, with `rehearse`, load it as a fresh rehearsal starting now (a previous
    rehearsal's rounds and answers are wiped; its subscribers stay)."""
    if rehearse is not None:
        spec = timetable.rehearsal(spec, rehearse, engine.clock())
        async with engine.sessions() as session:
            previous = await session.scalar(select(Discussion).where(Discussion.slug == spec.slug))
            if previous is not None:
                await session.execute(delete(Message).where(Message.discussion_id == previous.id))
                await session.execute(delete(Round).where(Round.discussion_id == previous.id))
                await session.commit()
    loaded = await engine.load(spec)
    async with engine.sessions() as session:
        discussion = await session.get(Discussion, loaded.id)
        assert discussion is not None  # just stored by `engine.load`
        if rehearse is not None:
            discussion.paused = False  # a new rehearsal starts afresh, even after a paused one
        await timetable.keep_round_changes(session, discussion)
        await session.commit()
    return discussion


def register(commands) -> None:
    from facilitator.cli import add_discussion_option

    schedule = commands.add_parser("schedule", help="what happens next (times in the discussion's zone and UTC); or change it")
    add_discussion_option(schedule)
    schedule.set_defaults(handler=lambda a: asyncio.run(_act(a, show)))
    actions = schedule.add_subparsers(metavar="ACTION")
    next_ = actions.add_parser("next", help="open the next round now")
    next_.set_defaults(handler=lambda a: asyncio.run(_act(a, open_next)))
    extend = actions.add_parser("extend", help="the open round closes DURATION later (the rounds after it move too)")
    extend.add_argument("duration", type=_later, metavar="DURATION", help=_LATER)
    extend.set_defaults(handler=lambda a: asyncio.run(_act(a, extend_open)))
    postpone = actions.add_parser("postpone", help="round N opens DURATION later (the rounds after it move too)")
    postpone.add_argument("number", type=int)
    postpone.add_argument("duration", type=_later, metavar="DURATION", help=_LATER)
    postpone.set_defaults(handler=lambda a: asyncio.run(_act(a, postpone_round)))
    for name, paused in (("pause", True), ("resume", False)):
        action = actions.add_parser(name, help=f"{name} the whole discussion")
        action.set_defaults(handler=lambda a, paused=paused: asyncio.run(_act(a, lambda s, d, a: set_paused(s, d, paused))))
    for action in actions.choices.values():
        add_discussion_option(action)


async def _act(args: argparse.Namespace, action) -> int:
    from facilitator.cli import with_discussion

    return await with_discussion(args, lambda session, discussion: action(session, discussion, args))


async def show(session, discussion: Discussion, args: argparse.Namespace) -> int:
    print(await schedule_report(session, discussion, utc_now()))
    return 0


async def schedule_report(session, discussion: Discussion, now: dt.datetime, grace: dt.timedelta = timetable.DEFAULT_GRACE) -> str:
    """What happens next in the discussion, as the running bot will do it."""
    platforms = set(await session.scalars(select(Venue.platform).where(Venue.discussion_id == discussion.id).distinct()))
    state = await timetable.load_state(session, discussion, platforms)
    lines = [f"{discussion.slug}: times in {discussion.timezone}, and in UTC"]
    if state.paused:
        lines.append("paused: nothing happens until `facilitator schedule resume`")
    with reading_in("en"):
        upcoming = timetable.describe([e for e in timetable.plan(state, now, grace) if e.at > now], discussion.timezone, also_utc=True)
        skipped = timetable.describe(
            [e for e in timetable.missed(state, now, grace) if e.action != timetable.Action.remind], discussion.timezone, also_utc=True
        )
    lines += upcoming or ["nothing more is planned"]
    if skipped:
        lines.append(
            f"not done by itself, its time passed more than {format_duration(grace)} ago (open rounds by hand: `facilitator schedule next`):"
        )
        lines += [f"  {line}" for line in skipped]
    return "\n".join(lines)


async def open_next(session, discussion: Discussion, args: argparse.Namespace) -> int:
    round_ = await timetable.open_next_round(session, discussion, utc_now())
    print(
        f"round {round_.number} of {discussion.slug} is open; the running bot posts its questions within seconds"
        if round_
        else "there is no round left to open"
    )
    return 0


async def extend_open(session, discussion: Discussion, args: argparse.Namespace) -> int:
    from facilitator.cli import CommandError

    round_, late = await store.current_round(session, discussion)
    if round_ is None or late:
        raise CommandError(f"no round of {discussion.slug} is open")
    moved = await timetable.move_rounds(session, discussion, round_, args.duration, utc_now(), extend=True)
    print(
        f"round {round_.number} now closes {round_.closes_at:%Y-%m-%d %H:%M} UTC; {len(moved) - 1} later round(s) moved by {format_duration(args.duration)}"
    )
    return 0


async def postpone_round(session, discussion: Discussion, args: argparse.Namespace) -> int:
    from facilitator.cli import CommandError

    round_ = await store.round_by_number(session, discussion, args.number)
    if round_ is None or round_.status != RoundStatus.scheduled:
        raise CommandError(f"round {args.number} of {discussion.slug} does not exist or has already opened (extend it instead)")
    moved = await timetable.move_rounds(session, discussion, round_, args.duration, utc_now(), extend=False)
    print(
        f"round {args.number} now opens {round_.opens_at:%Y-%m-%d %H:%M} UTC; {len(moved) - 1} later round(s) moved by {format_duration(args.duration)}"
    )
    return 0


async def set_paused(session, discussion: Discussion, paused: bool) -> int:
    if paused:
        discussion.paused = True
        print(f"{discussion.slug} is paused")
        return 0
    closed = await timetable.resume(session, discussion, utc_now())
    print(f"{discussion.slug} is running again; what is due happens within a minute")
    for round_ in closed:
        print(f"round {round_.number} is closed: its closing time passed during the pause")
    return 0
