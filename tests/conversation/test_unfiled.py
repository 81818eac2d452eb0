"""Answers the bot was unsure about, and answers filed under the wrong
question: each ask files its own text, what still waits is in every organiser
view, and an answer can be moved (issue 13)."""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import datetime as dt
import io
import json
import re

import docx
import openpyxl
import pytest
from sqlalchemy import func, select

from bot.reports.data import gather
from bot.reports.export import report_bytes
from bot.storage.models import Contribution, ContributionMove, ContributionStatus, Discussion, Message, Question
from facilitator.assembly import make_engine
from facilitator.cli import main
from schedules.wrapups import post_missing_wrap_ups
from tests.helpers import join, open_round, organiser, stored_contributions

RADIO = "The radio programmes for the diaspora worked well."
WHATSAPP = "We also used WhatsApp groups."


async def round_one(engine, user):
    boss = await organiser(engine, user)
    john = await join(engine, user, "john", "en")
    await open_round(engine, boss)
    return boss, john


async def by_text(engine) -> dict[str, tuple[str | None, ContributionStatus]]:
    rows = await stored_contributions(engine.sessions, Contribution.text, Question.key, Contribution.status)
    return {text: (key, status) for text, key, status in rows}


async def two_unsure(engine, platform, john):
    await engine.handle_message(john.message(RADIO))
    radio_ask = platform.last(john.dm)
    await engine.handle_message(john.message(WHATSAPP))
    whatsapp_ask = platform.last(john.dm)
    assert await by_text(engine) == {RADIO: (None, ContributionStatus.pending), WHATSAPP: (None, ContributionStatus.pending)}
    assert "radio programmes" in radio_ask.text and "WhatsApp" in whatsapp_ask.text
    return radio_ask, whatsapp_ask


async def test_a_typed_question_id_files_the_text_of_the_latest_ask_and_quotes_it(engine, platform, user):
    _boss, john = await round_one(engine, user)
    radio_ask, _whatsapp_ask = await two_unsure(engine, platform, john)
    await engine.handle_message(john.message("1.3"))
    assert await by_text(engine) == {RADIO: (None, ContributionStatus.pending), WHATSAPP: ("1.3", ContributionStatus.filed)}
    assert "«We also used WhatsApp groups.»" in platform.last(john.dm).text and "1.3" in platform.last(john.dm).text
    # The first ask's buttons still file the first text, and only it.
    [button] = [b for b in radio_ask.buttons if b.data.endswith(":1.2")] or [radio_ask.buttons[0]]
    await engine.handle_button(john.press(button.data))
    key = button.data.rsplit(":", 1)[1]
    assert await by_text(engine) == {RADIO: (key, ContributionStatus.filed), WHATSAPP: ("1.3", ContributionStatus.filed)}
    assert "«The radio programmes for the diaspora worked well.»" in platform.last(john.dm).text


@pytest.mark.parametrize(
    "typed, key",
    [
        ("1.2 please", "1.2"),
        ("the second one", "1.2"),
        ("c'est la 3, merci", "1.3"),
        ("C'est la troisième question, merci beaucoup !", "1.3"),
        ("la última", "1.5"),
        ("Q4 thanks", "1.4"),
    ],
)
async def test_a_choice_typed_in_words_files_the_asked_text_and_is_no_answer_itself(engine, platform, user, typed, key):
    _boss, john = await round_one(engine, user)
    await engine.handle_message(john.message(WHATSAPP))
    await engine.handle_message(john.message(typed))
    assert await by_text(engine) == {WHATSAPP: (key, ContributionStatus.filed)}
    assert "«We also used WhatsApp groups.»" in platform.last(john.dm).text


@pytest.mark.parametrize("typed", ["none", "None of them.", "aucune", "ninguna"])
async def test_none_of_them_typed_is_its_button(engine, platform, user, typed):
    _boss, john = await round_one(engine, user)
    await engine.handle_message(john.message(WHATSAPP))
    await engine.handle_message(john.message(typed))
    assert await by_text(engine) == {}
    assert "«We also used WhatsApp groups.» is not recorded as an answer" in platform.last(john.dm).text


async def test_a_longer_text_after_an_ask_is_an_answer_of_its_own_even_if_it_starts_like_a_choice(engine, platform, user):
    _boss, john = await round_one(engine, user)
    await engine.handle_message(john.message(WHATSAPP))
    await engine.handle_message(john.message("1.2: the second one is a joint committee with the ministry, twice a year."))
    texts = await by_text(engine)
    assert texts[WHATSAPP] == (None, ContributionStatus.pending)
    assert texts["the second one is a joint committee with the ministry, twice a year."] == ("1.2", ContributionStatus.filed)


async def test_a_choice_typed_with_no_ask_waiting_is_read_as_a_message(engine, platform, user):
    _boss, john = await round_one(engine, user)
    await engine.handle_message(john.message("1.2: we meet the ministry every quarter."))
    await engine.handle_message(john.message("none"))
    assert (await by_text(engine))["we meet the ministry every quarter."] == ("1.2", ContributionStatus.filed)


@pytest.mark.parametrize(
    "correction", ["Sorry, that was for question 2.", "I meant Q2", "wrong question, it's 1.2", "Me equivoqué, era la pregunta 2."]
)
async def test_a_correction_sent_after_an_answer_moves_it(engine, platform, user, correction):
    _boss, john = await round_one(engine, user)
    await engine.handle_message(john.message("Q1: we meet the ministry every quarter."))
    await engine.handle_message(john.message(correction))
    assert await by_text(engine) == {"we meet the ministry every quarter.": ("1.2", ContributionStatus.filed)}
    assert platform.last(john.dm).text.startswith("Moved: «we meet the ministry every quarter.» is now under question 1.2")


async def test_a_correction_after_an_unsure_answer_files_it(engine, platform, user):
    _boss, john = await round_one(engine, user)
    await engine.handle_message(john.message(WHATSAPP))
    await engine.handle_message(john.message("That was for question 3."))
    assert await by_text(engine) == {WHATSAPP: ("1.3", ContributionStatus.filed)}


async def test_a_correction_moves_nothing_long_after_or_after_several_answers(engine, platform, user, clock):
    _boss, john = await round_one(engine, user)
    await engine.handle_message(john.message("Q1: twinning. Q3: a yearly report."))
    await engine.handle_message(john.message("Sorry, that was for question 2."))  # which of the two is not said
    await engine.handle_message(john.message("Q4: the Thiès plan."))
    clock.now += dt.timedelta(minutes=10)
    await engine.handle_message(john.message("Sorry, that was for question 2."))
    assert await by_text(engine) == {
        "twinning.": ("1.1", ContributionStatus.filed),
        "a yearly report.": ("1.3", ContributionStatus.filed),
        "the Thiès plan.": ("1.4", ContributionStatus.filed),
    }
    assert "To answer a question" in platform.last(john.dm).text


async def test_move_with_only_a_question_moves_the_answer_of_the_latest_message_or_names_its_answers(engine, platform, user, clock):
    _boss, john = await round_one(engine, user)
    await engine.handle_message(john.message("Q1: we meet the ministry every quarter."))
    clock.now += dt.timedelta(hours=3)  # no time limit for the command
    await engine.handle_message(john.message("/move 1.2"))
    assert await by_text(engine) == {"we meet the ministry every quarter.": ("1.2", ContributionStatus.filed)}
    await engine.handle_message(john.message("Q3: twinning. Q4: the Thiès plan."))
    await engine.handle_message(john.message("/move 1.5"))
    async with engine.sessions() as session:
        twinning = await session.scalar(select(Contribution.id).where(Contribution.text == "twinning."))
    assert platform.last(john.dm).text.startswith(f"Your last message holds several answers: #{twinning} (1.3), #{twinning + 1} (1.4).")
    assert (await by_text(engine))["twinning."] == ("1.3", ContributionStatus.filed)


async def test_a_question_id_sent_in_reply_to_an_ask_files_that_ask_s_text(engine, platform, user):
    _boss, john = await round_one(engine, user)
    await two_unsure(engine, platform, john)
    radio_ask = platform.message_id_of(john.dm, "radio programmes")
    await engine.handle_message(john.message("1.4", reply_to=radio_ask))
    assert await by_text(engine) == {RADIO: ("1.4", ContributionStatus.filed), WHATSAPP: (None, ContributionStatus.pending)}
    # Someone else's reply to that ask is no answer to it.
    paul = await join(engine, user, "paul", "en")
    await engine.handle_message(paul.message("1.2", reply_to=radio_ask))
    assert (await by_text(engine))[RADIO] == ("1.4", ContributionStatus.filed)


async def test_asks_keep_working_after_a_restart(engine, platform, user, clock):
    _boss, john = await round_one(engine, user)
    radio_ask, whatsapp_ask = await two_unsure(engine, platform, john)
    restarted = make_engine(engine.sessions, [platform], clock=clock)
    await restarted.handle_button(john.press(radio_ask.buttons[0].data))
    await restarted.handle_message(john.message("1.5"))
    texts = await by_text(restarted)
    assert texts[RADIO] == (radio_ask.buttons[0].data.rsplit(":", 1)[1], ContributionStatus.filed)
    assert texts[WHATSAPP] == ("1.5", ContributionStatus.filed)


async def test_waiting_answers_are_in_status_and_pending_and_an_organiser_files_them(engine, platform, user):
    boss, john = await round_one(engine, user)
    await two_unsure(engine, platform, john)
    await engine.handle_message(boss.message("/status"))
    assert "2 answers wait for their question" in platform.last(boss.dm).text
    await engine.handle_message(boss.message("/pending"))
    listing = platform.last(boss.dm).text
    async with engine.sessions() as session:
        radio_id = await session.scalar(select(Contribution.id).where(Contribution.text == RADIO))
    assert f"#{radio_id} · round 1 · «{RADIO}»" in listing and "WhatsApp" in listing
    await engine.handle_message(boss.message(f"/file {radio_id} 1.4"))
    assert "«The radio programmes" in platform.last(boss.dm).text
    assert (await by_text(engine))[RADIO] == ("1.4", ContributionStatus.filed)
    await engine.handle_message(boss.message("/status"))
    assert "1 answer waits for its question" in platform.last(boss.dm).text
    await engine.handle_message(john.message(f"/file {radio_id} 1.2"))
    assert "Only the organisers" in platform.last(john.dm).text


async def test_every_acknowledgement_offers_to_move_the_answer_and_a_move_keeps_its_history(engine, platform, user):
    boss, john = await round_one(engine, user)
    ana = await join(engine, user, "ana", "en")
    await engine.handle_message(john.message("Q1: twinning with migrants as experts"))
    ack = platform.last(john.dm)
    [wrong] = ack.buttons
    assert wrong.label == "Wrong question?" and wrong.data.startswith("move:")
    await engine.handle_button(ana.press(wrong.data))
    assert "not yours" in platform.last(ana.dm).text
    await engine.handle_button(john.press(wrong.data))
    offer = platform.last(john.dm)
    assert "1.1" in offer.text and [b.data.rsplit(":", 1)[1] for b in offer.buttons][:4] == ["1.2", "1.3", "1.4", "1.5"]
    await engine.handle_button(john.press(offer.buttons[1].data))
    assert (await by_text(engine))["twinning with migrants as experts"] == ("1.3", ContributionStatus.filed)
    assert platform.last(john.dm).text.startswith("Moved: «twinning with migrants as experts» is now under question 1.3")
    contribution_id = wrong.data.split(":")[1]
    await engine.handle_message(john.message(f"/move {contribution_id} 1.4"))
    await engine.handle_message(ana.message(f"/move {contribution_id} 1.1"))
    assert f"You have no answer #{contribution_id}" in platform.last(ana.dm).text
    assert (await by_text(engine))["twinning with migrants as experts"] == ("1.4", ContributionStatus.filed)
    async with engine.sessions() as session:
        keys = {q.id: q.key for q in await session.scalars(select(Question))}
        moves = [(keys.get(m.from_question_id), keys.get(m.to_question_id)) for m in await session.scalars(select(ContributionMove))]
        assert moves == [("1.1", "1.3"), ("1.3", "1.4")]
        report = await gather(session, await session.scalar(select(Discussion)), engine.clock())
    markdown = report_bytes(report, "md", "en").decode()
    assert "moved from question 1.3" in markdown


async def test_the_next_reminder_lists_waiting_answers_with_their_buttons(engine, platform, user):
    boss, john = await round_one(engine, user)
    await engine.handle_message(john.message("/reminders on"))
    await engine.handle_message(john.message(RADIO))
    platform.clear()
    await engine.handle_message(boss.message("/remind"))
    reminder, ask = platform.to(john.dm)
    assert "1 of your answers waits for its question" in reminder.text
    assert "radio programmes" in ask.text and ask.buttons[0].data.startswith("file:") and ask.buttons[-1].data.startswith("drop:")
    await engine.handle_button(john.press(ask.buttons[0].data))
    assert (await by_text(engine))[RADIO][1] == ContributionStatus.filed


async def test_wrap_ups_count_waiting_answers_and_name_the_round_open_now(engine, platform, user, clock):
    boss, john = await round_one(engine, user)
    await engine.handle_message(john.message(RADIO))
    await engine.handle_message(john.message("Q1: twinning with migrants as experts"))
    await open_round(engine, boss, 2)  # closes round 1 by hand
    await post_missing_wrap_ups(engine, clock())
    [wrap_up] = [t for t in platform.texts(john.dm) if t.startswith("Round 1 is closed")]
    assert "1 more answer waits for its question" in wrap_up
    assert "Round 2 is open now." in wrap_up and "last round" not in wrap_up


def count_in_status(text: str) -> int:
    filed = sum(int(n) for n in re.findall(r"^  \d+\.\d+: (\d+) contributions?", text, re.M))
    waiting = re.search(r"^(\d+) answers? waits? for", text, re.M)
    return filed + (int(waiting.group(1)) if waiting else 0)


async def test_no_stored_answer_is_missing_from_status_wrap_ups_or_any_export(engine, platform, user, clock):
    boss, john = await round_one(engine, user)
    ana = await join(engine, user, "ana", "es")
    await engine.handle_message(john.message(RADIO))
    await engine.handle_message(john.message(WHATSAPP))
    await engine.handle_message(john.message("1.2"))
    await engine.handle_message(john.message("Q1: twinning with migrants as experts. Q3: sharing lessons in networks."))
    await engine.handle_message(ana.message("Pregunta 4: convenios interinstitucionales."))
    await engine.handle_message(ana.message("Algo así hicimos en nuestro municipio."))
    async with engine.sessions() as session:
        stored = list(await session.scalars(select(Contribution).where(Contribution.hidden.is_(False))))
        ids = {c.id for c in stored}
        assert any(c.status == ContributionStatus.pending for c in stored)
    await engine.handle_message(boss.message("/status"))
    assert count_in_status(platform.last(boss.dm).text) == len(ids)
    await engine.handle_message(boss.message("/close_round 1"))
    await post_missing_wrap_ups(engine, clock())
    [wrap_up] = [t for t in platform.texts(john.dm) if t.startswith("Round 1 is closed")]
    total = int(re.search(r"^(\d+) contributions?", wrap_up, re.M).group(1))
    more = re.search(r"^(\d+) more answers? waits?", wrap_up, re.M)
    assert total + (int(more.group(1)) if more else 0) == len(ids)

    async with engine.sessions() as session:
        report = await gather(session, await session.scalar(select(Discussion)), clock())
    exported = json.loads(report_bytes(report, "json", "en"))
    assert {c["id"] for c in exported["contributions"]} == ids
    assert [c["question"] for c in exported["contributions"] if c["text"] == "Algo así hicimos en nuestro municipio."] == [None]
    rows = list(
        csv.reader(io.StringIO(report_bytes(report, "csv", "en").decode("utf-8-sig"), newline=""), delimiter=_csv_delimiter(report))
    )
    assert {int(row[0]) for row in rows[1:]} == ids
    sheet = openpyxl.load_workbook(io.BytesIO(report_bytes(report, "xlsx", "en"))).worksheets[0]
    assert {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)} == ids
    for format in ("md", "html"):
        document = report_bytes(report, format, "en").decode()
        assert all(f"#{i}" in document for i in ids), format
        assert "Not yet tied to a question" in document
    word = docx.Document(io.BytesIO(report_bytes(report, "docx", "en")))
    text = "\n".join(p.text for p in word.paragraphs)
    assert all(f"#{i}" in text for i in ids) and "Not yet tied to a question" in text


def _csv_delimiter(report) -> str:
    header = report_bytes(report, "csv", "en").decode("utf-8-sig").splitlines()[0]
    return ";" if header.count(";") > header.count(",") else ","


async def test_the_cli_lists_and_files_waiting_answers(engine, platform, user, database, monkeypatch, capsys):
    if database.dialect.name != "sqlite":
        pytest.skip("the CLI's own database URL is exercised on the SQLite file")
    _boss, john = await round_one(engine, user)
    await engine.handle_message(john.message(RADIO))
    monkeypatch.setenv("FACILITATOR_DATABASE_URL", str(database.url))
    assert await asyncio.to_thread(main, ["status"]) == 0
    assert "1 answer waits for its question" in capsys.readouterr().out
    assert await asyncio.to_thread(main, ["pending"]) == 0
    listing = capsys.readouterr().out
    async with engine.sessions() as session:
        radio_id = await session.scalar(select(Contribution.id).join(Message).where(Contribution.text == RADIO))
    assert f"#{radio_id}" in listing and "radio programmes" in listing
    assert await asyncio.to_thread(main, ["file", str(radio_id), "9.9"]) == 2
    assert "There is no question 9.9" in capsys.readouterr().err
    assert await asyncio.to_thread(main, ["file", str(radio_id), "1.4"]) == 0
    assert "recorded under question 1.4" in capsys.readouterr().out
    assert (await by_text(engine))[RADIO] == ("1.4", ContributionStatus.filed)


async def test_an_answer_whose_question_left_the_file_waits_for_a_question_again(engine, platform, user, example):
    boss, john = await round_one(engine, user)
    await engine.handle_message(john.message("Q5: the main challenge is funding."))
    first, *others = example.rounds
    await engine.load(dataclasses.replace(example, rounds=(dataclasses.replace(first, questions=first.questions[:4]), *others)))
    await engine.handle_message(boss.message("/status"))
    assert "1 answer waits for its question" in platform.last(boss.dm).text
    async with engine.sessions() as session:
        report = await gather(session, await session.scalar(select(Discussion)), engine.clock())
    assert [entry.text for _round, entry in report.unfiled] == ["the main challenge is funding."]


async def test_an_edit_keeps_the_answers_number_and_the_question_it_was_moved_to(engine, platform, user):
    boss, john = await round_one(engine, user)
    await engine.handle_message(john.message("Q1: twinning with migrant as experts", message_id="m1"))
    async with engine.sessions() as session:
        contribution_id = await session.scalar(select(Contribution.id))
    await engine.handle_message(boss.message(f"/file {contribution_id} 1.3"))
    await engine.handle_message(john.message("Q1: twinning with migrants as experts", message_id="m1", edited=True))
    assert "1.3" in platform.last(john.dm).text
    async with engine.sessions() as session:
        rows = (await session.execute(select(Contribution.id, Question.key, Contribution.text).join(Contribution.question))).all()
        moves = await session.scalar(select(func.count(ContributionMove.id)))
    assert [tuple(row) for row in rows] == [(contribution_id, "1.3", "twinning with migrants as experts")]
    assert moves == 1, "the organiser's move is kept for the record"
    await engine.handle_message(john.message("Q4: twinning with migrants as experts", message_id="m1", edited=True))
    assert (await by_text(engine))["twinning with migrants as experts"] == ("1.4", ContributionStatus.filed)


async def test_an_edit_that_adds_an_answer_keeps_the_first_and_numbers_the_new_one(engine, platform, user):
    boss, john = await round_one(engine, user)
    await engine.handle_message(john.message("Q1: twinning with migrants as experts", message_id="m1"))
    async with engine.sessions() as session:
        first_id = await session.scalar(select(Contribution.id))
    await engine.handle_message(
        john.message("Q1: twinning with migrants as experts\nQ2: a joint committee with the ministry", message_id="m1", edited=True)
    )
    async with engine.sessions() as session:
        rows = (await session.execute(select(Contribution.id, Question.key).join(Contribution.question).order_by(Contribution.id))).all()
    assert rows[0] == (first_id, "1.1") and [key for _, key in rows] == ["1.1", "1.2"]
    await engine.handle_message(john.message("Q2: a joint committee with the ministry", message_id="m1", edited=True))
    async with engine.sessions() as session:
        rows = (await session.execute(select(Contribution.id, Question.key).join(Contribution.question))).all()
    assert [tuple(row) for row in rows] == [(first_id, "1.2")]


async def test_an_answer_moves_only_to_a_question_of_a_round_that_has_opened(engine, platform, user):
    boss, john = await round_one(engine, user)
    await engine.handle_message(john.message("Q1: twinning with migrants as experts"))
    [wrong] = platform.last(john.dm).buttons
    await engine.handle_button(john.press(wrong.data))
    assert all(button.data.rsplit(":", 1)[1].startswith("1.") for button in platform.last(john.dm).buttons), "round 2 has not opened"
    contribution_id = wrong.data.split(":")[1]
    await engine.handle_message(john.message(f"/move {contribution_id} 2.1"))
    assert platform.last(john.dm).text == "Question 2.1 is in round 2, which has not opened yet."
    assert (await by_text(engine))["twinning with migrants as experts"] == ("1.1", ContributionStatus.filed)


async def test_an_answer_naming_a_question_of_a_round_not_opened_is_not_filed_there(engine, platform, user):
    _boss, john = await round_one(engine, user)
    await engine.handle_message(john.message("2.1: a quarterly newsletter for the diaspora"))
    ask = platform.last(john.dm)
    assert "Question 2.1 is in round 2, which has not opened yet." in platform.texts(john.dm)
    offered = [button.label.split(" ")[0] for button in ask.buttons]
    assert "quarterly newsletter" in ask.text and "1.1" in offered and not any(key.startswith("2.") for key in offered)
    assert await by_text(engine) == {"a quarterly newsletter for the diaspora": (None, ContributionStatus.pending)}
    # Named with a question that is open, the text is filed there alone.
    await engine.handle_message(john.message("1.3 and 2.1: twinning with Dakar"))
    assert (await by_text(engine))["twinning with Dakar"] == ("1.3", ContributionStatus.filed)
    async with engine.sessions() as session:
        assert await session.scalar(select(func.count(Contribution.id))) == 2  # nothing under 2.1


async def test_an_answer_sent_in_time_and_filed_after_its_round_closed_is_not_late(engine, platform, user, clock):
    boss, john = await round_one(engine, user)
    await engine.handle_message(john.message(RADIO))
    clock.advance(hours=1)
    await engine.handle_message(boss.message("/close_round 1"))
    clock.advance(hours=1)
    await engine.handle_message(john.message("Q2: written after the closing"))
    async with engine.sessions() as session:
        ids = dict((await session.execute(select(Contribution.text, Contribution.id))).all())
    await engine.handle_message(boss.message(f"/file {ids[RADIO]} 1.3"))
    assert "late" not in platform.last(boss.dm).text
    await engine.handle_message(boss.message(f"/file {ids['written after the closing']} 1.4"))
    assert "marked as late" in platform.last(boss.dm).text
    async with engine.sessions() as session:
        late = dict((await session.execute(select(Contribution.text, Contribution.late))).all())
    assert late == {RADIO: False, "written after the closing": True}
