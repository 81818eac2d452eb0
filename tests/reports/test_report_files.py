"""The report files as organisers open them: Word pages (paper, type, how
full), Markdown with its charts beside it, CSV in a French or Spanish Excel,
and the language figures."""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import io
import shutil
import subprocess

import docx
import pdfplumber
import pytest

from bot.reports.export import report_bytes
from facilitator.cli import main
from tests.helpers import join, organiser
from tests.reports.test_reports import report_data

PNG = b"\x89PNG\r\n\x1a\n"


def page_fill(document: bytes, tmp_path) -> list[float]:
    """How far down each page its content reaches, as LibreOffice lays the document out."""
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice lays the Word file out: .ci/run installs libreoffice-writer-nogui"
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "report.docx").write_bytes(document)
    subprocess.run(
        [
            soffice,
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(tmp_path / "report.docx"),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    with pdfplumber.open(tmp_path / "report.pdf") as pdf:
        return [max([c["bottom"] for c in page.chars] + [i["bottom"] for i in page.images], default=0) / page.height for page in pdf.pages]


async def one_answer(engine, user):
    """What a newcomer exports first: the example with one answer."""
    boss = await organiser(engine, user)
    ana = await join(engine, user, "ana", "es", "named", "Ana Pérez", "RIMHUCH", "Ecuador")
    await engine.handle_message(boss.message("/open_round 1"))
    await engine.handle_message(ana.message("Pregunta 1: convenios de cooperación interinstitucional."))
    return await report_data(engine)


async def test_the_word_file_is_on_a4_its_contributions_upright(engine, user):
    data = await one_answer(engine, user)
    document = docx.Document(io.BytesIO(report_bytes(data, "docx", "fr")))
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    contributions = [p for p in document.paragraphs if p.style.name == "Contribution"]
    assert len(contributions) == data.figures.contributions
    assert not any(run.italic or (run.italic is None and p.style.font.italic) for p in contributions for run in p.runs)
    american = dataclasses.replace(data, timezone="America/Chicago")
    section = docx.Document(io.BytesIO(report_bytes(american, "docx", "en"))).sections[0]
    assert (round(section.page_width.inches, 2), round(section.page_height.inches, 2)) == (8.5, 11), "Letter only in the United States"


async def test_the_word_file_has_no_half_empty_pages(engine, user, tmp_path):
    data = await one_answer(engine, user)
    for language in ("en", "es"):
        *pages, _last = page_fill(report_bytes(data, "docx", language), tmp_path / language)
        assert pages and min(pages) > 2 / 3, [round(fill, 2) for fill in pages]


async def test_the_markdown_report_writes_its_charts_beside_it(engine, user, database, tmp_path, monkeypatch):
    if database.dialect.name != "sqlite":
        pytest.skip("the CLI's own database URL is exercised on the SQLite file")
    await one_answer(engine, user)
    monkeypatch.setenv("FACILITATOR_DATABASE_URL", str(database.url))
    assert await asyncio.to_thread(main, ["export", "--lang", "en", "-o", str(tmp_path / "report.md")]) == 0
    text = (tmp_path / "report.md").read_text("utf-8")
    assert "base64" not in text
    charts = sorted(tmp_path.glob("report-*.png"))
    assert [c.name for c in charts] == [
        "report-contributions-per-question.png",
        "report-participants-per-country.png",
        "report-participants-per-language.png",
    ]
    assert all(c.read_bytes().startswith(PNG) and f"](<{c.name}>)" in text for c in charts)
    assert await asyncio.to_thread(main, ["export", "--lang", "en", "--no-charts", "-o", str(tmp_path / "plain.md")]) == 0
    assert not list(tmp_path.glob("plain-*")) and "](" not in (tmp_path / "plain.md").read_text("utf-8")


async def test_csv_in_french_and_spanish_opens_in_columns_in_excel(engine, user):
    data = await one_answer(engine, user)
    for language, separator in (("fr", ";"), ("es", ";"), ("en", ",")):
        content = report_bytes(data, "csv", language)
        assert content.startswith("\ufeff".encode()), "a byte-order mark"
        header = content.decode("utf-8-sig").splitlines()[0]
        assert header.count(separator) == 12, (language, header)
        [row] = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=separator))[1:]
        assert row[-1] == "convenios de cooperación interinstitucional."


async def test_participants_by_language_counts_people_once_contributions_by_language_count_contributions(engine, user):
    boss = await organiser(engine, user)
    marie = await join(engine, user, "marie", "fr", chosen_language="fr")
    await engine.handle_message(boss.message("/open_round 1"))
    await engine.handle_message(marie.message("Pregunta 1: los convenios de hermanamiento entre municipios y asociaciones."))
    await engine.handle_message(marie.message("Q2: national round tables bring the regions and the ministries together."))
    await engine.handle_message(marie.message("Question 3 : un réseau de villes qui partage ses expériences de coopération."))
    data = await report_data(engine)
    assert data.figures.by_language == {"fr": 1}, "Marie, once, in the language she chose"
    assert data.figures.contributions_by_language == {"es": 1, "en": 1, "fr": 1}
    text = report_bytes(data, "md", "en").decode("utf-8")
    assert "| Language | Participants |\n|---|---|\n| French | 1 |\n\n" in text
    assert "| Language | Contributions |" in text
