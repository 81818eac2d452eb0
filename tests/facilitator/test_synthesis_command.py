"""`facilitator synthesis` as organisers use it: write the draft, edit it, run again to save
the edits, receive more contributions, export. Nothing they wrote is ever lost."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import os
import sqlite3

import openpyxl
import pytest
import yaml

from facilitator.cli import main
from tests.reports.synthesis.corpus import LABELLED, make_database, read

ROWS = read(LABELLED)
NOW = dt.datetime(2013, 8, 5, 9, 0, tzinfo=dt.UTC)
FIRST = [row for number, row in enumerate(ROWS) if number % 3]
LATER = [row for number, row in enumerate(ROWS) if number % 3 == 0]


@pytest.fixture
def discussion_database(tmp_path, monkeypatch):
    """A folder whose database holds the example discussion and two thirds of the labelled corpus."""
    asyncio.run(make_database(FIRST, tmp_path / "facilitator.db", NOW))
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("FACILITATOR_")]:
        monkeypatch.delenv(name)
    return tmp_path


def themes_of(draft: dict, key: str) -> list[dict]:
    return next(question for question in draft["questions"] if question["question"] == key)["themes"]


def test_edits_are_saved_kept_through_new_contributions_and_shown_in_the_report(discussion_database, capsys):
    draft_file = discussion_database / "draft.yaml"
    assert main(["synthesis", "--lang", "fr", "-o", str(draft_file)]) == 0
    written = draft_file.read_text(encoding="utf-8")
    assert written.startswith("# ")  # how to edit it, in French
    assert "facilitator synthesis --discussion m4d-2013 --lang fr -o draft.yaml" in written
    assert "%|" not in capsys.readouterr().err  # no progress bar when not on a terminal

    # The organisers rename a theme, merge the next one into it, pick another quote and write summaries.
    draft = yaml.safe_load(written)
    themes = themes_of(draft, "1.1")
    assert len(themes) >= 2
    first, second = themes[0], themes[1]
    first["label"] = "Les jumelages, avec la diaspora"
    first["summary"] = "Nos mots à nous."
    first["contributions"] += second["contributions"]
    themes.remove(second)
    first["quotes"] = [first["sentences"][-1]["n"]]
    draft["summary"] = "Ce que la discussion a dit."
    draft_file.write_text(yaml.safe_dump(draft, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert main(["synthesis", "--lang", "fr", "-o", str(draft_file)]) == 0
    assert "the edits are saved" in capsys.readouterr().out

    # More answers arrive; the draft is made again.
    asyncio.run(_add(discussion_database, LATER))
    assert main(["synthesis", "--lang", "fr", "-o", str(draft_file)]) == 0
    again = yaml.safe_load(draft_file.read_text(encoding="utf-8"))
    kept = themes_of(again, "1.1")[0]
    assert (kept["label"], kept["summary"], again["summary"]) == (
        "Les jumelages, avec la diaspora",
        "Nos mots à nous.",
        "Ce que la discussion a dit.",
    )
    assert set(first["contributions"]) <= set(kept["contributions"])
    assert kept["quotes"] == first["quotes"]
    assert again["reviewed_at"] is not None
    listed = {n for q in again["questions"] for n in [*q["other"], *q["new"], *(c for t in q["themes"] for c in t["contributions"])]}
    assert listed == set(range(1, len(ROWS) + 1))

    # The report uses the review, and says so.
    assert main(["export", "--lang", "fr", "-o", "report.md", "--no-charts"]) == 0
    report = (discussion_database / "report.md").read_text(encoding="utf-8")
    assert "Les jumelages, avec la diaspora" in report and "Nos mots à nous." in report
    assert report.index("Les jumelages, avec la diaspora") < report.index("#### ")  # in the overview at the top too
    assert "relus par les organisateurs" in report or "revus par les organisateurs" in report


def test_a_report_without_a_review_says_it_is_a_draft(discussion_database):
    assert main(["export", "--lang", "en", "-o", "report.md", "--no-charts"]) == 0
    report = (discussion_database / "report.md").read_text(encoding="utf-8")
    assert "Key points" in report
    assert "Draft: the themes were grouped automatically" in report


def test_the_exported_spreadsheets_name_each_contributions_theme(discussion_database):
    assert main(["export", "--lang", "en", "-o", "report.xlsx"]) == 0
    workbook = openpyxl.load_workbook(discussion_database / "report.xlsx")
    assert workbook.sheetnames[-1] == "Key points"
    contributions = list(workbook.worksheets[0].iter_rows(min_row=2, values_only=True))
    assert len(contributions) == len(FIRST) and all(row[3] for row in contributions)
    assert main(["export", "--lang", "en", "-o", "report.csv"]) == 0
    rows = list(csv.reader(io.StringIO((discussion_database / "report.csv").read_text(encoding="utf-8-sig"))))
    assert [row[3] for row in rows[1:]] == [row[3] for row in contributions]


def test_an_edit_that_cannot_be_saved_leaves_the_file_and_the_database_as_they_were(discussion_database, capsys):
    draft_file = discussion_database / "draft.yaml"
    assert main(["synthesis", "--lang", "en", "-o", str(draft_file)]) == 0
    draft = yaml.safe_load(draft_file.read_text(encoding="utf-8"))
    themes = themes_of(draft, "1.1")
    themes[1]["contributions"].append(themes[0]["contributions"][0])  # in two themes at once
    themes[0]["label"] = "Renamed"
    edited = yaml.safe_dump(draft, allow_unicode=True, sort_keys=False)
    draft_file.write_text(edited, encoding="utf-8")
    assert main(["synthesis", "--lang", "en", "-o", str(draft_file)]) == 2
    err = capsys.readouterr().err
    assert f"#{themes[0]['contributions'][0]} is in both" in err and "nothing saved" in err
    assert draft_file.read_text(encoding="utf-8") == edited
    with sqlite3.connect(discussion_database / "facilitator.db") as database:
        assert database.execute("select count(*) from syntheses where reviewed_at is not null").fetchone() == (0,)


def test_an_answer_put_under_another_questions_theme_is_a_problem_not_a_silent_drop(discussion_database, capsys):
    draft_file = discussion_database / "draft.yaml"
    assert main(["synthesis", "--lang", "en", "-o", str(draft_file)]) == 0
    draft = yaml.safe_load(draft_file.read_text(encoding="utf-8"))
    borrowed = themes_of(draft, "1.1")[0]["contributions"][0]
    elsewhere = next(question for question in draft["questions"] if question["question"] != "1.1" and question["themes"])
    elsewhere["themes"][0]["contributions"].append(borrowed)
    draft_file.write_text(yaml.safe_dump(draft, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert main(["synthesis", "--lang", "en", "-o", str(draft_file)]) == 2
    err = capsys.readouterr().err
    assert f"#{borrowed} in theme {elsewhere['themes'][0]['theme']} answers question 1.1: file it under this question first" in err
    assert "nothing saved" in err


def test_a_file_that_is_not_a_draft_is_refused_line_by_line_in_the_drafts_language(discussion_database, capsys):
    draft_file = discussion_database / "draft.yaml"
    draft_file.write_text("questions: [\n", encoding="utf-8")
    assert main(["synthesis", "-o", str(draft_file)]) == 2  # in French, the discussion's first language
    assert "ligne 2 : illisible en YAML" in capsys.readouterr().err
    assert main(["synthesis", "--lang", "en", "-o", str(draft_file)]) == 2
    assert "line 2: not readable as YAML" in capsys.readouterr().err
    assert draft_file.read_text(encoding="utf-8") == "questions: [\n"


async def _add(folder, rows):
    from bot.storage.database import create_engine, session_factory
    from tests.reports.synthesis.corpus import embed, store_contributions

    engine = create_engine(f"sqlite+aiosqlite:///{folder / 'facilitator.db'}")
    await store_contributions(session_factory(engine), rows, embed([row["text"] for row in rows]), NOW)
    await engine.dispose()
