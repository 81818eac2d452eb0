"""Rounds that open and close by themselves, wrap-ups, reminders over a whole
discussion, and the organisers' changes: played on a controlled clock with the
scheduler's twin (`tests/fakes/simulated_scheduler.py`)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.discussion import store
from bot.discussion.spec import parse_discussion
from bot.storage.models import Discussion, RoundStatus, WrapUp
from schedules import timetable
from schedules.reminders import in_night
from schedules.wrapups import post_missing_wrap_ups
from tests.fakes.simulated_scheduler import run_until
from tests.helpers import answer, join, organiser, reminders_to

UTC = dt.UTC
BRUSSELS = ZoneInfo("Europe/Brussels")
GUATEMALA = ZoneInfo("America/Guatemala")  # eight hours behind Brussels in summer


async def round_statuses(engine):
    async with engine.sessions() as session:
        discussion = await store.find_discussion(session)
        return [r.status for r in await store.rounds_of(session, discussion)]


async def test_a_whole_four_week_discussion_runs_by_itself(engine, platform, user, clock):
    clock.now = dt.datetime(2013, 7, 5, 12, tzinfo=UTC)
    boss = await organiser(engine, user)
    marie = await join(engine, user, "marie", "fr", chosen_language="fr", role="local_authority")
    carlos = await join(engine, user, "carlos", "es", chosen_language="es", role="local_authority", timezone="America/Guatemala")
    ana = await join(engine, user, "ana", "es", chosen_language="es", reminders="on")
    john = await join(engine, user, "john", "en", chosen_language="en")
    pierre = await join(engine, user, "pierre", "fr", chosen_language="fr", role="local_authority", reminders="off")
    await engine.handle_message(boss.message("/attach en", group="g-en"))
    platform.clear()

    # Round 1 opens on Monday 8 July at 09:00 in Brussels, by itself.
    sent = await run_until(engine, clock, dt.datetime(2013, 7, 8, 12, tzinfo=UTC))
    assert await round_statuses(engine) == [RoundStatus.open, RoundStatus.scheduled, RoundStatus.scheduled, RoundStatus.scheduled]
    assert {at for at, _message in sent} == {dt.datetime(2013, 7, 8, 7, tzinfo=UTC)}
    assert len(platform.texts(marie.dm)) == 5 and len(platform.texts("g-en")) == 5
    assert "coopération décentralisée" in platform.texts(marie.dm)[0]

    # Marie answers everything of round 1, Carlos two questions.
    for key in ("1.1", "1.2", "1.3", "1.4", "1.5"):
        await answer(engine, marie, key, "Dans notre commune, un comité de jumelage.")
    await answer(engine, carlos, "1.1")
    await answer(engine, carlos, "1.4")

    sent = await run_until(engine, clock, dt.datetime(2013, 8, 6, tzinfo=UTC))
    assert await round_statuses(engine) == [RoundStatus.closed] * 4

    # Reminders: local authority staff and Ana who asked; not John (not asked),
    # not Pierre (turned them off), not Marie for round 1 (all answered).
    assert reminders_to(sent, john) == [] and reminders_to(sent, pierre) == []
    assert len(reminders_to(sent, marie)) == 6  # rounds 2-4, 48 h and 4 h before closing
    assert len(reminders_to(sent, carlos)) == 8
    assert len(reminders_to(sent, ana)) == 8
    first_to_carlos = reminders_to(sent, carlos)[0][1].text
    assert "Recordatorio" in first_to_carlos
    assert "1.2." in first_to_carlos and "1.1." not in first_to_carlos and "1.4." not in first_to_carlos, "only what is unanswered"
    # Never in anyone's night, in their own time zone.
    assert not any(in_night(at, BRUSSELS) for at, _m in reminders_to(sent, marie) + reminders_to(sent, ana))
    assert not any(in_night(at, GUATEMALA) for at, _m in reminders_to(sent, carlos))
    # Round 1 closes on Monday 15 July 09:00 Brussels (01:00 in Guatemala): Carlos's
    # 4-hour reminder moves to 20:00 his time the evening before, Marie's to 20:00 hers.
    carlos_round_1 = [at for at, _m in reminders_to(sent, carlos)][:2]
    assert carlos_round_1 == [dt.datetime(2013, 7, 13, 14, tzinfo=UTC), dt.datetime(2013, 7, 15, 2, tzinfo=UTC)]
    ana_round_1 = [at for at, _m in reminders_to(sent, ana)][:2]
    assert ana_round_1 == [dt.datetime(2013, 7, 13, 7, tzinfo=UTC), dt.datetime(2013, 7, 14, 18, tzinfo=UTC)]

    # Each chat that got a round's questions got its wrap-up once, in its language.
    async with engine.sessions() as session:
        assert await session.scalar(select(func.count(WrapUp.id))) == 6 * 4
    group_texts = platform.texts("g-en")
    wrap_ups = [t for t in group_texts if t.startswith("Round") and "is closed" in t]
    assert len(wrap_ups) == 4
    assert "Round 2 opens on" in wrap_ups[0] and "last round" in wrap_ups[-1]
    assert "7 contributions" in wrap_ups[0] and "2 participants" in wrap_ups[0]
    assert any("Ronda 1" in t or "ronda 1" in t for t in platform.texts(ana.dm))

    # Played again, nothing is sent twice.
    assert await run_until(engine, clock, dt.datetime(2013, 8, 10, tzinfo=UTC)) == []


async def test_late_answers_are_stored_marked_late(engine, platform, user, clock):
    clock.now = dt.datetime(2013, 7, 5, tzinfo=UTC)
    ana = await join(engine, user, "ana", "es", chosen_language="es")
    await run_until(engine, clock, dt.datetime(2013, 7, 9, tzinfo=UTC))
    await run_until(engine, clock, dt.datetime(2013, 7, 15, 8, tzinfo=UTC))  # round 1 closed, round 2 open
    await answer(engine, ana, "1.2", "Convenios entre municipios.")
    assert (
        "tard" in platform.last(ana.dm).text.lower()
        or "late" in platform.last(ana.dm).text.lower()
        or "retras" in platform.last(ana.dm).text.lower()
    )


async def test_a_past_discussion_opens_nothing_by_itself(engine, platform, user, clock):
    clock.now = dt.datetime(2024, 5, 1, tzinfo=UTC)
    await join(engine, user, "marie", "fr", chosen_language="fr", role="local_authority")
    platform.clear()
    async with engine.sessions() as session:
        discussion = await store.find_discussion(session)
        state = await timetable.load_state(session, discussion, ["memory"])
    assert timetable.due(state, clock(), timetable.DEFAULT_GRACE) == []
    assert [e.action for e in timetable.missed(state, clock(), timetable.DEFAULT_GRACE)] == [timetable.Action.open] * 4
    assert await run_until(engine, clock, dt.datetime(2024, 6, 1, tzinfo=UTC)) == []
    assert await round_statuses(engine) == [RoundStatus.scheduled] * 4


DST_DISCUSSION = {
    "id": "autumn",
    "languages": ["fr", "en"],
    "timezone": "Europe/Brussels",
    "title": {"fr": "Automne", "en": "Autumn"},
    "invitation": {"fr": "Bienvenue.", "en": "Welcome."},
    "rounds": [
        {
            # Brussels leaves summer time on Sunday 27 October 2013 at 03:00.
            "opens": "2013-10-21T09:00",
            "closes": "2013-10-28T09:00",
            "questions": [{"id": "1", "text": {"fr": "Quoi ?", "en": "What?"}}],
        }
    ],
}


async def test_rounds_and_reminders_follow_the_daylight_saving_change(engine, platform, user, clock):
    clock.now = dt.datetime(2013, 10, 20, tzinfo=UTC)
    await engine.load(parse_discussion(DST_DISCUSSION, "autumn.yaml"))
    marie = await join(engine, user, "marie", "fr", chosen_language="fr", role="local_authority")
    sent = await run_until(engine, clock, dt.datetime(2013, 10, 29, tzinfo=UTC))
    moments = sorted({at for at, _message in sent})
    assert moments == [
        dt.datetime(2013, 10, 21, 7, tzinfo=UTC),  # opens 09:00 summer time
        dt.datetime(2013, 10, 26, 8, tzinfo=UTC),  # 48 h before closing: 10:00 summer time
        dt.datetime(2013, 10, 27, 19, tzinfo=UTC),  # 4 h before would be 05:00: 20:00 winter time, the evening before
        dt.datetime(2013, 10, 28, 8, tzinfo=UTC),  # closes 09:00 winter time
    ]
    assert len(reminders_to(sent, marie)) == 2


def test_a_round_given_by_its_duration_ends_at_the_same_hour_across_the_clock_change():
    by_duration = {**DST_DISCUSSION, "starts": "2013-10-21T09:00", "rounds": [{**DST_DISCUSSION["rounds"][0], "duration": "P7D"}]}
    del by_duration["rounds"][0]["opens"], by_duration["rounds"][0]["closes"]
    [round_] = parse_discussion(by_duration, "autumn.yaml").rounds
    assert round_.closes_at.astimezone(BRUSSELS).time() == dt.time(9), "09:00 winter time, as it opened at 09:00 summer time"


async def test_extending_across_the_clock_change_keeps_the_hour(engine, platform, user, clock):
    clock.now = dt.datetime(2013, 10, 21, 8, tzinfo=UTC)
    await engine.load(parse_discussion({**DST_DISCUSSION, "organisers": ["memory:boss"]}, "autumn.yaml"))
    boss = user("boss", "en")
    await run_until(engine, clock, dt.datetime(2013, 10, 21, 9, tzinfo=UTC))
    await engine.handle_message(boss.message("/extend_round 2d"))
    async with engine.sessions() as session:
        [round_] = await store.rounds_of(session, await store.find_discussion(session, "autumn"))
    assert round_.closes_at.astimezone(BRUSSELS) == dt.datetime(2013, 10, 30, 9, tzinfo=BRUSSELS)


async def test_a_round_whose_closing_passed_during_a_pause_closes_at_the_resume(engine, platform, user, clock):
    clock.now = dt.datetime(2013, 7, 8, 8, tzinfo=UTC)
    boss = await organiser(engine, user)
    await run_until(engine, clock, dt.datetime(2013, 7, 15, 6, tzinfo=UTC))  # round 1 open, closing at 07:00
    await engine.handle_message(boss.message("/pause"))
    await run_until(engine, clock, dt.datetime(2013, 7, 15, 10, tzinfo=UTC))
    assert (await round_statuses(engine))[:2] == [RoundStatus.open, RoundStatus.scheduled], "paused: nothing happens"
    await engine.handle_message(boss.message("/resume"))
    assert "Round 1 is closed: its closing time passed during the pause." in platform.last(boss.dm).text
    assert (await round_statuses(engine))[0] == RoundStatus.closed


async def test_a_wrap_up_does_not_announce_a_round_already_opened_by_hand(engine, platform, user, clock):
    clock.now = dt.datetime(2013, 7, 8, 8, tzinfo=UTC)
    boss = await organiser(engine, user)
    marie = await join(engine, user, "marie", "fr", chosen_language="fr")
    await run_until(engine, clock, dt.datetime(2013, 7, 9, tzinfo=UTC))
    await engine.handle_message(boss.message("/next_round"))
    await post_missing_wrap_ups(engine, clock())  # the scheduler's housekeeping, for a round closed by hand
    [wrap_up] = [t for t in platform.texts(marie.dm) if t.startswith("Le tour 1 est terminé")]
    assert "s’ouvre" not in wrap_up
    assert "dernier tour" not in wrap_up and "Le tour 2 est ouvert." in wrap_up


async def test_organisers_extend_postpone_pause_and_open_the_next_round(engine, platform, user, clock):
    clock.now = dt.datetime(2013, 7, 8, 8, tzinfo=UTC)
    boss = await organiser(engine, user)
    await run_until(engine, clock, dt.datetime(2013, 7, 8, 9, tzinfo=UTC))
    await engine.handle_message(boss.message("/extend_round 2 days"))  # as "2d"
    assert "2" in platform.last(boss.dm).text
    await engine.handle_message(boss.message("/postpone_round 3 1 day"))
    async with engine.sessions() as session:
        discussion = await store.find_discussion(session)
        dates = [(r.opens_at, r.closes_at) for r in await store.rounds_of(session, discussion)]
    week = dt.timedelta(days=7)
    start = dt.datetime(2013, 7, 8, 7, tzinfo=UTC)
    assert dates[0] == (start, start + week + dt.timedelta(days=2))
    assert dates[1] == (start + week + dt.timedelta(days=2), start + 2 * week + dt.timedelta(days=2))
    assert dates[2] == (start + 2 * week + dt.timedelta(days=3), start + 3 * week + dt.timedelta(days=3))

    await run_until(engine, clock, dt.datetime(2013, 7, 16, tzinfo=UTC))
    assert (await round_statuses(engine))[0] == RoundStatus.open, "extended: still open after its file date"

    await engine.handle_message(boss.message("/pause"))
    await run_until(engine, clock, dt.datetime(2013, 7, 20, tzinfo=UTC))
    assert (await round_statuses(engine))[:2] == [RoundStatus.open, RoundStatus.scheduled], "paused: nothing happens"
    await engine.handle_message(boss.message("/resume"))
    assert "/next_round" in platform.last(boss.dm).text, "the missed opening is pointed out"
    await engine.handle_message(boss.message("/next_round"))
    assert (await round_statuses(engine))[:2] == [RoundStatus.closed, RoundStatus.open]


async def test_organiser_changes_survive_a_restart_unless_the_file_changes_the_round(engine, user, clock, example):
    import dataclasses

    clock.now = dt.datetime(2013, 7, 8, 8, tzinfo=UTC)
    boss = await organiser(engine, user)
    await engine.handle_message(boss.message("/postpone_round 2 1d"))

    async def reload(spec):
        discussion = await engine.load(spec)
        async with engine.sessions() as session:
            await timetable.keep_round_changes(session, discussion)
            await session.commit()
            return [r.opens_at for r in await store.rounds_of(session, discussion)]

    original = example.rounds[1].opens_at
    assert (await reload(example))[1] == original + dt.timedelta(days=1)
    assert (await reload(example))[1] == original + dt.timedelta(days=1), "reloading twice changes nothing"
    changed = dataclasses.replace(
        example,
        rounds=(example.rounds[0], dataclasses.replace(example.rounds[1], opens_at=original + dt.timedelta(hours=3)), *example.rounds[2:]),
    )
    assert (await reload(changed))[1] == original + dt.timedelta(hours=3), "the file wins"


async def test_rehearsal_replays_the_discussion_from_now(example):
    start = dt.datetime(2030, 1, 1, 22, tzinfo=UTC)
    rehearsal = timetable.rehearsal(example, dt.timedelta(minutes=5), start)
    assert rehearsal.slug == "m4d-2013-rehearsal"
    assert [(r.opens_at - start, r.closes_at - start) for r in rehearsal.rounds] == [
        (dt.timedelta(minutes=5 * i), dt.timedelta(minutes=5 * (i + 1))) for i in range(4)
    ]
    # 48 h and 4 h before the end of the usual (about 7-day) round become the same share of 5 minutes.
    usual = sum((r.closes_at - r.opens_at for r in example.rounds), dt.timedelta()) / len(example.rounds)
    assert rehearsal.reminders == tuple(offset * (dt.timedelta(minutes=5) / usual) for offset in example.reminders)
    assert 80 <= rehearsal.reminders[0].total_seconds() <= 90 and 6 <= rehearsal.reminders[1].total_seconds() <= 8


async def test_a_rehearsal_sends_reminders_at_night_too(engine, platform, user, clock, example):
    from facilitator.schedule_command import load_for_run

    clock.now = dt.datetime(2013, 7, 8, 22, tzinfo=UTC)  # midnight in Brussels
    await load_for_run(engine, example, dt.timedelta(minutes=5))
    marie = await join(engine, user, "marie", "fr", chosen_language="fr", role="local_authority")
    sent = await run_until(engine, clock, clock.now + dt.timedelta(minutes=21))
    assert len(reminders_to(sent, marie)) == 8
    assert await session_statuses(engine, "m4d-2013-rehearsal") == [RoundStatus.closed] * 4


async def session_statuses(engine, slug):
    async with engine.sessions() as session:
        discussion = await store.find_discussion(session, slug)
        return [r.status for r in await store.rounds_of(session, discussion)]


async def test_a_short_rehearsal_keeps_both_reminders_and_starts_afresh_after_a_pause(engine, clock, example):
    from facilitator.schedule_command import load_for_run

    discussion = await load_for_run(engine, example, dt.timedelta(seconds=20))
    async with engine.sessions() as session:
        (await session.get(Discussion, discussion.id)).paused = True
        await session.commit()
    discussion = await load_for_run(engine, example, dt.timedelta(seconds=20))
    async with engine.sessions() as session:
        rehearsal = await session.get(Discussion, discussion.id)
        assert not rehearsal.paused
        # 48 h and 4 h of a week, scaled to 20 s: 5.7 s, and 0.48 s kept at a second before closing.
        assert rehearsal.reminder_offsets == [6, 1]
