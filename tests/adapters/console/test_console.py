"""The console chat, as a newcomer runs it: `facilitator run` in a terminal or from a pipe."""

import io
import os
import re
import signal
import sqlite3
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from adapters.console import ConsoleChat
from bot.discussion import store
from bot.storage.models import Contribution, Message, Participant, PlatformIdentity, Question
from tests.helpers import ctrl_c_acted_on


def run_console(tmp_path, script: bytes, *args: str, lang: str = "en_GB.UTF-8") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACILITATOR_")}
    env.update(LANG=lang, LC_ALL="", LC_MESSAGES="")
    return subprocess.run(
        [sys.executable, "-m", "facilitator", "run", *args],
        input=script,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        timeout=120,
    )


def test_a_scripted_session_is_stored_in_the_sqlite_file(tmp_path):
    script = "\n".join(
        [
            "/start",
            "c",  # the Spanish button
            "b",  # publish anonymously
            "Ana Pérez",
            "RIMHUCH",
            "Ecuador",
            "a",  # local authority staff
            "/open_round 1",
            "Pregunta 1: convenios de cooperación interinstitucional.",
            "/status",
        ]
    ).encode()
    result = run_console(tmp_path, script, "--organiser")
    out = result.stdout.decode()
    assert result.returncode == 0, result.stderr.decode()
    assert "Welcome to the e-discussion «Promoting a territorial approach" in out
    assert "A partir de ahora le escribiré en español." in out
    assert "Pregunta 1.5" in out  # the round's questions, in Spanish
    assert "¡Gracias! Registrado en la pregunta 1.1" in out
    assert "1.1: 1 contribución, 1 participante (español)" in out
    with sqlite3.connect(tmp_path / "facilitator.db") as db:
        assert db.execute("select text from contributions").fetchall() == [("convenios de cooperación interinstitucional.",)]
        assert db.execute("select name, organisation, country, role, anonymous from participants").fetchall() == [
            ("Ana Pérez", "RIMHUCH", "Ecuador", "local_authority", 1)
        ]


def test_the_console_speaks_the_terminals_language_and_refuses_organiser_commands(tmp_path):
    result = run_console(tmp_path, b"/start\n/open_round 1\n", lang="fr_FR.UTF-8")
    out = result.stdout.decode()
    assert result.returncode == 0
    assert "Je vous écrirai en français." in out
    assert "Seuls les organisateurs de cette discussion peuvent utiliser /open_round." in out


def test_invalid_utf8_and_control_characters_from_a_pipe(tmp_path):
    result = run_console(tmp_path, b"/start\n\xff\xfe broken\n\x00\x07\n", lang="es_ES.UTF-8")
    out = result.stdout.decode()
    assert result.returncode == 0, result.stderr.decode()
    assert "Parte de su mensaje no se pudo leer" in out
    assert "Su mensaje está vacío" in out


def test_a_second_session_on_the_same_file_is_not_taken_for_redelivery(tmp_path):
    run_console(tmp_path, b"/open_round 1\n", "--organiser")
    first = run_console(tmp_path, b"/start\nQ2: first\n")
    second = run_console(tmp_path, b"Q2: second\n")
    assert "Recorded under question 1.2" in first.stdout.decode()
    assert "Recorded under question 1.2" in second.stdout.decode()
    with sqlite3.connect(tmp_path / "facilitator.db") as db:
        assert db.execute("select count(*) from contributions").fetchone() == (2,)


def test_a_broken_discussion_file_is_reported_not_crashed_on(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nlanguages: [fr]\n", encoding="utf-8")
    result = run_console(tmp_path, b"", "--discussion", str(bad))
    assert result.returncode == 2
    assert "rounds: must list at least one round" in result.stderr.decode()
    assert "Traceback" not in result.stderr.decode()


async def console_in_open_round(engine, user) -> tuple[ConsoleChat, io.StringIO]:
    """A console attached to the engine, round 1 opened by an organiser on another chat."""
    boss = user("boss", "en")
    async with engine.sessions() as session:
        await store.grant_organiser(session, await store.find_discussion(session), "memory", "boss", engine.clock())
        await session.commit()
    await engine.handle_message(boss.message("/open_round 1"))
    screen = io.StringIO()
    console = ConsoleChat(io.BytesIO(), screen, language_code="en")
    engine.attach(console)
    return console, screen


async def test_a_prompts_buttons_still_answer_when_a_rounds_questions_arrive_after_it(engine, platform, user):
    console, screen = await console_in_open_round(engine, user)
    await console.handle_line(engine, b"/start\n")
    await console.handle_line(engine, b"b\n")  # English: the consent prompt follows, then round 1's five questions
    await engine.drain()
    assert screen.getvalue().rstrip().endswith("To answer, start your message with «1.5:».")
    await console.handle_line(engine, b"b\n")  # the consent prompt's second button
    async with engine.sessions() as session:
        participant = await session.scalar(select(Participant).join(PlatformIdentity).where(PlatformIdentity.platform == "console"))
        assert participant.consent and participant.anonymous, "published anonymously"
        assert await session.scalar(select(func.count(Message.id))) == 0, "the number was not taken for an answer"


async def console_participant(engine, user) -> tuple[ConsoleChat, io.StringIO]:
    """A console participant, onboarded in English, with round 1 open and its questions shown."""
    console, screen = await console_in_open_round(engine, user)
    for line in (b"/start", b"b", b"b", b"/skip", b"/skip", b"/skip", b"c"):
        await console.handle_line(engine, line)
        await engine.drain()
    return console, screen


async def contributions_of(engine) -> list[tuple[str, str | None]]:
    async with engine.sessions() as session:
        rows = await session.execute(
            select(Contribution.text, Question.key).outerjoin(Question, Contribution.question_id == Question.id).order_by(Contribution.id)
        )
        return [tuple(row) for row in rows]


async def test_reply_answers_the_question_shown_with_that_number_and_edit_changes_the_last_message(engine, user):
    console, screen = await console_participant(engine, user)
    assert "facilitator #3> Question 1.3" in screen.getvalue()
    await console.handle_line(engine, b"/reply 3 twinning with migrants")
    await console.handle_line(engine, b"/edit twinning with migrants as experts")
    assert await contributions_of(engine) == [("twinning with migrants as experts", "1.3")]


async def test_a_reply_to_a_number_never_shown_an_edit_with_nothing_sent_or_either_without_text_is_explained_and_stores_nothing(
    engine, user
):
    console, screen = await console_participant(engine, user)
    await console.handle_line(engine, b"/edit twinning with migrants")
    assert screen.getvalue().rstrip().endswith("facilitator> You have sent no message here yet, so there is nothing to edit.")
    await console.handle_line(engine, b"/reply 99 twinning with migrants")
    assert (
        screen.getvalue().rstrip().endswith("facilitator> There is no message #99 here: /reply takes a number shown as «facilitator #N».")
    )
    await console.handle_line(engine, b"/edit")
    assert screen.getvalue().rstrip().endswith("facilitator> Send /edit and the new text of your last message, for example /edit Q1: …")
    await console.handle_line(engine, b"/reply 3")
    assert (
        screen.getvalue()
        .rstrip()
        .endswith("facilitator> Send /reply, the number shown as «facilitator #N» and your answer, for example /reply 2 …")
    )
    assert await contributions_of(engine) == []


def shown_choice(screen: str, excerpt: str, key: str) -> tuple[int, str]:
    """The number (#N) of the ask quoting `excerpt`, and the letter of its choice for question `key`."""
    ask = re.search(r"facilitator #(\d+)> Which question does this answer\? «" + re.escape(excerpt) + r"».*\n(.*)\n", screen)
    assert ask, screen
    letter = re.search(r"\[([a-z])\] " + re.escape(key) + " ", ask.group(2))
    assert letter, ask.group(2)
    return int(ask.group(1)), letter.group(1)


async def test_two_open_asks_each_file_their_own_text(engine, user):
    """The latest ask answers to its letters; an older one, shown as #N, to /reply N and a letter."""
    console, screen = await console_participant(engine, user)
    for line in (b"The radio programmes for the diaspora worked well.", b"We also used WhatsApp groups."):
        await console.handle_line(engine, line)
        await engine.drain()
    older, older_letter = shown_choice(screen.getvalue(), "The radio programmes for the diaspora worked well.", "1.3")
    _newer, newer_letter = shown_choice(screen.getvalue(), "We also used WhatsApp groups.", "1.2")
    await console.handle_line(engine, newer_letter.encode())
    await console.handle_line(engine, f"/reply {older} {older_letter}".encode())
    assert sorted(await contributions_of(engine)) == [
        ("The radio programmes for the diaspora worked well.", "1.3"),
        ("We also used WhatsApp groups.", "1.2"),
    ]


@pytest.mark.parametrize("typed", ["{}", "{})", "({})", "[{}]", "{}.", " {} "])
async def test_a_letter_typed_as_people_write_it_is_that_choice(engine, user, typed):
    console, screen = await console_participant(engine, user)
    await console.handle_line(engine, b"We also used WhatsApp groups.")
    await engine.drain()
    _ask, letter = shown_choice(screen.getvalue(), "We also used WhatsApp groups.", "1.2")
    await console.handle_line(engine, typed.format(letter.upper()).encode())
    assert await contributions_of(engine) == [("We also used WhatsApp groups.", "1.2")]


def test_the_first_screen_says_to_type_start_and_past_dates_are_one_line(tmp_path):
    result = run_console(tmp_path, b"")
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().startswith("Type /start to begin;")
    warnings = [line for line in result.stderr.decode().splitlines() if "WARNING" in line]
    assert len(warnings) == 1 and "4 events skipped, missed by more than the grace period" in warnings[0], warnings


def test_a_pasted_text_is_one_message_and_choices_are_letters_not_question_numbers(tmp_path):
    email = (
        "Dear colleagues,\n\n"
        "Q3: in Dakar we share what works through a network of twinned towns.\n"
        "Q4: migration is now part of the regional development plan.\n\n"
        "Best regards,\nAminata Diallo\nRegion of Dakar"
    )
    script = (
        "/start\nb\nb\n/skip\n/skip\n/skip\nc\n/open_round 1\n"
        f"\x1b[200~{email}\x1b[201~\n"
        "We also used WhatsApp groups to reach the diaspora.\n"
        "1.1\n"
    ).encode()
    result = run_console(tmp_path, script, "--organiser")
    out = result.stdout.decode()
    assert result.returncode == 0, result.stderr.decode()
    assert "[a] Français  [b] English  [c] Español" in out
    assert "empty" not in out
    with sqlite3.connect(tmp_path / "facilitator.db") as db:
        filed = db.execute(
            "select q.key, c.text from contributions c left join questions q on q.id = c.question_id order by c.id"
        ).fetchall()
    assert filed[:2] == [
        ("1.3", "in Dakar we share what works through a network of twinned towns."),
        ("1.4", "migration is now part of the regional development plan."),
    ]
    assert ("1.1", "We also used WhatsApp groups to reach the diaspora.") in filed, "the typed 1.1 is question 1.1"
    assert len(filed) == 3, filed


def test_ctrl_c_stops_cleanly(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACILITATOR_")}
    console = subprocess.Popen(
        [sys.executable, "-m", "facilitator", "run"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        env=env,
        preexec_fn=ctrl_c_acted_on,
    )
    assert console.stdout.readline().startswith(b"Type /start")  # it is reading, the input left open
    console.send_signal(signal.SIGINT)
    # Waited for with the input still open, as on a terminal: communicate() would close it,
    # and an end of input that won the race would be a clean end (0), not Ctrl-C.
    assert console.wait(timeout=30) == 130
    _out, err = console.communicate()
    assert b"Traceback" not in err


async def test_as_name_writes_as_another_participant_in_a_chat_of_their_own(engine, user):
    console, screen = await console_participant(engine, user)
    await console.handle_line(engine, b"/as Ana Perez")
    await console.handle_line(engine, b"/start")
    await console.handle_line(engine, b"c")  # Español
    await engine.drain()
    await console.handle_line(engine, b"Pregunta 2: la mesa de concertacion regional.")
    await console.handle_line(engine, b"/as")
    await console.handle_line(engine, b"Q1: twinning")
    assert "A partir de ahora le escribiré en español." in screen.getvalue()
    async with engine.sessions() as session:
        people = await session.execute(
            select(PlatformIdentity.external_id, Participant.display_name, Participant.language)
            .join(Participant)
            .where(PlatformIdentity.platform == "console")
            .order_by(PlatformIdentity.external_id)
        )
        assert [tuple(row) for row in people] == [("as-ana-perez", "Ana Perez", "es"), ("local", os.environ.get("USER", "you"), "en")]
    assert await contributions_of(engine) == [("la mesa de concertacion regional.", "1.2"), ("twinning", "1.1")]
