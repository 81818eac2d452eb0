"""The CLI as a newcomer meets it: in a pipe, in the wrong folder, with typos, twice at once."""

import datetime as dt
import os
import sqlite3
import subprocess
import sys
import time
from zoneinfo import ZoneInfo

import pytest

from bot.storage.run_lock import DatabaseInUse, RunLock
from facilitator.cli import main


def facilitator(tmp_path, *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACILITATOR_")}
    return subprocess.run(
        [sys.executable, "-m", "facilitator", *args], input=stdin, cwd=tmp_path, env=env, capture_output=True, timeout=120
    )


@pytest.fixture
def folder_with_a_database(tmp_path, monkeypatch):
    """A folder where `facilitator run` ran once: its database holds the example discussion."""
    assert facilitator(tmp_path, "run").returncode == 0
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("FACILITATOR_")]:
        monkeypatch.delenv(name)
    return tmp_path


def test_status_into_a_pipe_closed_early_ends_without_a_traceback(folder_with_a_database):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACILITATOR_")}
    status = subprocess.Popen(
        [sys.executable, "-m", "facilitator", "status"], cwd=folder_with_a_database, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    status.stdout.close()  # what `| head` does once it has its lines
    err = status.stderr.read().decode()
    assert status.wait(timeout=60) == 0
    assert "Traceback" not in err and "BrokenPipe" not in err


def test_a_command_in_a_folder_without_a_database_says_which_it_looked_for(tmp_path):
    result = facilitator(tmp_path, "status")
    assert result.returncode == 2
    assert f"no database at {tmp_path / 'facilitator.db'}" in result.stderr.decode()
    assert not (tmp_path / "facilitator.db").exists(), "no empty database is made"


def test_organiser_add_checks_the_platform_and_the_id_and_list_shows_them(folder_with_a_database, capsys):
    assert main(["organiser", "add", "telgram:123456"]) == 2
    assert "is not PLATFORM:USER_ID with a platform among telegram, discord" in capsys.readouterr().err
    assert main(["organiser", "add", "telegram:@ana"]) == 2
    assert "a telegram id is a number" in capsys.readouterr().err
    assert main(["organiser", "add", "discord:1234"]) == 2
    assert "a discord id is a 17- to 20-digit number" in capsys.readouterr().err
    assert main(["organiser", "add", "telegram:123456"]) == 0
    assert main(["organiser", "add", "discord:80351110224678912"]) == 0
    capsys.readouterr()
    assert main(["organiser", "list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in listed] == ["discord:80351110224678912", "telegram:123456"]
    assert all("added" in line and "UTC" in line for line in listed)


def test_durations_are_written_as_in_chat(folder_with_a_database, capsys):
    assert main(["round", "open", "1"]) == 0
    for written in ("2d", "12h", "P2D", "pt12h"):
        assert main(["schedule", "extend", written]) == 0, written
    assert "later round(s) moved by PT12H" in capsys.readouterr().out
    with sqlite3.connect(folder_with_a_database / "facilitator.db") as db:
        [(opens, closes)] = db.execute("select opens_at, closes_at from rounds where number = 1").fetchall()
    opens, closes = dt.datetime.fromisoformat(opens), dt.datetime.fromisoformat(closes)
    # The file's 2013 round, opened now, closes a week from today at the file's 9:00 in Brussels; then 2d, 12h, 2d and 12h more.
    assert abs(opens - dt.datetime.now(dt.UTC).replace(tzinfo=None)) < dt.timedelta(minutes=5)
    brussels = ZoneInfo("Europe/Brussels")
    local_opening, local_closing = (moment.replace(tzinfo=dt.UTC).astimezone(brussels) for moment in (opens, closes))
    expected = dt.datetime.combine(local_opening.date() + dt.timedelta(days=12), dt.time(9, 0), brussels)
    assert abs(local_closing - expected) <= dt.timedelta(hours=1), "a change of summer time may fall within"


@pytest.mark.parametrize("command", [["schedule", "extend", "-1d"], ["schedule", "postpone", "2", "-P1D"], ["run", "--rehearse", "-5m"]])
def test_a_negative_duration_is_explained_not_taken_for_an_option(folder_with_a_database, capsys, command):
    with pytest.raises(SystemExit) as exited:
        main(command)
    assert exited.value.code == 2
    error = capsys.readouterr().err
    assert "required" not in error and "unrecognized" not in error
    assert "not moved back" in error if command[0] == "schedule" else "is negative" in error


def test_a_round_of_past_dates_opened_by_hand_opens_now_until_its_day_and_hour_and_the_next_rounds_follow(folder_with_a_database, capsys):
    assert main(["round", "open", "1"]) == 0
    with sqlite3.connect(folder_with_a_database / "facilitator.db") as db:
        rows = db.execute("select number, opens_at, closes_at from rounds order by number").fetchall()
    (_, opens_1, closes_1), (_, opens_2, _closes_2) = [
        (n, dt.datetime.fromisoformat(o), dt.datetime.fromisoformat(c)) for n, o, c in rows[:2]
    ]
    # The file's week, Monday 9:00 to Monday 9:00 in Brussels: it closes 7 days after today, at 9:00 on Brussels' clock.
    brussels = ZoneInfo("Europe/Brussels")
    local = [moment.replace(tzinfo=dt.UTC).astimezone(brussels).replace(tzinfo=None) for moment in (opens_1, closes_1)]
    assert opens_1 > dt.datetime(2026, 1, 1) and local[1] == dt.datetime.combine(local[0].date() + dt.timedelta(days=7), dt.time(9, 0))
    assert opens_2 == closes_1, "round 2 opens as round 1 closes, as in the file"
    assert main(["schedule"]) == 0
    assert ", 2013" not in capsys.readouterr().out


@pytest.mark.parametrize("how", [["water.yaml"], ["--discussion", "water.yaml"]])
def test_run_takes_the_discussion_file_as_its_argument_or_as_an_option(tmp_path, how):
    (tmp_path / "water.yaml").write_text(
        "id: water\nlanguages: [en]\ntimezone: Africa/Dakar\ntitle: {en: Water services in small towns}\n"
        "invitation: {en: Two questions.}\nstarts: 2027-01-04T09:00\nrounds:\n  - duration: 7d\n    questions:\n"
        '      - {en: "Who runs the water service?"}\n      - {en: "How are tariffs set?"}\n'
    )
    ran = facilitator(tmp_path, "run", *how, stdin=b"/start\n")
    assert ran.returncode == 0 and "Water services in small towns" in ran.stdout.decode()


def test_run_refuses_a_discussion_file_given_twice(tmp_path):
    ran = facilitator(tmp_path, "run", "a.yaml", "--discussion", "b.yaml")
    assert ran.returncode == 2 and b"not allowed with argument" in ran.stderr


def test_a_conversation_read_from_a_pipe_is_linked_by_meaning_as_a_live_one(tmp_path):
    """A pipe has nobody waiting for the first answer: the model is loaded first, not while the lines go by."""
    lines = "/start\nb\nc\n/skip\n/skip\n/skip\nc\n/open_round 1\nWe meet the ministry every quarter in a joint committee.\n"
    ran = facilitator(tmp_path, "run", "--organiser", stdin=lines.encode())
    ask = ran.stdout.decode().split("Which question does this answer?")[1]
    assert ask.split("[a] ", 1)[1].startswith("1.2 ·"), ask  # by shared words alone, the round's order: 1.1 first


def test_a_second_run_on_the_same_database_refuses_to_start_and_names_the_first(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACILITATOR_")}
    first = subprocess.Popen(
        [sys.executable, "-m", "facilitator", "run"],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert first.stdout.readline().startswith(b"Type /start"), "the first is running"
        started = time.time()
        second = facilitator(tmp_path, "run")
        err = second.stderr.decode()
        assert second.returncode == 2
        assert f"another `facilitator run` uses sqlite+aiosqlite:///facilitator.db: process {first.pid} on " in err
        assert f"since {time.strftime('%Y-%m-%d', time.gmtime(started))}" in err
        assert "Traceback" not in err
    finally:
        first.communicate(b"", timeout=60)
    assert first.returncode == 0
    assert facilitator(tmp_path, "run").returncode == 0, "once the first has stopped, the database is free"


async def test_the_run_lock_holds_on_either_database(database, tmp_path):
    url = str(database.url) if database.dialect.name != "sqlite" else f"sqlite+aiosqlite:///{tmp_path / 'facilitator.db'}"
    lock = await RunLock.acquire(database, url)
    try:
        with pytest.raises(
            DatabaseInUse, match=rf"^(process|facilitator run) {os.getpid()}.*, since \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d UTC$"
        ):
            await RunLock.acquire(database, url)
    finally:
        await lock.release()
    await (await RunLock.acquire(database, url)).release()


@pytest.mark.parametrize("command", [["status"], ["pending"], ["file", "1", "1.1"], ["export", "-o", "report.md"]])
def test_a_language_the_discussion_is_not_held_in_is_refused_in_one_line(folder_with_a_database, capsys, command):
    assert main([*command, "--lang", "xx"]) == 2
    assert capsys.readouterr().err.strip().endswith("is held in fr, en, es, not 'xx'")


def test_status_is_in_english_unless_another_language_is_asked_for(folder_with_a_database, capsys):
    assert main(["status"]) == 0
    english = capsys.readouterr().out
    assert main(["status", "--lang", "es"]) == 0
    assert capsys.readouterr().out != english
