"""The console chat, as a newcomer runs it: `facilitator run` in a terminal or from a pipe."""

import io
import os
import sqlite3
import subprocess
import sys

from sqlalchemy import func, select

from adapters.console import ConsoleChat
from bot.discussion import store
from bot.storage.models import Message, Participant, PlatformIdentity


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
            "3",  # the Spanish button
            "2",  # publish anonymously
            "Ana Pérez",
            "RIMHUCH",
            "Ecuador",
            "1",  # local authority staff
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


async def test_a_prompts_buttons_still_answer_when_a_rounds_questions_arrive_after_it(engine, platform, user):
    boss = user("boss", "en")
    async with engine.sessions() as session:
        await store.grant_organiser(session, await store.find_discussion(session), "memory", "boss", engine.clock())
        await session.commit()
    await engine.handle_message(boss.message("/open_round 1"))
    screen = io.StringIO()
    console = ConsoleChat(io.BytesIO(), screen, language_code="en")
    engine.attach(console)
    await console.handle_line(engine, b"/start\n")
    await console.handle_line(engine, b"2\n")  # English: the consent prompt follows, then round 1's five questions
    await engine.drain()
    assert screen.getvalue().rstrip().endswith("To answer, reply to this message or start your message with «1.5:».")
    await console.handle_line(engine, b"2\n")  # the consent prompt's second button
    async with engine.sessions() as session:
        participant = await session.scalar(select(Participant).join(PlatformIdentity).where(PlatformIdentity.platform == "console"))
        assert participant.consent and participant.anonymous, "published anonymously"
        assert await session.scalar(select(func.count(Message.id))) == 0, "the number was not taken for an answer"
