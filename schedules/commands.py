"""Chat commands about the calendar: a participant's time zone, and the
organisers' changes (open the next round now, extend or postpone a round,
pause and resume, send reminders now, see what happens next).

They change the database; the running scheduler follows within seconds.
"""

from __future__ import annotations

import datetime as dt

from babel.dates import format_time

from bot.discussion import store
from bot.discussion.spec import parse_typed_duration
from bot.handling.command import N_, Command
from bot.handling.turn import Turn
from bot.i18n import _, current_language, format_moment, ngettext
from bot.storage.models import RoundStatus
from schedules import reminders, timetable, zones

SCHEDULE_LINES = 8
LONGEST_DELAY = dt.timedelta(days=365)  # by which a round may be extended or postponed at once


def parse_delay(text: str) -> dt.timedelta | None:
    """ "2d", "36h", "30m", "1w", or an ISO 8601 duration ("P2D", "PT4H"): as the CLI reads them.
    None for anything else, longer than a year included (a typo, and past the calendar's range)."""
    try:
        delay = parse_typed_duration(text)
    except (ValueError, OverflowError):
        return None
    return delay if delay <= LONGEST_DELAY else None


async def timezone(turn: Turn, args: list[str]) -> None:
    participant = await turn.ensure_participant()
    if not args:
        current = participant.timezone or (turn.discussion.timezone if turn.discussion else None)
        turn.reply(_("Your time zone is {zone}. To change it, send for example /timezone America/Guatemala.").format(zone=current or "—"))
        return
    typed = " ".join(args)[:60]  # "Buenos Aires", "Ciudad de México"
    found = zones.find_zone(typed, turn.language)
    zone = found.zone
    if zone is None:
        if found.candidates:
            turn.reply(
                _("{name} may be one of these time zones: {zones}. Send the one you mean, for example /timezone {first}.").format(
                    name=typed, zones=", ".join(found.candidates), first=found.candidates[0]
                )
            )
            return
        turn.reply(
            _("I do not know the time zone {zone}. Send its name as City or Region/City, for example /timezone Europe/Paris.").format(
                zone=typed
            )
        )
        return
    participant.timezone = zone.key
    quiet = reminders.quiet_hours_of(turn.discussion) if turn.discussion else None
    if quiet is None:
        turn.reply(_("Your time zone is now {zone}.").format(zone=zone.key))
        return
    turn.reply(
        _("Your time zone is now {zone}: reminders will not reach you between {start} and {end} there.").format(
            zone=zone.key,
            start=format_time(quiet.starts, "short", locale=current_language()),
            end=format_time(quiet.ends, "short", locale=current_language()),
        )
    )


async def schedule(turn: Turn, args: list[str]) -> None:
    assert turn.discussion is not None
    turn.reply(await schedule_text(turn))


async def schedule_text(turn: Turn) -> str:
    assert turn.discussion is not None
    state = await timetable.load_state(turn.session, turn.discussion, turn.platform_names)
    grace = timetable.DEFAULT_GRACE
    if state.paused:
        return (
            _("The discussion is paused: nothing happens until /resume.")
            if turn.takes_commands
            else _("The discussion is paused: nothing happens until it is resumed.")
        )
    upcoming = [event for event in timetable.plan(state, turn.now, grace) if event.at > turn.now]
    lines = timetable.describe(upcoming, turn.discussion.timezone)[:SCHEDULE_LINES]
    skipped = [event for event in timetable.missed(state, turn.now, grace) if event.action != timetable.Action.remind]
    text = "\n".join([_("What happens next:"), *lines]) if lines else _("Nothing more is planned.")
    if skipped:
        text += "\n\n" + _("Not done, because its time passed long ago (open a round by hand with /next_round):") + "\n"
        text += "\n".join(timetable.describe(skipped, turn.discussion.timezone))
    return text


async def next_round(turn: Turn, args: list[str]) -> None:
    assert turn.discussion is not None
    round_ = await timetable.open_next_round(turn.session, turn.discussion, turn.now)
    if round_ is None:
        turn.reply(_("There is no round left to open."))
        return
    turn.reply(_("Round {number} is open; its questions are being posted.").format(number=round_.number))
    turn.post_everywhere = True


async def extend_round(turn: Turn, args: list[str]) -> None:
    assert turn.discussion is not None
    delay = parse_delay(" ".join(args)) if args else None  # "2d", or "2 days"
    if delay is None:
        turn.reply(_("Say by how long, for example /extend_round 2d or /extend_round 12h."))
        return
    round_, late = await store.current_round(turn.session, turn.discussion)
    if round_ is None or late:
        turn.reply(_("No round is open at the moment."))
        return
    moved = await timetable.move_rounds(turn.session, turn.discussion, round_, delay, turn.now, extend=True)
    turn.reply(
        _("Round {number} now closes on {closes}.").format(
            number=round_.number, closes=format_moment(round_.closes_at, turn.discussion.timezone)
        )
        + _moved_later(moved[1:])
    )


async def postpone_round(turn: Turn, args: list[str]) -> None:
    assert turn.discussion is not None
    all_rounds = await store.rounds_of(turn.session, turn.discussion)
    delay = parse_delay(" ".join(args[1:])) if len(args) >= 2 else None
    number = int(args[0]) if args and args[0].isdigit() else 0
    if delay is None or not 1 <= number <= len(all_rounds):
        turn.reply(_("Give a round number and how long to wait, for example /postpone_round 2 3d."))
        return
    round_ = all_rounds[number - 1]
    if round_.status != RoundStatus.scheduled:
        turn.reply(_("Round {number} has already opened: use /extend_round to give it more time.").format(number=number))
        return
    moved = await timetable.move_rounds(turn.session, turn.discussion, round_, delay, turn.now, extend=False)
    turn.reply(
        _("Round {number} now opens on {opens} and closes on {closes}.").format(
            number=number,
            opens=format_moment(round_.opens_at, turn.discussion.timezone),
            closes=format_moment(round_.closes_at, turn.discussion.timezone),
        )
        + _moved_later(moved[1:])
    )


def _moved_later(rounds_after: list) -> str:
    if not rounds_after:
        return ""
    return " " + ngettext(
        "The round after it moves by the same time.", "The {count} rounds after it move by the same time.", len(rounds_after)
    ).format(count=len(rounds_after))


async def pause(turn: Turn, args: list[str]) -> None:
    assert turn.discussion is not None
    turn.discussion.paused = True
    turn.reply(
        _("The discussion is paused: no round opens or closes, and nothing is posted, until /resume.")
        if turn.takes_commands
        else _("The discussion is paused: no round opens or closes, and nothing is posted, until it is resumed.")
    )


async def resume(turn: Turn, args: list[str]) -> None:
    assert turn.discussion is not None
    closed = await timetable.resume(turn.session, turn.discussion, turn.now)
    await turn.session.flush()
    lines = [_("The discussion resumes: what is due now happens within a minute.")]
    lines += [_("Round {number} is closed: its closing time passed during the pause.").format(number=r.number) for r in closed]
    turn.reply("\n".join(lines) + "\n\n" + await schedule_text(turn))


async def remind(turn: Turn, args: list[str]) -> None:
    assert turn.discussion is not None
    reminded = await reminders.remind_now(turn.session, turn.discussion, turn.platform_names, turn.now)
    if reminded is None:
        turn.reply(_("No round is open at the moment."))
        return
    result, notices = reminded
    turn.notices += notices  # sent once the reminders are recorded
    text = ngettext("Reminder sent to {count} participant.", "Reminders sent to {count} participants.", result.sent).format(
        count=result.sent
    )
    if result.asleep:
        text += " " + ngettext(
            "{count} participant is in their night and was not disturbed.",
            "{count} participants are in their night and were not disturbed.",
            result.asleep,
        ).format(count=result.asleep)
    turn.reply(text)


COMMANDS: tuple[Command, ...] = (
    Command("timezone", N_("your time zone, so reminders do not come at night"), timezone, arguments="City|Region/City"),
    Command("schedule", N_("what happens next, and when"), schedule, organiser_only=True),
    Command("next_round", N_("open the next round now"), next_round, organiser_only=True),
    Command("extend_round", N_("give the open round more time"), extend_round, organiser_only=True, arguments="2d|12h"),
    Command("postpone_round", N_("open a round later"), postpone_round, organiser_only=True, arguments="N 2d|12h"),
    Command("pause", N_("pause the whole discussion"), pause, organiser_only=True),
    Command("resume", N_("resume the discussion"), resume, organiser_only=True),
    Command("remind", N_("send reminders now to those who have not answered"), remind, organiser_only=True),
)
