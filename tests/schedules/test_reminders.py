"""Reminders: at a decent hour where each participant lives, only to those
who want them and can be reached, never twice."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.discussion.spec import DiscussionFileError, QuietHours, parse_discussion
from bot.storage.models import Participant, ReminderSent, Role, Venue
from schedules.reminders import out_of_night, reminder_moment, wants_reminders
from tests.conftest import SMALL_DISCUSSION
from tests.fakes.simulated_scheduler import run_until
from tests.helpers import answer, join, organiser, reminders_to

UTC = dt.UTC
BRUSSELS = ZoneInfo("Europe/Brussels")
GUATEMALA = ZoneInfo("America/Guatemala")
OPENS = dt.datetime(2013, 7, 8, 7, tzinfo=UTC)  # 09:00 in Brussels
CLOSES = dt.datetime(2013, 7, 15, 7, tzinfo=UTC)
HOURS = dt.timedelta(hours=1)


def test_a_reminder_in_the_day_is_not_moved():
    assert reminder_moment(OPENS, CLOSES, 48 * HOURS, BRUSSELS, quiet_hours=QuietHours()) == CLOSES - 48 * HOURS


def test_a_reminder_at_night_moves_to_the_morning_when_that_leaves_enough_time():
    # 48 h before closing is 01:00 in Guatemala: sent at 08:00 there.
    assert reminder_moment(OPENS, CLOSES, 48 * HOURS, GUATEMALA, quiet_hours=QuietHours()) == dt.datetime(2013, 7, 13, 14, tzinfo=UTC)


def test_a_reminder_at_night_moves_to_the_evening_before_when_the_morning_is_too_late():
    # 4 h before closing is 05:00 in Brussels; 08:00 would leave one hour: 20:00 the evening before.
    assert reminder_moment(OPENS, CLOSES, 4 * HOURS, BRUSSELS, quiet_hours=QuietHours()) == dt.datetime(2013, 7, 14, 18, tzinfo=UTC)
    # In Guatemala, 21:00 the evening before closing; the round closes at 01:00 there.
    assert reminder_moment(OPENS, CLOSES, 4 * HOURS, GUATEMALA, quiet_hours=QuietHours()) == dt.datetime(2013, 7, 15, 2, tzinfo=UTC)


def test_without_quiet_hours_reminders_keep_their_time():
    assert reminder_moment(OPENS, CLOSES, 4 * HOURS, BRUSSELS, quiet_hours=None) == CLOSES - 4 * HOURS


def test_the_discussion_file_sets_its_own_quiet_hours():
    late_nights = QuietHours(dt.time(22, 30), dt.time(6, 30))
    # 4 h before closing is 05:00 in Brussels: 06:30 still leaves more than half the notice.
    assert reminder_moment(OPENS, CLOSES, 4 * HOURS, BRUSSELS, quiet_hours=late_nights) == dt.datetime(2013, 7, 15, 4, 30, tzinfo=UTC)
    # Quiet hours that do not cross midnight: a lunch break from 12:00 to 14:00.
    lunch = QuietHours(dt.time(12), dt.time(14))
    noon_reminder = dt.datetime(2013, 7, 12, 10, 30, tzinfo=UTC)  # 12:30 in Brussels
    assert out_of_night(noon_reminder, BRUSSELS, 48 * HOURS, OPENS, CLOSES, lunch) == dt.datetime(2013, 7, 12, 12, tzinfo=UTC)


def test_quiet_hours_in_the_file_are_read_and_checked():
    def read(value):
        return parse_discussion({**SMALL_DISCUSSION, "quiet_hours": value}, "d.yaml")

    assert read("22:30-06:30").quiet_hours == QuietHours(dt.time(22, 30), dt.time(6, 30))
    assert read(False).quiet_hours is None and read("off").quiet_hours is None
    assert parse_discussion(SMALL_DISCUSSION, "d.yaml").quiet_hours == QuietHours(dt.time(21), dt.time(8))
    for wrong in ("21h-8h", "21:00-21:00", "25:00-08:00"):
        try:
            read(wrong)
        except DiscussionFileError as error:
            assert [p.field for p in error.problems] == ["quiet_hours"]
        else:
            raise AssertionError(f"{wrong!r} was accepted")


async def test_with_quiet_hours_off_in_the_file_reminders_keep_their_time(engine, user, clock, example):
    await engine.load(dataclasses.replace(example, quiet_hours=None))
    clock.now = dt.datetime(2013, 7, 5, tzinfo=UTC)
    marie = await join(engine, user, "marie", "fr", chosen_language="fr", role="local_authority")
    sent = await run_until(engine, clock, dt.datetime(2013, 7, 16, tzinfo=UTC))
    # Round 1 closes at 09:00 in Brussels: 48 h and 4 h before, 05:00 included.
    assert [at for at, _message in reminders_to(sent, marie)] == [CLOSES - 48 * HOURS, CLOSES - 4 * HOURS]


def test_no_reminder_when_the_round_leaves_it_no_waking_moment():
    opens = dt.datetime(2013, 7, 8, 18, 30, tzinfo=UTC)  # 20:30 in Brussels
    closes = dt.datetime(2013, 7, 9, 5, 30, tzinfo=UTC)  # 07:30 the next morning
    assert reminder_moment(opens, closes, 4 * HOURS, BRUSSELS, quiet_hours=QuietHours()) is None


async def test_the_time_zone_reply_names_the_discussions_own_quiet_hours(engine, platform, user, example):
    await engine.load(dataclasses.replace(example, quiet_hours=QuietHours(dt.time(22, 30), dt.time(6, 30))))
    marie = await join(engine, user, "marie", "en", chosen_language="en")
    await engine.handle_message(marie.message("/timezone Asia/Kathmandu"))
    assert platform.last(marie.dm).text == (
        "Your time zone is now Asia/Kathmandu: reminders will not reach you between 10:30\u202fPM and 6:30\u202fAM there."
    )


def test_no_reminder_for_a_round_shorter_than_the_offset():
    assert reminder_moment(OPENS, OPENS + 24 * HOURS, 48 * HOURS, BRUSSELS, quiet_hours=QuietHours()) is None


def test_a_night_moment_is_never_moved_before_the_round_opens():
    opens = dt.datetime(2013, 7, 8, 20, 30, tzinfo=UTC)  # 22:30 in Brussels
    closes = dt.datetime(2013, 7, 9, 7, tzinfo=UTC)  # 09:00 the next day
    moved = out_of_night(closes - 4 * HOURS, BRUSSELS, 4 * HOURS, opens, closes)
    assert moved == dt.datetime(2013, 7, 9, 6, tzinfo=UTC)  # 08:00, the only daytime left


def test_who_gets_reminders_by_default():
    assert wants_reminders(None, Role.local_authority)
    assert not wants_reminders(None, Role.participant)
    assert wants_reminders(True, Role.participant)
    assert not wants_reminders(False, Role.local_authority)


async def test_a_participant_who_opts_out_gets_no_more_reminders(engine, platform, user, clock):
    clock.now = dt.datetime(2013, 7, 5, tzinfo=UTC)
    marie = await join(engine, user, "marie", "fr", chosen_language="fr", role="local_authority")
    sent = await run_until(engine, clock, dt.datetime(2013, 7, 14, tzinfo=UTC))
    assert len(reminders_to(sent, marie)) == 1  # 48 h before round 1 closes
    await engine.handle_message(marie.message("/reminders off"))
    sent = await run_until(engine, clock, dt.datetime(2013, 7, 30, tzinfo=UTC))
    assert reminders_to(sent, marie) == []
    await engine.handle_message(marie.message("/reminders on"))
    sent = await run_until(engine, clock, dt.datetime(2013, 8, 5, tzinfo=UTC))
    assert len(reminders_to(sent, marie)) == 2, "back on: round 4's two reminders"


async def test_reminders_alone_says_where_the_participant_stands_and_how_to_change_it(engine, platform, user):
    marie = await join(engine, user, "marie", "fr", chosen_language="fr", role="local_authority")
    pedro = await join(engine, user, "pedro", "es", chosen_language="es", role="participant")
    await engine.handle_message(marie.message("/reminders"))
    assert platform.last(marie.dm).text == "Les rappels sont activés. Envoyez /reminders off pour ne plus en recevoir."
    await engine.handle_message(pedro.message("/reminders"))
    assert platform.last(pedro.dm).text == (
        "Los recordatorios están desactivados. Envíe /reminders on para recibir un recordatorio antes del cierre de cada ronda."
    )
    await engine.handle_message(pedro.message("/reminders on"))
    await engine.handle_message(pedro.message("/reminders"))
    assert platform.last(pedro.dm).text.startswith("Los recordatorios están activados.")


async def test_no_reminder_to_someone_who_answered_everything_or_cannot_be_reached(engine, platform, user, clock):
    clock.now = dt.datetime(2013, 7, 5, tzinfo=UTC)
    marie = await join(engine, user, "marie", "fr", chosen_language="fr", role="local_authority")
    pedro = await join(engine, user, "pedro", "es", chosen_language="es", role="local_authority")
    await run_until(engine, clock, dt.datetime(2013, 7, 9, tzinfo=UTC))
    for key in ("1.1", "1.2", "1.3", "1.4", "1.5"):
        await answer(engine, marie, key, "Un comité de jumelage entre nos deux communes.")
    platform.unreachable.add(pedro.dm)  # Pedro blocked the bot
    sent = await run_until(engine, clock, dt.datetime(2013, 7, 16, tzinfo=UTC))
    assert reminders_to(sent, marie) == [] and reminders_to(sent, pedro) == []
    async with engine.sessions() as session:
        assert await session.scalar(select(Venue.unreachable).where(Venue.chat_id == pedro.dm))


async def test_reminders_now_spare_those_asleep_and_are_not_doubled(engine, platform, user, clock):
    clock.now = dt.datetime(2013, 7, 8, 8, tzinfo=UTC)
    boss = await organiser(engine, user)
    marie = await join(engine, user, "marie", "fr", chosen_language="fr", role="local_authority")
    carlos = await join(engine, user, "carlos", "es", chosen_language="es", role="local_authority", timezone="america/guatemala")
    await run_until(engine, clock, dt.datetime(2013, 7, 8, 8, 30, tzinfo=UTC))  # 02:30 in Guatemala
    platform.clear()
    await engine.handle_message(boss.message("/remind"))
    assert len(platform.texts(marie.dm)) == 1 and platform.texts(carlos.dm) == []
    assert "1" in platform.last(boss.dm).text and "night" in platform.last(boss.dm).text
    await engine.handle_message(boss.message("/remind"))
    assert len(platform.texts(marie.dm)) == 1, "not twice at the same moment"


async def test_reminders_now_are_recorded_before_they_are_sent(engine, platform, user, clock):
    """/remind commits, then sends, as every reply does: a reminder that left
    is already on record, so a crash after it cannot send it again."""
    clock.now = dt.datetime(2013, 7, 8, 8, tzinfo=UTC)
    boss = await organiser(engine, user)
    marie = await join(engine, user, "marie", "fr", chosen_language="fr", role="local_authority")
    await run_until(engine, clock, dt.datetime(2013, 7, 8, 8, 30, tzinfo=UTC))
    on_record_when_sent = []
    send = platform.send

    async def send_and_look(message):
        if "/reminders off" in message.text:
            async with engine.sessions() as session:  # another session: sees only what is committed
                on_record_when_sent.append(await session.scalar(select(func.count()).select_from(ReminderSent)))
        return await send(message)

    platform.send = send_and_look
    platform.clear()
    await engine.handle_message(boss.message("/remind"))
    assert len(platform.texts(marie.dm)) == 1 and on_record_when_sent == [1]


async def test_participants_set_their_time_zone(engine, platform, user, clock):
    ana = await join(engine, user, "ana", "es", chosen_language="es")
    await engine.handle_message(ana.message("/timezone Mars/Olympus"))
    assert "Mars/Olympus" in platform.last(ana.dm).text
    await engine.handle_message(ana.message("/timezone america/el_salvador"))
    assert "America/El_Salvador" in platform.last(ana.dm).text and "21:00" in platform.last(ana.dm).text
    async with engine.sessions() as session:
        assert await session.scalar(select(Participant.timezone)) == "America/El_Salvador"


async def test_a_platform_failing_for_one_participant_does_not_cost_the_others_their_reminder(engine, platform, user, clock):
    clock.now = dt.datetime(2013, 7, 5, tzinfo=UTC)
    marie = await join(engine, user, "marie", "fr", chosen_language="fr", role="local_authority")
    pedro = await join(engine, user, "pedro", "es", chosen_language="es", role="local_authority")
    await run_until(engine, clock, dt.datetime(2013, 7, 9, tzinfo=UTC))  # round 1 is open, its questions posted
    deliver = platform.send

    async def failing_for_marie(message):
        if message.chat.chat_id == marie.dm:
            raise RuntimeError("HTTP 500 from the platform")
        return await deliver(message)

    platform.send = failing_for_marie
    due = CLOSES - 48 * HOURS
    sent = await run_until(engine, clock, due)
    assert len(reminders_to(sent, pedro)) == 1
    platform.send = deliver
    sent = await run_until(engine, clock, due + dt.timedelta(minutes=10))  # the scheduler's next look
    assert len(reminders_to(sent, marie)) == 1, "hers is tried again within the grace period"


async def test_people_sharing_a_time_zone_and_others_elsewhere_are_each_reminded_at_a_waking_hour_once(engine, platform, user, clock):
    clock.now = dt.datetime(2013, 7, 5, tzinfo=UTC)
    in_brussels = [await join(engine, user, f"be{n}", "fr", chosen_language="fr", role="local_authority") for n in range(3)]
    in_guatemala = [
        await join(engine, user, f"gt{n}", "es", chosen_language="es", role="local_authority", timezone="America/Guatemala")
        for n in range(2)
    ]
    in_manila = await join(engine, user, "ph", "en", chosen_language="en", role="local_authority", timezone="Asia/Manila")
    sent = await run_until(engine, clock, dt.datetime(2013, 7, 16, tzinfo=UTC))  # all of round 1
    for people, zone in ((in_brussels, "Europe/Brussels"), (in_guatemala, "America/Guatemala"), ([in_manila], "Asia/Manila")):
        quiet = QuietHours()
        for person in people:
            moments = [at for at, _message in reminders_to(sent, person)]
            assert len(moments) == 2, f"{person.user_id}: 48 h and 4 h before round 1 closes"
            assert not any(quiet.contains(at.astimezone(ZoneInfo(zone)).time()) for at in moments), f"{person.user_id}: {moments}"
        assert len({tuple(at for at, _message in reminders_to(sent, person)) for person in people}) == 1, "neighbours together"
    assert reminders_to(sent, in_brussels[0])[0][0] != reminders_to(sent, in_guatemala[0])[0][0]
